package app

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// introspectStatus is what the org server's introspection endpoint answers
// a client authenticating with this secret: 200 when the secret is one of
// the app's active ones, 401 otherwise.
func introspectStatus(t *testing.T, ts *testServer, clientID, secret string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.Addr+"/oauth2/v1/introspect", strings.NewReader("token=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestConsoleAppSecrets: rotating a client secret on the General tab — a
// new one shown once and working, the old one deactivated (refused at the
// token endpoint) and deleted; the API's rules hold (at most two, the last
// active one cannot be deactivated, an active one cannot be deleted).
func TestConsoleAppSecrets(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := consoleServer(t, open(t))
		b, _ := consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)
		clientID, oldSecret, appID := ts.oidcApp(t, "Web", "web", "client_secret_basic", []string{"authorization_code"}, []string{"code"}, nil)
		secrets := func() []map[string]any {
			t.Helper()
			var out []map[string]any
			if err := json.Unmarshal(ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+appID+"/credentials/secrets", nil).body, &out); err != nil {
				t.Fatal(err)
			}
			return out
		}
		first := secrets()
		if len(first) != 1 {
			t.Fatalf("secrets at start: %v", first)
		}
		oldID := first[0]["id"].(string)
		general := b.get(t, ts.Addr+"/admin/apps/"+appID)
		if general.status != 200 || !strings.Contains(general.body, `id="secret-`+oldID+`"`) || !strings.Contains(general.body, "Generate new secret") {
			t.Fatalf("General tab does not list the secret: %d", general.status)
		}
		if strings.Contains(general.body, oldSecret) {
			t.Errorf("the General tab shows a stored secret")
		}

		// The only active secret cannot be deactivated: the client would be locked out.
		if p := b.consolePost(t, general, "/admin/apps/"+appID+"/secrets/"+oldID+"/deactivate", url.Values{}); p.status != 400 ||
			!strings.Contains(p.body, "The last active client secret cannot be deactivated") {
			t.Errorf("deactivating the last active secret: %d", p.status)
		}
		// Nor can an active one be deleted.
		if p := b.consolePost(t, general, "/admin/apps/"+appID+"/secrets/"+oldID+"/delete", url.Values{}); p.status != 400 ||
			!strings.Contains(p.body, "An active client secret cannot be deleted") {
			t.Errorf("deleting an active secret: %d", p.status)
		}

		p := b.consolePost(t, general, "/admin/apps/"+appID+"/secrets", url.Values{})
		m := regexp.MustCompile(`id="client-secret">([^<]+)<`).FindStringSubmatch(p.body)
		if p.status != 200 || m == nil {
			t.Fatalf("generate: %d, secret shown: %v", p.status, m != nil)
		}
		newSecret := m[1]
		if len(secrets()) != 2 {
			t.Fatalf("secrets after generating: %v", secrets())
		}
		if again := b.get(t, ts.Addr+"/admin/apps/"+appID); strings.Contains(again.body, newSecret) || strings.Contains(again.body, "Generate new secret</button>") {
			t.Errorf("after generating: the secret shown again, or a third offered")
		}
		if p := b.consolePost(t, general, "/admin/apps/"+appID+"/secrets", url.Values{}); p.status != 400 || !strings.Contains(p.body, "at most two client secrets") {
			t.Errorf("a third secret: %d", p.status)
		}
		if s := introspectStatus(t, ts, clientID, newSecret); s != 200 {
			t.Errorf("the new secret: %d", s)
		}
		if s := introspectStatus(t, ts, clientID, oldSecret); s != 200 {
			t.Errorf("the old secret while both are active: %d", s)
		}

		// Rotation: the old one deactivated stops working; activated again it
		// works; deactivated and deleted it is gone.
		if p := b.consolePost(t, general, "/admin/apps/"+appID+"/secrets/"+oldID+"/deactivate", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("deactivate: %d %s", p.status, p.body)
		}
		if s := introspectStatus(t, ts, clientID, oldSecret); s != 401 {
			t.Errorf("the deactivated secret: %d", s)
		}
		if page := b.get(t, ts.Addr+"/admin/apps/"+appID+"?done=secret-deactivated"); !strings.Contains(page.body, "/secrets/"+oldID+"/activate") ||
			!strings.Contains(page.body, "/secrets/"+oldID+"/delete") {
			t.Errorf("an inactive secret is not offered Activate and Delete")
		}
		if p := b.consolePost(t, general, "/admin/apps/"+appID+"/secrets/"+oldID+"/activate", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("activate: %d %s", p.status, p.body)
		}
		if s := introspectStatus(t, ts, clientID, oldSecret); s != 200 {
			t.Errorf("the secret activated again: %d", s)
		}
		b.consolePost(t, general, "/admin/apps/"+appID+"/secrets/"+oldID+"/deactivate", url.Values{})
		if p := b.consolePost(t, general, "/admin/apps/"+appID+"/secrets/"+oldID+"/delete", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("delete: %d %s", p.status, p.body)
		}
		left := secrets()
		if len(left) != 1 || left[0]["id"] == oldID || left[0]["status"] != "ACTIVE" {
			t.Errorf("secrets after rotation: %v", left)
		}
		if p := b.consolePost(t, general, "/admin/apps/"+appID+"/secrets/ocsNoSuchSecret/delete", url.Values{}); p.status != 404 && p.status != 400 {
			t.Errorf("deleting an unknown secret: %d", p.status)
		}
		if p := b.consolePost(t, general, "/admin/apps/"+appID+"/secrets/"+oldID+"/explode", url.Values{}); p.status != 404 {
			t.Errorf("an unknown action: %d", p.status)
		}

		// Every change is in the System Log with the admin as actor.
		ts.App.Audit.Flush()
		n := 0
		for _, e := range ts.mgmt(t, http.MethodGet, "/api/v1/logs?limit=1000", nil).list(t) {
			actor, _ := e["actor"].(map[string]any)
			if strings.Contains(e["displayMessage"].(string), "client secret") && actor["alternateId"] == "admin@example.com" {
				n++
			}
		}
		if n != 5 { // add, deactivate, activate, deactivate, delete
			t.Errorf("client-secret events by the admin: %d, want 5", n)
		}

		// A public client has no secrets to rotate: no section, and a post is refused.
		_, _, spaID := ts.oidcApp(t, "SPA", "browser", "none", []string{"authorization_code"}, []string{"code"}, nil)
		if spa := b.get(t, ts.Addr+"/admin/apps/"+spaID); strings.Contains(spa.body, "Client Secrets") {
			t.Errorf("a public client's General tab offers secrets")
		}
		if p := b.consolePost(t, general, "/admin/apps/"+spaID+"/secrets", url.Values{}); p.status != 400 {
			t.Errorf("a secret for a public client: %d", p.status)
		}
	})
}
