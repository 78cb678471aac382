// Package sesametest starts a real Sesame — the identity provider that
// speaks Okta's protocol and management API — inside a Go test, on a
// loopback port, for code that integrates with Okta:
//
//	srv := sesametest.New(t, sesametest.WithOrgFile("testdata/org.yaml"))
//	provider, err := oidc.NewProvider(ctx, srv.Issuer("default"))
//
// Each server has its own SQLite database in t.TempDir(), its own org and
// its own clock, and is closed by t.Cleanup, so tests that each start one
// run in parallel without sharing anything. The org comes from an org file
// (the format of `sesame apply`, docs/org-file.md) given as a path or as
// text; it always has the administrator admin@example.com (password
// AdminPassword) and an API token for the management API.
//
// The server's clock is the wall clock plus an offset the test moves with
// Advance: codes, tokens, refresh tokens and sessions expire without
// sleeping. Verifiers in the test should read srv.Now too (go-oidc:
// oidc.Config{Now: srv.Now}).
//
// Signing keys are fixed test keys published in this package, so a server
// starts in milliseconds: never trust a token of a sesametest server
// outside a test.
package sesametest

import (
	"context"
	"crypto"
	_ "embed"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/devserver"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/orgfile"
	"github.com/sesame-idp/sesame/internal/secret"
)

// AdminLogin and AdminPassword sign in the administrator every server has.
const (
	AdminLogin    = "admin@example.com"
	AdminPassword = "Sesame-Test-Passw0rd"
)

// adminHash is AdminPassword's argon2id hash, made once, so that a server
// starts without the cost of hashing it.
const adminHash = "$argon2id$v=19$m=19456,t=2,p=1$cmpI+zVFwj3YvIVcwMknoA$2j+4en8taSTCjG98qARBM3abI7r0Z8aM25k6pDqgF3Y"

//go:embed testkeys.json
var testKeys []byte

// Option configures a server.
type Option func(*options)

type options struct {
	orgName string
	org     []byte
	start   time.Time
	keys    []byte
	log     io.Writer
}

// WithOrgFile applies an org file (sesame apply's format) at start.
func WithOrgFile(path string) Option {
	return func(o *options) {
		o.orgName = path
		o.org, _ = os.ReadFile(path)
		if o.org == nil {
			o.org = []byte{}
		}
	}
}

// WithOrg applies an org given as YAML text at start.
func WithOrg(yaml string) Option {
	return func(o *options) { o.orgName, o.org = "WithOrg", []byte(yaml) }
}

// WithTime starts the server's clock at t instead of now.
func WithTime(t time.Time) Option { return func(o *options) { o.start = t } }

// WithSigningKeys uses the server keys file at path (as `sesame dev
// --keys` writes it) instead of the package's test keys.
func WithSigningKeys(path string) Option {
	return func(o *options) {
		o.keys, _ = os.ReadFile(path)
		if o.keys == nil {
			o.keys = []byte("missing: " + path)
		}
	}
}

// WithLog writes the server's log to w (default: nowhere).
func WithLog(w io.Writer) Option { return func(o *options) { o.log = w } }

// Server is a running Sesame.
type Server struct {
	// URL is the org URL (http://127.0.0.1:port), the issuer of the org
	// authorization server and the base of the management API.
	URL string

	dev *devserver.Server
	mu  sync.Mutex
	off time.Duration
}

// New starts a server for the test and stops it when the test ends. It
// fails the test if the server cannot start (a bad org file, say).
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := options{keys: testKeys}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{}
	if !o.start.IsZero() {
		s.off = time.Until(o.start)
	}
	fixed, err := keys.ParseServerKeys(o.keys)
	if err != nil {
		t.Fatalf("sesametest: signing keys: %v", err)
	}
	var org *orgfile.File
	if o.org != nil {
		if org, err = orgfile.Parse(o.orgName, o.org); err != nil {
			t.Fatalf("sesametest: %v", err)
		}
		if err = org.HashPasswords(hashOnce); err != nil {
			t.Fatalf("sesametest: %v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("sesametest: %v", err)
	}
	var log *slog.Logger
	if o.log != nil {
		log = slog.New(slog.NewTextHandler(o.log, nil))
	}
	s.dev, err = devserver.Start(context.Background(), devserver.Config{
		Dir: t.TempDir(), Listener: ln, Now: s.Now, Keys: spares(fixed), Org: org, Log: log,
		AdminEmail: AdminLogin, AdminPassword: AdminPassword, AdminPasswordHash: adminHash,
	})
	if err != nil {
		ln.Close()
		t.Fatalf("sesametest: start: %v", err)
	}
	s.URL = s.dev.URL
	t.Cleanup(func() { s.dev.Close() })
	return s
}

// hashes holds the argon2id hash of every password an org file gave a
// server in this process. A test binary starts many servers from the same
// file; hashing its passwords once, not per server, takes a server's start
// from about 50 ms to about 30 (BenchmarkNew). The salt is then shared by
// the servers of one test process — they are throw-away test servers.
var hashes sync.Map // password → *hashed

type hashed struct {
	once sync.Once
	phc  string
	err  error
}

func hashOnce(password string) (string, error) {
	v, _ := hashes.LoadOrStore(password, &hashed{})
	h := v.(*hashed)
	h.once.Do(func() { h.phc, h.err = secret.HashPassword(password) })
	return h.phc, h.err
}

// spares gives servers the file does not name a key of their own from the
// spare keys, so that creating an authorization server costs no key
// generation either; past the spares, keys are generated.
func spares(k keys.ServerKeys) func(string) crypto.Signer {
	var mu sync.Mutex
	next := 1
	return func(name string) crypto.Signer {
		if s := k[name]; s != nil {
			return s
		}
		mu.Lock()
		defer mu.Unlock()
		s := k["spare-"+strconv.Itoa(next)]
		if s != nil {
			next++
		}
		return s
	}
}

// Now is the server's clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.off)
}

// Advance moves the server's clock forward by d: tokens, codes and
// sessions age by d at once.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.off += d
}

// APIToken is an SSWS token of the administrator, for the management API.
func (s *Server) APIToken() string { return s.dev.APIToken }
