package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sesame-idp/sesame/internal/app"
	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/web"
)

func newServeCommand() *cobra.Command {
	var sf storageFlags
	var rateLimits string
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
			return serve(cmd, cfg)
		},
	}
	sf.register(cmd.Flags(), true)
	cmd.Flags().StringVar(&rateLimits, "rate-limits", "", `requests per minute per endpoint class, e.g. "token=60000,users=600", or "off" (env SESAME_RATE_LIMITS)`)
	return cmd
}

func serve(cmd *cobra.Command, cfg config.Config) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := newLogger(cmd.ErrOrStderr())

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

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
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
	return a.Serve(ctx, ln)
}
