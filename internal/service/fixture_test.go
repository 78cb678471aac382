package service

import (
	"context"
	"crypto"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/jwktest"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
)

// The unit tests of this package call the service over a real SQLite store
// in t.TempDir(), with no HTTP in between: the rules are tested where they
// live. internal/app keeps the end-to-end scenarios.

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// fixture is an initialized org: the default server with its default
// policy and rule, the Everyone group and one administrator.
type fixture struct {
	ctx   context.Context
	svc   *Service
	st    store.Store
	cache *cache.Cache
	clock *testClock
}

// adminHash stands for a password: nothing here checks it.
const adminHash = secret.DummyHash

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "sesame.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := cache.New(st, sealer, log)
	c.SetClock(clock.now)
	if err := c.Load(ctx, true); err != nil {
		t.Fatal(err)
	}
	svc := New(st, sealer, c, "http://sesame.test", log)
	svc.Now = clock.now
	svc.FixedKeys = func(name string) crypto.Signer { return jwktest.ServerKey(name) }
	if _, err := svc.Initialize(ctx, "Test Org", Admin{Email: "admin@example.com", PasswordHash: adminHash}, false); err != nil {
		t.Fatal(err)
	}
	return &fixture{ctx: ctx, svc: svc, st: st, cache: c, clock: clock}
}

// user stores a user in the given status directly, as data already in the
// store would be: the lifecycle rules are then tested from every status.
func (f *fixture) user(t *testing.T, login, status string, withPassword bool) *store.User {
	t.Helper()
	now := f.clock.now()
	u := &store.User{ID: secret.NewID("00u"), Status: status, Login: login,
		Profile: map[string]any{"login": login, "email": login, "firstName": "Test", "lastName": "User"},
		Created: now, StatusChanged: now, LastUpdated: now}
	if withPassword {
		u.PasswordHash, u.PasswordChanged = adminHash, now
	}
	if err := f.st.Users().Create(f.ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// group creates an OKTA_GROUP group through the service.
func (f *fixture) group(t *testing.T, name string) *store.Group {
	t.Helper()
	g := &store.Group{Name: name}
	if err := f.svc.CreateGroup(f.ctx, SystemContext, g); err != nil {
		t.Fatal(err)
	}
	return g
}

// wantOkta checks that err is Okta's error object with that status and code
// and, when causes are given, exactly those causes.
func wantOkta(t *testing.T, what string, err error, status int, code string, causes ...string) {
	t.Helper()
	var oe *oktaerr.Error
	if !errors.As(err, &oe) {
		t.Errorf("%s: got %v, want %d %s", what, err, status, code)
		return
	}
	if oe.Status != status || oe.Code != code {
		t.Errorf("%s: got %d %s (%s), want %d %s", what, oe.Status, oe.Code, oe.Summary, status, code)
	}
	if causes == nil {
		return
	}
	var got []string
	for _, c := range oe.Causes {
		got = append(got, c.Summary)
	}
	if !slices.Equal(got, causes) {
		t.Errorf("%s: causes %q, want %q", what, got, causes)
	}
}
