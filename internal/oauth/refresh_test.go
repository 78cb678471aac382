package oauth

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

// refreshClient stores a confidential client with the refresh grant and
// the given rotation settings, and a user assigned to it; it returns the
// user's id.
func (f *fixture) refreshClient(t *testing.T, clientID, rotation string, leeway int) string {
	t.Helper()
	a := f.app(t, clientID, "web", "client_secret_post", webSecret, store.StatusActive, grantAuthorizationCode, grantRefreshToken)
	a.Settings.OAuthClient.RefreshToken = &store.RefreshTokenSettings{RotationType: rotation, Leeway: leeway}
	err := f.st.InTx(f.ctx, func(tx store.Store) error {
		if err := tx.Apps().Update(f.ctx, a); err != nil {
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
	login := clientID + "@example.com"
	u, err := f.svc.CreateUser(f.ctx, service.SystemContext, service.NewUser{Hash: secret.DummyHash,
		Profile: map[string]any{"login": login, "email": login, "firstName": "Ada", "lastName": "Lovelace"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AssignUserToApp(f.ctx, service.SystemContext, &store.AppUser{AppID: a.ID, UserID: u.ID}); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// grantRefresh stores the refresh token raw of a grant to clientID's user,
// idle for window minutes.
func (f *fixture) grantRefresh(t *testing.T, raw, clientID, userID string, window int) {
	t.Helper()
	now := f.clock.now()
	b, err := json.Marshal(refreshData{AuthTime: now, AMR: []string{"pwd"}, Rule: ruleLifetimes{AccessMinutes: 60, WindowMinutes: window}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.RefreshTokens().Create(f.ctx, &store.RefreshToken{ID: secret.NewID("oar"), Hash: secret.Hash(raw), FamilyID: secret.NewID("fam"),
		ServerID: "default", ClientID: clientID, UserID: userID, Scopes: []string{"openid", "offline_access"}, Data: b,
		Created: now, IdleExpiresAt: now.Add(time.Duration(window) * time.Minute)}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) useRefresh(clientID, raw, scope string) (*TokenResponse, *Error) {
	form := []string{"client_id", clientID, "client_secret", webSecret, "grant_type", grantRefreshToken, "refresh_token", raw}
	if scope != "" {
		form = append(form, "scope", scope)
	}
	resp, _, err := f.s.token(f.ctx, f.request("default", "", form...))
	return resp, err
}

// TestRefreshRotation: §3.5 on the injected clock. ROTATE: each refresh
// returns a new token; the presented one stays usable for the app's leeway;
// presenting it after the leeway answers Okta's exact invalid text and
// revokes the whole family, the successor included.
func TestRefreshRotation(t *testing.T) {
	f := newFixture(t)
	uid := f.refreshClient(t, "rot-client", "ROTATE", 30)
	f.grantRefresh(t, "rt-first", "rot-client", uid, 10080)
	invalid := oerr(400, "invalid_grant", "The refresh token is invalid or expired.")

	r1, err := f.useRefresh("rot-client", "rt-first", "")
	if err != nil || r1.RefreshToken == "" || r1.RefreshToken == "rt-first" || r1.AccessToken == "" || r1.IDToken == "" || r1.Scope != "openid offline_access" {
		t.Fatalf("first refresh: %+v %v", r1, err)
	}
	// Narrowed: the answer has fewer scopes, the grant keeps its own.
	f.clock.add(10 * time.Second)
	r2, err := f.useRefresh("rot-client", "rt-first", "offline_access")
	if err != nil || r2.Scope != "offline_access" || r2.IDToken != "" {
		t.Fatalf("within the leeway, narrowed: %+v %v", r2, err)
	}
	if r3, err := f.useRefresh("rot-client", r2.RefreshToken, "openid offline_access"); err != nil || r3.Scope != "openid offline_access" {
		t.Fatalf("the successor of a narrowed refresh keeps the grant's scopes: %+v %v", r3, err)
	}
	f.clock.add(21 * time.Second) // 31 s after the rotation
	if resp, err := f.useRefresh("rot-client", "rt-first", ""); resp != nil || !sameError(err, invalid) {
		t.Fatalf("past the leeway: %+v %v", resp, err)
	}
	// The reuse revoked the family: the successor is dead too.
	if resp, err := f.useRefresh("rot-client", r1.RefreshToken, ""); resp != nil || !sameError(err, invalid) {
		t.Fatalf("the successor after reuse: %+v %v", resp, err)
	}
}

// TestRefreshStatic: STATIC tokens come back unchanged, and each use
// restarts the idle window (§3.4: the window resets on each use).
func TestRefreshStatic(t *testing.T) {
	f := newFixture(t)
	uid := f.refreshClient(t, "static-client", "STATIC", 0)
	f.grantRefresh(t, "rt-static", "static-client", uid, 60)
	for i := range 3 {
		f.clock.add(50 * time.Minute)
		r, err := f.useRefresh("static-client", "rt-static", "")
		if err != nil || r.RefreshToken != "rt-static" {
			t.Fatalf("use %d, 50 minutes after the last: %+v %v", i+1, r, err)
		}
	}
	f.clock.add(61 * time.Minute)
	if r, err := f.useRefresh("static-client", "rt-static", ""); r != nil || !sameError(err, oerr(400, "invalid_grant", "The refresh token is invalid or expired.")) {
		t.Fatalf("61 idle minutes: %+v %v", r, err)
	}
}
