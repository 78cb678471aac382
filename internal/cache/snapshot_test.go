package cache_test

import (
	"context"
	"crypto"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/jwktest"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
	"github.com/sesame-idp/sesame/internal/token"
)

// These tests build snapshots from a real SQLite store configured through
// the service layer (an external test package: service imports cache).

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func testKey(name string) crypto.Signer { return jwktest.ServerKey(name) }

// newStore opens an empty SQLite store, closed when the test ends, and a
// sealer with a random master key.
func newStore(tb testing.TB) (*sqlstore.Store, *keys.Sealer) {
	tb.Helper()
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(tb.TempDir(), "sesame.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		tb.Fatal(err)
	}
	return st, sealer
}

func setup(t *testing.T) (context.Context, *service.Service, *cache.Cache, *testClock) {
	t.Helper()
	ctx := context.Background()
	st, sealer := newStore(t)
	clock := &testClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := cache.New(st, sealer, log)
	c.SetClock(clock.now)
	if err := c.Load(ctx, true); err != nil {
		t.Fatal(err)
	}
	svc := service.New(st, sealer, c, "http://sesame.test", log)
	svc.Now, svc.FixedKeys = clock.now, testKey
	if _, err := svc.Initialize(ctx, "Test Org", service.Admin{Email: "admin@example.com", PasswordHash: secret.DummyHash}, false); err != nil {
		t.Fatal(err)
	}
	return ctx, svc, c, clock
}

func oidcApp(id, status string) *store.App {
	return &store.App{ID: "0oa" + id, Name: "oidc_client", Label: id, Status: status, SignOnMode: "OPENID_CONNECT", ClientID: id,
		Credentials: store.AppCredentials{OAuthClient: store.OAuthClientCreds{ClientID: id, TokenEndpointAuthMethod: "client_secret_basic"}},
		Settings: store.AppSettings{OAuthClient: store.OAuthClientSettings{ApplicationType: "service", RedirectURIs: []string{"https://" + id + ".Example.test:8443/cb"},
			ResponseTypes: []string{"token"}, GrantTypes: []string{"client_credentials"},
			ConsentMethod: "TRUSTED", IssuerMode: "ORG_URL", WildcardRedirect: "DISABLED"}}}
}

