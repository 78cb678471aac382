// Package devserver starts a Sesame for development and tests: an SQLite
// database in a directory, an org initialized with an administrator, an org
// file applied, fixed signing keys, a clock that can be moved. `sesame dev`
// and pkg/sesametest are both this; neither is for production.
package devserver

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/sesame-idp/sesame/internal/app"
	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/mgmt"
	"github.com/sesame-idp/sesame/internal/orgfile"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
	"github.com/sesame-idp/sesame/internal/web"
)

// Config is what to start.
type Config struct {
	// Dir holds the SQLite database; an existing org in it is kept.
	Dir string
	// Listener is where to serve; URL is the org URL (default: the
	// listener's address over http).
	Listener net.Listener
	URL      string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Keys gives servers their first signing key by name, nil for a
	// generated one (default: all generated).
	Keys func(server string) crypto.Signer
	// MasterKey seals the private keys in the database (default: random,
	// which suits a database that lives as long as the process).
	MasterKey []byte
	// Org is applied after initialization (nil: none). Fixed secrets are
	// allowed: this is a development org.
	Org *orgfile.File
	// AdminEmail and AdminPassword make the first super administrator
	// (default admin@example.com and a generated password, or the
	// password the org file gives that person).
	AdminEmail, AdminPassword string
	// AdminPasswordHash, when set, is stored instead of hashing
	// AdminPassword (sesametest starts faster with a precomputed one).
	AdminPasswordHash string
	Log               *slog.Logger
}

// Server is a running development Sesame.
type Server struct {
	App *app.App
	URL string
	// APIToken is an SSWS token of the administrator made at start.
	APIToken string
	// Admin and AdminPassword are the first super administrator; the
	// password is empty when the org existed already.
	Admin, AdminPassword string
	// Plan is what applying the org file did.
	Plan *orgfile.Plan
	stop context.CancelFunc
	done chan error
}

// Start opens (or creates) the org and serves it until Close.
func Start(ctx context.Context, c Config) (*Server, error) {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.URL == "" {
		c.URL = "http://" + c.Listener.Addr().String()
	}
	if c.AdminEmail == "" {
		c.AdminEmail = "admin@example.com"
	}
	if c.MasterKey == nil {
		c.MasterKey = secret.RawBytes(32)
	}
	sealer, err := keys.NewSealer(c.MasterKey)
	if err != nil {
		return nil, err
	}
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(c.Dir, "sesame.db"))
	if err != nil {
		return nil, err
	}
	opts := []app.Option{}
	if c.Now != nil {
		opts = append(opts, app.WithClock(c.Now))
	}
	if c.Keys != nil {
		opts = append(opts, app.WithFixedKeys(c.Keys))
	}
	// A developer's tests hammer one org from one address: no rate limits.
	limits, _ := web.ParseRateLimits("off")
	cfg := config.Config{Addr: c.Listener.Addr().String(), URL: c.URL, DataDir: c.Dir, RateLimits: limits}
	a, err := app.New(ctx, cfg, st, sealer, c.Log, opts...)
	if err != nil {
		st.Close()
		return nil, err
	}
	s := &Server{App: a, URL: c.URL, Admin: c.AdminEmail}
	if err := s.initialize(ctx, c); err != nil {
		a.Close()
		return nil, err
	}
	if c.Org != nil {
		t := orgfile.LocalTarget(a.Service, mgmt.New(a.Service, a.OAuth, c.Log))
		s.Plan, err = orgfile.Apply(ctx, c.Org, t, orgfile.Options{AllowFixedSecrets: true})
		if err != nil {
			a.Close()
			return nil, err
		}
	}
	serveCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.done = make(chan error, 1)
	go func() { s.done <- a.Serve(serveCtx, c.Listener) }()
	return s, nil
}

// initialize creates the org with its administrator and an API token, or
// makes a token on an org that exists already (a kept --data directory).
func (s *Server) initialize(ctx context.Context, c Config) error {
	svc := s.App.Service
	if _, err := svc.Store.Orgs().Get(ctx); err == nil {
		u, err := svc.Store.Users().GetByLogin(ctx, c.AdminEmail)
		if err != nil {
			return fmt.Errorf("the org in %s has no administrator %s: %w", c.Dir, c.AdminEmail, err)
		}
		s.APIToken, _, err = svc.CreateAPIToken(ctx, u.ID, "sesame dev")
		return err
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	pw := c.AdminPassword
	if pw == "" && c.Org != nil {
		pw = c.Org.Password(c.AdminEmail)
	}
	res, err := svc.Initialize(ctx, "Sesame (development)", service.Admin{Email: c.AdminEmail, Password: pw, PasswordHash: c.AdminPasswordHash}, true)
	if err != nil {
		return err
	}
	s.APIToken = res.APIToken
	s.AdminPassword = pw
	if res.Password != "" {
		s.AdminPassword = res.Password
	}
	return nil
}

// Close stops serving and releases the database.
func (s *Server) Close() error {
	s.stop()
	err := <-s.done
	s.done <- err
	if cerr := s.App.Close(); err == nil {
		err = cerr
	}
	return err
}

// Wait returns when the server stops serving.
func (s *Server) Wait() error {
	err := <-s.done
	s.done <- err
	return err
}
