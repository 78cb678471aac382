package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sesame-idp/sesame/internal/app"
	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/metrics"
	"github.com/sesame-idp/sesame/internal/tracing"
	"github.com/sesame-idp/sesame/internal/web"
)

func newServeCommand() *cobra.Command {
	var sf storageFlags
	var rateLimits string
	sess := map[string]*string{}
	ops := map[string]*string{}
	var mailVals map[string]*string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the identity provider",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := sf.resolve(cmd)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("rate-limits") {
				rateLimits = os.Getenv("SESAME_RATE_LIMITS")
			}
			if cfg.RateLimits, err = web.ParseRateLimits(rateLimits); err != nil {
				return err
			}
			if err := signInFlags(cmd, &cfg, sess); err != nil {
				return err
			}
			if err := opsFlags(cmd, &cfg, ops); err != nil {
				return err
			}
			if err := mailFlags(cmd, &cfg, mailVals); err != nil {
				return err
			}
			return serve(cmd, cfg)
		},
	}
	sf.register(cmd.Flags(), true)
	cmd.Flags().StringVar(&rateLimits, "rate-limits", "", `requests per minute per endpoint class, e.g. "token=60000,users=600", or "off" (env SESAME_RATE_LIMITS)`)
	for _, f := range signInFlagHelp {
		sess[f.name] = cmd.Flags().String(f.name, "", f.help+" (env "+f.env+")")
	}
	for _, f := range opsFlagHelp {
		ops[f.name] = cmd.Flags().String(f.name, "", f.help+" (env "+f.env+")")
	}
	mailVals = registerMailFlags(cmd)
	return cmd
}

var opsFlagHelp = []struct{ name, env, help string }{
	{"metrics-addr", "SESAME_METRICS_ADDR", "listen address, host:port, for /metrics, /healthz and /readyz apart from the main address (default: off)"},
	{"tls-cert", "SESAME_TLS_CERT", "PEM certificate (chain) file: serve https on --addr, reloaded when the file changes (with --tls-key)"},
	{"tls-key", "SESAME_TLS_KEY", "PEM private key file of --tls-cert"},
	{"trusted-proxies", "SESAME_TRUSTED_PROXIES", "reverse proxies whose Forwarded/X-Forwarded-For/-Proto/-Host headers are believed, as CIDR prefixes or addresses, comma-separated (default: none)"},
}

// opsFlags reads the operations settings from flags or their environment
// variables.
func opsFlags(cmd *cobra.Command, cfg *config.Config, vals map[string]*string) error {
	for _, f := range opsFlagHelp {
		v := *vals[f.name]
		if !cmd.Flags().Changed(f.name) {
			v = os.Getenv(f.env)
		}
		if v == "" {
			continue
		}
		switch f.name {
		case "metrics-addr":
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("--metrics-addr %q: want host:port", v)
			}
			cfg.MetricsAddr = v
		case "tls-cert":
			cfg.TLSCert = v
		case "tls-key":
			cfg.TLSKey = v
		case "trusted-proxies":
			p, err := web.ParseProxies(v)
			if err != nil {
				return err
			}
			cfg.TrustedProxies = p
		}
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	return nil
}

var signInFlagHelp = []struct{ name, env, help string }{
	{"session-idle", "SESAME_SESSION_IDLE", "browser session idle timeout, e.g. 2h (default 2h)"},
	{"session-lifetime", "SESAME_SESSION_LIFETIME", "browser session maximum lifetime, e.g. 24h (default 24h)"},
	{"lockout-attempts", "SESAME_LOCKOUT_ATTEMPTS", "failed sign-ins in a row that lock a user out; 0 turns lockout off (default 10)"},
	{"lockout-duration", "SESAME_LOCKOUT_DURATION", "how long a lockout lasts before it lifts by itself; 0 means until an admin unlocks (default 1h)"},
	{"shutdown-grace", "SESAME_SHUTDOWN_GRACE", "on SIGTERM, how long requests in flight may take to finish (default 15s)"},
	{"shutdown-delay", "SESAME_SHUTDOWN_DELAY", "on SIGTERM, how long to keep serving with /readyz at 503 so load balancers stop sending, before no longer accepting (default 0s)"},
	{"log-retention", "SESAME_LOG_RETENTION", "delete System Log events older than this, e.g. 90d (Okta keeps 90 days); 0 keeps them for ever (default 0)"},
}

