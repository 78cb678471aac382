package web

import (
	"context"
	"fmt"
	"github.com/sesame-idp/sesame/internal/tracing"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/metrics"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
)

type ctxKey int

const requestIDKey ctxKey = iota

// RequestID returns the id of the request being served.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Wrap adds what every response needs: a request id (X-Okta-Request-Id),
// recovery from panics as E0000009, and one access-log line. The line names
// the route (the mux pattern, "unmatched" for unknown paths) rather than
// the path, and never the query, headers or body: paths carry activation
// and recovery tokens, queries client assertions, headers credentials and
// cookies. route resolves a request to its pattern.
func Wrap(h http.Handler, log *slog.Logger, route func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := secret.RandomString(20)
		w.Header().Set("X-Okta-Request-Id", id)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if Scheme(r) == "https" {
			// Browsers keep to https for a year once they have seen this over
			// https; over plain http it would mean nothing and is not sent.
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		sw := &statusWriter{ResponseWriter: w}
		rt := routeName(route(r))
		// The span is named by the route, never the path (paths carry
		// tokens), and a caller's traceparent makes it a child of theirs.
		ctx, span := r.Context(), tracing.Idle
		if tracing.Recording() {
			ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.HeaderCarrier(r.Header))
			ctx, span = tracing.Tracer().Start(ctx, r.Method+" "+rt, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("http.route", rt),
					attribute.String("sesame.request_id", id)))
		}
		defer span.End()
		r = r.WithContext(context.WithValue(ctx, requestIDKey, id))
		metrics.InFlight.Inc()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic serving request", "request_id", id, "route", rt, "panic", p)
				if sw.status == 0 {
					WriteError(sw, oktaerr.Internal(fmt.Errorf("panic: %v", p)))
				}
			}
			took := time.Since(start)
			metrics.InFlight.Dec()
			method, code := metrics.Method(r.Method), metrics.Code(sw.status)
			metrics.Requests.WithLabelValues(method, rt, code).Inc()
			metrics.RequestDuration.WithLabelValues(method, rt, code).Observe(took.Seconds())
			span.SetAttributes(attribute.Int("http.response.status_code", sw.status))
			if sw.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(sw.status))
			}
			log.Info("request", "request_id", id, "method", r.Method, "route", rt, "status", sw.status,
				"bytes", sw.bytes, "duration_ms", float64(took.Microseconds())/1000, "ip", ClientIP(r))
		}()
		h.ServeHTTP(sw, r)
	})
}

// routeName turns a mux pattern ("GET /api/v1/users/{id}") into the route
// the logs and metrics use ("/api/v1/users/{id}"): the method is logged on
// its own. Patterns are few and fixed, so the route is a bounded label.
func routeName(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = pattern[i+1:]
	}
	return pattern
}

// Route resolves a request to the pattern mux would serve it with.
func Route(mux *http.ServeMux) func(*http.Request) string {
	return func(r *http.Request) string {
		_, pattern := mux.Handler(r)
		return pattern
	}
}

// probeWriter swallows the answer of the mux's own not-found and
// method-not-allowed handlers so that Okta's error objects replace them.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header         { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (p *probeWriter) WriteHeader(code int)        { p.status = code }

// OktaMux serves mux, answering unknown paths with E0000008 and wrong
// methods with E0000022 in Okta's JSON shape.
func OktaMux(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &probeWriter{header: http.Header{}}
		h.ServeHTTP(probe, r)
		switch probe.status {
		case http.StatusMethodNotAllowed:
			if allow := probe.header.Get("Allow"); allow != "" {
				w.Header().Set("Allow", allow)
			}
			WriteError(w, oktaerr.MethodNotAllowed())
		case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			mux.ServeHTTP(w, r)
		default:
			WriteError(w, oktaerr.PathNotFound())
		}
	})
}

// PublicCORS answers any origin: for discovery documents and key sets,
// which are public and which okta-auth-js fetches with preflighted requests.
func PublicCORS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Add("Vary", "Origin")
			if answerPreflight(w, r, "GET, OPTIONS") {
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// sanitizeHeaderList keeps a requested header list to token characters so
// that it can be reflected safely.
func sanitizeHeaderList(s string) string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		ok := f != "" && len(f) < 100
		for _, c := range f {
			if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, f)
		}
	}
	return strings.Join(out, ", ")
}

// TrustedCORS answers browsers only from origins allowed says yes to (trusted
// origins with the CORS scope, or an app's redirect origin): the origin is
// reflected, never "*", and with credentials the session cookie may ride
// along. Preflights from other origins get no CORS headers, so the browser
// stops there; the request itself is still served, since a browser will not
// let the page read the answer.
func TrustedCORS(h http.Handler, allowed func(r *http.Request, origin string) bool, credentials bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		if !allowed(r, origin) {
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", origin)
		if credentials {
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		w.Header().Set("Access-Control-Expose-Headers", "WWW-Authenticate, X-Okta-Request-Id, X-Rate-Limit-Limit, X-Rate-Limit-Remaining, X-Rate-Limit-Reset")
		if answerPreflight(w, r, "GET, POST, DELETE, OPTIONS") {
			return
		}
		h.ServeHTTP(w, r)
	})
}

// answerPreflight answers a CORS preflight for an allowed origin, reflecting
// the requested headers (okta-auth-js sends X-Okta-User-Agent-Extended and
// Content-Type even on GETs); false when r is not a preflight.
func answerPreflight(w http.ResponseWriter, r *http.Request, methods string) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	w.Header().Set("Access-Control-Allow-Methods", methods)
	if hdrs := r.Header.Get("Access-Control-Request-Headers"); hdrs != "" {
		w.Header().Set("Access-Control-Allow-Headers", sanitizeHeaderList(hdrs))
	}
	w.Header().Set("Access-Control-Max-Age", "3600")
	w.WriteHeader(http.StatusNoContent)
	return true
}
