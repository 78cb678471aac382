package oauth

import (
	"context"
	"crypto"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/jwktest"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/signin"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
)

// The unit tests of this package run the token endpoint's steps without
// HTTP: a Server over a real SQLite store, configured through the service
// layer, given parsed requests. internal/app keeps the end-to-end scenarios.

const testOrgURL = "http://sesame.test"

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// testKey is a signing key shared by every test of the binary.
func testKey(name string) crypto.Signer { return jwktest.ServerKey(name) }

// Clients of the fixture and their secrets.
const (
	webClient = "web-client" // client_secret_post, web
	webSecret = "web-secret-0123456789abcdefghijklmnopqrstuvwxyz"
	spaClient = "spa-client" // public (browser)
	svcClient = "svc-client" // client_secret_basic, service
	svcSecret = "svc-secret-0123456789abcdefghijklmnopqrstuvwxyz"
	pubClient = "pub-cc-client" // public, with client_credentials configured
	offClient = "off-client"    // deactivated
)

type fixture struct {
	ctx   context.Context
	st    store.Store
	cache *cache.Cache
	svc   *service.Service
	s     *Server
	clock *testClock
}

func newFixture(t *testing.T) *fixture {
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
	svc := service.New(st, sealer, c, testOrgURL, log)
	svc.Now = clock.now
	svc.FixedKeys = testKey
	// The administrator's hash is never checked here; hashing a password
	// (argon2id) would cost more than the tests.
	if _, err := svc.Initialize(ctx, "Test Org", service.Admin{Email: "admin@example.com", PasswordHash: secret.DummyHash}, false); err != nil {
		t.Fatal(err)
	}
	f := &fixture{ctx: ctx, st: st, cache: c, svc: svc, clock: clock}
	f.app(t, webClient, "web", "client_secret_post", webSecret, store.StatusActive,
		grantAuthorizationCode, grantRefreshToken, grantPassword, grantClientCredentials)
	f.app(t, spaClient, "browser", "none", "", store.StatusActive, grantAuthorizationCode, grantRefreshToken, grantImplicit)
	f.app(t, svcClient, "service", "client_secret_basic", svcSecret, store.StatusActive, grantClientCredentials, grantTokenExchange, grantDeviceCode)
	f.app(t, pubClient, "native", "none", "", store.StatusActive, grantClientCredentials, grantTokenExchange)
	f.app(t, offClient, "web", "client_secret_post", webSecret, store.StatusInactive, grantClientCredentials)
	sessions := signin.NewManager(st, log, signin.Options{OrgURL: testOrgURL})
	sessions.SetClock(clock.now)
	f.s = New(Options{OrgURL: testOrgURL, Cache: c, Store: st, Log: log, Now: clock.now, Sessions: sessions, Passwords: sessions.NewPasswords(nil)})
	return f
}

// app stores an OIDC app. It writes to the store, not through
// service.CreateApp, because some of these apps break the app rules on
// purpose (a public client with client_credentials, a service app with the
// device grant): the token endpoint must refuse what such an app asks for
// even if one is stored.
func (f *fixture) app(t *testing.T, clientID, appType, method, clientSecret, status string, grants ...string) *store.App {
	t.Helper()
	now := f.clock.now()
	a := &store.App{ID: "0oa" + clientID, Name: "oidc_client", Label: clientID, Status: status, SignOnMode: "OPENID_CONNECT", ClientID: clientID,
		Credentials: store.AppCredentials{OAuthClient: store.OAuthClientCreds{ClientID: clientID, TokenEndpointAuthMethod: method}},
		Settings: store.AppSettings{OAuthClient: store.OAuthClientSettings{ApplicationType: appType, RedirectURIs: []string{"https://" + clientID + ".test/cb"},
			ResponseTypes: []string{"code", "token", "id_token"}, GrantTypes: grants}},
		Created: now, LastUpdated: now}
	if clientSecret != "" {
		a.Secrets = []store.AppSecret{{ID: secret.NewID("ocs"), Status: store.StatusActive, Hash: secret.Hash(clientSecret), Created: now, LastUpdated: now}}
	}
	err := f.st.InTx(f.ctx, func(tx store.Store) error {
		if err := tx.Apps().Create(f.ctx, a); err != nil {
			return err
		}
		return tx.Config().Bump(f.ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.cache.Load(f.ctx, false); err != nil {
		t.Fatal(err)
	}
	return a
}

// request is a parsed token-endpoint request to server with the given
// Authorization header and form members (name, value, name, value, …).
func (f *fixture) request(server, authorization string, form ...string) *tokenRequest {
	p := params{values: map[string]string{}, inQuery: map[string]bool{}}
	for i := 0; i+1 < len(form); i += 2 {
		p.values[form[i]] = form[i+1]
	}
	snap := f.cache.Current()
	srv := snap.Servers[server]
	return &tokenRequest{server: srv, snap: snap, origin: testOrgURL, reqOrigin: testOrgURL, endpoint: f.s.baseAt(testOrgURL, srv) + "/v1/token",
		params: p, creds: credentialsFrom(authorization, p)}
}

// code stores an authorization code standing for d.
func (f *fixture) code(t *testing.T, raw string, d codeData, expires time.Time, used bool) {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	c := &store.Code{Kind: store.CodeAuthorization, Hash: secret.Hash(raw), Data: b, Created: f.clock.now(), ExpiresAt: expires}
	if used {
		c.UsedAt = f.clock.now()
	}
	if err := f.st.Codes().Create(f.ctx, c); err != nil {
		t.Fatal(err)
	}
}

// refresh stores a refresh token; mod adjusts it first.
func (f *fixture) refresh(t *testing.T, raw string, mod func(rt *store.RefreshToken)) {
	t.Helper()
	now := f.clock.now()
	b, err := json.Marshal(refreshData{AuthTime: now, AMR: []string{"pwd"}})
	if err != nil {
		t.Fatal(err)
	}
	rt := &store.RefreshToken{ID: secret.NewID("oar"), Hash: secret.Hash(raw), FamilyID: secret.NewID("fam"), ServerID: "default", ClientID: webClient,
		UserID: "00unobody", Scopes: []string{"openid", "offline_access"}, Data: b, Created: now, IdleExpiresAt: now.Add(time.Hour)}
	if mod != nil {
		mod(rt)
	}
	if err := f.st.RefreshTokens().Create(f.ctx, rt); err != nil {
		t.Fatal(err)
	}
}

// sameError reports whether got is want (status, code and text).
func sameError(got, want *Error) bool {
	if got == nil || want == nil {
		return got == want
	}
	return got.Status == want.Status && got.Code == want.Code && got.Description == want.Description
}
