// Package app wires Sesame together: it opens storage and the master key
// from the configuration, builds every service, and serves HTTP. It is the
// only package that knows them all.
package app

import (
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/console"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/mail"
	"github.com/sesame-idp/sesame/internal/mgmt"
	"github.com/sesame-idp/sesame/internal/oauth"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/signin"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
	"github.com/sesame-idp/sesame/internal/web"
)

// App is a running Sesame.
type App struct {
	Config  config.Config
	Log     *slog.Logger
	Store   store.Store
	Cache   *cache.Cache
	Service *service.Service
	OAuth   *oauth.Server
	// Audit writes the System Log events of token requests in batches.
	Audit    *audit.Writer
	Sessions *signin.Manager
	handler  http.Handler
	now      func() time.Time
	// draining is set when shutdown begins: /readyz says no from then on.
	draining  atomic.Bool
	metricsLn net.Listener
	untrack   func()
}

// OpenStore opens the configured database and the master key. With SQLite
// the master key file is created in the data directory on first use; with
// PostgreSQL it must be supplied (every replica needs the same key), except
// that createKey lets `sesame init` create the key file it was given.
func OpenStore(ctx context.Context, cfg config.Config, createKey bool) (store.Store, *keys.Sealer, error) {
	var (
		mk  []byte
		err error
	)
	switch {
	case cfg.MasterKey != "":
		mk, err = keys.ParseMasterKey(cfg.MasterKey)
	case cfg.MasterKeyFile != "":
		if _, statErr := os.Stat(cfg.MasterKeyFile); statErr != nil && !createKey {
			return nil, nil, fmt.Errorf("master key file %s: %w", cfg.MasterKeyFile, statErr)
		}
		mk, err = keys.LoadOrCreateMasterKey(cfg.MasterKeyFile)
	case cfg.Postgres():
		return nil, nil, errors.New("with PostgreSQL the master key must come from SESAME_MASTER_KEY or --master-key-file (the same on every replica)")
	default:
		mk, err = keys.LoadOrCreateMasterKey(cfg.DefaultMasterKeyFile())
	}
	if err != nil {
		return nil, nil, fmt.Errorf("master key: %w", err)
	}
	sealer, err := keys.NewSealer(mk)
	if err != nil {
		return nil, nil, err
	}
	var st store.Store
	if cfg.Postgres() {
		st, err = sqlstore.OpenPostgres(ctx, cfg.DatabaseURL)
	} else {
		st, err = sqlstore.OpenSQLite(ctx, cfg.SQLitePath())
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	return st, sealer, nil
}

// Option changes how New builds the app.
type Option func(*options)

type options struct {
	now       func() time.Time
	fixedKeys func(server string) crypto.Signer
	mailTLS   *tls.Config
}

// WithMailTLS makes the e-mail sender trust what cfg trusts (tests give
// the root CA of their SMTP server here).
func WithMailTLS(cfg *tls.Config) Option { return func(o *options) { o.mailTLS = cfg } }

// WithClock makes every decision about time — expiry of codes, tokens,
// sessions, keys and revocations, and the times stored — read now instead
// of the wall clock. The clock is func() time.Time throughout Sesame; this
// is the one place that hands it to every service, so that a test that moves
// it (pkg/sesametest) moves the whole server. The System Log's publication
// times and access-log durations stay on the wall clock. The rate limiter's
// one-minute windows follow it too.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithFixedKeys gives authorization servers their first signing key by name
// ("org" for the org authorization server), nil for a newly generated one.
func WithFixedKeys(keys func(server string) crypto.Signer) Option {
	return func(o *options) { o.fixedKeys = keys }
}

// Open opens the configured storage and builds every service on it.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, createKey bool, opts ...Option) (*App, error) {
	st, sealer, err := OpenStore(ctx, cfg, createKey)
	if err != nil {
		return nil, err
	}
	a, err := New(ctx, cfg, st, sealer, log, opts...)
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// New builds every service on an open store.
func New(ctx context.Context, cfg config.Config, st store.Store, sealer *keys.Sealer, log *slog.Logger, opts ...Option) (*App, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	c := cache.New(st, sealer, log)
	c.SetClock(o.now)
	if err := c.Load(ctx, true); err != nil {
		return nil, err
	}
	if err := c.SyncRevocations(ctx); err != nil {
		return nil, err
	}
	svc := service.New(st, sealer, c, cfg.URL, log)
	svc.Now, svc.FixedKeys = o.now, o.fixedKeys
	if cfg.SMTPURL != "" {
		m, err := mail.New(mail.Config{URL: cfg.SMTPURL, From: cfg.SMTPFrom, TemplatesDir: cfg.MailTemplates, TLS: o.mailTLS,
			OrgName: func() string {
				if org := c.Current().Org; org != nil {
					return org.Name
				}
				return "Sesame"
			}, OrgURL: cfg.URL, Now: o.now, Log: log})
		if err != nil {
			return nil, err
		}
		svc.Links = m
	}
	aw := audit.NewWriter(st, log)
	sessions := signin.NewManager(st, log, signinOptions(cfg))
	sessions.SetClock(o.now)
	passwords := sessions.NewPasswords(aw)
	srv := oauth.New(oauth.Options{OrgURL: cfg.URL, Cache: c, Store: st, Log: log, Audit: aw,
		Sessions: sessions, Passwords: passwords, URLAliases: cfg.URLAliases, Now: o.now,
		AppSignOn: func(ctx context.Context, appID, userID string) (oauth.AppRequirement, error) {
			d, err := svc.EvaluateAppSignOn(ctx, appID, userID)
			if err != nil {
				return oauth.AppRequirement{}, err
			}
			return oauth.AppRequirement{Deny: d.Deny, RequireFactor: d.RequireFactor, Within: d.ReauthenticateIn}, nil
		}})
	a := &App{Config: cfg, Log: log, Store: st, Cache: c, Service: svc, OAuth: srv, Audit: aw, Sessions: sessions, now: o.now}

	mux := http.NewServeMux()
	srv.Register(mux)
	api := mgmt.New(svc, srv, log)
	api.Register(mux)
	console.NewSetup(svc, sessions, log).Register(mux)
	// The console reads through the API in-process; what it reads there is
	// not recorded, so the actor is only nominal.
	console.New(svc, sessions, api.Local(audit.System), srv, log).Register(mux)
	signinHandler := signin.NewHandler(sessions, passwords, c, aw, cfg.URL, log)
	signinHandler.Register(mux)
	signinHandler.RegisterLinks(mux, svc)
	signinHandler.RegisterMFA(mux, svc)
	limits := cfg.RateLimits
	if limits == nil {
		limits = web.DefaultRateLimits
	}
	a.trackMetrics()
	a.handler = a.withProbes(web.Proxies(cfg.TrustedProxies).Wrap(web.Wrap(web.NewRateLimiter(limits, o.now).Wrap(cors(web.OktaMux(mux), c)), log, web.Route(mux))))
	return a, nil
}

// signinOptions turns the configuration's session and lockout settings into
// package signin's (where zero means "the default").
func signinOptions(cfg config.Config) signin.Options {
	o := signin.Options{OrgURL: cfg.URL, Idle: cfg.SessionIdle, Lifetime: cfg.SessionLifetime,
		LockoutAttempts: signin.DefaultLockoutAttempts, LockoutDuration: signin.DefaultLockoutDuration}
	switch {
	case cfg.LockoutAttempts < 0:
		o.LockoutAttempts = 0
	case cfg.LockoutAttempts > 0:
		o.LockoutAttempts = cfg.LockoutAttempts
	}
	switch {
	case cfg.LockoutDuration < 0:
		o.LockoutDuration = 0
	case cfg.LockoutDuration > 0:
		o.LockoutDuration = cfg.LockoutDuration
	}
	return o
}

// cors answers discovery and key-set requests from any origin. The OAuth
// endpoints a browser app calls answer trusted CORS origins and the origins
// of apps' redirect URIs (§2.11); the cookie-based authn and session
// endpoints answer trusted CORS origins only, with credentials.
func cors(h http.Handler, c *cache.Cache) http.Handler {
	public := web.PublicCORS(h)
	oauthCORS := web.TrustedCORS(h, func(_ *http.Request, origin string) bool {
		snap := c.Current()
		return snap.OriginAllowed(origin, "CORS") || snap.IsRedirectOrigin(origin)
	}, false)
	sessionCORS := web.TrustedCORS(h, func(_ *http.Request, origin string) bool {
		return c.Current().OriginAllowed(origin, "CORS")
	}, true)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case isPublicPath(p):
			public.ServeHTTP(w, r)
		case p == "/api/v1/authn" || strings.HasPrefix(p, "/api/v1/sessions/me"):
			sessionCORS.ServeHTTP(w, r)
		case strings.HasPrefix(p, "/oauth2/") && (strings.HasSuffix(p, "/v1/token") || strings.HasSuffix(p, "/v1/revoke") ||
			strings.HasSuffix(p, "/v1/introspect") || strings.HasSuffix(p, "/v1/userinfo") || strings.HasSuffix(p, "/v1/device/authorize")):
			oauthCORS.ServeHTTP(w, r)
		default:
			h.ServeHTTP(w, r)
		}
	})
}

