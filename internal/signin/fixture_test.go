package signin

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
)

// The unit tests of this package run the session manager and the password
// checker over a real SQLite store with an injected clock; internal/app
// keeps the end-to-end sign-in scenarios.

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

const testPassword = "Correct-Horse-7"

// testHash is testPassword's argon2id hash, made once: each hash costs tens
// of milliseconds on purpose.
var testHash = sync.OnceValues(func() (string, error) { return secret.HashPassword(testPassword) })

type fixture struct {
	ctx   context.Context
	st    store.Store
	clock *testClock
	m     *Manager
}

func newFixture(t *testing.T, o Options) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "sesame.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := &testClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	m := NewManager(st, slog.New(slog.NewTextHandler(io.Discard, nil)), o)
	m.SetClock(clock.now)
	return &fixture{ctx: ctx, st: st, clock: clock, m: m}
}

// user stores a user with testPassword in the given status.
func (f *fixture) user(t *testing.T, login, status string) *store.User {
	t.Helper()
	hash, err := testHash()
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.now()
	u := &store.User{ID: secret.NewID("00u"), Status: status, Login: login, PasswordHash: hash,
		Profile: map[string]any{"login": login, "email": login, "firstName": "Test", "lastName": "User"},
		Created: now, StatusChanged: now, LastUpdated: now, PasswordChanged: now}
	if err := f.st.Users().Create(f.ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) reload(t *testing.T, id string) *store.User {
	t.Helper()
	u, err := f.st.Users().Get(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
