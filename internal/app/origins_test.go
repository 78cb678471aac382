package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

func TestTrustedOrigins(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		const base = "/api/v1/trustedOrigins"

		// Terraform's create body, status included; scheme and host are
		// kept in lower case.
		c := ts.mgmt(t, http.MethodPost, base, map[string]any{"name": "OpenMetadata", "origin": "HTTP://LocalHost:8585", "status": "ACTIVE",
			"scopes": []map[string]any{{"type": "CORS"}, {"type": "REDIRECT"}}})
		if c.status != 200 {
			t.Fatalf("create: %d %s", c.status, c.body)
		}
		o := c.json(t)
		id, _ := o["id"].(string)
		if !strings.HasPrefix(id, "tos") || len(id) != 20 || o["origin"] != "http://localhost:8585" || o["status"] != "ACTIVE" || o["name"] != "OpenMetadata" {
			t.Fatalf("created: %s", c.body)
		}
		if o["createdBy"] == "" || o["createdBy"] != o["lastUpdatedBy"] || o["created"] != o["lastUpdated"] || !strings.HasSuffix(o["created"].(string), "Z") {
			t.Fatalf("audit members: %s", c.body)
		}
		links := o["_links"].(map[string]any)
		if links["self"].(map[string]any)["href"] != ts.URL+base+"/"+id || links["deactivate"] == nil || links["activate"] != nil {
			t.Fatalf("links: %s", c.body)
		}
		if snap := ts.App.Service.Cache.Current(); !snap.OriginAllowed("http://localhost:8585", "CORS") || !snap.OriginAllowed("http://localhost:8585", "REDIRECT") ||
			snap.OriginAllowed("http://localhost:8585", "IFRAME_EMBED") || snap.OriginAllowed("http://localhost:8586", "CORS") {
			t.Fatal("the cache does not reflect the new origin")
		}

		if g := ts.mgmt(t, http.MethodGet, base+"/"+id, nil); g.status != 200 || g.json(t)["origin"] != "http://localhost:8585" {
			t.Fatalf("get: %d %s", g.status, g.body)
		}

		// Lifecycle answers with the object, and the cache follows.
		d := ts.mgmt(t, http.MethodPost, base+"/"+id+"/lifecycle/deactivate", nil)
		if d.status != 200 || d.json(t)["status"] != "INACTIVE" || d.json(t)["_links"].(map[string]any)["activate"] == nil {
			t.Fatalf("deactivate: %d %s", d.status, d.body)
		}
		if ts.App.Service.Cache.Current().OriginAllowed("http://localhost:8585", "CORS") {
			t.Fatal("an inactive origin is still allowed")
		}
		if a := ts.mgmt(t, http.MethodPost, base+"/"+id+"/lifecycle/activate", nil); a.status != 200 || a.json(t)["status"] != "ACTIVE" {
			t.Fatalf("activate: %d %s", a.status, a.body)
		}

		// PUT replaces; without status it keeps the current one.
		u := ts.mgmt(t, http.MethodPut, base+"/"+id, map[string]any{"name": "OM", "origin": "https://om.example.com",
			"scopes": []map[string]any{{"type": "IFRAME_EMBED"}}})
		um := u.json(t)
		if u.status != 200 || um["name"] != "OM" || um["status"] != "ACTIVE" || um["created"] != o["created"] {
			t.Fatalf("update: %d %s", u.status, u.body)
		}
		if sc := um["scopes"].([]any); len(sc) != 1 || sc[0].(map[string]any)["type"] != "IFRAME_EMBED" ||
			sc[0].(map[string]any)["allowedOktaApps"].([]any)[0] != "OKTA_ENDUSER" {
			t.Fatalf("IFRAME_EMBED defaults to the end-user dashboard: %s", u.body)
		}
		snap := ts.App.Service.Cache.Current()
		if snap.OriginAllowed("http://localhost:8585", "CORS") || !snap.OriginAllowed("https://om.example.com", "IFRAME_EMBED") {
			t.Fatal("the cache does not reflect the update")
		}

		// Validation.
		valid := func(over map[string]any) map[string]any {
			m := map[string]any{"name": "x", "origin": "https://x.example.com", "scopes": []map[string]any{{"type": "CORS"}}}
			for k, v := range over {
				m[k] = v
			}
			return m
		}
		for _, bad := range []string{"https://x.example.com/", "https://x.example.com/path", "https://x.example.com?q=1", "https://x.example.com#f",
			"ftp://x.example.com", "x.example.com", "https://", "https://user@x.example.com", "https://x.example.com:99999", "https://x.example.com:",
			"", "javascript:alert(1)", "https://x.example.com:+80"} {
			a := ts.mgmt(t, http.MethodPost, base, valid(map[string]any{"origin": bad}))
			if a.errorCode(t, 400) != "E0000001" || !strings.Contains(string(a.body), "origin: Origin value is not valid") {
				t.Errorf("origin %q: %s", bad, a.body)
			}
		}
		for name, body := range map[string]map[string]any{
			"no name":           valid(map[string]any{"name": "  "}),
			"no scopes":         valid(map[string]any{"scopes": []any{}}),
			"unknown scope":     valid(map[string]any{"scopes": []map[string]any{{"type": "ANY"}}}),
			"repeated scope":    valid(map[string]any{"scopes": []map[string]any{{"type": "CORS"}, {"type": "CORS"}}}),
			"iframe other apps": valid(map[string]any{"scopes": []map[string]any{{"type": "IFRAME_EMBED", "allowedOktaApps": []string{"OKTA_ADMIN"}}}}),
			"apps on CORS":      valid(map[string]any{"scopes": []map[string]any{{"type": "CORS", "allowedOktaApps": []string{"OKTA_ENDUSER"}}}}),
			"bad status":        valid(map[string]any{"status": "ON"}),
			"taken origin":      valid(map[string]any{"origin": "HTTPS://OM.example.com"}),
		} {
			if code := ts.mgmt(t, http.MethodPost, base, body).errorCode(t, 400); code != "E0000001" {
				t.Errorf("%s: %s", name, code)
			}
		}
		if code := ts.mgmt(t, http.MethodPost, base, valid(map[string]any{"name": 7})).errorCode(t, 400); code != "E0000003" {
			t.Errorf("name of the wrong type: %s", code)
		}
		if code := ts.do(t, http.MethodPost, base, "SSWS "+ts.APIToken, "application/json", []byte(`{"name":`)).errorCode(t, 400); code != "E0000003" {
			t.Errorf("malformed body: %s", code)
		}
		if code := ts.mgmt(t, http.MethodGet, base+"/tosNOPE", nil).errorCode(t, 404); code != "E0000007" {
			t.Errorf("get missing: %s", code)
		}
		if code := ts.mgmt(t, http.MethodPut, base+"/tosNOPE", valid(nil)).errorCode(t, 404); code != "E0000007" {
			t.Errorf("update missing: %s", code)
		}
		if code := ts.mgmt(t, http.MethodPost, base+"/tosNOPE/lifecycle/activate", nil).errorCode(t, 404); code != "E0000007" {
			t.Errorf("activate missing: %s", code)
		}

		// Listing: pages, q and filter.
		created := map[string]string{id: "OM"}
		for _, n := range []string{"alpha", "beta", "gamma", "delta"} {
			scopes := []map[string]any{{"type": "CORS"}}
			if n == "beta" {
				scopes = []map[string]any{{"type": "REDIRECT"}}
			}
			a := ts.mgmt(t, http.MethodPost, base, map[string]any{"name": n, "origin": "https://" + n + ".example.com", "scopes": scopes})
			if a.status != 200 {
				t.Fatalf("create %s: %d %s", n, a.status, a.body)
			}
			created[a.json(t)["id"].(string)] = n
		}
		ts.mgmt(t, http.MethodPost, base+"/"+id+"/lifecycle/deactivate", nil)
		seen := map[string]bool{}
		for next, pages := base+"?limit=2", 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			a := ts.mgmt(t, http.MethodGet, next, nil)
			for _, o := range a.list(t) {
				if seen[o["id"].(string)] {
					t.Fatalf("%s listed twice", o["id"])
				}
				seen[o["id"].(string)] = true
			}
			next = nextLink(t, ts, a)
		}
		if len(seen) != len(created) {
			t.Fatalf("walked %d origins, want %d", len(seen), len(created))
		}
		names := func(path string) string {
			t.Helper()
			var out []string
			for _, o := range ts.mgmt(t, http.MethodGet, path, nil).list(t) {
				out = append(out, o["name"].(string))
			}
			return strings.Join(out, ",")
		}
		if got := names(base + "?q=GAM"); got != "gamma" {
			t.Errorf("q by name: %q", got)
		}
		if got := names(base + "?q=" + url.QueryEscape("https://de")); got != "delta" {
			t.Errorf("q by origin: %q", got)
		}
		if got := names(base + "?filter=" + url.QueryEscape(`status eq "INACTIVE"`)); got != "OM" {
			t.Errorf("filter by status: %q", got)
		}
		if got := names(base + "?filter=" + url.QueryEscape(`type eq "REDIRECT"`)); got != "beta" {
			t.Errorf("filter by type: %q", got)
		}
		if got := names(base + "?limit=1&filter=" + url.QueryEscape(`name eq "delta" or origin eq "https://alpha.example.com"`)); got != "alpha" && got != "delta" {
			t.Errorf("a filtered page of one: %q", got)
		}
		if code := ts.mgmt(t, http.MethodGet, base+"?filter="+url.QueryEscape(`name eq`), nil).errorCode(t, 400); code != "E0000031" {
			t.Errorf("bad filter: %s", code)
		}
		if code := ts.mgmt(t, http.MethodGet, base+"?filter="+url.QueryEscape(`created gt "2020-01-01T00:00:00.000Z"`), nil).errorCode(t, 400); code != "E0000094" {
			t.Errorf("unsupported filter attribute: %s", code)
		}
		if code := ts.mgmt(t, http.MethodGet, base+"?limit=x", nil).errorCode(t, 400); code != "E0000001" {
			t.Errorf("bad limit: %s", code)
		}

		// A read-only bearer token reads but does not write.
		bearer := ts.orgBearer(t, "origins-reader", "okta.trustedOrigins.read")
		if a := ts.do(t, http.MethodGet, base, "Bearer "+bearer, "", nil); a.status != 200 {
			t.Fatalf("bearer list: %d %s", a.status, a.body)
		}
		if code := ts.do(t, http.MethodDelete, base+"/"+id, "Bearer "+bearer, "", nil).errorCode(t, 403); code != "E0000006" {
			t.Errorf("bearer delete: %s", code)
		}

		// Delete answers 204 and the origin is gone.
		if a := ts.mgmt(t, http.MethodDelete, base+"/"+id, nil); a.status != 204 || len(a.body) != 0 {
			t.Fatalf("delete: %d %s", a.status, a.body)
		}
		if code := ts.mgmt(t, http.MethodGet, base+"/"+id, nil).errorCode(t, 404); code != "E0000007" {
			t.Errorf("get deleted: %s", code)
		}
		if code := ts.mgmt(t, http.MethodDelete, base+"/"+id, nil).errorCode(t, 404); code != "E0000007" {
			t.Errorf("delete twice: %s", code)
		}
	})
}
