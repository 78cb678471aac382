package app

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// TestGrantsSeeDirectoryChanges runs two replicas on one database, each
// watching for changes as `serve` does, while a user refreshes on both —
// so that each replica holds the user, their groups and their assignment
// in its subject cache. A change made on A (a new name, leaving the group
// that gave the app, a direct assignment, a deactivation) is seen by the
// next refresh on A; on B at once on SQLite (one process, one cache) and,
// on PostgreSQL, as soon as the change notice arrives (the time it took is
// reported, not asserted). A deactivated user's refresh is refused at once
// on both.
func TestGrantsSeeDirectoryChanges(t *testing.T) {
	sharedBackends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sealer, err := keys.NewSealer(secret.RawBytes(32))
		if err != nil {
			t.Fatal(err)
		}
		a := serveReplica(t, open(t), sealer, "", true)
		b := serveReplica(t, open(t), sealer, a.URL, false)
		b.APIToken = a.APIToken
		notified := a.App.Store.Backend() == "postgres"
		for _, r := range []*testServer{a, b} {
			go r.App.Cache.Watch(ctx, time.Second)
		}
		if notified {
			eventually(t, "both replicas listen", func() bool { return a.App.Cache.Listening() && b.App.Cache.Listening() })
		}

		user := a.newUser(t, "ada@example.com")
		g := a.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": "Analysts"}})
		if g.status != 200 {
			t.Fatalf("create group: %d %s", g.status, g.body)
		}
		groupID := g.json(t)["id"].(string)
		member := func(method string) {
			t.Helper()
			if r := a.mgmt(t, method, "/api/v1/groups/"+groupID+"/users/"+user.ID, nil); r.status != 204 {
				t.Fatalf("%s member: %d %s", method, r.status, r.body)
			}
		}
		member(http.MethodPut)
		clientID, _, appID := a.oidcApp(t, "Engine", "browser", "none", []string{"authorization_code", "refresh_token"}, []string{"code"},
			map[string]any{"refresh_token": map[string]any{"rotation_type": "STATIC"}})
		if r := a.mgmt(t, http.MethodPut, "/api/v1/apps/"+appID+"/groups/"+groupID, map[string]any{}); r.status != 200 {
			t.Fatalf("assign group: %d %s", r.status, r.body)
		}
		eventually(t, "the app reaches B", func() bool { return b.App.Cache.Current().AppByClientID(clientID) != nil })

		browser := signedInBrowser(t, a, "ada@example.com", "Correct-Horse-42")
		verifier, challenge := pkce()
		p := browser.authorize(t, a.Addr+"/oauth2/default", url.Values{"client_id": {clientID}, "response_type": {"code"},
			"scope": {"openid profile offline_access"}, "redirect_uri": {"http://app.test/callback"}, "state": {"s"},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"}}, "", "")
		if p.location == nil || p.location.Query().Get("code") == "" {
			t.Fatalf("authorize: %d %v %s", p.status, p.location, p.body)
		}
		ex := exchange(t, a, clientID, p.location.Query().Get("code"), verifier, "http://app.test/callback")
		if ex.status != 200 {
			t.Fatalf("exchange: %d %s", ex.status, ex.body)
		}
		refreshToken := ex.json(t)["refresh_token"].(string)

		// refresh answers with the ID token's name, or "" when refused.
		refresh := func(r *testServer) string {
			t.Helper()
			ans := r.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"refresh_token"}, "client_id": {clientID},
				"refresh_token": {refreshToken}, "scope": {"openid profile offline_access"}})
			switch ans.status {
			case 200:
				return decodeClaims(t, ans.json(t)["id_token"].(string))["name"].(string)
			case 400:
				wantOAuth(t, "refused refresh", ans, 400, "invalid_grant", "The refresh token is invalid or expired.")
				return ""
			}
			t.Fatalf("refresh: %d %s", ans.status, ans.body)
			return ""
		}
		// seen checks that A's next refresh answers want, and B's too: at
		// once on SQLite, once the change notice arrives on PostgreSQL.
		seen := func(what, want string) {
			t.Helper()
			if got := refresh(a); got != want {
				t.Fatalf("%s: the next refresh on A answered %q, want %q", what, got, want)
			}
			changed := time.Now()
			if !notified {
				if got := refresh(b); got != want {
					t.Fatalf("%s: the next refresh on B answered %q, want %q", what, got, want)
				}
				return
			}
			eventually(t, what+" on B", func() bool { return refresh(b) == want })
			t.Logf("%s: seen by a refresh on B within %v (the refresh included)", what, time.Since(changed))
		}
		for _, r := range []*testServer{a, b, a, b} {
			if got := refresh(r); got != "Grace Hopper" {
				t.Fatalf("first refreshes: %q", got)
			}
		}

		if r := a.mgmt(t, http.MethodPost, "/api/v1/users/"+user.ID, map[string]any{"profile": map[string]any{"firstName": "Ada", "lastName": "Lovelace"}}); r.status != 200 {
			t.Fatalf("rename: %d %s", r.status, r.body)
		}
		seen("a new name", "Ada Lovelace")
		member(http.MethodDelete)
		seen("leaving the group that gave the app", "")
		a.assign(t, appID, user.ID)
		seen("a direct assignment", "Ada Lovelace")
		if r := a.mgmt(t, http.MethodPost, "/api/v1/users/"+user.ID+"/lifecycle/deactivate", nil); r.status != 200 {
			t.Fatalf("deactivate: %d %s", r.status, r.body)
		}
		for _, r := range []*testServer{a, b} {
			if got := refresh(r); got != "" {
				t.Fatalf("a deactivated user's refresh answered %q", got)
			}
		}
	})
}
