package app

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestSignOnPolicyEvaluation builds sign-on policies through the API and
// checks what they decide for people in and out of their groups, in
// priority order, and what an app's access policy adds.
func TestSignOnPolicyEvaluation(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ctx := context.Background()
		svc := ts.App.Service
		ada := ts.newUser(t, "ada@example.com")
		bob := ts.newUser(t, "bob@example.com")
		eng := ts.post200(t, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": "engineers"}})["id"].(string)
		if a := ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+eng+"/users/"+ada.ID, nil); a.status != 204 {
			t.Fatalf("add member: %d %s", a.status, a.body)
		}

		// The default policy asks nothing more than the password.
		d, err := svc.EvaluateSignOn(ctx, ada.ID)
		if err != nil || d.RequireFactor || d.Deny || d.RuleID == "" {
			t.Fatalf("default decision: %+v %v", d, err)
		}

		// Engineers must give a factor, except bob (not an engineer anyway).
		pol := ts.post200(t, "/api/v1/policies", map[string]any{"type": "OKTA_SIGN_ON", "name": "engineers", "priority": 1,
			"conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{eng}}}}})
		pid := pol["id"].(string)
		ts.post200(t, "/api/v1/policies/"+pid+"/rules", map[string]any{"type": "SIGN_ON", "name": "mfa",
			"conditions": map[string]any{"network": map[string]any{"connection": "ANYWHERE"}},
			"actions":    map[string]any{"signon": map[string]any{"access": "ALLOW", "requireFactor": true, "factorPromptMode": "DEVICE", "factorLifetime": 60}}})
		if d, err = svc.EvaluateSignOn(ctx, ada.ID); err != nil || !d.RequireFactor || d.PromptMode != "DEVICE" || d.FactorLifetime != time.Hour || d.PolicyID != pid {
			t.Fatalf("engineer: %+v", d)
		}
		if d, err = svc.EvaluateSignOn(ctx, bob.ID); err != nil || d.RequireFactor {
			t.Fatalf("not an engineer: %+v", d)
		}
		// A higher rule excluding ada lets her fall through to the next
		// policy (the default one).
		ts.post200(t, "/api/v1/policies/"+pid+"/rules", map[string]any{"type": "SIGN_ON", "name": "not ada", "priority": 1,
			"conditions": map[string]any{"people": map[string]any{"users": map[string]any{"include": []string{ada.ID}}}},
			"actions":    map[string]any{"signon": map[string]any{"access": "DENY"}}})
		if d, err = svc.EvaluateSignOn(ctx, ada.ID); err != nil || !d.Deny {
			t.Fatalf("deny rule first: %+v", d)
		}
		// An inactive policy is skipped.
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/policies/"+pid+"/lifecycle/deactivate", nil); a.status != 204 {
			t.Fatalf("deactivate: %d %s", a.status, a.body)
		}
		if d, err = svc.EvaluateSignOn(ctx, ada.ID); err != nil || d.RequireFactor || d.Deny {
			t.Fatalf("inactive policy: %+v", d)
		}

		// An app bound to an access policy whose rule says 2FA.
		_, _, appID := ts.oidcApp(t, "needs mfa", "web", "client_secret_basic", []string{"authorization_code"}, []string{"code"}, nil)
		_, _, other := ts.oidcApp(t, "no mfa", "web", "client_secret_basic", []string{"authorization_code"}, []string{"code"}, nil)
		ap := ts.post200(t, "/api/v1/policies", map[string]any{"type": "ACCESS_POLICY", "name": "mfa app"})
		apid := ap["id"].(string)
		rules := ts.mgmt(t, http.MethodGet, "/api/v1/policies/"+apid+"/rules", nil).list(t)
		if len(rules) != 1 || rules[0]["system"] != true || rules[0]["name"] != "Catch-all Rule" {
			t.Fatalf("access policy rules: %v", rules)
		}
		r := ts.post200(t, "/api/v1/policies/"+apid+"/rules", map[string]any{"type": "ACCESS_POLICY", "name": "2fa",
			"actions": map[string]any{"appSignOn": map[string]any{"access": "ALLOW",
				"verificationMethod": map[string]any{"factorMode": "2FA", "type": "ASSURANCE", "reauthenticateIn": "PT2H"}}}})
		if r["priority"] != float64(1) {
			t.Fatalf("new rule goes before the catch-all: %v", r)
		}
		if a := ts.mgmt(t, http.MethodPut, "/api/v1/apps/"+appID+"/policies/"+apid, nil); a.status != 204 {
			t.Fatalf("bind: %d %s", a.status, a.body)
		}
		if ad, err := svc.EvaluateAppSignOn(ctx, appID, bob.ID); err != nil || !ad.RequireFactor || ad.ReauthenticateIn != 2*time.Hour {
			t.Fatalf("app decision: %+v %v", ad, err)
		}
		if ad, err := svc.EvaluateAppSignOn(ctx, other, bob.ID); err != nil || ad.RequireFactor {
			t.Fatalf("unbound app: %+v", ad)
		}

		// Bad inputs.
		wantError(t, "list without type", ts.mgmt(t, http.MethodGet, "/api/v1/policies", nil), 400, "E0000001")
		wantError(t, "list of an unknown type", ts.mgmt(t, http.MethodGet, "/api/v1/policies?type=PASSWORD", nil), 400, "E0000001")
		wantError(t, "create without a name", ts.mgmt(t, http.MethodPost, "/api/v1/policies", map[string]any{"type": "OKTA_SIGN_ON"}), 400, "E0000001")
		wantError(t, "create with a bad group", ts.mgmt(t, http.MethodPost, "/api/v1/policies", map[string]any{"type": "OKTA_SIGN_ON", "name": "x",
			"conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{"00gnope"}}}}}), 400, "E0000001")
		wantError(t, "malformed body", ts.do(t, http.MethodPost, "/api/v1/policies", "SSWS "+ts.APIToken, "application/json", []byte(`{"name":`)), 400, "E0000003")
		wantError(t, "rule with a bad user", ts.mgmt(t, http.MethodPost, "/api/v1/policies/"+pid+"/rules", map[string]any{"name": "x",
			"conditions": map[string]any{"people": map[string]any{"users": map[string]any{"exclude": []string{"00unope"}}}}}), 400, "E0000001")
		wantError(t, "rule with a zone", ts.mgmt(t, http.MethodPost, "/api/v1/policies/"+pid+"/rules", map[string]any{"name": "x",
			"conditions": map[string]any{"network": map[string]any{"connection": "ZONE"}}}), 400, "E0000001")
		wantError(t, "rule of the wrong type", ts.mgmt(t, http.MethodPost, "/api/v1/policies/"+apid+"/rules", map[string]any{"name": "x", "type": "SIGN_ON"}), 400, "E0000001")
		wantError(t, "bad reauthenticateIn", ts.mgmt(t, http.MethodPost, "/api/v1/policies/"+apid+"/rules", map[string]any{"name": "x",
			"actions": map[string]any{"appSignOn": map[string]any{"verificationMethod": map[string]any{"factorMode": "2FA", "reauthenticateIn": "2 hours"}}}}), 400, "E0000001")
		wantError(t, "rule of a missing policy", ts.mgmt(t, http.MethodGet, "/api/v1/policies/00pnope/rules", nil), 404, "E0000007")
		wantError(t, "rule of another policy", ts.mgmt(t, http.MethodGet, "/api/v1/policies/"+pid+"/rules/"+r["id"].(string), nil), 404, "E0000007")
		wantError(t, "bind a sign-on policy", ts.mgmt(t, http.MethodPut, "/api/v1/apps/"+appID+"/policies/"+pid, nil), 400, "E0000001")
		wantError(t, "bind a missing app", ts.mgmt(t, http.MethodPut, "/api/v1/apps/0oanope/policies/"+apid, nil), 404, "E0000007")
		catchAll := rules[0]["id"].(string)
		wantError(t, "delete the catch-all rule", ts.mgmt(t, http.MethodDelete, "/api/v1/policies/"+apid+"/rules/"+catchAll, nil), 403, "E0000006")
		wantError(t, "deactivate the catch-all rule", ts.mgmt(t, http.MethodPost, "/api/v1/policies/"+apid+"/rules/"+catchAll+"/lifecycle/deactivate", nil), 403, "E0000006")
		wantError(t, "no token", ts.do(t, http.MethodGet, "/api/v1/policies?type=OKTA_SIGN_ON", "", "", nil), 401, "E0000011")

		// Changes are in the System Log.
		logs := ts.mgmt(t, http.MethodGet, `/api/v1/logs?filter=eventType+eq+"policy.rule.add"`, nil).list(t)
		if len(logs) < 3 {
			t.Fatalf("policy.rule.add events: %d", len(logs))
		}
	})
}

// post200 creates through the API what Okta answers with 200.
func (ts *testServer) post200(t *testing.T, path string, body any) map[string]any {
	t.Helper()
	a := ts.mgmt(t, http.MethodPost, path, body)
	if a.status != http.StatusOK {
		t.Fatalf("POST %s: %d %s", path, a.status, a.body)
	}
	return a.json(t)
}
