package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// walk follows rel="next" links from path and returns every object listed.
func (ts *testServer) walk(t *testing.T, path string) []map[string]any {
	t.Helper()
	var all []map[string]any
	for pages := 0; path != ""; pages++ {
		if pages > 50 {
			t.Fatalf("more than 50 pages")
		}
		a := ts.mgmt(t, http.MethodGet, path, nil)
		var items []map[string]any
		if err := json.Unmarshal(a.body, &items); err != nil || a.status != 200 {
			t.Fatalf("list %s: %d %s", path, a.status, a.body)
		}
		all = append(all, items...)
		path = ""
		for _, l := range a.header.Values("Link") {
			if strings.HasSuffix(l, `>; rel="next"`) {
				path = strings.TrimPrefix(strings.TrimSuffix(l, `>; rel="next"`), "<"+ts.URL)
			}
		}
	}
	return all
}

func ids(items []map[string]any) map[string]int {
	out := map[string]int{}
	for _, it := range items {
		out[it["id"].(string)]++
	}
	return out
}

// TestGroups covers /api/v1/groups and memberships (§4.8).
func TestGroups(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))

		// Terraform's lookup of the built-in group.
		a := ts.mgmt(t, http.MethodGet, "/api/v1/groups?q=Everyone", nil)
		var found []map[string]any
		if err := json.Unmarshal(a.body, &found); err != nil || a.status != 200 || len(found) != 1 {
			t.Fatalf("q=Everyone: %d %s", a.status, a.body)
		}
		everyone := found[0]
		everyoneID := everyone["id"].(string)
		if everyone["type"] != "BUILT_IN" || everyone["profile"].(map[string]any)["name"] != "Everyone" {
			t.Fatalf("Everyone: %s", a.body)
		}

		// Create.
		req := map[string]any{"profile": map[string]any{"name": "Engineering", "description": "Builds things"}}
		a = ts.mgmt(t, http.MethodPost, "/api/v1/groups", req)
		if a.status != 200 {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		g := a.json(t)
		gid, _ := g["id"].(string)
		prof := g["profile"].(map[string]any)
		if !strings.HasPrefix(gid, "00g") || len(gid) != 20 || g["type"] != "OKTA_GROUP" || prof["name"] != "Engineering" || prof["description"] != "Builds things" {
			t.Fatalf("created: %s", a.body)
		}
		if oc, _ := g["objectClass"].([]any); len(oc) != 1 || oc[0] != "okta:user_group" {
			t.Fatalf("objectClass: %s", a.body)
		}
		for _, k := range []string{"created", "lastUpdated", "lastMembershipUpdated"} {
			if _, err := time.Parse("2006-01-02T15:04:05.000Z", g[k].(string)); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
		links := g["_links"].(map[string]any)
		if links["users"].(map[string]any)["href"] != ts.URL+"/api/v1/groups/"+gid+"/users" || links["apps"] == nil || links["logo"] == nil {
			t.Fatalf("links: %s", a.body)
		}

		// Bad input.
		if c := wantError(t, "duplicate name", ts.mgmt(t, http.MethodPost, "/api/v1/groups", req), 400, "E0000001"); len(c) != 1 || c[0] != "name: An object with this field already exists" {
			t.Fatalf("duplicate causes: %v", c)
		}
		wantError(t, "blank name", ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": " "}}), 400, "E0000001")
		wantError(t, "no profile", ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{}), 400, "E0000001")
		wantError(t, "long name", ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": strings.Repeat("n", 256)}}), 400, "E0000001")
		wantError(t, "malformed", ts.do(t, http.MethodPost, "/api/v1/groups", "SSWS "+ts.APIToken, "application/json", []byte(`{"profile":`)), 400, "E0000003")
		wantError(t, "name not a string", ts.do(t, http.MethodPost, "/api/v1/groups", "SSWS "+ts.APIToken, "application/json", []byte(`{"profile":{"name":7}}`)), 400, "E0000003")
		wantError(t, "unknown group", ts.mgmt(t, http.MethodGet, "/api/v1/groups/00gNOPE", nil), 404, "E0000007")
		wantError(t, "no credentials", ts.do(t, http.MethodGet, "/api/v1/groups", "", "", nil), 401, "E0000011")
		wantError(t, "bad limit", ts.mgmt(t, http.MethodGet, "/api/v1/groups?limit=-1", nil), 400, "E0000001")

		// Read and replace.
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/groups/"+gid, nil); a.status != 200 || a.json(t)["id"] != gid {
			t.Fatalf("get: %d %s", a.status, a.body)
		}
		a = ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+gid, map[string]any{"profile": map[string]any{"name": "Eng"}})
		if a.status != 200 {
			t.Fatalf("put: %d %s", a.status, a.body)
		}
		if p := a.json(t)["profile"].(map[string]any); p["name"] != "Eng" || p["description"] != nil {
			t.Fatalf("put: %s", a.body)
		}
		wantError(t, "rename onto Everyone", ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+gid, map[string]any{"profile": map[string]any{"name": "Everyone"}}), 400, "E0000001")

		// Everyone is protected.
		wantError(t, "update Everyone", ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+everyoneID, map[string]any{"profile": map[string]any{"name": "All"}}), 403, "E0000006")
		wantError(t, "delete Everyone", ts.mgmt(t, http.MethodDelete, "/api/v1/groups/"+everyoneID, nil), 403, "E0000006")

		// q is a case-insensitive prefix of the name.
		for _, n := range []string{"eng-tools", "ENG-ops", "Sales"} {
			if a := ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": n}}); a.status != 200 {
				t.Fatalf("create %s: %d %s", n, a.status, a.body)
			}
		}
		names := map[string]bool{}
		for _, it := range ts.walk(t, "/api/v1/groups?q=eNg&limit=1") {
			names[it["profile"].(map[string]any)["name"].(string)] = true
		}
		if len(names) != 3 || !names["Eng"] || !names["eng-tools"] || !names["ENG-ops"] {
			t.Fatalf("q=eNg: %v", names)
		}
		// Paging walks every group once.
		all := ids(ts.walk(t, "/api/v1/groups?limit=2"))
		if len(all) != 5 || all[everyoneID] != 1 || all[gid] != 1 {
			t.Fatalf("walk: %v", all)
		}

		// filter and search (§4.8).
		listed := func(path string) map[string]int {
			t.Helper()
			return ids(ts.walk(t, path))
		}
		if got := listed(`/api/v1/groups?filter=` + url.QueryEscape(`type eq "BUILT_IN"`)); len(got) != 1 || got[everyoneID] != 1 {
			t.Fatalf("filter type: %v", got)
		}
		if got := listed(`/api/v1/groups?filter=` + url.QueryEscape(`id eq "`+gid+`" or id eq "`+everyoneID+`"`)); len(got) != 2 || got[gid] != 1 {
			t.Fatalf("filter id: %v", got)
		}
		created, err := time.Parse("2006-01-02T15:04:05.000Z", g["created"].(string))
		if err != nil {
			t.Fatal(err)
		}
		since := created.Add(-time.Millisecond).Format("2006-01-02T15:04:05.000Z")
		if got := listed(`/api/v1/groups?limit=1&filter=` + url.QueryEscape(`lastUpdated gt "`+since+`" and type eq "OKTA_GROUP"`)); len(got) != 4 || got[everyoneID] != 0 {
			t.Fatalf("filter lastUpdated: %v", got)
		}
		if got := listed(`/api/v1/groups?search=` + url.QueryEscape(`profile.name sw "eng-" and not (profile.name eq "eng-tools")`)); len(got) != 1 {
			t.Fatalf("search: %v", got)
		}
		if got := listed(`/api/v1/groups?q=Sa&search=` + url.QueryEscape(`profile.description pr`)); len(got) != 0 {
			t.Fatalf("q and search: %v", got)
		}
		wantError(t, "filter on a search attribute", ts.mgmt(t, http.MethodGet, "/api/v1/groups?filter="+url.QueryEscape(`profile.name eq "Eng"`), nil), 400, "E0000094")
		wantError(t, "bad filter", ts.mgmt(t, http.MethodGet, "/api/v1/groups?filter="+url.QueryEscape(`type eq`), nil), 400, "E0000031")
		wantError(t, "bad search", ts.mgmt(t, http.MethodGet, "/api/v1/groups?search="+url.QueryEscape(`(profile.name eq "x"`), nil), 400, "E0000031")

		// Members.
		var users []*store.User
		for _, l := range []string{"m1@example.com", "m2@example.com", "m3@example.com"} {
			users = append(users, ts.newUser(t, l))
		}
		before := ts.mgmt(t, http.MethodGet, "/api/v1/groups/"+gid, nil).json(t)["lastMembershipUpdated"]
		for _, u := range users {
			for i := 0; i < 2; i++ { // PUT is idempotent
				if a := ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+gid+"/users/"+u.ID, nil); a.status != 204 || len(a.body) != 0 {
					t.Fatalf("add member: %d %s", a.status, a.body)
				}
			}
		}
		members := ts.walk(t, "/api/v1/groups/"+gid+"/users?limit=2")
		if got := ids(members); len(got) != 3 || got[users[0].ID] != 1 || got[users[1].ID] != 1 || got[users[2].ID] != 1 {
			t.Fatalf("members: %v", got)
		}
		if members[0]["profile"].(map[string]any)["login"] == nil || members[0]["status"] != "ACTIVE" {
			t.Fatalf("member object: %v", members[0])
		}
		if after := ts.mgmt(t, http.MethodGet, "/api/v1/groups/"+gid, nil).json(t)["lastMembershipUpdated"]; after == before {
			t.Fatalf("lastMembershipUpdated unchanged: %v", after)
		}
		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/groups/"+gid+"/users/"+users[1].ID, nil); a.status != 204 {
			t.Fatalf("remove member: %d %s", a.status, a.body)
		}
		if got := ids(ts.walk(t, "/api/v1/groups/"+gid+"/users")); len(got) != 2 || got[users[1].ID] != 0 {
			t.Fatalf("after remove: %v", got)
		}
		wantError(t, "unknown user", ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+gid+"/users/00uNOPE", nil), 404, "E0000007")
		wantError(t, "unknown group member", ts.mgmt(t, http.MethodPut, "/api/v1/groups/00gNOPE/users/"+users[0].ID, nil), 404, "E0000007")
		wantError(t, "members of unknown group", ts.mgmt(t, http.MethodGet, "/api/v1/groups/00gNOPE/users", nil), 404, "E0000007")
		wantError(t, "add to Everyone", ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+everyoneID+"/users/"+users[0].ID, nil), 403, "E0000006")
		wantError(t, "remove from Everyone", ts.mgmt(t, http.MethodDelete, "/api/v1/groups/"+everyoneID+"/users/"+users[0].ID, nil), 403, "E0000006")

		// Everyone holds every user, the administrator too.
		n, err := ts.App.Store.Users().Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(ts.walk(t, "/api/v1/groups/"+everyoneID+"/users?limit=3")); len(got) != n || n != 4 {
			t.Fatalf("Everyone members: %v of %d", got, n)
		}

		// A user's groups include Everyone.
		a = ts.mgmt(t, http.MethodGet, "/api/v1/users/"+users[0].ID+"/groups", nil)
		var ug []map[string]any
		if err := json.Unmarshal(a.body, &ug); err != nil || a.status != 200 {
			t.Fatalf("user groups: %d %s", a.status, a.body)
		}
		if got := ids(ug); len(got) != 2 || got[everyoneID] != 1 || got[gid] != 1 {
			t.Fatalf("user groups: %v", got)
		}
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/users/"+users[1].Login+"/groups", nil); a.status != 200 || strings.Contains(string(a.body), gid) {
			t.Fatalf("removed user's groups by login: %d %s", a.status, a.body)
		}
		wantError(t, "unknown user's groups", ts.mgmt(t, http.MethodGet, "/api/v1/users/00uNOPE/groups", nil), 404, "E0000007")

		// Delete.
		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/groups/"+gid, nil); a.status != 204 || len(a.body) != 0 {
			t.Fatalf("delete: %d %s", a.status, a.body)
		}
		wantError(t, "deleted group", ts.mgmt(t, http.MethodGet, "/api/v1/groups/"+gid, nil), 404, "E0000007")
		wantError(t, "delete again", ts.mgmt(t, http.MethodDelete, "/api/v1/groups/"+gid, nil), 404, "E0000007")
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/groups/"+everyoneID, nil); a.status != 200 {
			t.Fatalf("Everyone after refusals: %d %s", a.status, a.body)
		}

		ev := eventTypes(t, ts)
		for typ, want := range map[string]int{"group.lifecycle.create": 4, "group.profile.update": 1, "group.lifecycle.delete": 1,
			"group.user_membership.add": 3, "group.user_membership.remove": 1} {
			if ev[typ] != want {
				t.Errorf("%s: %d events, want %d", typ, ev[typ], want)
			}
		}
	})
}