// TestSnapshot: what one snapshot holds after configuration changes made
// through the service — every change is in force when the call returns.
func TestSnapshot(t *testing.T) {
	ctx, svc, c, _ := setup(t)
	sc := service.SystemContext
	v0 := c.Current().Version

	// Servers: the org server and the default one, each with its key set.
	snap := c.Current()
	org, def := snap.Servers[store.OrgServerID], snap.Servers["default"]
	if org == nil || !org.IsOrg() || org.AuthServer != nil || !org.Serving() {
		t.Fatalf("org server: %+v", org)
	}
	if def == nil || def.IsOrg() || !def.Serving() || def.Active == nil || def.PublicKey(def.Active.KID) == nil {
		t.Fatalf("default server: %+v", def)
	}
	if !strings.Contains(string(def.JWKS), def.Active.KID) || !strings.HasPrefix(def.JWKSTag, `"`) || def.JWKSTag == org.JWKSTag {
		t.Errorf("default server's key set %s tagged %s", def.JWKS, def.JWKSTag)
	}
	if def.ScopesByName["openid"] == nil || len(def.ScopesByName) != len(def.Scopes) || len(def.Policies) != 1 || len(def.Policies[0].Rules) != 1 {
		t.Errorf("default server: %d scopes, %d policies", len(def.Scopes), len(def.Policies))
	}

	// Apps: by client id; redirect origins of active apps only, in any case.
	if err := svc.CreateApp(ctx, sc, oidcApp("app-on", store.StatusActive), ""); err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateApp(ctx, sc, oidcApp("app-off", store.StatusInactive), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateGrant(ctx, sc, "0oaapp-on", "okta.users.read", "http://sesame.test"); err != nil {
		t.Fatal(err)
	}
	snap = c.Current()
	if snap.Version <= v0 {
		t.Errorf("version %d after changes, was %d", snap.Version, v0)
	}
	if a := snap.AppByClientID("app-on"); a == nil || !a.OrgScopes["okta.users.read"] || a.OrgScopes["okta.users.manage"] {
		t.Errorf("app with an Okta API scope grant: %+v", a)
	}
	if snap.AppByClientID("nobody") != nil || len(snap.Apps()) != 2 {
		t.Errorf("%d apps", len(snap.Apps()))
	}
	if !snap.IsRedirectOrigin("https://app-on.example.test:8443") || !snap.IsRedirectOrigin("HTTPS://APP-ON.EXAMPLE.TEST:8443") {
		t.Error("an active app's redirect origin is not known")
	}
	if snap.IsRedirectOrigin("https://app-off.example.test:8443") || snap.IsRedirectOrigin("https://app-on.example.test") {
		t.Error("an inactive app's redirect origin, or another port, counts")
	}

	// Trusted origins: active ones, for the types they name.
	for _, o := range []*store.TrustedOrigin{
		{Name: "spa", Origin: "https://spa.example.test", Scopes: []store.OriginScope{{Type: "CORS"}}},
		{Name: "old", Origin: "https://old.example.test", Scopes: []store.OriginScope{{Type: "CORS"}, {Type: "REDIRECT"}}, Status: store.StatusInactive},
	} {
		if err := svc.CreateTrustedOrigin(ctx, sc, o); err != nil {
			t.Fatal(err)
		}
	}
	snap = c.Current()
	if !snap.OriginAllowed("https://SPA.example.test", "CORS") || snap.OriginAllowed("https://spa.example.test", "REDIRECT") {
		t.Error("the active origin's types")
	}
	if snap.OriginAllowed("https://old.example.test", "CORS") || len(snap.TrustedOrigins()) != 2 {
		t.Error("the inactive origin")
	}

	// A reload without a change keeps the snapshot; force rebuilds it.
	if err := c.Load(ctx, false); err != nil {
		t.Fatal(err)
	}
	if c.Current() != snap {
		t.Error("a reload without a change built a new snapshot")
	}
	if err := c.Load(ctx, true); err != nil {
		t.Fatal(err)
	}
	if c.Current() == snap || c.Current().Version != snap.Version {
		t.Error("a forced reload")
	}
}

// TestSnapshotClaims: the snapshot holds each active claim's expression and
// each REGEX group filter parsed once, so two requests get the same value;
// what it does not hold is parsed on the spot.
func TestSnapshotClaims(t *testing.T) {
	ctx, svc, c, _ := setup(t)
	sc := service.SystemContext
	for _, cl := range []*store.Claim{
		{Name: "dept", ClaimType: "RESOURCE", Value: `user.department + "/x"`},
		{Name: "eng", ClaimType: "RESOURCE", ValueType: "GROUPS", GroupFilterType: "REGEX", Value: `eng-[a-z]+`},
		{Name: "off", ClaimType: "RESOURCE", Value: `"inactive"`, Status: store.StatusInactive},
	} {
		if err := svc.CreateClaim(ctx, sc, "default", cl); err != nil {
			t.Fatal(err)
		}
	}
	snap := c.Current()
	e1, err1 := snap.ClaimExpr(`user.department + "/x"`)
	e2, err2 := snap.ClaimExpr(`user.department + "/x"`)
	if err1 != nil || err2 != nil || e1 == nil || e1 != e2 {
		t.Errorf("the claim expression is not held: %p %p %v %v", e1, e2, err1, err2)
	}
	r1, err1 := snap.GroupRegex(`eng-[a-z]+`)
	r2, err2 := snap.GroupRegex(`eng-[a-z]+`)
	if err1 != nil || err2 != nil || r1 == nil || r1 != r2 {
		t.Fatalf("the group regex is not held: %v %v", err1, err2)
	}
	if !r1.MatchString("eng-core") || r1.MatchString("eng-core-2") || r1.MatchString("old-eng-core") {
		t.Error("the group regex does not match whole names")
	}
	// The inactive claim's expression is not held: parsed per call.
	i1, _ := snap.ClaimExpr(`"inactive"`)
	i2, _ := snap.ClaimExpr(`"inactive"`)
	if i1 == nil || i1 == i2 {
		t.Error("an inactive claim's expression is held")
	}
	// The system claims are held too (sub's expression).
	s1, err := snap.ClaimExpr("(appuser != null) ? appuser.userName : app.clientId")
	if s2, _ := snap.ClaimExpr("(appuser != null) ? appuser.userName : app.clientId"); err != nil || s1 != s2 {
		t.Errorf("the sub claim's expression is not held: %v", err)
	}
}

// TestServing: the org server always answers; a custom one while ACTIVE;
// a missing one (nil) never.
func TestServing(t *testing.T) {
	ctx, svc, c, _ := setup(t)
	var missing *cache.Server
	if missing.Serving() {
		t.Error("a nil server serves")
	}
	if err := svc.SetAuthServerStatus(ctx, service.SystemContext, "default", store.StatusInactive); err != nil {
		t.Fatal(err)
	}
	snap := c.Current()
	if snap.Servers["default"].Serving() || !snap.Servers[store.OrgServerID].Serving() {
		t.Error("after deactivating default")
	}
	if snap.Servers["nothere"].Serving() {
		t.Error("an unknown server serves")
	}
	if err := svc.SetAuthServerStatus(ctx, service.SystemContext, "default", store.StatusActive); err != nil {
		t.Fatal(err)
	}
	if !c.Current().Servers["default"].Serving() {
		t.Error("after reactivating default")
	}
}

// TestRetiredKeys: a rotated-out key stays published until every token it
// signed has expired (service.KeyRetireAfter), then the next snapshot built
// on the cache's clock leaves it out.
func TestRetiredKeys(t *testing.T) {
	ctx, svc, c, clock := setup(t)
	old := c.Current().Servers["default"].Active.KID
	if _, err := svc.RotateKeys(ctx, service.SystemContext, "default"); err != nil {
		t.Fatal(err)
	}
	srv := c.Current().Servers["default"]
	if srv.Active.KID == old || srv.PublicKey(old) == nil || !strings.Contains(string(srv.JWKS), old) {
		t.Fatal("right after rotation the old key must still be published, the new one active")
	}
	clock.add(service.KeyRetireAfter - time.Second)
	if err := c.Load(ctx, true); err != nil {
		t.Fatal(err)
	}
	if c.Current().Servers["default"].PublicKey(old) == nil {
		t.Error("retired a second early")
	}
	clock.add(time.Second)
	if err := c.Load(ctx, true); err != nil {
		t.Fatal(err)
	}
	if srv := c.Current().Servers["default"]; srv.PublicKey(old) != nil || strings.Contains(string(srv.JWKS), old) {
		t.Error("a retired key is still published")
	}
}

// TestRevocations: revoked ids are known at once locally, learnt from the
// store by a sync, and forgotten once past their expiry on the cache's
// clock.
func TestRevocations(t *testing.T) {
	ctx, svc, c, clock := setup(t)
	c.Revoke("local", clock.now().Add(time.Hour))
	if !c.IsRevoked("local") || c.IsRevoked("other") {
		t.Fatal("local revocation")
	}
	if err := svc.Store.Revocations().Revoke(ctx, "remote", clock.now().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c.IsRevoked("remote") {
		t.Fatal("known before a sync")
	}
	if err := c.SyncRevocations(ctx); err != nil {
		t.Fatal(err)
	}
	if !c.IsRevoked("remote") {
		t.Fatal("not learnt by a sync")
	}
	clock.add(90 * time.Minute)
	if err := c.SyncRevocations(ctx); err != nil {
		t.Fatal(err)
	}
	if c.IsRevoked("local") || !c.IsRevoked("remote") {
		t.Errorf("after 90 minutes: local %v remote %v", c.IsRevoked("local"), c.IsRevoked("remote"))
	}
}

// TestFamilyRevocations: a family's record revokes every access token whose
// id carries the family, locally and learnt by a sync, until it expires;
// tokens of other families and outside any stay valid.
func TestFamilyRevocations(t *testing.T) {
	ctx, svc, c, clock := setup(t)
	local, remote := secret.NewID("fam"), secret.NewID("fam")
	jti := func(fam string) string {
		j, ok := token.FamilyAccessJTI(fam)
		if !ok {
			t.Fatalf("no id for family %s", fam)
		}
		return j
	}
	c.Revoke(store.FamilyRevocationID(local), clock.now().Add(time.Hour))
	if !c.IsRevoked(jti(local)) || c.IsRevoked(jti(remote)) || c.IsRevoked(token.NewAccessJTI()) {
		t.Fatal("local family revocation")
	}
	if err := svc.Store.Revocations().Revoke(ctx, store.FamilyRevocationID(remote), clock.now().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := c.SyncRevocations(ctx); err != nil {
		t.Fatal(err)
	}
	if !c.IsRevoked(jti(remote)) {
		t.Fatal("family revocation not learnt by a sync")
	}
	clock.add(90 * time.Minute)
	if err := c.SyncRevocations(ctx); err != nil {
		t.Fatal(err)
	}
	if c.IsRevoked(jti(local)) || !c.IsRevoked(jti(remote)) {
		t.Errorf("after 90 minutes: local %v remote %v", c.IsRevoked(jti(local)), c.IsRevoked(jti(remote)))
	}
}
