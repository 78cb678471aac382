package app

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// ruleBody is a group rule as the Terraform provider sends it
// (buildGroupRule: type, name, the expression with its type, the excluded
// users and the groups).
func ruleBody(name, expression string, groups, exclude []string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"type": "group_rule", "name": name,
		"conditions": map[string]any{
			"expression": map[string]any{"value": expression, "type": "urn:okta:expression:1.0"},
			"people":     map[string]any{"users": map[string]any{"exclude": exclude}},
		},
		"actions": map[string]any{"assignUserToGroups": map[string]any{"groupIds": groups}},
	})
	return b
}

func (ts *testServer) membersOf(t *testing.T, groupID string) []string {
	t.Helper()
	a := ts.mgmt(t, http.MethodGet, "/api/v1/groups/"+groupID+"/users", nil)
	if a.status != 200 {
		t.Fatalf("members of %s: %d %s", groupID, a.status, a.body)
	}
	var users []struct {
		Profile struct{ Login string } `json:"profile"`
	}
	if err := json.Unmarshal(a.body, &users); err != nil {
		t.Fatal(err)
	}
	var logins []string
	for _, u := range users {
		logins = append(logins, u.Profile.Login)
	}
	slices.Sort(logins)
	return logins
}

func (ts *testServer) newGroup(t *testing.T, name string) string {
	t.Helper()
	a := ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": name}})
	if a.status != 200 {
		t.Fatalf("create group %s: %d %s", name, a.status, a.body)
	}
	return a.json(t)["id"].(string)
}

