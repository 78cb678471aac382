package app

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// collectHrefs gathers every href under a _links member of v, with the
// method its hints allow (GET when there are none).
func collectHrefs(v any, inLinks bool, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		if href, ok := x["href"].(string); ok && inLinks {
			method := "GET"
			if h, ok := x["hints"].(map[string]any); ok {
				if allow, ok := h["allow"].([]any); ok && len(allow) > 0 {
					method, _ = allow[0].(string)
				}
			}
			out[href] = method
		}
		for k, m := range x {
			collectHrefs(m, inLinks || k == "_links", out)
		}
	case []any:
		for _, m := range x {
			collectHrefs(m, inLinks, out)
		}
	}
}

// TestEveryLinkIsServed walks the _links of the management API's answers
// for an org with one of everything and asks each href: none may answer 404
// (nothing there) or 405 (no such operation). A link whose hints allow only
// another method (a lifecycle POST, say) is asked with GET and must answer
// 405 naming that method, which shows the operation exists without
// performing it.
func TestEveryLinkIsServed(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		group := ts.newGroup(t, "Engineering")
		if a := ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+group+"/users/"+user.ID, nil); a.status != 204 {
			t.Fatalf("membership: %d", a.status)
		}
		_, _, appID := ts.oidcApp(t, "Portal", "web", "client_secret_basic", []string{"authorization_code", "refresh_token"}, []string{"code"},
			map[string]any{"initiate_login_uri": "https://portal.test/login"})
		ts.assign(t, appID, user.ID)
		if a := ts.mgmt(t, http.MethodPut, "/api/v1/apps/"+appID+"/groups/"+group, map[string]any{}); a.status != 200 {
			t.Fatalf("group assignment: %d %s", a.status, a.body)
		}
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/trustedOrigins", map[string]any{"name": "Portal", "origin": "http://portal.test",
			"scopes": []map[string]any{{"type": "CORS"}}}); a.status != 200 {
			t.Fatalf("origin: %d %s", a.status, a.body)
		}
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/groups/rules", ruleBody("R", `user.department == "x"`, []string{group}, nil)); a.status != 200 {
			t.Fatalf("rule: %d %s", a.status, a.body)
		}
		servers := ts.mgmt(t, http.MethodGet, "/api/v1/authorizationServers", nil)
		var as []map[string]any
		if err := json.Unmarshal(servers.body, &as); err != nil {
			t.Fatal(err)
		}
		sid := as[0]["id"].(string)
		ts.mgmt(t, http.MethodPost, "/api/v1/authorizationServers/"+sid+"/scopes", map[string]any{"name": "reports.read"})

		// The person's dashboard links and the group's apps name the app.
		a := ts.mgmt(t, http.MethodGet, "/api/v1/users/"+user.ID+"/appLinks", nil)
		var appLinks []map[string]any
		if err := json.Unmarshal(a.body, &appLinks); err != nil {
			t.Fatal(err)
		}
		if a.status != 200 || len(appLinks) != 1 || appLinks[0]["label"] != "Portal" || appLinks[0]["appInstanceId"] != appID ||
			!strings.HasPrefix(appLinks[0]["linkUrl"].(string), ts.URL+"/home/oidc_client/"+appID) {
			t.Fatalf("appLinks: %d %s", a.status, a.body)
		}
		a = ts.mgmt(t, http.MethodGet, "/api/v1/groups/"+group+"/apps", nil)
		if a.status != 200 || !strings.Contains(string(a.body), `"id":"`+appID+`"`) {
			t.Fatalf("group apps: %d %s", a.status, a.body)
		}
		wantError(t, "apps of an unknown group", ts.mgmt(t, http.MethodGet, "/api/v1/groups/00gnothere/apps", nil), 404, "E0000007")
		wantError(t, "appLinks of an unknown user", ts.mgmt(t, http.MethodGet, "/api/v1/users/00unothere/appLinks", nil), 404, "E0000007")
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/groups/"+ts.newGroup(t, "Empty")+"/apps", nil); a.status != 200 || strings.TrimSpace(string(a.body)) != "[]" {
			t.Fatalf("apps of a group with none: %d %s", a.status, a.body)
		}

		starts := []string{"/api/v1/users", "/api/v1/users/" + user.ID, "/api/v1/users/" + user.ID + "/groups", "/api/v1/users/" + user.ID + "/roles",
			"/api/v1/users/" + user.ID + "/appLinks", "/api/v1/users/" + user.ID + "/factors", "/api/v1/groups", "/api/v1/groups/" + group,
			"/api/v1/groups/" + group + "/users", "/api/v1/groups/" + group + "/apps", "/api/v1/groups/rules", "/api/v1/apps", "/api/v1/apps/" + appID,
			"/api/v1/apps/" + appID + "/users", "/api/v1/apps/" + appID + "/groups", "/api/v1/apps/" + appID + "/credentials/secrets",
			"/api/v1/apps/" + appID + "/credentials/keys", "/api/v1/trustedOrigins", "/api/v1/authorizationServers", "/api/v1/authorizationServers/" + sid,
			"/api/v1/authorizationServers/" + sid + "/scopes", "/api/v1/authorizationServers/" + sid + "/claims", "/api/v1/authorizationServers/" + sid + "/policies",
			"/api/v1/meta/schemas/user/default", "/api/v1/meta/types/user", "/api/v1/policies?type=OKTA_SIGN_ON", "/api/v1/api-tokens"}
		hrefs := map[string]string{}
		for _, path := range starts {
			a := ts.mgmt(t, http.MethodGet, path, nil)
			if a.status != 200 {
				t.Fatalf("GET %s: %d %s", path, a.status, a.body)
			}
			var v any
			if err := json.Unmarshal(a.body, &v); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			collectHrefs(v, false, hrefs)
		}
		// Policies' rules, one level further.
		for href := range hrefs {
			if strings.HasSuffix(href, "/rules") && strings.Contains(href, "/policies/") {
				a := ts.mgmt(t, http.MethodGet, strings.TrimPrefix(href, ts.URL), nil)
				var v any
				if err := json.Unmarshal(a.body, &v); err != nil {
					t.Fatal(err)
				}
				collectHrefs(v, false, hrefs)
			}
		}
		var links []string
		for href := range hrefs {
			links = append(links, href)
		}
		sort.Strings(links)
		checked := 0
		for _, href := range links {
			if !strings.HasPrefix(href, ts.URL+"/") {
				continue // another origin's (an app's own URLs)
			}
			a := walkGet(t, ts, href)
			checked++
			want := hrefs[href]
			switch {
			case strings.Contains(href, "/home/") && (a.status != 302 || a.header.Get("Location") != "https://portal.test/login"):
				t.Errorf("%s: %d to %q, want 302 to the app's initiate_login_uri", href, a.status, a.header.Get("Location"))
			case want == "GET" && (a.status == 404 || a.status == 405):
				t.Errorf("%s answers GET with %d: %s", href, a.status, a.body)
			case want != "GET" && a.status != 405 && a.status != 200:
				t.Errorf("%s (for %s) answers GET with %d: %s", href, want, a.status, a.body)
			case want != "GET" && a.status == 405 && !strings.Contains(a.header.Get("Allow"), want):
				t.Errorf("%s is for %s but allows %q", href, want, a.header.Get("Allow"))
			}
		}
		if checked < 30 {
			t.Fatalf("only %d links walked: %v", checked, links)
		}
		t.Logf("%d links walked", checked)
	})
}

// walkGet asks href with the API token, not following a redirect.
func walkGet(t *testing.T, ts *testServer, href string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.Addr+strings.TrimPrefix(href, ts.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "SSWS "+ts.APIToken)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}
