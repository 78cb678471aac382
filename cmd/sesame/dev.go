package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sesame-idp/sesame/internal/devserver"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/orgfile"
	"github.com/sesame-idp/sesame/internal/secret"
)

const devBanner = `
  ##########################################################################
  ##  SESAME DEV: FOR DEVELOPMENT AND TESTS ONLY. NEVER FOR PRODUCTION.   ##
  ##  Secrets are printed and may be fixed, there are no rate limits.     ##
  ##########################################################################
`

func newDevCommand() *cobra.Command {
	var (
		addr, orgURL, dataDir, orgFile, keysFile, adminEmail string
		iKnow                                                bool
	)
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a throw-away Sesame for development: an org from a file (or a default one), printed credentials",
		Long: `Starts Sesame on a temporary SQLite database (or the one in --data, kept between runs),
applies an org file (--org) or a default org — an administrator, a test user, a
single-page app and a service app — and prints their credentials. --keys keeps the
signing keys in a file so that tokens stay valid across restarts. Refuses to listen
on a non-loopback address without --i-know. Never use it in production.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			envDefault(cmd, map[string]*string{"addr": &addr, "url": &orgURL, "data": &dataDir, "org": &orgFile, "keys": &keysFile})
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return fmt.Errorf("--addr %q: want host:port", addr)
			}
			loopback := host == "localhost" || (net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback())
			if !loopback && !iKnow {
				return fmt.Errorf("--addr %s is not a loopback address: sesame dev prints its secrets and has no rate limits; pass --i-know to listen there anyway (containers on a CI network)", addr)
			}
			var org *orgfile.File
			var defaults *devDefaults
			if orgFile != "" {
				if org, err = readOrgFile(cmd.InOrStdin(), orgFile); err != nil {
					return err
				}
			} else if _, statErr := os.Stat(filepath.Join(dataDir, "sesame.db")); dataDir == "" || statErr != nil {
				// The default org is made once: its passwords are new
				// each time, so a kept database keeps the first ones.
				defaults = newDevDefaults()
				if org, err = orgfile.Parse("(default org)", []byte(defaults.yaml())); err != nil {
					return err
				}
			}
			serverKeys, err := devKeys(keysFile)
			if err != nil {
				return err
			}
			dir := dataDir
			if dir == "" {
				if dir, err = os.MkdirTemp("", "sesame-dev-"); err != nil {
					return err
				}
				defer os.RemoveAll(dir)
			} else if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
			var masterKey []byte
			if dataDir != "" {
				// A kept database keeps its master key beside it.
				if masterKey, err = keys.LoadOrCreateMasterKey(filepath.Join(dir, "master.key")); err != nil {
					return err
				}
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			if orgURL == "" {
				orgURL = "http://" + publicAddr(addr, ln.Addr())
			}
			out := cmd.OutOrStdout()
			fmt.Fprint(out, devBanner)
			if !loopback {
				fmt.Fprintf(out, "  !! Listening on %s, reachable from other machines (--i-know).\n", addr)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			srv, err := devserver.Start(ctx, devserver.Config{Dir: dir, Listener: ln, URL: orgURL, Keys: serverKeys.Lookup,
				MasterKey: masterKey, Org: org, AdminEmail: adminEmail, Log: slog.New(newShortHandler(cmd.ErrOrStderr()))})
			if err != nil {
				ln.Close()
				return err
			}
			printDev(out, srv, defaults, dir, dataDir != "")
			go func() {
				<-ctx.Done()
				srv.Close()
			}()
			if err := srv.Wait(); err != nil && ctx.Err() == nil {
				return err
			}
			fmt.Fprintln(out, "sesame dev stopped.")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "localhost:8080", "listen address, host:port (env SESAME_ADDR)")
	f.StringVar(&orgURL, "url", "", "public org URL (default http://ADDR; env SESAME_URL)")
	f.StringVar(&dataDir, "data", "", "keep the database in this directory between runs (default: a temporary one; env SESAME_DATA)")
	f.StringVar(&orgFile, "org", "", "org file to apply at start (default: a built-in development org; env SESAME_DEV_ORG)")
	f.StringVar(&keysFile, "keys", "", "signing keys file: read if it exists, else written, so tokens survive restarts (env SESAME_DEV_KEYS)")
	f.StringVar(&adminEmail, "admin-email", "admin@example.com", "login of the super administrator")
	f.BoolVar(&iKnow, "i-know", false, "listen on a non-loopback address anyway")
	return cmd
}

// envDefault fills flags the command line did not set from SESAME_*.
func envDefault(cmd *cobra.Command, flags map[string]*string) {
	names := map[string]string{"addr": "SESAME_ADDR", "url": "SESAME_URL", "data": "SESAME_DATA", "org": "SESAME_DEV_ORG", "keys": "SESAME_DEV_KEYS"}
	for name, dst := range flags {
		if !cmd.Flags().Changed(name) {
			if v := os.Getenv(names[name]); v != "" {
				*dst = v
			}
		}
	}
}

// publicAddr is the address to print: the listener's port on the host asked
// for, with localhost for the unspecified addresses.
func publicAddr(asked string, got net.Addr) string {
	host, _, _ := net.SplitHostPort(asked)
	_, port, _ := net.SplitHostPort(got.String())
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// devKeys reads the signing keys file, or makes one and writes it there.
// Without a file the keys are made for this run only.
func devKeys(path string) (keys.ServerKeys, error) {
	if path == "" {
		return nil, nil
	}
	k, err := keys.LoadServerKeys(path)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if k, err = keys.GenerateServerKeys("org", "default"); err != nil {
		return nil, err
	}
	data, err := k.Marshal()
	if err != nil {
		return nil, err
	}
	if err := writeSecretFile(path, string(data)); err != nil {
		return nil, fmt.Errorf("--keys: %w", err)
	}
	return k, nil
}

// devDefaults is the built-in development org, its secrets made per run.
type devDefaults struct{ userPassword, serviceSecret string }

func newDevDefaults() *devDefaults {
	return &devDefaults{userPassword: secret.GeneratePassword(), serviceSecret: secret.Token("", 30)}
}

func (d *devDefaults) yaml() string {
	return `
people:
  - profile: {login: user@example.com, firstName: Test, lastName: User}
    password: "` + d.userPassword + `"
apps:
  - label: Dev SPA
    credentials: {oauthClient: {client_id: dev-spa, token_endpoint_auth_method: none}}
    settings:
      oauthClient:
        application_type: browser
        grant_types: [authorization_code, refresh_token]
        response_types: [code]
        redirect_uris: [http://localhost:3000/callback, http://localhost:3000/login/callback]
        post_logout_redirect_uris: [http://localhost:3000/]
        refresh_token: {rotation_type: ROTATE, leeway: 30}
    assignments: {groups: [Everyone]}
  - label: Dev service
    credentials: {oauthClient: {client_id: dev-service, client_secret: "` + d.serviceSecret + `", token_endpoint_auth_method: client_secret_basic}}
    settings:
      oauthClient: {application_type: service, grant_types: [client_credentials], response_types: [token]}
trustedOrigins:
  - name: Dev SPA
    origin: http://localhost:3000
    scopes: [{type: CORS}, {type: REDIRECT}]
authorizationServers:
  - name: default
    scopes:
      - {name: api, description: The API of the app under development, default: true}
`
}

func printDev(w io.Writer, srv *devserver.Server, d *devDefaults, dir string, kept bool) {
	fmt.Fprintf(w, "\nOrg URL:   %s\n", srv.URL)
	fmt.Fprintf(w, "Issuers:   %s/oauth2/default (default server), %s (org server)\n", srv.URL, srv.URL)
	fmt.Fprintf(w, "Discovery: %s/oauth2/default/.well-known/openid-configuration\n", srv.URL)
	if kept {
		fmt.Fprintf(w, "Database:  %s (kept)\n", dir)
	} else {
		fmt.Fprintf(w, "Database:  temporary, deleted on exit\n")
	}
	fmt.Fprintf(w, "\nAdministrator: %s", srv.Admin)
	if srv.AdminPassword != "" {
		fmt.Fprintf(w, "  password: %s", srv.AdminPassword)
	}
	fmt.Fprintf(w, "\nAPI token:     SSWS %s\n", srv.APIToken)
	if d != nil {
		fmt.Fprintf(w, "Test user:     user@example.com  password: %s\n", d.userPassword)
		fmt.Fprintf(w, "SPA:           client_id dev-spa (PKCE, no secret), redirect http://localhost:3000/callback\n")
		fmt.Fprintf(w, "Service app:   client_id dev-service  client_secret %s  (client_credentials, scope api)\n", d.serviceSecret)
	}
	if srv.Plan != nil {
		for _, c := range srv.Plan.Changes {
			fmt.Fprintf(w, "  applied: %s %s %s\n", c.Op, c.Kind, c.Name)
		}
		for _, s := range srv.Plan.Secrets {
			fmt.Fprintf(w, "  generated %s for %s %q: %s\n", s.Field, s.Kind, s.Name, s.Value)
		}
	}
	fmt.Fprintln(w, "\nCtrl-C stops it.")
}

// shortHandler writes one short line per record: the time, the level when
// it is not INFO, the message and the attributes, with an access-log line
// as "GET /path 200 3.1ms".
type shortHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	attrs []slog.Attr
}

func newShortHandler(w io.Writer) *shortHandler { return &shortHandler{mu: &sync.Mutex{}, w: w} }

func (h *shortHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *shortHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Time.Format("15:04:05 "))
	if r.Level != slog.LevelInfo {
		b.WriteString(r.Level.String() + " ")
	}
	attrs := map[string]string{}
	var rest []string
	add := func(a slog.Attr) bool {
		v := a.Value.Resolve().String()
		attrs[a.Key] = v
		switch a.Key {
		case "request_id", "method", "path", "status", "duration_ms", "bytes", "ip":
		default:
			rest = append(rest, a.Key+"="+v)
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	if r.Message == "request" && attrs["path"] != "" {
		fmt.Fprintf(&b, "%s %s %s %sms", attrs["method"], attrs["path"], attrs["status"], attrs["duration_ms"])
	} else {
		b.WriteString(r.Message)
	}
	for _, x := range rest {
		b.WriteString(" " + x)
	}
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *shortHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &shortHandler{mu: h.mu, w: h.w, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h *shortHandler) WithGroup(string) slog.Handler { return h }
