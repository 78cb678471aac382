package app

import (
	"strconv"
	"testing"
)

// TestTFSignOnPolicy replays okta_policy_signon and okta_policy_rule_signon
// as the provider sends them (bodies from its recordings of a classic org,
// GH2419): the policy for a group, a rule without MFA, a rule with MFA,
// the plan's reads, an update to the MFA prompt, then the destroy order.
func TestTFSignOnPolicy(t *testing.T) {
	tfSuite(t, func(t *testing.T, ts *testServer) {
		const pol = "/api/v1/policies/{{policy}}"
		const policy = `{"type":"OKTA_SIGN_ON","name":"testAcc_1710975987","description":"Terraform Acceptance Test SignOn Policy","status":"ACTIVE","priority":1,"conditions":{"people":{"groups":{"include":["{{everyone}}"]}}}}`
		const plain = `{"type":"SIGN_ON","name":"test_policy_risk_ONLY","status":"ACTIVE","conditions":{"authContext":{"authType":"ANY"},"identityProvider":{"provider":"ANY"},"network":{"connection":"ANYWHERE"},"riskScore":{"level":"ANY"}},"actions":{"signon":{"access":"ALLOW","rememberDeviceByDefault":false,"requireFactor":false,"session":{"maxSessionIdleMinutes":120,"maxSessionLifetimeMinutes":120,"usePersistentCookie":false}}}}`
		mfa := func(prompt string, lifetime int) string {
			l := ""
			if lifetime > 0 {
				l = `,"factorLifetime":` + strconv.Itoa(lifetime)
			}
			return `{"type":"SIGN_ON","name":"mfa","status":"ACTIVE","priority":1,"conditions":{"authContext":{"authType":"ANY"},"identityProvider":{"provider":"ANY"},"network":{"connection":"ANYWHERE"},"people":{"users":{"exclude":["{{admin}}"]}}},` +
				`"actions":{"signon":{"access":"ALLOW","factorPromptMode":"` + prompt + `"` + l + `,"rememberDeviceByDefault":false,"requireFactor":true,"session":{"maxSessionIdleMinutes":120,"maxSessionLifetimeMinutes":120,"usePersistentCookie":false}}}}`
		}
		u := ts.newUser(t, "grace@example.com")
		tfReplay(t, ts, map[string]string{"admin": u.ID}, []tfStep{
			{name: "Everyone", method: "GET", path: "/api/v1/groups?q=Everyone", status: 200, save: map[string]string{"everyone": "0.id"}},
			{name: "default policy", method: "GET", path: "/api/v1/policies?type=OKTA_SIGN_ON", status: 200,
				want: map[string]any{"0.system": true, "0.name": "Default Policy", "0.type": "OKTA_SIGN_ON"}, save: map[string]string{"default": "0.id"}},
			{name: "create policy", method: "POST", path: "/api/v1/policies", body: policy, status: 200, echo: true, save: map[string]string{"policy": "id"},
				want: map[string]any{"system": false}},
			{method: "GET", path: pol, status: 200, want: map[string]any{"_links.rules.href": "{{org}}/api/v1/policies/{{policy}}/rules"}},
			{name: "the default policy stays last", method: "GET", path: "/api/v1/policies?type=OKTA_SIGN_ON", status: 200,
				want: map[string]any{"0.id": "{{policy}}", "1.id": "{{default}}", "1.priority": float64(2)}},
			{name: "create plain rule", method: "POST", path: pol + "/rules", body: plain, status: 200, echo: true, save: map[string]string{"plain": "id"},
				want: map[string]any{"priority": float64(1), "actions.signon.primaryFactor": "PASSWORD_IDP_ANY_FACTOR", "conditions.people.users.exclude": []string{}}},
			{name: "create MFA rule first", method: "POST", path: pol + "/rules", body: mfa("ALWAYS", 0), status: 200, echo: true, save: map[string]string{"mfa": "id"}},
			{name: "read plain rule", method: "GET", path: pol + "/rules/{{plain}}", status: 200, reads: plain, want: map[string]any{"priority": float64(2)}},
			{name: "read MFA rule", method: "GET", path: pol + "/rules/{{mfa}}", status: 200, reads: mfa("ALWAYS", 0), want: map[string]any{"priority": float64(1)}},
			{name: "read policy", method: "GET", path: pol, status: 200, reads: policy},
			{name: "update MFA prompt", method: "PUT", path: pol + "/rules/{{mfa}}", body: mfa("DEVICE", 30), status: 200, echo: true},
			{name: "read updated rule", method: "GET", path: pol + "/rules/{{mfa}}", status: 200, reads: mfa("DEVICE", 30)},
			{name: "bad prompt mode", method: "PUT", path: pol + "/rules/{{mfa}}", body: mfa("SOMETIMES", 0), status: 400, errorCode: "E0000001"},
			{name: "deactivate rule", method: "POST", path: pol + "/rules/{{mfa}}/lifecycle/deactivate", status: 204},
			{method: "GET", path: pol + "/rules/{{mfa}}", status: 200, want: map[string]any{"status": "INACTIVE", "_links.activate.hints.allow.0": "POST"}},
			{name: "activate rule", method: "POST", path: pol + "/rules/{{mfa}}/lifecycle/activate", status: 204},
			{name: "default policy cannot go", method: "DELETE", path: "/api/v1/policies/{{default}}", status: 403, errorCode: "E0000006"},
			{method: "DELETE", path: pol + "/rules/{{mfa}}", status: 204},
			{method: "DELETE", path: pol + "/rules/{{plain}}", status: 204},
			{method: "DELETE", path: pol, status: 204},
			{name: "gone", method: "GET", path: pol, status: 404, errorCode: "E0000007"},
		})
	})
}
