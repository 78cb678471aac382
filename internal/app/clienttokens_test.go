package app

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestServerClientTokens: /api/v1/authorizationServers/{id}/clients lists
// the clients holding live refresh tokens of a server, and …/tokens lists,
// reads and revokes them — one or all, each with its family and the access
// tokens issued from it — without ever showing a token's value.
func TestServerClientTokens(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		native, _, appID := ts.oidcApp(t, "CLI", "native", "none", []string{"authorization_code", "password", "refresh_token"}, []string{"code"}, nil)
		ts.assign(t, appID, user.ID)
		grant := func() map[string]any {
			a := ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"password"}, "client_id": {native},
				"username": {"ada@example.com"}, "password": {"Correct-Horse-42"}, "scope": {"openid offline_access"}})
			if a.status != 200 {
				t.Fatalf("password grant: %d %s", a.status, a.body)
			}
			return a.json(t)
		}
		first, second := grant(), grant()
		const base = "/api/v1/authorizationServers/default/clients"

		a := ts.mgmt(t, http.MethodGet, base, nil)
		var clients []map[string]any
		if err := json.Unmarshal(a.body, &clients); err != nil {
			t.Fatal(err)
		}
		if a.status != 200 || len(clients) != 1 || clients[0]["client_id"] != native || clients[0]["client_name"] != "CLI" {
			t.Fatalf("clients: %d %s", a.status, a.body)
		}
		if href, _ := jsonAt(clients[0], "_links.tokens.href"); href != ts.URL+base+"/"+native+"/tokens" {
			t.Fatalf("tokens link: %v", href)
		}
		a = ts.mgmt(t, http.MethodGet, base+"/"+native+"/tokens", nil)
		var tokens []map[string]any
		if err := json.Unmarshal(a.body, &tokens); err != nil {
			t.Fatal(err)
		}
		if a.status != 200 || len(tokens) != 2 {
			t.Fatalf("tokens: %d %s", a.status, a.body)
		}
		for _, secret := range []string{first["refresh_token"].(string), second["refresh_token"].(string), first["access_token"].(string)} {
			if strings.Contains(string(a.body), secret) {
				t.Fatal("a token's value is in the list")
			}
		}
		tok := tokens[0]
		if tok["userId"] != user.ID || tok["clientId"] != native || tok["status"] != "ACTIVE" || tok["issuer"] != ts.URL+"/oauth2/default" ||
			!strings.Contains(strings.Join(anyStrings(tok["scopes"]), " "), "offline_access") {
			t.Fatalf("token: %v", tok)
		}
		id := tok["id"].(string)
		if a := ts.mgmt(t, http.MethodGet, base+"/"+native+"/tokens/"+id, nil); a.status != 200 || a.json(t)["id"] != id {
			t.Fatalf("get token: %d %s", a.status, a.body)
		}

		// Revoke one: which grant it was is found by trying both refresh
		// tokens; exactly one no longer works, and its access token is
		// refused too.
		if a := ts.mgmt(t, http.MethodDelete, base+"/"+native+"/tokens/"+id, nil); a.status != 204 {
			t.Fatalf("revoke one: %d %s", a.status, a.body)
		}
		userinfo := func(at string) int {
			req, _ := http.NewRequest(http.MethodGet, ts.Addr+"/oauth2/default/v1/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+at)
			resp, err := ts.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		refused := 0
		for _, g := range []map[string]any{first, second} {
			if userinfo(g["access_token"].(string)) == 401 {
				refused++
			}
		}
		if refused != 1 {
			t.Fatalf("%d access tokens refused after revoking one grant, want 1", refused)
		}
		a = ts.mgmt(t, http.MethodGet, base+"/"+native+"/tokens", nil)
		if err := json.Unmarshal(a.body, &tokens); err != nil {
			t.Fatal(err)
		}
		if len(tokens) != 1 || tokens[0]["id"] == id {
			t.Fatalf("after revoking one: %s", a.body)
		}
		wantError(t, "a revoked token", ts.mgmt(t, http.MethodGet, base+"/"+native+"/tokens/"+id, nil), 404, "E0000007")

		// Revoke all: nothing live is left, and the client leaves the list.
		if a := ts.mgmt(t, http.MethodDelete, base+"/"+native+"/tokens", nil); a.status != 204 {
			t.Fatalf("revoke all: %d %s", a.status, a.body)
		}
		for _, g := range []map[string]any{first, second} {
			r := ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"refresh_token"}, "client_id": {native}, "refresh_token": {g["refresh_token"].(string)}})
			if r.status != 400 || r.json(t)["error"] != "invalid_grant" {
				t.Fatalf("a revoked refresh token: %d %s", r.status, r.body)
			}
		}
		if a := ts.mgmt(t, http.MethodGet, base, nil); a.status != 200 || strings.TrimSpace(string(a.body)) != "[]" {
			t.Fatalf("clients after revoking all: %d %s", a.status, a.body)
		}

		wantError(t, "unknown server", ts.mgmt(t, http.MethodGet, "/api/v1/authorizationServers/ausnothere/clients", nil), 404, "E0000007")
		wantError(t, "unknown client", ts.mgmt(t, http.MethodGet, base+"/nothere/tokens", nil), 404, "E0000007")
		wantError(t, "unknown token", ts.mgmt(t, http.MethodDelete, base+"/"+native+"/tokens/oarnothere", nil), 404, "E0000007")
	})
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
