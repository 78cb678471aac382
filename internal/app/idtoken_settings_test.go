package app

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// TestIDTokenSettings: the internal ID-token settings the Terraform provider
// writes decide the org server's ID tokens for the app: their issuer follows
// the issuer mode (the first alias stands for Okta's custom domain), and the
// groups claim (a filter of the user's groups, or an expression) is released
// by the groups scope. Bad settings are refused and change nothing.
func TestIDTokenSettings(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		sealer, err := keys.NewSealer(secret.RawBytes(32))
		if err != nil {
			t.Fatal(err)
		}
		const alias = "https://login.alias.test"
		ts := serveReplica(t, open(t), sealer, "", true, func(c *config.Config) { c.URLAliases = []string{alias} })
		user := ts.newUser(t, "eng@example.com")
		for _, name := range []string{"Engineers", "Engineering managers", "Sales"} {
			g := ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": name}}).json(t)
			if name != "Engineering managers" {
				if a := ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+g["id"].(string)+"/users/"+user.ID, nil); a.status != 204 {
					t.Fatalf("member: %d %s", a.status, a.body)
				}
			}
		}
		clientID, _, appID := ts.oidcApp(t, "Org app", "browser", "none", []string{"authorization_code"}, []string{"code"}, nil)
		ts.assign(t, appID, user.ID)
		settings := "/api/v1/internal/apps/" + appID + "/settings/oauth/idToken"
		b := signedInBrowser(t, ts, "eng@example.com", "Correct-Horse-42")
		idToken := func(scope string) map[string]any {
			t.Helper()
			verifier, challenge := pkce()
			p := b.authorize(t, ts.Addr+"/oauth2", url.Values{"client_id": {clientID}, "response_type": {"code"}, "scope": {scope},
				"redirect_uri": {"http://app.test/callback"}, "state": {"s"}, "nonce": {"n"},
				"code_challenge": {challenge}, "code_challenge_method": {"S256"}}, "", "")
			if p.location == nil || p.location.Query().Get("code") == "" {
				t.Fatalf("authorize: %d %v %s", p.status, p.location, p.body)
			}
			a := ts.form(t, "/oauth2/v1/token", "", url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID},
				"code": {p.location.Query().Get("code")}, "code_verifier": {verifier}, "redirect_uri": {"http://app.test/callback"}})
			if a.status != 200 {
				t.Fatalf("token: %d %s", a.status, a.body)
			}
			return decodeClaims(t, a.json(t)["id_token"].(string))
		}

		if c := idToken("openid groups"); c["iss"] != ts.URL || c["groups"] != nil {
			t.Fatalf("without settings: %v", c)
		}
		set := func(body map[string]any, status int) map[string]any {
			t.Helper()
			a := ts.mgmt(t, http.MethodPost, settings, body)
			if a.status != status {
				t.Fatalf("POST %v: %d %s", body, a.status, a.body)
			}
			return a.json(t)
		}
		got := set(map[string]any{"issuerMode": "CUSTOM_URL", "valueType": "GROUPS", "groupFilterType": "STARTS_WITH", "name": "teams", "value": "eng"}, 200)
		if got["issuer"] != alias || got["audience"] != clientID || got["name"] != "teams" || got["groupFilterType"] != "STARTS_WITH" {
			t.Fatalf("settings answer %v", got)
		}
		if app := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+appID, nil).json(t); app["settings"].(map[string]any)["oauthClient"].(map[string]any)["issuer_mode"] != "CUSTOM_URL" {
			t.Fatalf("the app's issuer_mode did not follow: %v", app["settings"])
		}
		c := idToken("openid groups")
		teams, _ := c["teams"].([]any)
		if c["iss"] != alias || len(teams) != 1 || teams[0] != "Engineers" {
			t.Fatalf("CUSTOM_URL, GROUPS claim: %v", c)
		}
		if c := idToken("openid"); c["teams"] != nil {
			t.Fatalf("the groups claim without the groups scope: %v", c)
		}

		set(map[string]any{"issuerMode": "ORG_URL", "valueType": "EXPRESSION", "name": "mail", "value": "user.email"}, 200)
		if c := idToken("openid groups"); c["iss"] != ts.URL || c["mail"] != "eng@example.com" {
			t.Fatalf("ORG_URL, EXPRESSION claim: %v", c)
		}
		// An expression Okta would store but Sesame cannot evaluate is
		// stored; the token is issued without the claim.
		set(map[string]any{"issuerMode": "ORG_URL", "valueType": "EXPRESSION", "name": "bb", "value": "aa"}, 200)
		if c := idToken("openid groups"); c["bb"] != nil {
			t.Fatalf("unevaluable claim: %v", c)
		}

		for name, body := range map[string]map[string]any{
			"issuer mode":       {"issuerMode": "SOMEWHERE"},
			"value type":        {"valueType": "MAGIC", "name": "x", "value": "y"},
			"filter missing":    {"valueType": "GROUPS", "name": "x", "value": "y"},
			"filter with expr":  {"valueType": "EXPRESSION", "groupFilterType": "REGEX", "name": "x", "value": "y"},
			"no name":           {"valueType": "GROUPS", "groupFilterType": "REGEX", "value": ".*"},
			"issuer not string": {"issuerMode": 3},
		} {
			a := ts.mgmt(t, http.MethodPost, settings, body)
			if code := a.json(t)["errorCode"]; a.status != 400 || (code != "E0000001" && code != "E0000003") {
				t.Errorf("%s: %d %s", name, a.status, a.body)
			}
		}
		if got := ts.mgmt(t, http.MethodGet, settings, nil).json(t); got["name"] != "bb" || got["issuerMode"] != "ORG_URL" {
			t.Fatalf("refusals changed the settings: %v", got)
		}
		// Without a name the claim goes, as the provider sends it.
		if got := set(map[string]any{"issuerMode": "ORG_URL"}, 200); got["name"] != nil || got["valueType"] != nil {
			t.Fatalf("claim not removed: %v", got)
		}
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/internal/apps/0oaNOPE/settings/oauth/idToken", nil); a.status != 404 {
			t.Fatalf("unknown app: %d %s", a.status, a.body)
		}
	})
}
