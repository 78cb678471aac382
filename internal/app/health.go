package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"

	"github.com/sesame-idp/sesame/internal/metrics"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// errDraining makes /readyz say no from the moment a stopping replica stops
// taking new work, so that load balancers drop it before it is gone.
var errDraining = errors.New("shutting down")

// Ready reports whether this replica can serve: it is not shutting down,
// the database answers with every migration this binary knows applied, and
// every serving authorization server has a signing key loaded.
func (a *App) Ready(ctx context.Context) error {
	if a.draining.Load() {
		return errDraining
	}
	if c, ok := a.Store.(store.Checker); ok {
		if err := c.Ready(ctx); err != nil {
			return err
		}
	}
	snap := a.Cache.Current()
	if snap == nil || snap.Servers[store.OrgServerID] == nil {
		return errors.New("configuration not loaded")
	}
	for id, s := range snap.Servers {
		if s.Serving() && s.Active == nil {
			return fmt.Errorf("authorization server %s has no signing key loaded", id)
		}
	}
	return nil
}

// withProbes puts /healthz and /readyz in front of h, outside the access
// log and the rate limits: probes come every few seconds and must not be
// throttled.
func (a *App) withProbes(h http.Handler) http.Handler {
	return web.Probes(h, a.Ready, a.Log)
}

// MetricsHandler serves the metrics listener: /metrics, and the probes, so
// that a monitoring system can ask a replica that is draining.
func (a *App) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler())
	return web.Probes(mux, a.Ready, a.Log)
}

// trackMetrics makes the pool and queue gauges report this app.
func (a *App) trackMetrics() {
	var pools map[string]*sql.DB
	if p, ok := a.Store.(interface{ Pools() map[string]*sql.DB }); ok {
		pools = p.Pools()
	}
	a.untrack = metrics.Track(pools, a.Audit.Queued)
}