// TestGroupRules: a rule puts the people its expression matches in its
// groups when it is activated, a person created or changed afterwards is
// evaluated again — added when they come to match, taken out when they stop
// — the excluded are left out, a membership an administrator made is never
// taken away by a rule, deactivation keeps the memberships, and deletion
// with removeUsers takes away only those the rule made.
func TestGroupRules(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		eng, phys := ts.newGroup(t, "Engineering"), ts.newGroup(t, "Physics")
		mk := func(login, dept string) string {
			p := person(login)
			p["department"] = dept
			return ts.createUser(t, "?activate=false", p, "")["id"].(string)
		}
		ada := mk("ada@example.com", "Engineering")
		mk("marie@example.com", "Physics")
		bob := mk("bob@example.com", "Engineering")

		a := ts.mgmt(t, http.MethodPost, "/api/v1/groups/rules", ruleBody("Engineers", `user.department == "Engineering"`, []string{eng}, []string{bob}))
		if a.status != 200 {
			t.Fatalf("create rule: %d %s", a.status, a.body)
		}
		rule := a.json(t)
		id, _ := rule["id"].(string)
		if !strings.HasPrefix(id, "0pr") || rule["status"] != "INACTIVE" || rule["type"] != "group_rule" {
			t.Fatalf("created rule: %s", a.body)
		}
		if got := ts.membersOf(t, eng); len(got) != 0 {
			t.Fatalf("an INACTIVE rule assigned %v", got)
		}
		// The provider deactivates a rule it wants INACTIVE, even a new one.
		lifecycle := func(op string) answer {
			return ts.mgmt(t, http.MethodPost, "/api/v1/groups/rules/"+id+"/lifecycle/"+op, nil)
		}
		if a := lifecycle("deactivate"); a.status != 204 {
			t.Fatalf("deactivate an inactive rule: %d %s", a.status, a.body)
		}
		if a := lifecycle("activate"); a.status != 204 {
			t.Fatalf("activate: %d %s", a.status, a.body)
		}
		sameStrings(t, ts.membersOf(t, eng), []string{"ada@example.com"}, "members after activation (bob excluded, marie no match)")
		if a := lifecycle("activate"); a.status != 204 {
			t.Fatalf("activate again: %d %s", a.status, a.body)
		}

		mk("carol@example.com", "Engineering")
		sameStrings(t, ts.membersOf(t, eng), []string{"ada@example.com", "carol@example.com"}, "a new person who matches")

		// Ada moves to Physics: the rule takes her out again.
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+ada, map[string]any{"profile": map[string]any{"department": "Physics"}}); a.status != 200 {
			t.Fatalf("update ada: %d %s", a.status, a.body)
		}
		sameStrings(t, ts.membersOf(t, eng), []string{"carol@example.com"}, "after ada stopped matching")

		// An administrator puts ada back by hand; a rule never undoes that.
		if a := ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+eng+"/users/"+ada, nil); a.status != 204 {
			t.Fatalf("add ada by hand: %d", a.status)
		}
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+ada, map[string]any{"profile": map[string]any{"title": "Physicist"}}); a.status != 200 {
			t.Fatalf("update ada again: %d", a.status)
		}
		sameStrings(t, ts.membersOf(t, eng), []string{"ada@example.com", "carol@example.com"}, "a hand-made membership stays")

		// An ACTIVE rule cannot be changed or deleted.
		wantError(t, "replace an active rule", ts.mgmt(t, http.MethodPut, "/api/v1/groups/rules/"+id, ruleBody("X", `user.department == "X"`, []string{eng}, nil)), 400, "E0000001")
		wantError(t, "delete an active rule", ts.mgmt(t, http.MethodDelete, "/api/v1/groups/rules/"+id, nil), 400, "E0000001")

		if a := lifecycle("deactivate"); a.status != 204 {
			t.Fatalf("deactivate: %d", a.status)
		}
		sameStrings(t, ts.membersOf(t, eng), []string{"ada@example.com", "carol@example.com"}, "deactivation keeps the memberships")
		mk("dan@example.com", "Engineering")
		sameStrings(t, ts.membersOf(t, eng), []string{"ada@example.com", "carol@example.com"}, "an inactive rule adds nobody")

		// Replace while inactive: a new name, both groups; read it back.
		a = ts.mgmt(t, http.MethodPut, "/api/v1/groups/rules/"+id, ruleBody("Engineers and physicists", `user.department == "Engineering"`, []string{eng, phys}, []string{bob}))
		if a.status != 200 || a.json(t)["name"] != "Engineers and physicists" {
			t.Fatalf("replace: %d %s", a.status, a.body)
		}
		a = ts.mgmt(t, http.MethodGet, "/api/v1/groups/rules/"+id, nil)
		got := a.json(t)
		if a.status != 200 || got["name"] != "Engineers and physicists" {
			t.Fatalf("get: %d %s", a.status, a.body)
		}
		if g, _ := jsonAt(got, "actions.assignUserToGroups.groupIds"); len(g.([]any)) != 2 {
			t.Fatalf("groups read back: %s", a.body)
		}
		if e, _ := jsonAt(got, "conditions.people.users.exclude"); len(e.([]any)) != 1 || e.([]any)[0] != bob {
			t.Fatalf("exclusions read back: %s", a.body)
		}
		if a := lifecycle("activate"); a.status != 204 {
			t.Fatalf("reactivate: %d", a.status)
		}
		sameStrings(t, ts.membersOf(t, eng), []string{"ada@example.com", "carol@example.com", "dan@example.com"}, "dan matched at reactivation")
		sameStrings(t, ts.membersOf(t, phys), []string{"carol@example.com", "dan@example.com"}, "the rule's second group")

		// A list with paging: a second rule, one per page.
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/groups/rules", ruleBody("Physicists", `user.department == "Physics"`, []string{phys}, nil)); a.status != 200 {
			t.Fatalf("second rule: %d %s", a.status, a.body)
		}
		a = ts.mgmt(t, http.MethodGet, "/api/v1/groups/rules?limit=1", nil)
		var page []map[string]any
		if err := json.Unmarshal(a.body, &page); err != nil {
			t.Fatal(err)
		}
		if a.status != 200 || len(page) != 1 || !strings.Contains(strings.Join(a.header.Values("Link"), ","), `rel="next"`) {
			t.Fatalf("first page: %d %s %v", a.status, a.body, a.header["Link"])
		}

		// Delete with removeUsers: the memberships the rule made go; ada's
		// hand-made one stays.
		if a := lifecycle("deactivate"); a.status != 204 {
			t.Fatalf("deactivate before delete: %d", a.status)
		}
		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/groups/rules/"+id+"?removeUsers=true", nil); a.status != 204 {
			t.Fatalf("delete: %d %s", a.status, a.body)
		}
		sameStrings(t, ts.membersOf(t, eng), []string{"ada@example.com"}, "after delete with removeUsers")
		sameStrings(t, ts.membersOf(t, phys), nil, "the second group emptied")
		wantError(t, "get a deleted rule", ts.mgmt(t, http.MethodGet, "/api/v1/groups/rules/"+id, nil), 404, "E0000007")

		ts.App.Audit.Flush()
		a = ts.mgmt(t, http.MethodGet, "/api/v1/logs?filter="+url.QueryEscape(`target.id eq "`+id+`"`), nil)
		for _, ev := range []string{"group.rule.create", "group.rule.activate", "group.rule.deactivate", "group.rule.update", "group.rule.delete", "group.user_membership.add"} {
			if !strings.Contains(string(a.body), `"`+ev+`"`) {
				t.Errorf("no %s event for the rule", ev)
			}
		}
	})
}

