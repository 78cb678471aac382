package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

// scanBudget lowers service.ScanBudget for one test, so that a search
// that selects few rows ends its pages early without seeding tens of
// thousands of them.
func scanBudget(t *testing.T, n int) {
	old := service.ScanBudget
	service.ScanBudget = n
	t.Cleanup(func() { service.ScanBudget = old })
}

// walkPages follows rel="next" from path, returning each page's ids and
// whether it had a next link.
func walkPages(t *testing.T, ts *testServer, path string) (pages [][]string, nexts []bool) {
	t.Helper()
	for path != "" {
		if len(pages) > 200 {
			t.Fatal("pagination does not end")
		}
		a := ts.mgmt(t, http.MethodGet, path, nil)
		var page []map[string]any
		if err := json.Unmarshal(a.body, &page); err != nil || a.status != 200 {
			t.Fatalf("list %s: %d %s", path, a.status, a.body)
		}
		var ids []string
		for _, x := range page {
			id, ok := x["id"].(string)
			if !ok {
				id, _ = x["client_id"].(string) // /oauth2/v1/clients
			}
			ids = append(ids, id)
		}
		path = nextLink(t, ts, a)
		pages, nexts = append(pages, ids), append(nexts, path != "")
	}
	return pages, nexts
}

// onceEach checks that the pages hold exactly want, each once.
func onceEach(t *testing.T, name string, pages [][]string, want map[string]bool) {
	t.Helper()
	seen := map[string]int{}
	for _, p := range pages {
		for _, id := range p {
			seen[id]++
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("%s: %s seen %d times", name, id, seen[id])
		}
	}
	for id, n := range seen {
		if !want[id] {
			t.Errorf("%s: %s listed (%d times) but does not match", name, id, n)
		}
	}
}

// TestUsersSearchReadBound: a search on an attribute no index holds reads
// at most service.ScanBudget users per request; a page that stops there
// holds fewer than limit users (maybe none) with a next link after the
// last user read, and walking on finds every match exactly once. Indexed
// searches fill their pages.
func TestUsersSearchReadBound(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		needles := map[string]bool{}
		const n = 40
		for i := range n {
			p := person(fmt.Sprintf("hay%02d@example.com", i))
			p["department"] = "Hay"
			if i%9 == 4 {
				p["department"] = "Needle"
				p["login"], p["email"] = fmt.Sprintf("needle%02d@example.com", i), fmt.Sprintf("needle%02d@example.com", i)
			}
			u := ts.createUser(t, "", p, "")
			if p["department"] == "Needle" {
				needles[u["id"].(string)] = true
			}
		}
		scanBudget(t, 5)

		search := "/api/v1/users?limit=2&search=" + url.QueryEscape(`profile.department eq "Needle"`)
		pages, nexts := walkPages(t, ts, search)
		onceEach(t, "search department", pages, needles)
		// 41 users (with the admin) read 5 at a time: at least 9 requests,
		// and some end short with a next link.
		short := 0
		for i, p := range pages {
			if len(p) < 2 && nexts[i] {
				short++
			}
		}
		if len(pages) < (n+1)/5 || short == 0 {
			t.Errorf("search department: %d pages, %d short with a next link; want the bound to end pages early", len(pages), short)
		}

		// The same walk with a larger page, and through filter's or with an
		// indexed attribute plus a non-indexed one.
		pages, _ = walkPages(t, ts, "/api/v1/users?limit=200&search="+url.QueryEscape(`profile.department eq "needle" and status eq "PROVISIONED" or profile.department eq "NEEDLE" and status eq "ACTIVE"`))
		onceEach(t, "search with status", pages, needles)

		// The login index selects exactly the matches: full pages.
		pages, nexts = walkPages(t, ts, "/api/v1/users?limit=2&search="+url.QueryEscape(`profile.login sw "needle"`))
		onceEach(t, "search login prefix", pages, needles)
		for i, p := range pages {
			if nexts[i] && len(p) != 2 {
				t.Errorf("indexed search: page %d has %d users and a next link", i, len(p))
			}
		}

		// An empty page with a next link is a page, not the end.
		a := ts.mgmt(t, http.MethodGet, "/api/v1/users?limit=2&search="+url.QueryEscape(`profile.department eq "nobody"`), nil)
		if got := a.list(t); len(got) != 0 || nextLink(t, ts, a) == "" {
			t.Errorf("search for nobody: %d users, links %v (want none and a next link)", len(got), a.header.Values("Link"))
		}

		for _, bad := range []struct{ name, query, code string }{
			{"unterminated", `search=` + url.QueryEscape(`profile.department eq "Needle`), "E0000031"},
			{"no operator", `search=` + url.QueryEscape(`profile.department "Needle"`), "E0000031"},
			{"unknown operator", `search=` + url.QueryEscape(`profile.department like "Needle"`), "E0000031"},
			{"dangling and", `search=` + url.QueryEscape(`profile.department eq "Needle" and`), "E0000031"},
			{"unsupported attribute", `search=` + url.QueryEscape(`credentials.password eq "x"`), "E0000094"},
		} {
			wantError(t, bad.name, ts.mgmt(t, http.MethodGet, "/api/v1/users?"+bad.query, nil), 400, bad.code)
		}
		// Cursors are ids; one that is no id (or not even UTF-8) is a
		// position like any other, never a server error.
		for _, after := range []string{"zzzz", "%FF%FE", "%00", url.QueryEscape(strings.Repeat("x", 2000)), url.QueryEscape(`' OR 1=1 --`)} {
			for _, q := range []string{"", "&search=" + url.QueryEscape(`profile.department eq "Needle"`)} {
				a := ts.mgmt(t, http.MethodGet, "/api/v1/users?limit=2&after="+after+q, nil)
				if a.status != 200 && a.status != 400 {
					t.Errorf("after=%s%s: %d %s", after, q, a.status, a.body)
				}
			}
		}
	})
}