func isPublicPath(p string) bool {
	return strings.HasSuffix(p, "/.well-known/openid-configuration") || strings.HasSuffix(p, "/.well-known/oauth-authorization-server") ||
		strings.HasSuffix(p, "/v1/keys") || strings.Contains(p, "/.well-known/oauth-authorization-server/")
}

// Handler is the whole HTTP surface.
func (a *App) Handler() http.Handler { return a.handler }

// ServeMetrics makes Serve also answer on ln (the --metrics-addr listener)
// until the main listener has shut down, so that a draining replica can
// still be asked how it is doing.
func (a *App) ServeMetrics(ln net.Listener) { a.metricsLn = ln }

// Serve listens on the configured address until ctx ends, then shuts down
// gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	if a.metricsLn != nil {
		msrv := &http.Server{Handler: a.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
		go msrv.Serve(a.metricsLn)
		defer msrv.Close()
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	go a.Cache.Watch(watchCtx, time.Second)
	go a.schedule(watchCtx)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Stop accepting at once, let the requests in flight finish within the
	// grace period, then cut what is left. Close writes the System Log
	// queue afterwards.
	grace := a.Config.ShutdownGrace
	if grace <= 0 {
		grace = config.DefaultShutdownGrace
	}
	a.draining.Store(true)
	if d := a.Config.ShutdownDelay; d > 0 {
		// Keep serving while /readyz says no, so that load balancers take
		// this replica out before it refuses connections.
		a.Log.Info("draining: /readyz answers 503, still serving", "delay", d.String())
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case err := <-errc:
			t.Stop()
			return err
		}
	}
	a.Log.Info("shutting down", "grace", grace.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		a.Log.Warn("requests still in flight at the end of the grace period were cut", "err", err)
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// scheduleEvery is how often each replica tries to do the scheduled work.
const scheduleEvery = 10 * time.Minute

// schedule does the scheduled work now and then until ctx ends.
func (a *App) schedule(ctx context.Context) {
	t := time.NewTicker(scheduleEvery)
	defer t.Stop()
	for {
		if _, _, err := a.RunScheduled(ctx, a.now()); err != nil && ctx.Err() == nil {
			a.Log.Error("scheduled work failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunScheduled does the scheduled work once — the key rotation of AUTO
// authorization servers, then deleting what has expired at now: replay ids
// (client-assertion jti's, one-time tokens), revocations, sessions, codes,
// refresh tokens, System Log events past the retention period — unless
// another replica is doing it (ran is then false). purged counts the rows
// deleted, by kind. Every step runs even when one fails; the error joins
// their failures.
func (a *App) RunScheduled(ctx context.Context, now time.Time) (ran bool, purged map[string]int64, err error) {
	purged = map[string]int64{}
	ran, err = a.Store.Exclusive(ctx, "scheduled", func(ctx context.Context) error {
		var errs []error
		if err := a.Service.AutoRotate(ctx, now); err != nil {
			errs = append(errs, fmt.Errorf("key rotation: %w", err))
		}
		for _, p := range []struct {
			kind  string
			purge func(context.Context, time.Time) (int64, error)
		}{
			{"replays", a.Store.Replays().Purge},
			{"revocations", a.Store.Revocations().Purge},
			{"sessions", a.Store.Sessions().Purge},
			{"codes", a.Store.Codes().Purge},
			{"refresh_tokens", a.Store.RefreshTokens().Purge},
			{"system_log", a.purgeSystemLog},
		} {
			n, err := p.purge(ctx, now)
			if err != nil {
				errs = append(errs, fmt.Errorf("purge %s: %w", p.kind, err))
				continue
			}
			purged[p.kind] = n
		}
		return errors.Join(errs...)
	})
	return ran, purged, err
}

// purgeSystemLog deletes the System Log events older than the retention
// period (--log-retention); without one it keeps everything.
func (a *App) purgeSystemLog(ctx context.Context, now time.Time) (int64, error) {
	if a.Config.LogRetention <= 0 {
		return 0, nil
	}
	return a.Store.Audit().Purge(ctx, now.Add(-a.Config.LogRetention))
}

// Close writes the queued System Log events and releases the store.
func (a *App) Close() error {
	a.Audit.Close()
	a.untrack()
	a.Log.Info("stopped")
	return a.Store.Close()
}
