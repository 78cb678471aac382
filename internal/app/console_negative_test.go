package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// consolePostRoutes is every form the console accepts, with ids that need
// not exist: the CSRF check comes before anything is looked up.
var consolePostRoutes = []string{
	"/admin/signout", "/admin/apps", "/admin/apps/X/general", "/admin/apps/X/lifecycle/deactivate",
	"/admin/apps/X/signon", "/admin/apps/X/secrets", "/admin/apps/X/secrets/X/deactivate", "/admin/apps/X/secrets/X/delete",
	"/admin/apps/X/assignments/people", "/admin/apps/X/assignments/people/X/remove", "/admin/apps/X/assignments/groups",
	"/admin/apps/X/assignments/groups/X/remove", "/admin/apps/X/scopes", "/admin/apps/X/scopes/okta.users.read/revoke",
	"/admin/api/servers", "/admin/api/servers/X/settings", "/admin/api/servers/X/rotate", "/admin/api/servers/X/scopes",
	"/admin/api/servers/X/scopes/X/delete", "/admin/api/servers/X/claims", "/admin/api/servers/X/claims/X/delete",
	"/admin/api/servers/X/policies", "/admin/api/servers/X/policies/X/delete", "/admin/api/servers/X/policies/X/rules",
	"/admin/api/servers/X/policies/X/rules/X/delete", "/admin/api/servers/X/policies/X/rules/X/move/up",
	"/admin/api/servers/X/preview", "/admin/api/origins", "/admin/api/origins/X/delete", "/admin/api/tokens",
	"/admin/api/tokens/X/revoke", "/admin/people", "/admin/people/X/profile", "/admin/people/X/password",
	"/admin/people/X/lifecycle/suspend", "/admin/people/X/groups", "/admin/people/X/groups/X/remove",
	"/admin/people/X/sessions/clear", "/admin/people/X/factors/reset", "/admin/people/X/delete",
	"/admin/groups", "/admin/groups/X/members", "/admin/groups/X/members/X/remove", "/admin/groups/X/apps",
	"/admin/groups/X/delete",
}

// TestConsoleForgedForms: every console form refuses a post without its
// CSRF token or with a wrong one, and nothing is written (the System Log
// gains no event).
func TestConsoleForgedForms(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := consoleServer(t, open(t))
		b, _ := consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)
		ts.App.Audit.Flush()
		before := len(ts.mgmt(t, http.MethodGet, "/api/v1/logs?limit=1000", nil).list(t))
		form := url.Values{"label": {"Forged"}, "name": {"Forged"}, "type": {"browser"}, "firstName": {"F"}, "lastName": {"F"},
			"login": {"forged@example.com"}, "email": {"forged@example.com"}, "origin": {"https://evil.example"}}
		for _, route := range consolePostRoutes {
			for _, token := range []string{"", "wrong-token-wrong-token-wrong"} {
				f := url.Values{}
				for k, v := range form {
					f[k] = v
				}
				if token != "" {
					f.Set("csrf", token)
				}
				if p := b.post(t, ts.Addr+route, f); p.status != http.StatusForbidden {
					t.Errorf("POST %s with CSRF token %q: %d, want 403", route, token, p.status)
				}
			}
		}
		ts.App.Audit.Flush()
		if after := len(ts.mgmt(t, http.MethodGet, "/api/v1/logs?limit=1000", nil).list(t)); after != before {
			t.Errorf("the System Log grew from %d to %d events under forged posts", before, after)
		}
		// The session still works: the forged posts signed nobody out.
		if p := b.get(t, ts.Addr+"/admin"); p.status != 200 {
			t.Fatalf("dashboard after forged posts: %d", p.status)
		}
	})
}

