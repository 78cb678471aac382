package app

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestTFAuthServerStack replays okta_auth_server, okta_auth_server_scope,
// okta_auth_server_claim, okta_auth_server_policy and
// okta_auth_server_policy_rule as the provider sends them together: create,
// the reads of a plan, updates, then the destroy order.
func TestTFAuthServerStack(t *testing.T) {
	tfSuite(t, func(t *testing.T, ts *testServer) {
		const server = `{"audiences":["api://stack"],"credentials":{"signing":{"rotationMode":"AUTO"}},"description":"test","issuerMode":"ORG_URL","name":"stack"}`
		const scope = `{"consent":"REQUIRED","default":false,"description":"This is a scope","displayName":"","metadataPublish":"ALL_CLIENTS","name":"test:something","optional":false}`
		const claim = `{"alwaysIncludeInToken":true,"claimType":"RESOURCE","conditions":{},"name":"test","status":"ACTIVE","value":"cool","valueType":"EXPRESSION"}`
		const policy = `{"conditions":{"clients":{"include":["ALL_CLIENTS"]}},"description":"Policy","name":"test","priority":1,"status":"ACTIVE","type":"OAUTH_AUTHORIZATION_POLICY"}`
		rule := func(grants string) string {
			return `{"actions":{"token":{"accessTokenLifetimeMinutes":60,"refreshTokenLifetimeMinutes":0,"refreshTokenWindowMinutes":10080}},` +
				`"conditions":{"grantTypes":{"include":[` + grants + `]},"people":{"groups":{"include":["{{everyone}}"]},"users":{}},"scopes":{}},` +
				`"name":"test","priority":1,"status":"ACTIVE","type":"RESOURCE_ACCESS"}`
		}
		const as = "/api/v1/authorizationServers/{{as}}"
		read := []tfStep{
			{method: "GET", path: as, status: 200, want: map[string]any{"status": "ACTIVE", "issuer": "{{org}}/oauth2/{{as}}", "credentials.signing.rotationMode": "AUTO"}},
			{method: "GET", path: as + "/scopes/{{scope}}", status: 200, reads: scope},
			{method: "GET", path: as + "/claims/{{claim}}", status: 200, want: map[string]any{"value": "cool", "conditions.scopes": []string{}}},
			{method: "GET", path: as + "/policies/{{policy}}", status: 200, want: map[string]any{"conditions.clients.include": []string{"ALL_CLIENTS"}}},
			{method: "GET", path: as + "/policies/{{policy}}/rules/{{rule}}", status: 200, want: map[string]any{"conditions.people.groups.include.0": "{{everyone}}"}},
		}
		steps := []tfStep{
			{name: "Everyone", method: "GET", path: "/api/v1/groups?q=Everyone", status: 200, save: map[string]string{"everyone": "0.id"}, want: map[string]any{"0.type": "BUILT_IN"}},
			{name: "create server", method: "POST", path: "/api/v1/authorizationServers", body: server, status: 201, echo: true, save: map[string]string{"as": "id"}},
			{method: "GET", path: as, status: 200, reads: server},
			{name: "create scope", method: "POST", path: as + "/scopes", body: scope, status: 201, echo: true, save: map[string]string{"scope": "id"}},
			{name: "create claim", method: "POST", path: as + "/claims", body: claim, status: 201, echo: true, save: map[string]string{"claim": "id"}},
			{name: "create policy", method: "POST", path: as + "/policies", body: policy, status: 201, echo: true, save: map[string]string{"policy": "id"}},
			{name: "create rule", method: "POST", path: as + "/policies/{{policy}}/rules", body: rule(`"password"`), status: 201, echo: true, save: map[string]string{"rule": "id"}},
		}
		steps = append(steps, read...)
		steps = append(steps,
			tfStep{name: "update server", method: "PUT", path: as, body: `{"audiences":["api://stack"],"credentials":{"signing":{"rotationMode":"AUTO"}},"description":"test_updated","issuerMode":"ORG_URL","name":"stack"}`, status: 200, echo: true},
			tfStep{name: "update rule", method: "PUT", path: as + "/policies/{{policy}}/rules/{{rule}}", body: rule(`"password","client_credentials"`), status: 200, echo: true},
		)
		steps = append(steps, read...)
		steps = append(steps,
			tfStep{method: "DELETE", path: as + "/claims/{{claim}}", status: 204},
			tfStep{method: "DELETE", path: as + "/scopes/{{scope}}", status: 204},
			tfStep{method: "DELETE", path: as + "/policies/{{policy}}/rules/{{rule}}", status: 204},
			tfStep{method: "DELETE", path: as + "/policies/{{policy}}", status: 204},
			tfStep{method: "POST", path: as + "/lifecycle/deactivate", status: 204},
			tfStep{method: "DELETE", path: as, status: 204},
			tfStep{name: "gone", method: "GET", path: as, status: http.StatusNotFound, errorCode: "E0000007"},
		)
		tfReplay(t, ts, nil, steps)
	})
}