// TestGroupsQAndSearchReadBound: q seeks the folded-name index, so its
// pages are full and in name order whatever the other groups; search and
// filter read at most service.ScanBudget groups per request, ending pages
// early with a next link, and a walk finds every match once.
func TestGroupsQAndSearchReadBound(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		mk := func(name, desc string) string {
			t.Helper()
			a := ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": name, "description": desc}})
			if a.status != 200 {
				t.Fatalf("create group %s: %d %s", name, a.status, a.body)
			}
			return a.json(t)["id"].(string)
		}
		alphas, needles, alphaNeedles := map[string]bool{}, map[string]bool{}, map[string]bool{}
		var alphaOrder []string
		for i := range 30 {
			name, desc := fmt.Sprintf("Beta %02d", i), "hay"
			if i%3 == 0 {
				// Mixed case: q ignores it, and the order follows the
				// folded names.
				name = fmt.Sprintf("aLPha %02d", i)
				if i%2 == 0 {
					name = fmt.Sprintf("Alpha %02d", i)
				}
			}
			if i%4 == 1 || i%6 == 0 {
				desc = "needle"
			}
			id := mk(name, desc)
			if strings.HasPrefix(strings.ToLower(name), "alpha") {
				alphas[id] = true
				alphaOrder = append(alphaOrder, id)
				if desc == "needle" {
					alphaNeedles[id] = true
				}
			}
			if desc == "needle" {
				needles[id] = true
			}
		}
		eclair := mk("Éclair", "")
		scanBudget(t, 4)

		pages, nexts := walkPages(t, ts, "/api/v1/groups?limit=3&q=ALP")
		onceEach(t, "q=ALP", pages, alphas)
		if got := slicesConcat(pages); strings.Join(got, ",") != strings.Join(alphaOrder, ",") {
			t.Errorf("q=ALP order: %v, want %v (folded names)", got, alphaOrder)
		}
		for i, p := range pages {
			if nexts[i] && len(p) != 3 {
				t.Errorf("q=ALP: page %d has %d groups and a next link (q reads an index)", i, len(p))
			}
		}
		pages, _ = walkPages(t, ts, "/api/v1/groups?q="+url.QueryEscape("éC"))
		onceEach(t, "q=éC", pages, map[string]bool{eclair: true})
		pages, _ = walkPages(t, ts, "/api/v1/groups?q=zzz")
		onceEach(t, "q=zzz", pages, nil)

		pages, nexts = walkPages(t, ts, "/api/v1/groups?limit=2&search="+url.QueryEscape(`profile.description eq "needle"`))
		onceEach(t, "search needle", pages, needles)
		short := 0
		for i, p := range pages {
			if len(p) < 2 && nexts[i] {
				short++
			}
		}
		if short == 0 {
			t.Errorf("search needle: no page ended early (%d pages)", len(pages))
		}
		pages, _ = walkPages(t, ts, "/api/v1/groups?limit=2&q=alpha&search="+url.QueryEscape(`profile.description eq "needle"`))
		onceEach(t, "q and search", pages, alphaNeedles)
		pages, _ = walkPages(t, ts, "/api/v1/groups?limit=2&filter="+url.QueryEscape(`type eq "OKTA_GROUP"`))
		all := maps(alphas, needles)
		for _, p := range pages {
			for _, id := range p {
				all[id] = true // every OKTA_GROUP; checked for duplicates below
			}
		}
		onceEach(t, "filter type", pages, all)

		for _, bad := range []struct{ name, query, code string }{
			{"search syntax", "search=" + url.QueryEscape(`profile.name eq "x`), "E0000031"},
			{"search unknown operator", "search=" + url.QueryEscape(`profile.name like "x"`), "E0000031"},
			{"search attribute", "search=" + url.QueryEscape(`profile.secret eq "x"`), "E0000094"},
			{"filter attribute", "filter=" + url.QueryEscape(`profile.name eq "x"`), "E0000094"},
			{"q cursor not base64", "q=alp&after=" + url.QueryEscape("!!!.00g1"), "E0000001"},
			{"q cursor without id", "q=alp&after=YWxw", "E0000001"},
			{"q cursor not UTF-8", "q=alp&after=" + url.QueryEscape("_w.00g1"), "E0000001"},
			{"cursor not UTF-8", "after=%FF", "E0000001"},
		} {
			wantError(t, bad.name, ts.mgmt(t, http.MethodGet, "/api/v1/groups?"+bad.query, nil), 400, bad.code)
		}
		// A well-formed cursor that names no group is a position like any
		// other.
		for _, query := range []string{"after=00gnone", "q=alp&after=YWxwaGEgOTk.00gnone", "search=" + url.QueryEscape(`type eq "x"`) + "&after=00gnone"} {
			if a := ts.mgmt(t, http.MethodGet, "/api/v1/groups?"+query, nil); a.status != 200 {
				t.Errorf("%s: %d %s", query, a.status, a.body)
			}
		}
	})
}