// TestAppAssignments covers /api/v1/apps/{id}/users and …/groups (§4.1.2)
// and service.IsAssigned.
func TestAppAssignments(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ctx := context.Background()
		appID, _, _ := ts.serviceApp(t, "assigned")
		direct, viaGroup, anyone := ts.newUser(t, "direct@example.com"), ts.newUser(t, "group@example.com"), ts.newUser(t, "anyone@example.com")
		assigned := func(u *store.User) bool {
			t.Helper()
			ok, err := ts.App.Service.IsAssigned(ctx, appID, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		for _, u := range []*store.User{direct, viaGroup, anyone} {
			if assigned(u) {
				t.Fatalf("%s assigned before any assignment", u.Login)
			}
		}

		// Direct assignment.
		body := map[string]any{"id": direct.ID, "scope": "USER", "credentials": map[string]any{"userName": "direct-in-app"}}
		a := ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+appID+"/users", body)
		if a.status != 200 {
			t.Fatalf("assign user: %d %s", a.status, a.body)
		}
		au := a.json(t)
		if au["id"] != direct.ID || au["scope"] != "USER" || au["credentials"].(map[string]any)["userName"] != "direct-in-app" || au["syncState"] == nil {
			t.Fatalf("app user: %s", a.body)
		}
		l := au["_links"].(map[string]any)
		if l["app"].(map[string]any)["href"] != ts.URL+"/api/v1/apps/"+appID || l["user"].(map[string]any)["href"] != ts.URL+"/api/v1/users/"+direct.ID {
			t.Fatalf("app user links: %s", a.body)
		}
		twice := ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+appID+"/users", body)
		wantError(t, "assign twice", twice, 409, "E0000062")
		if m := twice.json(t); m["errorSummary"] != "The specified user is already assigned to the application." {
			t.Fatalf("409 summary: %v", m)
		}
		if !assigned(direct) || assigned(viaGroup) {
			t.Fatal("direct assignment not in force")
		}
		// The user name defaults to the login.
		a = ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+appID+"/users", map[string]any{"id": anyone.ID})
		if a.status != 200 || a.json(t)["credentials"].(map[string]any)["userName"] != anyone.Login {
			t.Fatalf("assign with defaults: %d %s", a.status, a.body)
		}
		if got := ids(ts.walk(t, "/api/v1/apps/"+appID+"/users?limit=1")); len(got) != 2 || got[direct.ID] != 1 || got[anyone.ID] != 1 {
			t.Fatalf("app users: %v", got)
		}
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+appID+"/users/"+direct.ID, nil); a.status != 200 || a.json(t)["scope"] != "USER" {
			t.Fatalf("get app user: %d %s", a.status, a.body)
		}
		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/apps/"+appID+"/users/"+anyone.ID, nil); a.status != 204 || len(a.body) != 0 {
			t.Fatalf("unassign: %d %s", a.status, a.body)
		}
		if assigned(anyone) {
			t.Fatal("unassigned user still assigned")
		}
		wantError(t, "unassigned app user", ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+appID+"/users/"+anyone.ID, nil), 404, "E0000007")
		wantError(t, "unassign again", ts.mgmt(t, http.MethodDelete, "/api/v1/apps/"+appID+"/users/"+anyone.ID, nil), 404, "E0000007")
		wantError(t, "assign unknown user", ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+appID+"/users", map[string]any{"id": "00uNOPE"}), 404, "E0000007")
		wantError(t, "assign without id", ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+appID+"/users", map[string]any{}), 400, "E0000001")
		wantError(t, "assign to unknown app", ts.mgmt(t, http.MethodPost, "/api/v1/apps/0oaNOPE/users", body), 404, "E0000007")
		wantError(t, "users of unknown app", ts.mgmt(t, http.MethodGet, "/api/v1/apps/0oaNOPE/users", nil), 404, "E0000007")

		// Through a group.
		g := ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": "App users"}}).json(t)
		gid := g["id"].(string)
		if a := ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+gid+"/users/"+viaGroup.ID, nil); a.status != 204 {
			t.Fatalf("add member: %d %s", a.status, a.body)
		}
		if assigned(viaGroup) {
			t.Fatal("member assigned before the group is")
		}
		a = ts.do(t, http.MethodPut, "/api/v1/apps/"+appID+"/groups/"+gid, "SSWS "+ts.APIToken, "application/json", []byte(`{}`))
		if a.status != 200 {
			t.Fatalf("assign group: %d %s", a.status, a.body)
		}
		ag := a.json(t)
		gl := ag["_links"].(map[string]any)
		if ag["id"] != gid || ag["priority"] != float64(0) || gl["self"].(map[string]any)["href"] != ts.URL+"/api/v1/apps/"+appID+"/groups/"+gid ||
			gl["group"].(map[string]any)["href"] != ts.URL+"/api/v1/groups/"+gid || gl["app"].(map[string]any)["href"] != ts.URL+"/api/v1/apps/"+appID {
			t.Fatalf("app group: %s", a.body)
		}
		if !assigned(viaGroup) || assigned(anyone) {
			t.Fatal("group assignment not in force")
		}
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+appID+"/users/"+viaGroup.ID, nil); a.status != 200 || a.json(t)["scope"] != "GROUP" {
			t.Fatalf("app user through a group: %d %s", a.status, a.body)
		}
		// Replacing keeps one assignment and takes the new priority.
		a = ts.mgmt(t, http.MethodPut, "/api/v1/apps/"+appID+"/groups/"+gid, map[string]any{"priority": 3, "profile": map[string]any{}})
		if a.status != 200 || a.json(t)["priority"] != float64(3) {
			t.Fatalf("reassign: %d %s", a.status, a.body)
		}

		// Through Everyone.
		everyone, err := ts.App.Store.Groups().GetByName(ctx, "Everyone")
		if err != nil {
			t.Fatal(err)
		}
		if a := ts.mgmt(t, http.MethodPut, "/api/v1/apps/"+appID+"/groups/"+everyone.ID, map[string]any{"priority": 1}); a.status != 200 {
			t.Fatalf("assign Everyone: %d %s", a.status, a.body)
		}
		if !assigned(anyone) {
			t.Fatal("Everyone's assignment does not cover every user")
		}
		if ok, err := ts.App.Service.IsAssigned(ctx, appID, "00uNOPE"); ok || err != nil {
			t.Fatalf("unknown user assigned through Everyone: %v %v", ok, err)
		}
		got := ids(ts.walk(t, "/api/v1/apps/"+appID+"/groups?limit=1"))
		if len(got) != 2 || got[gid] != 1 || got[everyone.ID] != 1 {
			t.Fatalf("app groups: %v", got)
		}
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+appID+"/groups/"+gid, nil); a.status != 200 || a.json(t)["priority"] != float64(3) {
			t.Fatalf("get app group: %d %s", a.status, a.body)
		}
		wantError(t, "negative priority", ts.mgmt(t, http.MethodPut, "/api/v1/apps/"+appID+"/groups/"+gid, map[string]any{"priority": -1}), 400, "E0000001")
		wantError(t, "malformed assignment", ts.do(t, http.MethodPut, "/api/v1/apps/"+appID+"/groups/"+gid, "SSWS "+ts.APIToken, "application/json", []byte(`{"priority":"x"}`)), 400, "E0000003")
		wantError(t, "assign unknown group", ts.mgmt(t, http.MethodPut, "/api/v1/apps/"+appID+"/groups/00gNOPE", nil), 404, "E0000007")
		wantError(t, "groups of unknown app", ts.mgmt(t, http.MethodGet, "/api/v1/apps/0oaNOPE/groups", nil), 404, "E0000007")

		// Unassigning Everyone and deleting the group withdraw access.
		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/apps/"+appID+"/groups/"+everyone.ID, nil); a.status != 204 {
			t.Fatalf("unassign Everyone: %d %s", a.status, a.body)
		}
		if assigned(anyone) || !assigned(viaGroup) {
			t.Fatal("after unassigning Everyone")
		}
		wantError(t, "unassigned app group", ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+appID+"/groups/"+everyone.ID, nil), 404, "E0000007")
		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/groups/"+gid, nil); a.status != 204 {
			t.Fatalf("delete group: %d %s", a.status, a.body)
		}
		if assigned(viaGroup) || !assigned(direct) {
			t.Fatal("after deleting the group")
		}

		ev := eventTypes(t, ts)
		for typ, want := range map[string]int{"application.user_membership.add": 2, "application.user_membership.remove": 1,
			"group.application_assignment.add": 2, "group.application_assignment.remove": 1} {
			if ev[typ] != want {
				t.Errorf("%s: %d events, want %d", typ, ev[typ], want)
			}
		}
	})
}
