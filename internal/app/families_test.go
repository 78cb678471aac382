package app

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// TestTokenFamiliesRevokedEverywhere: an access token's id carries its
// family, and revoking the family is one record. Revoking it — a rotated
// refresh token reused after its leeway, /v1/revoke of a refresh token,
// clearing a user's sessions with their tokens — makes every access token
// of the family inactive on another replica too, a grant without a refresh
// token included, and leaves the user's other grants alone.
func TestTokenFamiliesRevokedEverywhere(t *testing.T) {
	sharedBackends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ctx := t.Context()
		sealer, err := keys.NewSealer(secret.RawBytes(32))
		if err != nil {
			t.Fatal(err)
		}
		clock := &fakeClock{t: time.Now()}
		a := serveReplicaWith(t, open(t), sealer, "", true, nil, []Option{WithClock(clock.now)})
		b := serveReplicaWith(t, open(t), sealer, a.URL, false, nil, []Option{WithClock(clock.now)})
		b.APIToken = a.APIToken
		user := a.newUser(t, "ada@example.com")
		native, _, appID := a.oidcApp(t, "CLI", "native", "none", []string{"authorization_code", "password", "refresh_token"}, []string{"code"},
			map[string]any{"refresh_token": map[string]any{"rotation_type": "ROTATE", "leeway": 0}})
		a.assign(t, appID, user.ID)
		if err := b.App.Cache.Load(ctx, false); err != nil {
			t.Fatal(err)
		}

		grant := func(what string, v url.Values) map[string]any {
			t.Helper()
			v.Set("client_id", native)
			r := a.form(t, "/oauth2/default/v1/token", "", v)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", what, r.status, r.body)
			}
			return r.json(t)
		}
		password := func(scope string) map[string]any {
			t.Helper()
			return grant("password grant "+scope, url.Values{"grant_type": {"password"}, "username": {"ada@example.com"},
				"password": {"Correct-Horse-42"}, "scope": {scope}})
		}
		activeOnB := func(tok string) bool {
			t.Helper()
			if err := b.App.Cache.SyncRevocations(ctx); err != nil {
				t.Fatal(err)
			}
			return introspectActive(t, b, native, tok)
		}
		jti := func(at string) string {
			t.Helper()
			parts := strings.Split(at, ".")
			if len(parts) != 3 {
				t.Fatalf("access token %q is not a JWS", at)
			}
			payload, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				JTI string `json:"jti"`
			}
			if err := json.Unmarshal(payload, &c); err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^AT\.[A-Za-z0-9]{40}$`).MatchString(c.JTI) {
				t.Fatalf("jti %q is not of Okta's form", c.JTI)
			}
			return c.JTI
		}

		// A rotation's access token is in the family of the first.
		first := password("openid offline_access")
		at1, rt1 := first["access_token"].(string), first["refresh_token"].(string)
		second := grant("rotation", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}, "scope": {"openid offline_access"}})
		at2, rt2 := second["access_token"].(string), second["refresh_token"].(string)
		if j1, j2 := jti(at1), jti(at2); j1[:20] != j2[:20] || j1 == j2 {
			t.Fatalf("rotation's jti %s does not carry the family of %s", j2, j1)
		}
		other := password("openid offline_access")
		at3, rt3 := other["access_token"].(string), other["refresh_token"].(string)
		if jti(at3)[:20] == jti(at1)[:20] {
			t.Fatal("two grants share a family")
		}
		for _, tok := range []string{at1, at2, rt2, at3} {
			if !activeOnB(tok) {
				t.Fatalf("token inactive before any revocation: %s", tok)
			}
		}

		// Reused after its leeway, the first refresh token revokes its family.
		clock.add(time.Second)
		r := a.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"refresh_token"}, "client_id": {native}, "refresh_token": {rt1}})
		if r.status != 400 || r.json(t)["error"] != "invalid_grant" {
			t.Fatalf("reused refresh token: %d %s", r.status, r.body)
		}
		for _, tok := range []string{at1, at2, rt2} {
			if activeOnB(tok) {
				t.Fatalf("token of a reused family still active on the other replica: %s", tok)
			}
		}
		r = a.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"refresh_token"}, "client_id": {native}, "refresh_token": {rt2}})
		if r.status != 400 || r.json(t)["error"] != "invalid_grant" {
			t.Fatalf("successor of a reused refresh token: %d %s", r.status, r.body)
		}
		if !activeOnB(at3) {
			t.Fatal("another grant's access token revoked with the reused family")
		}

		// /v1/revoke of a refresh token revokes its family's access tokens.
		if r := a.form(t, "/oauth2/default/v1/revoke", "Basic "+basic(native), url.Values{"token": {rt3}}); r.status != 200 {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		if activeOnB(at3) || activeOnB(rt3) {
			t.Fatal("tokens of a revoked refresh token's family still active")
		}

		// Clearing the user's sessions with their tokens revokes a grant
		// without a refresh token as well as one with.
		noRefresh := password("openid")
		if _, has := noRefresh["refresh_token"]; has {
			t.Fatal("refresh token without offline_access")
		}
		at4 := noRefresh["access_token"].(string)
		withRefresh := password("openid offline_access")
		at5, rt5 := withRefresh["access_token"].(string), withRefresh["refresh_token"].(string)
		if !activeOnB(at4) || !activeOnB(at5) {
			t.Fatal("fresh tokens inactive")
		}
		if r := a.mgmt(t, http.MethodDelete, "/api/v1/users/"+user.ID+"/sessions?oauthTokens=true", nil); r.status != 204 {
			t.Fatalf("clear sessions: %d %s", r.status, r.body)
		}
		for _, tok := range []string{at4, at5, rt5} {
			if activeOnB(tok) {
				t.Fatalf("token active after clearing the user's sessions with oauthTokens=true: %s", tok)
			}
		}
		// A new grant after the revocation is a new family and works.
		if at6 := password("openid")["access_token"].(string); !activeOnB(at6) {
			t.Fatal("a grant made after the revocation is inactive")
		}
	})
}