// signInFlags reads the session and lockout settings from flags or their
// environment variables.
func signInFlags(cmd *cobra.Command, cfg *config.Config, vals map[string]*string) error {
	for _, f := range signInFlagHelp {
		v := *vals[f.name]
		if !cmd.Flags().Changed(f.name) {
			v = os.Getenv(f.env)
		}
		if v == "" {
			continue
		}
		if f.name == "lockout-attempts" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("--%s %q: want a whole number, 0 or more", f.name, v)
			}
			cfg.LockoutAttempts = n
			if n == 0 {
				cfg.LockoutAttempts = -1
			}
			continue
		}
		d, err := parseDuration(v)
		zeroOK := f.name == "lockout-duration" || f.name == "shutdown-delay" || f.name == "log-retention"
		if err != nil || d < 0 || (d == 0 && !zeroOK) {
			return fmt.Errorf("--%s %q: want a duration such as 30m or 8h", f.name, v)
		}
		switch f.name {
		case "session-idle":
			cfg.SessionIdle = d
		case "session-lifetime":
			cfg.SessionLifetime = d
		case "shutdown-grace":
			cfg.ShutdownGrace = d
		case "shutdown-delay":
			cfg.ShutdownDelay = d
		case "log-retention":
			if d > 0 && d < time.Hour {
				return fmt.Errorf("--log-retention %q: keep the System Log for an hour at least", v)
			}
			cfg.LogRetention = d
		case "lockout-duration":
			cfg.LockoutDuration = d
			if d == 0 {
				cfg.LockoutDuration = -1
			}
		}
	}
	return nil
}

// parseDuration is time.ParseDuration that also takes whole days ("90d"),
// the unit retention periods are given in.
func parseDuration(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("bad number of days %q", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

func serve(cmd *cobra.Command, cfg config.Config) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := newLogger(cmd.ErrOrStderr())

	metrics.SetVersion(versionString())
	shutdownTracing, err := tracing.Setup(ctx, versionString())
	if err != nil {
		return fmt.Errorf("OpenTelemetry: %w", err)
	}
	defer func() {
		// The spans still batched go out before the process ends, within a
		// bound: an unreachable collector must not hold up a shutdown.
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdownTracing(c); err != nil {
			log.Warn("OpenTelemetry: spans not sent at shutdown", "err", err)
		}
	}()
	if tracing.Enabled() {
		log.Info("OpenTelemetry traces on (OTLP/HTTP, from the OTEL_* variables)")
	}
	a, err := app.Open(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer a.Close()

	// First start on an empty database: initialize the org and hand out a
	// one-time link to create the first administrator. A restart while no
	// administrator exists prints a fresh link.
	setupToken, err := a.Service.Bootstrap(ctx, "Sesame")
	if err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	if setupToken == "" {
		if pending, perr := a.Service.SetupPending(ctx); perr == nil && pending {
			if setupToken, err = a.Service.RenewSetupLink(ctx); err != nil {
				return err
			}
		}
	}

	// SESAME_PPROF_ADDR serves Go's profiler on a separate listener, for
	// performance work only; keep it on a loopback address.
	if pp := os.Getenv("SESAME_PPROF_ADDR"); pp != "" {
		go func() {
			mux := http.NewServeMux()
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			log.Warn("profiler enabled", "addr", pp, "err", http.ListenAndServe(pp, mux))
		}()
	}

	var certs *web.CertFiles
	if cfg.TLSCert != "" {
		if certs, err = web.LoadCertFiles(cfg.TLSCert, cfg.TLSKey, log); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if certs != nil {
		ln = tls.NewListener(ln, certs.TLSConfig())
	}
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		a.ServeMetrics(mln)
		log.Info("metrics and probes", "listen", mln.Addr().String())
	}
	storage := "SQLite " + cfg.SQLitePath()
	if cfg.Postgres() {
		storage = "PostgreSQL"
	}
	log.Info("Sesame is serving", "url", cfg.URL, "listen", ln.Addr().String(), "storage", storage, "version", versionString())
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "\nSesame %s is serving %s (listening on %s, storage: %s)\n", versionString(), cfg.URL, ln.Addr(), storage)
	if setupToken != "" {
		fmt.Fprintf(out, "\nNo administrator exists yet. Open this one-time link (valid 24 hours) to create the first one:\n\n    %s/setup?token=%s\n\n", cfg.URL, setupToken)
	} else {
		fmt.Fprintf(out, "\nDiscovery: %s/oauth2/default/.well-known/openid-configuration\n", cfg.URL)
		fmt.Fprintf(out, "Register a service app: POST %s/oauth2/v1/clients with an SSWS API token (see README).\n\n", cfg.URL)
	}
	// Building the configuration snapshot allocates several times what it
	// keeps (some 65 MB for 10,000 apps), and the heap it grew stays
	// resident: the runtime's scavenger returns only what lies above the
	// next heap goal, about twice the live heap, and an idle server never
	// reaches it. So the garbage of the startup build is collected and
	// released as serving begins (beside it, not delaying it), and that of
	// a rebuild once configuration changes have stopped for a while. With
	// 10,000 apps this left an idle server 6 MB smaller after startup and
	// 30 MB smaller after a change (bench/README.md, "Idle memory with
	// 10,000 apps"). The same collections set the memory limit (memory.go).
	go releaseAndLimit()
	go governMemory(ctx, a.Cache, 5*time.Second)
	return a.Serve(ctx, ln)
}