// xss is text an administrator (or a person, for their own name) can type
// that would run as script if shown unescaped.
const xss = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`

// TestConsoleEscapesEverything: names and descriptions holding markup,
// stored through the management API, come back escaped on every console
// page that shows them — never as markup.
func TestConsoleEscapesEverything(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := consoleServer(t, open(t))
		b, _ := consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)
		create := func(path string, body map[string]any) map[string]any {
			t.Helper()
			a := ts.mgmt(t, http.MethodPost, path, body)
			if a.status != 200 && a.status != 201 {
				t.Fatalf("POST %s: %d %s", path, a.status, a.body)
			}
			return a.json(t)
		}
		group := create("/api/v1/groups", map[string]any{"profile": map[string]any{"name": "G " + xss, "description": "D " + xss}})["id"].(string)
		p := person("xss@example.com")
		p["firstName"], p["lastName"] = "F "+xss, "L "+xss
		user := ts.createUser(t, "?activate=false", p, "")["id"].(string)
		_, _, app := ts.oidcApp(t, "A "+xss, "browser", "none", []string{"authorization_code"}, []string{"code"}, nil)
		ts.assign(t, app, user)
		create("/api/v1/trustedOrigins", map[string]any{"name": "O " + xss, "origin": "https://xss.example", "scopes": []map[string]any{{"type": "CORS"}}})
		srv := create("/api/v1/authorizationServers", map[string]any{"name": "S " + xss, "description": "SD " + xss, "audiences": []string{"api://xss"}})["id"].(string)
		create("/api/v1/authorizationServers/"+srv+"/scopes", map[string]any{"name": "xss.read", "description": "SC " + xss, "displayName": "DN " + xss})
		create("/api/v1/authorizationServers/"+srv+"/claims", map[string]any{"name": "xss", "claimType": "RESOURCE", "valueType": "EXPRESSION",
			"value": `"` + strings.ReplaceAll(xss, `"`, `'`) + `"`, "conditions": map[string]any{"scopes": []string{}}})
		// Scope and claim names refuse spaces and double quotes, not markup:
		// a name that is nothing but markup is stored and must come back escaped.
		bare := `<script>alert(1)</script>'>`
		create("/api/v1/authorizationServers/"+srv+"/scopes", map[string]any{"name": "n" + bare, "description": "SC2 " + xss})
		create("/api/v1/authorizationServers/"+srv+"/claims", map[string]any{"name": "c" + bare, "claimType": "IDENTITY", "valueType": "EXPRESSION",
			"value": "user.login", "conditions": map[string]any{"scopes": []string{}}})
		pol := create("/api/v1/authorizationServers/"+srv+"/policies", map[string]any{"type": "OAUTH_AUTHORIZATION_POLICY", "name": "P " + xss,
			"description": "PD " + xss, "priority": 1, "conditions": map[string]any{"clients": map[string]any{"include": []string{"ALL_CLIENTS"}}}})
		create("/api/v1/authorizationServers/"+srv+"/policies/"+pol["id"].(string)+"/rules", map[string]any{"type": "RESOURCE_ACCESS", "name": "R " + xss,
			"conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{"EVERYONE"}}},
				"grantTypes": map[string]any{"include": []string{"authorization_code"}}, "scopes": map[string]any{"include": []string{"*"}}}})
		ts.App.Audit.Flush()

		escaped := "&lt;script&gt;alert(1)&lt;/script&gt;"
		for _, c := range []struct {
			path  string
			shows bool // the page shows one of the marked-up names
		}{
			{"/admin", false}, {"/admin/groups", true}, {"/admin/groups/" + group, true}, {"/admin/people", true}, {"/admin/people/" + user, true},
			{"/admin/apps", true}, {"/admin/apps/" + app, true}, {"/admin/apps/" + app + "/assignments", true}, {"/admin/apps/" + app + "/signon", true}, {"/admin/api/origins", true},
			{"/admin/api/servers", true}, {"/admin/api/servers/" + srv, true}, {"/admin/api/servers/" + srv + "/scopes", true},
			{"/admin/api/servers/" + srv + "/claims", true}, {"/admin/api/servers/" + srv + "/policies", true},
			{"/admin/api/servers/" + srv + "/preview", true}, {"/admin/logs", true},
		} {
			page := b.get(t, ts.Addr+c.path)
			if page.status != 200 {
				t.Errorf("%s: %d", c.path, page.status)
				continue
			}
			if strings.Contains(page.body, "<script>alert(1)") || strings.Contains(page.body, "<img src=x") {
				t.Errorf("%s shows the markup unescaped", c.path)
			}
			if c.shows && !strings.Contains(page.body, escaped) {
				t.Errorf("%s does not show the name at all (escaped)", c.path)
			}
		}
	})
}
