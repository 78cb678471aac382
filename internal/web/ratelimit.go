package web

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sesame-idp/sesame/internal/metrics"
	"github.com/sesame-idp/sesame/internal/oktaerr"
)

// DefaultRateLimits are per replica and per minute, generous enough for a
// busy org and for the benchmark, while still stopping a runaway client
// from monopolizing the server. Change them with SESAME_RATE_LIMITS.
var DefaultRateLimits = map[string]int{
	"token":        120_000,
	"introspect":   1_200_000,
	"revoke":       120_000,
	"keys":         2_400_000,
	"discovery":    2_400_000,
	"clients":      12_000,
	"apps":         12_000,
	"users":        12_000,
	"groups":       12_000,
	"logs":         6_000,
	"management":   12_000,
	"authorize":    60_000,
	"sessions":     60_000,
	"organization": 60_000,
}

// rateClasses maps paths to classes, first match wins.
var rateClasses = []struct {
	name  string
	match func(p string) bool
}{
	{"token", func(p string) bool { return oauthEndpoint(p, "token") }},
	{"introspect", func(p string) bool { return oauthEndpoint(p, "introspect") }},
	{"revoke", func(p string) bool { return oauthEndpoint(p, "revoke") }},
	{"keys", func(p string) bool { return oauthEndpoint(p, "keys") }},
	{"authorize", func(p string) bool {
		return oauthEndpoint(p, "authorize") || oauthEndpoint(p, "userinfo") || oauthEndpoint(p, "logout") || strings.HasPrefix(p, "/oauth2/v1/authorize/") ||
			oauthEndpoint(p, "device/authorize")
	}},
	{"discovery", func(p string) bool {
		return strings.Contains(p, "/.well-known/openid-configuration") || strings.Contains(p, "/.well-known/oauth-authorization-server")
	}},
	{"organization", func(p string) bool { return p == "/.well-known/okta-organization" }},
	{"clients", func(p string) bool { return strings.HasPrefix(p, "/oauth2/v1/clients") }},
	{"apps", func(p string) bool { return strings.HasPrefix(p, "/api/v1/apps") }},
	{"users", func(p string) bool { return strings.HasPrefix(p, "/api/v1/users") }},
	{"groups", func(p string) bool { return strings.HasPrefix(p, "/api/v1/groups") }},
	{"logs", func(p string) bool { return strings.HasPrefix(p, "/api/v1/logs") }},
	{"sessions", func(p string) bool {
		return strings.HasPrefix(p, "/api/v1/sessions") || strings.HasPrefix(p, "/api/v1/authn") || strings.HasPrefix(p, "/login/") || p == "/activate"
	}},
	{"management", func(p string) bool { return strings.HasPrefix(p, "/api/v1/") }},
}

func oauthEndpoint(p, name string) bool {
	return strings.HasPrefix(p, "/oauth2/") && strings.HasSuffix(p, "/v1/"+name)
}

// ParseRateLimits reads "class=N,class=N" (N requests per minute, 0 for no
// limit) over the defaults; "off" turns every limit off.
func ParseRateLimits(s string) (map[string]int, error) {
	out := map[string]int{}
	for k, v := range DefaultRateLimits {
		out[k] = v
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return out, nil
	}
	if s == "off" {
		for k := range out {
			out[k] = 0
		}
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if _, known := DefaultRateLimits[name]; !ok || !known {
			return nil, fmt.Errorf("rate limits: %q: want class=N with a class among %s", part, strings.Join(rateClassNames(), ", "))
		}
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("rate limits: %q: N must be a whole number of requests per minute (0 for no limit)", part)
		}
		out[name] = n
	}
	return out, nil
}

func rateClassNames() []string {
	var names []string
	for k := range DefaultRateLimits {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// RateLimiter counts requests per class in fixed one-minute windows, as
// Okta does, and reports them in X-Rate-Limit-* headers. It takes no lock:
// the counters are atomics, reset by whichever request first sees a new
// minute (a request racing that reset may be counted in either window).
type RateLimiter struct {
	limits []int // by index in rateClasses
	now    func() time.Time
	window atomic.Int64 // unix minute of the current window
	counts []atomic.Int64
	// rejected counts 429s by class (sesame_rate_limit_rejections_total).
	rejected []prometheus.Counter
}

// NewRateLimiter returns a limiter with the given per-class limits.
func NewRateLimiter(limits map[string]int, now func() time.Time) *RateLimiter {
	if now == nil {
		now = time.Now
	}
	l := &RateLimiter{limits: make([]int, len(rateClasses)), now: now, counts: make([]atomic.Int64, len(rateClasses))}
	for i, c := range rateClasses {
		l.limits[i] = limits[c.name]
		l.rejected = append(l.rejected, metrics.RateLimited.WithLabelValues(c.name))
	}
	return l
}

// Wrap limits h. Every limited response carries X-Rate-Limit-Limit,
// -Remaining and -Reset; a request over the limit gets 429 E0000047 with the
// Date and X-Rate-Limit-Reset headers the Okta SDKs compute their back-off
// from.
func (l *RateLimiter) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		class := -1
		for i, c := range rateClasses {
			if c.match(r.URL.Path) {
				class = i
				break
			}
		}
		if class < 0 || l.limits[class] <= 0 {
			h.ServeHTTP(w, r)
			return
		}
		limit := l.limits[class]
		now := l.now()
		minute := now.Unix() / 60
		if old := l.window.Load(); old != minute && l.window.CompareAndSwap(old, minute) {
			for i := range l.counts {
				l.counts[i].Store(0)
			}
		}
		used := int(l.counts[class].Add(1))
		reset := (minute + 1) * 60
		hd := w.Header()
		hd.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
		hd.Set("X-Rate-Limit-Remaining", strconv.Itoa(max(limit-used, 0)))
		hd.Set("X-Rate-Limit-Reset", strconv.FormatInt(reset, 10))
		if used > limit {
			l.rejected[class].Inc()
			hd.Set("Date", now.UTC().Format(http.TimeFormat))
			WriteError(w, oktaerr.RateLimited())
			return
		}
		h.ServeHTTP(w, r)
	})
}
