package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestConsoleAppSignOn: the Sign On tab sets the issuer mode and the groups
// claim as the idToken settings API stores them, and the app's ID tokens
// follow; bad input is refused with the API's message and changes nothing.
func TestConsoleAppSignOn(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := consoleServer(t, open(t))
		admin, _ := consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)
		user := ts.newUser(t, "eng@example.com")
		for _, name := range []string{"Engineers", "Sales"} {
			g := ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": name}}).json(t)
			if a := ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+g["id"].(string)+"/users/"+user.ID, nil); a.status != 204 {
				t.Fatalf("member: %d %s", a.status, a.body)
			}
		}
		clientID, _, appID := ts.oidcApp(t, "Org app", "browser", "none", []string{"authorization_code"}, []string{"code"}, nil)
		ts.assign(t, appID, user.ID)
		settings := "/api/v1/internal/apps/" + appID + "/settings/oauth/idToken"
		b := signedInBrowser(t, ts, "eng@example.com", "Correct-Horse-42")
		idToken := func() map[string]any {
			t.Helper()
			verifier, challenge := pkce()
			p := b.authorize(t, ts.Addr+"/oauth2", url.Values{"client_id": {clientID}, "response_type": {"code"}, "scope": {"openid groups"},
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

		tab := admin.get(t, ts.Addr+"/admin/apps/"+appID+"/signon")
		if tab.status != 200 || !strings.Contains(tab.body, `id="issuer">`+ts.URL+`<`) || !strings.Contains(tab.body, `value="ORG_URL" checked`) {
			t.Fatalf("Sign On tab: %d", tab.status)
		}
		if g := admin.get(t, ts.Addr+"/admin/apps/"+appID); !strings.Contains(g.body, `href="/admin/apps/`+appID+`/signon"`) {
			t.Errorf("the General tab does not link the Sign On tab")
		}

		save := func(f url.Values) page {
			t.Helper()
			return admin.consolePost(t, tab, "/admin/apps/"+appID+"/signon", f)
		}
		if p := save(url.Values{"issuer_mode": {"DYNAMIC"}, "claim_type": {"GROUPS"}, "claim_name": {"teams"}, "claim_filter": {"STARTS_WITH"},
			"claim_value": {"Eng"}}); p.status != http.StatusSeeOther {
			t.Fatalf("save: %d %s", p.status, p.body)
		}
		got := ts.mgmt(t, http.MethodGet, settings, nil).json(t)
		if got["issuerMode"] != "DYNAMIC" || got["valueType"] != "GROUPS" || got["name"] != "teams" || got["groupFilterType"] != "STARTS_WITH" || got["value"] != "Eng" {
			t.Fatalf("stored settings: %v", got)
		}
		c := idToken()
		teams, _ := c["teams"].([]any)
		if len(teams) != 1 || teams[0] != "Engineers" {
			t.Fatalf("ID token after the Sign On tab: %v", c)
		}
		again := admin.get(t, ts.Addr+"/admin/apps/"+appID+"/signon?done=saved")
		if !strings.Contains(again.body, `value="DYNAMIC" checked`) || !strings.Contains(again.body, `value="teams"`) ||
			!strings.Contains(again.body, `value="STARTS_WITH" selected`) || !strings.Contains(again.body, "Saved.") {
			t.Errorf("the tab does not show what was saved")
		}

		// Refused, with the API's own messages, and nothing changes.
		for _, bad := range []url.Values{
			{"issuer_mode": {"EVIL"}},
			{"issuer_mode": {"ORG_URL"}, "claim_type": {"GROUPS"}, "claim_name": {"teams"}, "claim_value": {"Eng"}},    // no filter
			{"issuer_mode": {"ORG_URL"}, "claim_type": {"GROUPS"}, "claim_filter": {"EQUALS"}, "claim_value": {"Eng"}}, // no name
			{"issuer_mode": {"ORG_URL"}, "claim_type": {"EXPRESSION"}, "claim_name": {"teams"}},                        // no value
			{"issuer_mode": {"ORG_URL"}, "claim_type": {"SOMETHING"}, "claim_name": {"teams"}, "claim_value": {"x"}},
			{"issuer_mode": {"ORG_URL"}, "claim_type": {"EXPRESSION"}, "claim_name": {strings.Repeat("n", 101)}, "claim_value": {"x"}},
		} {
			p := save(bad)
			if p.status != 400 || !strings.Contains(p.body, "Api validation failed") {
				t.Errorf("%v: %d", bad, p.status)
			}
		}
		if after := ts.mgmt(t, http.MethodGet, settings, nil).json(t); after["issuerMode"] != "DYNAMIC" || after["name"] != "teams" {
			t.Errorf("a refused save changed the settings: %v", after)
		}

		// None removes the claim; the issuer goes back to the org URL.
		if p := save(url.Values{"issuer_mode": {"ORG_URL"}, "claim_type": {""}, "claim_name": {"teams"}, "claim_value": {"Eng"}}); p.status != http.StatusSeeOther {
			t.Fatalf("save none: %d %s", p.status, p.body)
		}
		if c := idToken(); c["teams"] != nil || c["iss"] != ts.URL {
			t.Errorf("ID token after removing the claim: %v", c)
		}
		if p := admin.consolePost(t, tab, "/admin/apps/0oaNoSuchApp/signon", url.Values{"issuer_mode": {"ORG_URL"}}); p.status != 404 {
			t.Errorf("Sign On of an unknown app: %d", p.status)
		}
		if p := admin.get(t, ts.Addr+"/admin/apps/0oaNoSuchApp/signon"); p.status != 404 {
			t.Errorf("Sign On tab of an unknown app: %d", p.status)
		}
	})
}
