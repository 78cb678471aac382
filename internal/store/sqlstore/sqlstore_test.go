package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/storetest"
)

func openSQLite(t *testing.T, path string) *Store {
	t.Helper()
	s, err := OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "sesame.db"))
	})
}

func TestSQLiteReplicas(t *testing.T) {
	t.Parallel()
	storetest.RunReplicas(t, func(t *testing.T, n int) []store.Store {
		path := filepath.Join(t.TempDir(), "sesame.db")
		var ss []store.Store
		for range n {
			ss = append(ss, openSQLite(t, path))
		}
		return ss
	})
}

func TestSQLiteFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "new", "dir", "sesame.db")
	s := openSQLite(t, path)
	if s.Backend() != "sqlite" {
		t.Fatalf("backend %q", s.Backend())
	}
	// Write something so that the WAL exists too.
	if err := s.Config().Bump(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	var mode string
	if err := s.write.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode %q (%v), want wal", mode, err)
	}
	var fk int
	if err := s.write.QueryRowContext(t.Context(), `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys %d (%v), want 1", fk, err)
	}
	// The reader pool must not write, even by mistake.
	if _, err := s.read.ExecContext(t.Context(), `UPDATE config_version SET version = 99`); err == nil {
		t.Error("the read pool accepted a write")
	}
}

// Paths that look like DSN syntax are still plain file names.
func TestSQLiteOddPath(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a?b#c d%20")
	path := filepath.Join(dir, "x.db")
	s := openSQLite(t, path)
	if err := s.Config().Bump(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %s: %v", path, err)
	}
}

func TestSQLiteReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sesame.db")
	s, err := OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Config().Bump(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openSQLite(t, path)
	v, err := s.Config().Get(t.Context())
	if err != nil || v != 1 {
		t.Fatalf("version after reopening: %d, %v", v, err)
	}
	checkMigrations(t, s)
}

// Replicas starting together on a new database each see the whole schema,
// applied once.
func TestSQLiteConcurrentOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sesame.db")
	opened := openConcurrently(t, 5, func() (*Store, error) { return OpenSQLite(t.Context(), path) })
	checkMigrations(t, opened)
}

func openConcurrently(t *testing.T, n int, open func() (*Store, error)) *Store {
	t.Helper()
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = open() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	for i, s := range stores {
		if err := s.Config().Bump(t.Context()); err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
	}
	return stores[0]
}

func checkMigrations(t *testing.T, s *Store) {
	t.Helper()
	dir := "migrations/" + s.Backend()
	want, err := loadMigrations(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n, distinct int
	if err := s.read.QueryRowContext(t.Context(), `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != len(want) || distinct != len(want) {
		t.Fatalf("schema_migrations has %d rows (%d versions), want %d", n, distinct, len(want))
	}
}

// pgBase returns the PostgreSQL test database URL, skipping the test when
// none is configured.
func pgBase(t *testing.T) string {
	t.Helper()
	u := os.Getenv("SESAME_TEST_DATABASE_URL")
	if u == "" {
		t.Skip("SESAME_TEST_DATABASE_URL is not set; skipping PostgreSQL tests " +
			"(SESAME_TEST_DATABASE_URL=$(bash scripts/ensure-postgres.sh) provides one)")
	}
	return u
}

// pgAdmin opens a connection used to create and drop test schemas.
func pgAdmin(t testing.TB, base string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatalf("SESAME_TEST_DATABASE_URL: %v", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(2)
	t.Cleanup(func() { db.Close() })
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatalf("connect to SESAME_TEST_DATABASE_URL: %v", err)
	}
	return db
}

// freshSchema creates a schema only this test uses, dropped at its end, and
// returns base with that schema as the search path: tests stay independent
// of each other and of earlier runs.
func freshSchema(t testing.TB, admin *sql.DB, base string) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "sesame_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		// t.Context is already canceled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("SESAME_TEST_DATABASE_URL: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + schema
}

func openPostgres(t *testing.T, url string) *Store {
	t.Helper()
	s, err := OpenPostgres(t.Context(), url)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	base := pgBase(t)
	admin := pgAdmin(t, base)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openPostgres(t, freshSchema(t, admin, base))
	})
}

func TestPostgresReplicas(t *testing.T) {
	t.Parallel()
	base := pgBase(t)
	admin := pgAdmin(t, base)
	storetest.RunReplicas(t, func(t *testing.T, n int) []store.Store {
		url := freshSchema(t, admin, base)
		var ss []store.Store
		for range n {
			ss = append(ss, openPostgres(t, url))
		}
		return ss
	})
}

func TestPostgresConcurrentOpen(t *testing.T) {
	t.Parallel()
	base := pgBase(t)
	url := freshSchema(t, pgAdmin(t, base), base)
	s := openConcurrently(t, 5, func() (*Store, error) { return OpenPostgres(t.Context(), url) })
	if s.Backend() != "postgres" {
		t.Fatalf("backend %q", s.Backend())
	}
	checkMigrations(t, s)
	// Opening again finds nothing to do.
	checkMigrations(t, openPostgres(t, url))
}

func TestPostgresBadURL(t *testing.T) {
	t.Parallel()
	_, err := OpenPostgres(t.Context(), "postgres://user:s3cret@[::1")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error %v: want one that does not repeat the password", err)
	}
}

func TestRebindDollar(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`SELECT 1`:                                 `SELECT 1`,
		`a = ? AND b = ?`:                          `a = $1 AND b = $2`,
		`x = '?' AND y = ? AND "q?" = ?`:           `x = '?' AND y = $1 AND "q?" = $2`,
		`VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`: `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		`'it''s ?' || ?`:                           `'it''s ?' || $1`,
	} {
		if got := rebindDollar(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}
