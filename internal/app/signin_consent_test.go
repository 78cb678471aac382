package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// TestConsent follows §5.3: an app with consent_method REQUIRED asks for a
// REQUIRED scope once, remembers the answer as a user grant listed by the
// Users API, asks again after the grant is revoked, answers prompt=none
// with consent_required while consent is due, and a refusal is
// access_denied.
func TestConsent(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/authorizationServers/default/scopes", map[string]any{
			"name": "reports:read", "displayName": "Read your reports", "description": "See the reports you own.", "consent": "REQUIRED"}); a.status != 201 {
			t.Fatalf("create scope: %d %s", a.status, a.body)
		}
		web, _, webApp := ts.oidcApp(t, "Reports", "web", "client_secret_basic", []string{"authorization_code"}, []string{"code"},
			map[string]any{"consent_method": "REQUIRED"})
		ts.assign(t, webApp, user.ID)
		b := signedInBrowser(t, ts, "ada@example.com", "Correct-Horse-42")
		q := url.Values{"client_id": {web}, "redirect_uri": {"http://app.test/callback"}, "response_type": {"code"},
			"scope": {"openid reports:read"}, "state": {"c1"}}
		authorize := func(extra url.Values) page {
			v := url.Values{}
			for k, x := range q {
				v[k] = x
			}
			for k, x := range extra {
				v[k] = x
			}
			return b.follow(t, b.get(t, ts.Addr+"/oauth2/default/v1/authorize?"+v.Encode()))
		}
		answer := func(p page, decision string) page {
			form := url.Values{"csrf": {field(t, csrfField, p.body)}, "consent_request": {field(t, keyField, p.body)}, "decision": {decision}}
			return b.follow(t, b.post(t, ts.Addr+"/oauth2/v1/authorize/consent", form))
		}

		if p := authorize(url.Values{"prompt": {"none"}}); p.location == nil || p.location.Query().Get("error") != "consent_required" ||
			p.location.Query().Get("error_description") != "The following scopes require user consent: [reports:read]." {
			t.Fatalf("prompt=none with consent due: %d %v", p.status, p.location)
		}
		p := authorize(nil)
		if p.status != 200 || !strings.Contains(p.body, "Read your reports") || !strings.Contains(p.body, `id="consent-allow"`) {
			t.Fatalf("consent page: %d %s", p.status, p.body)
		}
		if d := answer(p, "deny"); d.location == nil || d.location.Query().Get("error") != "access_denied" {
			t.Fatalf("denied consent: %d %v", d.status, d.location)
		}
		p = answer(authorize(nil), "allow")
		if p.location == nil || p.location.Query().Get("code") == "" {
			t.Fatalf("allowed consent: %d %v %s", p.status, p.location, p.body)
		}
		// Remembered: no page the next time, and listed as a user grant.
		if p := authorize(url.Values{"prompt": {"none"}}); p.location == nil || p.location.Query().Get("code") == "" {
			t.Fatalf("second authorize: %d %v", p.status, p.location)
		}
		grants := ts.mgmt(t, http.MethodGet, "/api/v1/users/"+user.ID+"/grants", nil)
		if grants.status != 200 || !strings.Contains(string(grants.body), `"scopeId":"reports:read"`) || !strings.Contains(string(grants.body), `"source":"END_USER"`) {
			t.Fatalf("user grants: %d %s", grants.status, grants.body)
		}
		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/users/"+user.ID+"/clients/"+web+"/grants", nil); a.status != 204 {
			t.Fatalf("revoke grants: %d %s", a.status, a.body)
		}
		if p := authorize(nil); p.status != 200 || !strings.Contains(p.body, `id="consent-allow"`) {
			t.Fatalf("after revoking, consent is asked again: %d %v", p.status, p.location)
		}
		// A forged answer without the CSRF token is refused.
		if f := b.post(t, ts.Addr+"/oauth2/v1/authorize/consent", url.Values{"consent_request": {"x"}, "decision": {"allow"}}); f.status != 403 {
			t.Fatalf("consent without CSRF: %d", f.status)
		}
	})
}