// TestTFTrustedOrigin replays okta_trusted_origin: create, read, deactivate
// through status, replace, delete.
func TestTFTrustedOrigin(t *testing.T) {
	tfSuite(t, func(t *testing.T, ts *testServer) {
		const to = "/api/v1/trustedOrigins/{{to}}"
		tfReplay(t, ts, nil, []tfStep{
			{method: "POST", path: "/api/v1/trustedOrigins", body: `{"name":"spa","origin":"https://spa.example.com","scopes":[{"type":"CORS"}],"status":"ACTIVE"}`, status: 200, echo: true, save: map[string]string{"to": "id"}},
			{method: "GET", path: to, status: 200, want: map[string]any{"status": "ACTIVE", "scopes.0.type": "CORS"}},
			{method: "POST", path: to + "/lifecycle/deactivate", status: 200, want: map[string]any{"status": "INACTIVE"}},
			{method: "PUT", path: to, body: `{"name":"spa","origin":"https://spa2.example.com","scopes":[{"type":"CORS"},{"type":"REDIRECT"}],"status":"INACTIVE"}`, status: 200, echo: true},
			{method: "GET", path: to, status: 200, reads: `{"name":"spa","origin":"https://spa2.example.com","scopes":[{"type":"CORS"},{"type":"REDIRECT"}],"status":"INACTIVE"}`},
			{method: "DELETE", path: to, status: 204},
			{method: "GET", path: to, status: 404, errorCode: "E0000007"},
		})
	})
}

// TestTFGroup replays okta_group: create, read, rename, delete, with custom
// profile attributes (custom_profile_attributes), which come back as sent.
func TestTFGroup(t *testing.T) {
	tfSuite(t, func(t *testing.T, ts *testServer) {
		const g = "/api/v1/groups/{{g}}"
		tfReplay(t, ts, nil, []tfStep{
			{method: "POST", path: "/api/v1/groups", body: `{"profile":{"name":"engineers","description":"testing, testing","costCenter":"42","tags":["a","b"]}}`, status: 200, echo: true, save: map[string]string{"g": "id"}, want: map[string]any{"type": "OKTA_GROUP"}},
			{method: "GET", path: g, status: 200, reads: `{"profile":{"name":"engineers","description":"testing, testing","costCenter":"42","tags":["a","b"]}}`},
			{name: "an object is no attribute value", method: "PUT", path: g, body: `{"profile":{"name":"engineers","nested":{"a":1}}}`, status: 400, errorCode: "E0000001"},
			{method: "PUT", path: g, body: `{"profile":{"name":"engineers-2","description":"testing, testing","costCenter":"43"}}`, status: 200, echo: true, want: map[string]any{"profile.tags": nil}},
			{method: "GET", path: g, status: 200, reads: `{"profile":{"name":"engineers-2","description":"testing, testing","costCenter":"43"}}`, want: map[string]any{"profile.tags": nil}},
			{method: "DELETE", path: g, status: 204},
			{method: "GET", path: g, status: 404, errorCode: "E0000007"},
		})
	})
}

// TestTFAuthServerClaimDefault replays okta_auth_server_claim_default on a
// system claim: the provider finds the claim in the list, puts it back as it
// read it with alwaysIncludeInToken changed, and on later updates sends only
// what its schema holds, without the value. Sesame keeps the computed value
// and changes only what was sent; what it may not change it refuses.
func TestTFAuthServerClaimDefault(t *testing.T) {
	tfSuite(t, func(t *testing.T, ts *testServer) {
		list := ts.mgmt(t, http.MethodGet, "/api/v1/authorizationServers/default/claims", nil)
		var claims []map[string]any
		if err := json.Unmarshal(list.body, &claims); err != nil || list.status != 200 {
			t.Fatalf("list: %d %s", list.status, list.body)
		}
		var given map[string]any
		for _, c := range claims {
			if c["name"] == "given_name" {
				given = c
			}
		}
		if given == nil || given["system"] != true || given["alwaysIncludeInToken"] != false {
			t.Fatalf("system claim given_name: %v", given)
		}
		value := given["value"]
		given["alwaysIncludeInToken"] = true
		asRead, _ := json.Marshal(given)
		const c = "/api/v1/authorizationServers/default/claims/{{claim}}"
		tfReplay(t, ts, map[string]string{"claim": given["id"].(string)}, []tfStep{
			{name: "create: the claim as read, flag changed", method: "PUT", path: c, body: string(asRead), status: 200,
				want: map[string]any{"alwaysIncludeInToken": true, "value": value, "system": true}},
			{name: "update without value", method: "PUT", path: c, status: 200,
				body: `{"alwaysIncludeInToken":false,"claimType":"IDENTITY","conditions":{"scopes":["profile"]},"name":"given_name","status":"ACTIVE","valueType":"SYSTEM"}`,
				want: map[string]any{"alwaysIncludeInToken": false, "value": value, "valueType": "SYSTEM", "conditions.scopes": []string{"profile"}}},
			{name: "read", method: "GET", path: c, status: 200, want: map[string]any{"alwaysIncludeInToken": false, "value": value}},
			{name: "a system value cannot change", method: "PUT", path: c, status: 400, errorCode: "E0000001",
				body: `{"alwaysIncludeInToken":false,"claimType":"IDENTITY","name":"given_name","status":"ACTIVE","valueType":"SYSTEM","value":"user.nickName"}`},
			{name: "unchanged by the refusal", method: "GET", path: c, status: 200, want: map[string]any{"value": value}},
		})
	})
}
