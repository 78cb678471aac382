package web

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/sesame-idp/sesame/internal/oktaerr"
)

// Health paths, on the main and the metrics listeners. Kubernetes probes
// and the image's HEALTHCHECK use them.
const (
	HealthzPath = "/healthz"
	ReadyzPath  = "/readyz"
)

// readyTimeout bounds a readiness check: a probe that hangs is worse than
// one that says no.
const readyTimeout = 2 * time.Second

// Probes answers /healthz (the process serves HTTP) and /readyz (ready
// says yes) and passes everything else to next. The answers carry no
// detail — they are unauthenticated — only the status; why a replica is not
// ready goes to the log, once per change.
func Probes(next http.Handler, ready func(context.Context) error, log *slog.Logger) http.Handler {
	var wasReady atomic.Int32 // 0 unknown, 1 ready, 2 not ready
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case HealthzPath:
		case ReadyzPath:
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			err := ready(ctx)
			cancel()
			state := int32(1)
			if err != nil {
				state = 2
			}
			if old := wasReady.Swap(state); old != state {
				if err != nil {
					log.Warn("not ready", "err", err)
				} else if old == 2 {
					log.Info("ready again")
				}
			}
			if err != nil {
				probeAnswer(w, r, http.StatusServiceUnavailable, `{"status":"unavailable"}`)
				return
			}
		default:
			if next == nil {
				http.NotFound(w, r)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		probeAnswer(w, r, http.StatusOK, `{"status":"ok"}`)
	})
}

func probeAnswer(w http.ResponseWriter, r *http.Request, status int, body string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		WriteError(w, oktaerr.MethodNotAllowed())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write([]byte(body + "\n"))
	}
}
