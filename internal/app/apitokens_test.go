package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

func TestAPITokens(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		const base = "/api/v1/api-tokens"

		first := ts.mgmt(t, http.MethodGet, base, nil).list(t)
		if len(first) != 1 {
			t.Fatalf("tokens after init: %v", first)
		}
		admin := first[0]["userId"].(string)
		// Two more tokens of the administrator, made the way the console does.
		var secrets []string
		ids := map[string]bool{first[0]["id"].(string): true}
		for _, name := range []string{"ci", "terraform"} {
			tok, rec, err := ts.App.Service.CreateAPIToken(context.Background(), admin, name)
			if err != nil {
				t.Fatal(err)
			}
			secrets = append(secrets, tok)
			ids[rec.ID] = true
		}

		seen := map[string]bool{}
		for next, pages := base+"?limit=2", 0; next != ""; pages++ {
			if pages > 3 {
				t.Fatal("pagination does not end")
			}
			a := ts.mgmt(t, http.MethodGet, next, nil)
			for _, tk := range a.list(t) {
				id := tk["id"].(string)
				if seen[id] || !ids[id] {
					t.Fatalf("unexpected or repeated token %s", id)
				}
				seen[id] = true
			}
			next = nextLink(t, ts, a)
		}
		if len(seen) != 3 {
			t.Fatalf("walked %d tokens, want 3", len(seen))
		}

		var ciID string
		for _, tk := range ts.mgmt(t, http.MethodGet, base+"?limit=20", nil).list(t) {
			if tk["name"] == "ci" {
				ciID = tk["id"].(string)
			}
		}
		g := ts.mgmt(t, http.MethodGet, base+"/"+ciID, nil)
		tk := g.json(t)
		exp, err := time.Parse(time.RFC3339, tk["expiresAt"].(string))
		if err != nil || g.status != 200 {
			t.Fatalf("get: %d %s", g.status, g.body)
		}
		created, err := time.Parse(time.RFC3339, tk["created"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(ciID, "00T") || tk["userId"] != admin || tk["clientName"] != "Okta API" || tk["tokenWindow"] != "P30D" ||
			tk["network"].(map[string]any)["connection"] != "ANYWHERE" || exp.Sub(created) != 30*24*time.Hour {
			t.Fatalf("token object: %s", g.body)
		}
		links := tk["_links"].(map[string]any)
		if links["self"].(map[string]any)["href"] != ts.URL+base+"/"+ciID || links["user"].(map[string]any)["href"] != ts.URL+"/api/v1/users/"+admin {
			t.Fatalf("links: %s", g.body)
		}
		for _, s := range append(secrets, ts.APIToken) {
			if strings.Contains(string(g.body), s) || strings.Contains(string(ts.mgmt(t, http.MethodGet, base, nil).body), s) {
				t.Fatal("a token value is shown")
			}
		}
		if code := ts.mgmt(t, http.MethodGet, base+"/00TNOPE", nil).errorCode(t, 404); code != "E0000007" {
			t.Errorf("get missing: %s", code)
		}

		// Revoking by id: 204, then the token is refused.
		ci := "SSWS " + secrets[0]
		if a := ts.do(t, http.MethodGet, "/api/v1/apps", ci, "", nil); a.status != 200 {
			t.Fatalf("ci token before revocation: %d", a.status)
		}
		if a := ts.mgmt(t, http.MethodDelete, base+"/"+ciID, nil); a.status != 204 || len(a.body) != 0 {
			t.Fatalf("revoke: %d %s", a.status, a.body)
		}
		if code := ts.do(t, http.MethodGet, "/api/v1/apps", ci, "", nil).errorCode(t, 401); code != "E0000011" {
			t.Errorf("revoked token: %s", code)
		}
		if code := ts.mgmt(t, http.MethodDelete, base+"/"+ciID, nil).errorCode(t, 404); code != "E0000007" {
			t.Errorf("revoke twice: %s", code)
		}

		// DELETE /current revokes the calling token and no other.
		tf := "SSWS " + secrets[1]
		if a := ts.do(t, http.MethodDelete, base+"/current", tf, "", nil); a.status != 204 {
			t.Fatalf("revoke current: %d %s", a.status, a.body)
		}
		if code := ts.do(t, http.MethodGet, base, tf, "", nil).errorCode(t, 401); code != "E0000011" {
			t.Errorf("revoked current token: %s", code)
		}
		left := ts.mgmt(t, http.MethodGet, base, nil).list(t)
		if len(left) != 1 || left[0]["id"] != first[0]["id"] {
			t.Fatalf("tokens left: %v", left)
		}

		// The revocations are in the System Log.
		revs := ts.mgmt(t, http.MethodGet, "/api/v1/logs?filter="+urlQuery(`eventType eq "system.api_token.revoke"`), nil).list(t)
		if len(revs) != 2 {
			t.Fatalf("revoke events: %v", revs)
		}
		for _, e := range revs {
			if e["actor"].(map[string]any)["id"] != admin {
				t.Errorf("revoke event actor: %v", e["actor"])
			}
		}

		// Bearer tokens: read-only scope reads; none has a "current" token.
		reader := ts.orgBearer(t, "tokens-reader", "okta.apiTokens.read")
		if a := ts.do(t, http.MethodGet, base, "Bearer "+reader, "", nil); a.status != 200 {
			t.Fatalf("bearer list: %d %s", a.status, a.body)
		}
		if code := ts.do(t, http.MethodDelete, base+"/"+first[0]["id"].(string), "Bearer "+reader, "", nil).errorCode(t, 403); code != "E0000006" {
			t.Errorf("bearer revoke without manage: %s", code)
		}
		manager := ts.orgBearer(t, "tokens-manager", "okta.apiTokens.manage")
		if code := ts.do(t, http.MethodDelete, base+"/current", "Bearer "+manager, "", nil).errorCode(t, 404); code != "E0000007" {
			t.Errorf("bearer revoke current: %s", code)
		}

		// Finally the administrator's own token revokes itself.
		if a := ts.mgmt(t, http.MethodDelete, base+"/current", nil); a.status != 204 {
			t.Fatalf("revoke own token: %d %s", a.status, a.body)
		}
		if code := ts.mgmt(t, http.MethodGet, base, nil).errorCode(t, 401); code != "E0000011" {
			t.Errorf("own revoked token: %s", code)
		}
	})
}