// TestAdminSessions: an administrator sees and ends a user's session, and
// clearing sessions with oauthTokens=true or deactivating the user revokes
// their tokens.
func TestAdminSessions(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		native, _, nativeApp := ts.oidcApp(t, "CLI", "native", "none", []string{"authorization_code", "password", "refresh_token"}, []string{"code"}, nil)
		ts.assign(t, nativeApp, user.ID)
		b := signedInBrowser(t, ts, "ada@example.com", "Correct-Horse-42")
		sessions, err := ts.App.Store.Sessions().ListByUser(t.Context(), user.ID)
		if err != nil || len(sessions) != 1 {
			t.Fatalf("sessions: %v %d", err, len(sessions))
		}
		id := sessions[0].ID
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/sessions/"+id, nil); a.status != 200 || a.json(t)["userId"] != user.ID {
			t.Fatalf("get session: %d %s", a.status, a.body)
		}
		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/sessions/"+id, nil); a.status != 204 {
			t.Fatalf("delete session: %d %s", a.status, a.body)
		}
		wantError(t, "deleted session", ts.mgmt(t, http.MethodGet, "/api/v1/sessions/"+id, nil), 404, "E0000007")
		if p := b.get(t, ts.Addr+"/api/v1/sessions/me"); p.status != 404 {
			t.Fatalf("browser session after admin delete: %d", p.status)
		}

		tokens := func() (string, string) {
			a := ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"password"}, "client_id": {native},
				"username": {"ada@example.com"}, "password": {"Correct-Horse-42"}, "scope": {"openid offline_access"}})
			m := a.json(t)
			return m["access_token"].(string), m["refresh_token"].(string)
		}
		at, rt := tokens()
		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/users/"+user.ID+"/sessions?oauthTokens=true", nil); a.status != 204 {
			t.Fatalf("clear sessions: %d %s", a.status, a.body)
		}
		if introspectActive(t, ts, native, at) || introspectActive(t, ts, native, rt) {
			t.Fatal("tokens active after clearing sessions with oauthTokens=true")
		}
		at, rt = tokens()
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+user.ID+"/lifecycle/deactivate", nil); a.status != 200 {
			t.Fatalf("deactivate: %d %s", a.status, a.body)
		}
		if introspectActive(t, ts, native, at) || introspectActive(t, ts, native, rt) {
			t.Fatal("tokens active after deactivation")
		}
	})
}

// TestSessionLifetimes: a session ends after its idle timeout without use,
// and after its absolute lifetime however much it is used.
func TestSessionLifetimes(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		sealer, err := keys.NewSealer(secret.RawBytes(32))
		if err != nil {
			t.Fatal(err)
		}
		st := open(t)
		// The clocks start an hour ahead: the cookie jar judges the
		// cookie's expiry by the wall clock, and must leave the decision to
		// the server however slowly the setup runs.
		clock := &fakeClock{t: time.Now().Add(time.Hour)}
		ts := serveReplicaWith(t, st, sealer, "", true, []func(*config.Config){func(c *config.Config) { c.SessionIdle = 1500 * time.Millisecond; c.SessionLifetime = time.Hour }}, []Option{WithClock(clock.now)})
		ts.newUser(t, "ada@example.com")
		b := signedInBrowser(t, ts, "ada@example.com", "Correct-Horse-42")
		if p := b.get(t, ts.Addr+"/api/v1/sessions/me"); p.status != 200 {
			t.Fatalf("fresh session: %d", p.status)
		}
		clock.add(2 * time.Second)
		if p := b.get(t, ts.Addr+"/api/v1/sessions/me"); p.status != 404 {
			t.Fatalf("session after its idle timeout: %d", p.status)
		}

		clock2 := &fakeClock{t: time.Now().Add(time.Hour)}
		ts2 := serveReplicaWith(t, open(t), sealer, "", true, []func(*config.Config){func(c *config.Config) { c.SessionIdle = time.Hour; c.SessionLifetime = 2 * time.Second }}, []Option{WithClock(clock2.now)})
		ts2.newUser(t, "ada@example.com")
		b = signedInBrowser(t, ts2, "ada@example.com", "Correct-Horse-42")
		if p := b.post(t, ts2.Addr+"/api/v1/sessions/me/lifecycle/refresh", nil); p.status != 200 {
			t.Fatalf("refresh: %d", p.status)
		}
		// Used all along, the session still ends at its absolute lifetime.
		for i := range 5 {
			clock2.add(500 * time.Millisecond)
			// Well within its lifetime each refresh succeeds.
			if p := b.post(t, ts2.Addr+"/api/v1/sessions/me/lifecycle/refresh", nil); i < 3 && p.status != 200 {
				t.Fatalf("refresh %d at +%dms: %d", i, (i+1)*500, p.status)
			}
		}
		if p := b.get(t, ts2.Addr+"/api/v1/sessions/me"); p.status != 404 {
			t.Fatalf("session after its absolute lifetime: %d", p.status)
		}
	})
}
