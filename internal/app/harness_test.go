package app

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
)

// testServer is a real Sesame serving HTTP on a loopback port.
type testServer struct {
	URL      string // the org URL
	Addr     string // where this replica listens
	APIToken string
	App      *App
	HTTP     *http.Client
}

// backends runs fn once per storage backend: SQLite always, PostgreSQL when
// SESAME_TEST_DATABASE_URL is set (make test always sets it).
func backends(t *testing.T, fn func(t *testing.T, open func(t *testing.T) store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, func(t *testing.T) store.Store {
			st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "sesame.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		})
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("SESAME_TEST_DATABASE_URL")
		if base == "" {
			t.Skip("SESAME_TEST_DATABASE_URL is not set; make test sets it")
		}
		fn(t, func(t *testing.T) store.Store { return freshPostgres(t, base) })
	})
}

// freshPostgresURL creates a database of its own for one test, dropped
// afterwards, and returns its URL.
func freshPostgresURL(t *testing.T, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	name := "sesame_it_" + strings.ToLower(secret.RandomString(12))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	// Cleanups run last-registered first: the stores opened on the
	// database close before it is dropped.
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

// openPostgres opens a store on url, closed when the test ends.
func openPostgres(t *testing.T, url string) store.Store {
	t.Helper()
	st, err := sqlstore.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// freshPostgres opens a store on a database of its own.
func freshPostgres(t *testing.T, base string) store.Store {
	return openPostgres(t, freshPostgresURL(t, base))
}

// startServer initializes an org on st and serves it.
func startServer(t *testing.T, st store.Store) *testServer {
	t.Helper()
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	return serveReplica(t, st, sealer, "", true)
}

// serveReplica serves st on a loopback port. orgURL is the public org URL
// every replica of one install shares (empty: this replica's own address);
// initialize creates the org first.
func serveReplica(t *testing.T, st store.Store, sealer *keys.Sealer, orgURL string, initialize bool, opts ...func(*config.Config)) *testServer {
	t.Helper()
	return serveReplicaWith(t, st, sealer, orgURL, initialize, opts, nil)
}

// startServerWith is startServer with app options (a clock, say).
func startServerWith(t *testing.T, st store.Store, appOpts ...Option) *testServer {
	t.Helper()
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	return serveReplicaWith(t, st, sealer, "", true, nil, appOpts)
}

func serveReplicaWith(t *testing.T, st store.Store, sealer *keys.Sealer, orgURL string, initialize bool, opts []func(*config.Config), appOpts []Option) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if orgURL == "" {
		orgURL = "http://" + ln.Addr().String()
	}
	cfg := config.Config{Addr: ln.Addr().String(), URL: orgURL, DataDir: t.TempDir()}
	for _, o := range opts {
		o(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx := context.Background()
	a, err := New(ctx, cfg, st, sealer, log, appOpts...)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after the store's cleanup, so it runs first: the queued
	// System Log events are written while the store is still open.
	t.Cleanup(a.Audit.Close)
	ts := &testServer{URL: orgURL, App: a}
	if initialize {
		res, err := a.Service.Initialize(ctx, "Test Org", service.Admin{Email: "admin@example.com"}, true)
		if err != nil {
			t.Fatal(err)
		}
		ts.APIToken = res.APIToken
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: a.Handler()}}
	srv.Start()
	t.Cleanup(srv.Close)
	ts.Addr = "http://" + ln.Addr().String()
	ts.HTTP = srv.Client()
	return ts
}