// TestGroupRuleRefusals: what a rule may not be, each an Okta error that
// stores nothing.
func TestGroupRuleRefusals(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		eng := ts.newGroup(t, "Engineering")
		everyone := ts.mgmt(t, http.MethodGet, "/api/v1/groups?q=Everyone", nil)
		var groups []map[string]any
		if err := json.Unmarshal(everyone.body, &groups); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			body any
			code string
		}{
			{"an expression that does not parse", ruleBody("R", `user.department ==`, []string{eng}, nil), "E0000001"},
			{"an unknown function", ruleBody("R", `Nope.nothing(user.department)`, []string{eng}, nil), "E0000001"},
			{"no expression", json.RawMessage(`{"type":"group_rule","name":"R","conditions":{},"actions":{"assignUserToGroups":{"groupIds":["` + eng + `"]}}}`), "E0000001"},
			{"another expression type", json.RawMessage(`{"type":"group_rule","name":"R","conditions":{"expression":{"value":"true","type":"urn:okta:expression:2.0"}},"actions":{"assignUserToGroups":{"groupIds":["` + eng + `"]}}}`), "E0000001"},
			{"no group", ruleBody("R", `true`, []string{}, nil), "E0000001"},
			{"an unknown group", ruleBody("R", `true`, []string{"00gnothere"}, nil), "E0000001"},
			{"the built-in Everyone", ruleBody("R", `true`, []string{groups[0]["id"].(string)}, nil), "E0000001"},
			{"an unknown excluded user", ruleBody("R", `true`, []string{eng}, []string{"00unothere"}), "E0000001"},
			{"a blank name", ruleBody(" ", `true`, []string{eng}, nil), "E0000001"},
			{"a name over 50 characters", ruleBody(strings.Repeat("n", 51), `true`, []string{eng}, nil), "E0000001"},
			{"another object type", json.RawMessage(`{"type":"policy_rule","name":"R"}`), "E0000001"},
			{"excluded groups", json.RawMessage(`{"type":"group_rule","name":"R","conditions":{"people":{"groups":{"exclude":["` + eng + `"]}},"expression":{"value":"true","type":"urn:okta:expression:1.0"}},"actions":{"assignUserToGroups":{"groupIds":["` + eng + `"]}}}`), "E0000001"},
			{"a malformed body", json.RawMessage(`{"name":`), "E0000003"},
			{"groupIds of the wrong type", json.RawMessage(`{"type":"group_rule","name":"R","conditions":{"expression":{"value":"true"}},"actions":{"assignUserToGroups":{"groupIds":"` + eng + `"}}}`), "E0000003"},
		} {
			wantError(t, c.name, ts.mgmt(t, http.MethodPost, "/api/v1/groups/rules", c.body), 400, c.code)
		}
		a := ts.mgmt(t, http.MethodGet, "/api/v1/groups/rules", nil)
		if a.status != 200 || strings.TrimSpace(string(a.body)) != "[]" {
			t.Fatalf("refused rules were stored: %s", a.body)
		}
		wantError(t, "unknown rule", ts.mgmt(t, http.MethodGet, "/api/v1/groups/rules/0prnothere", nil), 404, "E0000007")
		wantError(t, "activate an unknown rule", ts.mgmt(t, http.MethodPost, "/api/v1/groups/rules/0prnothere/lifecycle/activate", nil), 404, "E0000007")
		wantError(t, "a path under a group that is not one", ts.mgmt(t, http.MethodGet, "/api/v1/groups/"+eng+"/nothing", nil), 404, "E0000008")
		r := ts.mgmt(t, http.MethodPost, "/api/v1/groups/rules", ruleBody("R", `true`, []string{eng}, nil))
		wantError(t, "removeUsers not a boolean", ts.mgmt(t, http.MethodDelete, "/api/v1/groups/rules/"+r.json(t)["id"].(string)+"?removeUsers=maybe", nil), 400, "E0000001")
	})
}

func sameStrings(t *testing.T, got, want []string, what string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: %v, want %v", what, got, want)
	}
}
