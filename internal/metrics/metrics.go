// Package metrics holds Sesame's Prometheus metrics. They are package
// variables on one registry, like the Go runtime's own: a process serves
// one Sesame, and a counter bumped on the hot path should cost an atomic
// add, not a lookup through the app. Every label takes values from a fixed
// set (route patterns, status codes, grant types, OAuth error codes) or from
// the configuration (authorization server ids) — never from a request
// (client ids, user ids, paths).
package metrics

import (
	"database/sql"
	"net/http"
	"runtime"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every Sesame metric plus the Go runtime's and the
// process's.
var Registry = prometheus.NewRegistry()

// latencyBuckets span what Sesame answers in: a cached discovery document
// in tens of microseconds, a token in a millisecond or two, a password
// check in ~100 ms, a slow database in seconds.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

var (
	// Requests counts answered HTTP requests by method, route pattern and
	// status code; RequestDuration is their latency.
	Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sesame_http_requests_total",
		Help: "HTTP requests answered, by method, route pattern and status code.",
	}, []string{"method", "route", "code"})
	RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "sesame_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by method, route pattern and status code.",
		Buckets: latencyBuckets,
	}, []string{"method", "route", "code"})
	InFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sesame_http_requests_in_flight",
		Help: "HTTP requests being served.",
	})

	TokensIssued = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sesame_oauth_tokens_issued_total",
		Help: "Successful token requests, by grant type and authorization server id.",
	}, []string{"grant_type", "auth_server"})
	TokenRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sesame_oauth_token_refusals_total",
		Help: "Refused token requests, by OAuth error code.",
	}, []string{"error"})
	Signatures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sesame_jwt_signatures_total",
		Help: "JWTs signed (access, ID and logout tokens).",
	})

	SignIns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sesame_signins_total",
		Help: "Password checks, by result: success, failure (bad credentials or a user who may not sign in), locked_out (refused: the account is locked), throttled (too many failures for the username or address).",
	}, []string{"result"})
	Lockouts = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sesame_user_lockouts_total",
		Help: "Accounts locked after too many failed sign-ins.",
	})

	RateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sesame_rate_limit_rejections_total",
		Help: "Requests refused with 429 by the per-class rate limits, by class.",
	}, []string{"class"})

	DBQueryDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "sesame_db_query_duration_seconds",
		Help:    "Time of a database statement or transaction, by kind (read, write, transaction: the whole of one, commit included) and outcome (ok, not_found, error).",
		Buckets: latencyBuckets,
	}, []string{"kind", "outcome"})

	BuildInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "sesame_build_info",
		Help: "Always 1; the labels say which Sesame runs.",
	}, []string{"version", "goversion"})
)

func init() {
	Registry.MustRegister(Requests, RequestDuration, InFlight, TokensIssued, TokenRefusals, Signatures,
		SignIns, Lockouts, RateLimited, DBQueryDuration, BuildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sesame_audit_queue_depth",
			Help: "System Log events queued in memory, not yet written to the database.",
		}, func() float64 { return float64(sources.queue()) }),
		sources)
	// Pre-create the series that alerts compare, so that a rate over a
	// quiet replica is 0 rather than absent.
	for _, r := range []string{"success", "failure", "locked_out", "throttled"} {
		SignIns.WithLabelValues(r)
	}
}

// SetVersion records the running version in sesame_build_info.
func SetVersion(version string) {
	BuildInfo.Reset()
	BuildInfo.WithLabelValues(version, runtime.Version()).Set(1)
}

// Handler serves the registry in Prometheus' exposition formats.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}

// Code is the label value of an HTTP status.
func Code(status int) string {
	if status >= 100 && status < 600 {
		return strconv.Itoa(status)
	}
	return "other"
}

// Method bounds the method label to the methods Sesame serves.
func Method(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodOptions, http.MethodPatch:
		return m
	}
	return "OTHER"
}

// Track makes the metrics report the database pools and the System Log
// queue of the app being served, until the returned func is called. The
// last app tracked is the one reported (one per process in production;
// tests start several).
func Track(pools map[string]*sql.DB, queue func() int) (untrack func()) {
	return sources.set(&source{pools: pools, queue: queue})
}

type source struct {
	pools map[string]*sql.DB
	queue func() int
}

// sourceSet reports the tracked source's pool statistics.
type sourceSet struct {
	mu  sync.Mutex
	cur *source
}

var sources = &sourceSet{}

func (s *sourceSet) set(src *source) func() {
	s.mu.Lock()
	s.cur = src
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		if s.cur == src {
			s.cur = nil
		}
		s.mu.Unlock()
	}
}

func (s *sourceSet) get() *source {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

func (s *sourceSet) queue() int {
	if src := s.get(); src != nil && src.queue != nil {
		return src.queue()
	}
	return 0
}

var (
	poolOpen     = prometheus.NewDesc("sesame_db_pool_open_connections", "Connections open in the pool (in use and idle).", []string{"pool"}, nil)
	poolInUse    = prometheus.NewDesc("sesame_db_pool_in_use_connections", "Connections of the pool in use.", []string{"pool"}, nil)
	poolIdle     = prometheus.NewDesc("sesame_db_pool_idle_connections", "Idle connections of the pool.", []string{"pool"}, nil)
	poolMax      = prometheus.NewDesc("sesame_db_pool_max_open_connections", "Most connections the pool may open.", []string{"pool"}, nil)
	poolWaits    = prometheus.NewDesc("sesame_db_pool_waits_total", "Times a query waited for a free connection.", []string{"pool"}, nil)
	poolWaitTime = prometheus.NewDesc("sesame_db_pool_wait_seconds_total", "Time spent waiting for a free connection.", []string{"pool"}, nil)
)

func (s *sourceSet) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolOpen, poolInUse, poolIdle, poolMax, poolWaits, poolWaitTime} {
		ch <- d
	}
}

func (s *sourceSet) Collect(ch chan<- prometheus.Metric) {
	src := s.get()
	if src == nil {
		return
	}
	for name, db := range src.pools {
		st := db.Stats()
		ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(st.OpenConnections), name)
		ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(st.InUse), name)
		ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(st.Idle), name)
		ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(st.MaxOpenConnections), name)
		ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(st.WaitCount), name)
		ch <- prometheus.MustNewConstMetric(poolWaitTime, prometheus.CounterValue, st.WaitDuration.Seconds(), name)
	}
}