func slicesConcat(pages [][]string) []string {
	var out []string
	for _, p := range pages {
		out = append(out, p...)
	}
	return out
}

func maps(ms ...map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// TestAppsReadBound: the apps, clients and group-apps lists that test apps
// in memory read at most service.ScanBudget apps per request, ending pages
// early with a next link, and a walk finds every match once; a list
// nothing filters still fills its pages.
func TestAppsReadBound(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		g := ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": "Assigned"}})
		if g.status != 200 {
			t.Fatalf("create group: %d %s", g.status, g.body)
		}
		groupID := g.json(t)["id"].(string)
		alphas, alphaClients, assigned, all := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
		for i := range 16 {
			label := fmt.Sprintf("Beta %02d", i)
			if i%5 == 0 {
				label = fmt.Sprintf("Alpha %02d", i)
			}
			clientID, _, id := ts.oidcApp(t, label, "web", "client_secret_basic", []string{"authorization_code"}, []string{"code"}, nil)
			all[id] = true
			if i%5 == 0 {
				alphas[id], alphaClients[clientID] = true, true
			}
			if i%6 == 1 {
				assigned[id] = true
				if a := ts.mgmt(t, http.MethodPut, "/api/v1/apps/"+id+"/groups/"+groupID, map[string]any{}); a.status != 200 {
					t.Fatalf("assign group: %d %s", a.status, a.body)
				}
			}
		}
		scanBudget(t, 4)
		for _, c := range []struct {
			name, path string
			want       map[string]bool
			short      bool // some page must end early
		}{
			{"apps q", "/api/v1/apps?limit=2&q=alp", alphas, true},
			{"apps filter", "/api/v1/apps?limit=2&filter=" + url.QueryEscape(`group.id eq "`+groupID+`"`), assigned, true},
			{"clients q", "/oauth2/v1/clients?limit=2&q=alp", alphaClients, true},
			{"group apps", "/api/v1/groups/" + groupID + "/apps?limit=2", assigned, true},
			{"apps", "/api/v1/apps?limit=5", all, false},
		} {
			pages, nexts := walkPages(t, ts, c.path)
			onceEach(t, c.name, pages, c.want)
			short := 0
			for i, p := range pages {
				if len(p) < 2 && nexts[i] {
					short++
				}
				if !c.short && nexts[i] && len(p) != 5 {
					t.Errorf("%s: page %d has %d apps and a next link", c.name, i, len(p))
				}
			}
			if c.short && short == 0 {
				t.Errorf("%s: no page ended early (%d pages)", c.name, len(pages))
			}
		}
	})
}
