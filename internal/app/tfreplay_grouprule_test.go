package app

import (
	"net/http"
	"strings"
	"testing"
)

// TestTFGroupRule replays okta_group_rule as resource_okta_group_rule.go
// sends it: create (buildGroupRule's body), the lifecycle call for the
// configured status (the provider deactivates a rule it wants INACTIVE,
// even a new one), the read; an update of an ACTIVE rule (deactivate, PUT,
// activate); the destroy (deactivate, DELETE with removeUsers from
// remove_assigned_users) and the read that no longer finds it.
func TestTFGroupRule(t *testing.T) {
	tfSuite(t, func(t *testing.T, ts *testServer) {
		group := ts.newGroup(t, "testAcc-group")
		p := person("tf-rule@example.com")
		p["department"] = "Engineering"
		ts.createUser(t, "?activate=false", p, "")
		body := func(name, value string) string {
			return `{"actions":{"assignUserToGroups":{"groupIds":["{{group}}"]}},"conditions":{"expression":{"type":"urn:okta:expression:1.0","value":` + value + `},"people":{"users":{"exclude":[]}}},"name":"` + name + `","type":"group_rule"}`
		}
		tfReplay(t, ts, map[string]string{"group": group}, []tfStep{
			{name: "create", method: "POST", path: "/api/v1/groups/rules", body: body("testAcc-rule", `"user.department==\"Engineering\""`), status: 200, echo: true,
				want: map[string]any{"status": "INACTIVE"}, save: map[string]string{"rule": "id"}},
			{name: "activate (status ACTIVE)", method: "POST", path: "/api/v1/groups/rules/{{rule}}/lifecycle/activate", status: 204},
			{name: "read", method: "GET", path: "/api/v1/groups/rules/{{rule}}", status: 200, reads: body("testAcc-rule", `"user.department==\"Engineering\""`),
				want: map[string]any{"status": "ACTIVE", "conditions.people.users.exclude": []string{}}},
			{name: "update: deactivate", method: "POST", path: "/api/v1/groups/rules/{{rule}}/lifecycle/deactivate", status: 204},
			{name: "update: PUT", method: "PUT", path: "/api/v1/groups/rules/{{rule}}", body: body("testAcc-rule-updated", `"user.department==\"Engineering\" OR user.department==\"Physics\""`),
				status: 200, echo: true},
			{name: "update: activate", method: "POST", path: "/api/v1/groups/rules/{{rule}}/lifecycle/activate", status: 204},
			{name: "read updated", method: "GET", path: "/api/v1/groups/rules/{{rule}}", status: 200,
				reads: body("testAcc-rule-updated", `"user.department==\"Engineering\" OR user.department==\"Physics\""`), want: map[string]any{"status": "ACTIVE"}},
			{name: "destroy: deactivate", method: "POST", path: "/api/v1/groups/rules/{{rule}}/lifecycle/deactivate", status: 204},
			{name: "destroy: delete", method: "DELETE", path: "/api/v1/groups/rules/{{rule}}?removeUsers=false", status: 204},
			{name: "read destroyed", method: "GET", path: "/api/v1/groups/rules/{{rule}}", status: 404, errorCode: "E0000007"},
		})
		// remove_assigned_users=false left the membership the rule made.
		sameStrings(t, ts.membersOf(t, group), []string{"tf-rule@example.com"}, "members after destroy without remove_assigned_users")
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/groups/rules", nil); a.status != 200 || strings.TrimSpace(string(a.body)) != "[]" {
			t.Fatalf("rules after destroy: %d %s", a.status, a.body)
		}
	})
}
