package app

import (
	"context"
	"crypto"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

const policiesPath = "/api/v1/authorizationServers/default/policies"

// policyOrder lists the default server's policies as "name:priority".
func (ts *testServer) policyOrder(t *testing.T, path string) []string {
	t.Helper()
	a := ts.mgmt(t, http.MethodGet, path, nil)
	if a.status != 200 {
		t.Fatalf("list %s: %d %s", path, a.status, a.body)
	}
	var items []struct {
		Name     string `json:"name"`
		Priority int    `json:"priority"`
	}
	if err := json.Unmarshal(a.body, &items); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Name+":"+string(rune('0'+it.Priority)))
	}
	return out
}

func expectValidation(t *testing.T, a answer, summary string) {
	t.Helper()
	if a.status != 400 {
		t.Fatalf("want 400 %q, got %d %s", summary, a.status, a.body)
	}
	if m := a.json(t); m["errorCode"] != "E0000001" || m["errorSummary"] != summary {
		t.Fatalf("want E0000001 %q, got %s", summary, a.body)
	}
}

func ccRule(name string, priority, lifetime int, scopes ...string) map[string]any {
	return map[string]any{"type": "RESOURCE_ACCESS", "name": name, "priority": priority,
		"conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{"EVERYONE"}}},
			"grantTypes": map[string]any{"include": []string{"client_credentials"}}, "scopes": map[string]any{"include": scopes}},
		"actions": map[string]any{"token": map[string]any{"accessTokenLifetimeMinutes": lifetime}}}
}

func TestPoliciesAPI(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		all := map[string]any{"clients": map[string]any{"include": []string{"ALL_CLIENTS"}}}

		if got := ts.policyOrder(t, policiesPath); !slices.Equal(got, []string{"Default Policy:1"}) {
			t.Fatalf("fresh install policies %v", got)
		}

		expectValidation(t, ts.mgmt(t, http.MethodPost, policiesPath, map[string]any{"conditions": all}), "Api validation failed: name")
		expectValidation(t, ts.mgmt(t, http.MethodPost, policiesPath, map[string]any{"name": "x"}), "Api validation failed: conditions.clients.include")
		expectValidation(t, ts.mgmt(t, http.MethodPost, policiesPath, map[string]any{"name": "x",
			"conditions": map[string]any{"clients": map[string]any{"include": []string{"0oanosuchclient"}}}}), "Api validation failed: conditions.clients.include")
		expectValidation(t, ts.mgmt(t, http.MethodPost, policiesPath, map[string]any{"name": "x", "priority": -1, "conditions": all}), "Api validation failed: priority")
		if a := ts.mgmt(t, http.MethodPost, policiesPath, "not an object"); a.status != 400 || a.json(t)["errorCode"] != "E0000003" {
			t.Fatalf("malformed body: %d %s", a.status, a.body)
		}
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/authorizationServers/ausnosuch/policies", nil); a.status != 404 || a.json(t)["errorCode"] != "E0000007" {
			t.Fatalf("unknown server: %d %s", a.status, a.body)
		}

		// Without a priority a policy goes last; with one it is inserted and
		// the others move down.
		p2 := ts.create(t, policiesPath, map[string]any{"name": "second", "description": "d", "conditions": all})
		if p2["priority"] != 2.0 || p2["type"] != "OAUTH_AUTHORIZATION_POLICY" || p2["status"] != "ACTIVE" || p2["system"] != false {
			t.Fatalf("created policy %v", p2)
		}
		links := p2["_links"].(map[string]any)
		if links["rules"] == nil || links["deactivate"] == nil || links["activate"] != nil {
			t.Fatalf("policy links %v", links)
		}
		p3 := ts.create(t, policiesPath, map[string]any{"name": "first", "priority": 1, "conditions": all})
		if got := ts.policyOrder(t, policiesPath); !slices.Equal(got, []string{"first:1", "Default Policy:2", "second:3"}) {
			t.Fatalf("after insert at 1: %v", got)
		}
		// A priority past the end means last; moving renumbers densely.
		put := ts.mgmt(t, http.MethodPut, policiesPath+"/"+p3["id"].(string), map[string]any{"name": "first", "priority": 9, "conditions": all})
		if put.status != 200 || put.json(t)["priority"] != 3.0 {
			t.Fatalf("move to end: %d %s", put.status, put.body)
		}
		if got := ts.policyOrder(t, policiesPath); !slices.Equal(got, []string{"Default Policy:1", "second:2", "first:3"}) {
			t.Fatalf("after move: %v", got)
		}
		p2id := p2["id"].(string)
		if a := ts.mgmt(t, http.MethodPut, policiesPath+"/"+p2id, map[string]any{"name": "second", "priority": 1, "conditions": all}); a.status != 200 {
			t.Fatalf("move to top: %d %s", a.status, a.body)
		}
		if a := ts.mgmt(t, http.MethodDelete, policiesPath+"/"+p3["id"].(string), nil); a.status != 204 {
			t.Fatalf("delete: %d %s", a.status, a.body)
		}
		if got := ts.policyOrder(t, policiesPath); !slices.Equal(got, []string{"second:1", "Default Policy:2"}) {
			t.Fatalf("after delete: %v", got)
		}
		if a := ts.mgmt(t, http.MethodGet, policiesPath+"/"+p3["id"].(string), nil); a.status != 404 || a.json(t)["errorCode"] != "E0000007" {
			t.Fatalf("deleted policy: %d %s", a.status, a.body)
		}

		// Lifecycle.
		if a := ts.mgmt(t, http.MethodPost, policiesPath+"/"+p2id+"/lifecycle/deactivate", nil); a.status != 204 || len(a.body) != 0 {
			t.Fatalf("deactivate: %d %s", a.status, a.body)
		}
		got := ts.mgmt(t, http.MethodGet, policiesPath+"/"+p2id, nil).json(t)
		if got["status"] != "INACTIVE" || got["_links"].(map[string]any)["activate"] == nil {
			t.Fatalf("deactivated policy %v", got)
		}
		if a := ts.mgmt(t, http.MethodPost, policiesPath+"/"+p2id+"/lifecycle/activate", nil); a.status != 204 {
			t.Fatalf("activate: %d %s", a.status, a.body)
		}

		// Rules: Terraform's empty objects come back the way Okta answers them.
		rules := policiesPath + "/" + p2id + "/rules"
		r1 := ts.create(t, rules, map[string]any{"type": "RESOURCE_ACCESS", "name": "tf",
			"conditions": map[string]any{"people": map[string]any{"users": map[string]any{}, "groups": map[string]any{"include": []string{"EVERYONE"}}},
				"grantTypes": map[string]any{"include": []string{"client_credentials", "authorization_code"}}, "scopes": map[string]any{}}})
		conds, _ := json.Marshal(r1["conditions"])
		const wantConds = `{"grantTypes":{"include":["client_credentials","authorization_code"]},"people":{"groups":{"exclude":[],"include":["EVERYONE"]},"users":{"exclude":[]}},"scopes":{"include":[]}}`
		if string(conds) != wantConds {
			t.Fatalf("normalized conditions\n got %s\nwant %s", conds, wantConds)
		}
		tok, _ := json.Marshal(r1["actions"])
		if string(tok) != `{"token":{"accessTokenLifetimeMinutes":60,"refreshTokenLifetimeMinutes":0,"refreshTokenWindowMinutes":10080}}` {
			t.Fatalf("default lifetimes %s", tok)
		}
		if r1["priority"] != 1.0 || r1["status"] != "ACTIVE" || r1["type"] != "RESOURCE_ACCESS" || r1["system"] != false {
			t.Fatalf("rule %v", r1)
		}

		bad := func(mut func(map[string]any)) answer {
			b := ccRule("bad", 0, 60, "*")
			mut(b)
			return ts.mgmt(t, http.MethodPost, rules, b)
		}
		token := func(m map[string]any) map[string]any { return m["actions"].(map[string]any)["token"].(map[string]any) }
		conditions := func(m map[string]any) map[string]any { return m["conditions"].(map[string]any) }
		expectValidation(t, bad(func(m map[string]any) { delete(m, "name") }), "Api validation failed: name")
		expectValidation(t, bad(func(m map[string]any) { delete(m, "type") }), "Api validation failed: type")
		expectValidation(t, bad(func(m map[string]any) { token(m)["accessTokenLifetimeMinutes"] = 4 }), "Api validation failed: actions.token.accessTokenLifetimeMinutes")
		expectValidation(t, bad(func(m map[string]any) { token(m)["accessTokenLifetimeMinutes"] = 1441 }), "Api validation failed: actions.token.accessTokenLifetimeMinutes")
		expectValidation(t, bad(func(m map[string]any) { token(m)["refreshTokenLifetimeMinutes"] = 30 }), "Api validation failed: actions.token.refreshTokenLifetimeMinutes")
		expectValidation(t, bad(func(m map[string]any) { token(m)["refreshTokenWindowMinutes"] = 9 }), "Api validation failed: actions.token.refreshTokenWindowMinutes")
		expectValidation(t, bad(func(m map[string]any) {
			token(m)["refreshTokenLifetimeMinutes"] = 120
			token(m)["refreshTokenWindowMinutes"] = 121
		}), "Api validation failed: actions.token.refreshTokenWindowMinutes")
		expectValidation(t, bad(func(m map[string]any) {
			conditions(m)["grantTypes"] = map[string]any{"include": []string{"refresh_tokens"}}
		}), "Api validation failed: conditions.grantTypes.include")
		expectValidation(t, bad(func(m map[string]any) {
			conditions(m)["scopes"] = map[string]any{"include": []string{"no:such:scope"}}
		}), "Api validation failed: conditions.scopes.include")
		expectValidation(t, bad(func(m map[string]any) {
			conditions(m)["people"] = map[string]any{"groups": map[string]any{"include": []string{"00gnosuchgroup"}}}
		}), "Api validation failed: conditions.people.groups")
		if a := ts.mgmt(t, http.MethodPost, policiesPath+"/00pnosuch/rules", ccRule("x", 0, 60, "*")); a.status != 404 || a.json(t)["errorCode"] != "E0000007" {
			t.Fatalf("rule of unknown policy: %d %s", a.status, a.body)
		}

		ts.createScope(t, "default", "read:things", false)
		r2 := ts.create(t, rules, ccRule("top", 1, 120, "read:things"))
		if r2["priority"] != 1.0 || token(r2)["accessTokenLifetimeMinutes"] != 120.0 {
			t.Fatalf("rule at 1: %v", r2)
		}
		if got := ts.policyOrder(t, rules); !slices.Equal(got, []string{"top:1", "tf:2"}) {
			t.Fatalf("rules after insert: %v", got)
		}
		r1id := r1["id"].(string)
		if a := ts.mgmt(t, http.MethodPut, rules+"/"+r1id, ccRule("tf", 1, 60, "*")); a.status != 200 {
			t.Fatalf("move rule: %d %s", a.status, a.body)
		}
		if got := ts.policyOrder(t, rules); !slices.Equal(got, []string{"tf:1", "top:2"}) {
			t.Fatalf("rules after move: %v", got)
		}
		if a := ts.mgmt(t, http.MethodPost, rules+"/"+r1id+"/lifecycle/deactivate", nil); a.status != 204 {
			t.Fatalf("deactivate rule: %d %s", a.status, a.body)
		}
		if got := ts.mgmt(t, http.MethodGet, rules+"/"+r1id, nil).json(t); got["status"] != "INACTIVE" {
			t.Fatalf("deactivated rule %v", got)
		}
		if a := ts.mgmt(t, http.MethodDelete, rules+"/"+r1id, nil); a.status != 204 {
			t.Fatalf("delete rule: %d %s", a.status, a.body)
		}
		if got := ts.policyOrder(t, rules); !slices.Equal(got, []string{"top:1"}) {
			t.Fatalf("rules after delete: %v", got)
		}
		if a := ts.mgmt(t, http.MethodGet, rules+"/"+r1id, nil); a.status != 404 {
			t.Fatalf("deleted rule: %d %s", a.status, a.body)
		}

		for _, ev := range []string{"oauth2.as.policy.created", "oauth2.as.policy.updated", "oauth2.as.policy.deleted",
			"oauth2.as.policy.activated", "oauth2.as.policy.deactivated", "oauth2.as.policy.rule.created",
			"oauth2.as.policy.rule.updated", "oauth2.as.policy.rule.deactivated", "oauth2.as.policy.rule.deleted"} {
			if n := len(ts.mgmt(t, http.MethodGet, "/api/v1/logs?filter="+urlQuery(`eventType eq "`+ev+`"`), nil).list(t)); n == 0 {
				t.Errorf("no System Log event %s", ev)
			}
		}

		// Bearer tokens need okta.authorizationServers.read / manage.
		reader := ts.orgBearer(t, "as-reader", "okta.authorizationServers.read")
		if a := ts.do(t, http.MethodGet, policiesPath, "Bearer "+reader, "", nil); a.status != 200 {
			t.Fatalf("read with read scope: %d %s", a.status, a.body)
		}
		if a := ts.do(t, http.MethodPost, policiesPath, "Bearer "+reader, "application/json", mustJSON(map[string]any{"name": "n", "conditions": all})); a.status != 403 {
			t.Fatalf("write with read scope: %d %s", a.status, a.body)
		}
	})
}

// TestPolicyEvaluation drives the token endpoint: rule lifetimes apply,
// priorities decide, inactive policies and other clients' policies are
// passed over.
func TestPolicyEvaluation(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ctx := context.Background()
		clientID, key, kid := ts.serviceApp(t, "policy-bot")
		otherID, otherKey, otherKID := ts.serviceApp(t, "other-bot")
		ts.createScope(t, "default", "read:a", false)
		ts.createScope(t, "default", "read:b", false)
		tokenURL := tokenclient.TokenURL(ts.URL, "default")
		lifetime := func(id string, k crypto.Signer, kid, scope string) int64 {
			t.Helper()
			tok, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, ts.assertion(t, id, k, kid, tokenURL), scope)
			if err != nil {
				t.Fatalf("token for %s: %v", scope, err)
			}
			c := decodeClaims(t, tok.AccessToken)
			if life := int64(c["exp"].(float64) - c["iat"].(float64)); life != tok.ExpiresIn {
				t.Fatalf("exp-iat %d, expires_in %d", life, tok.ExpiresIn)
			}
			return tok.ExpiresIn
		}

		defaultID := ""
		for _, p := range ts.mgmt(t, http.MethodGet, policiesPath, nil).list(t) {
			defaultID = p["id"].(string)
		}
		bot := ts.create(t, policiesPath, map[string]any{"name": "bot", "priority": 1,
			"conditions": map[string]any{"clients": map[string]any{"include": []string{clientID}}}})
		botRules := policiesPath + "/" + bot["id"].(string) + "/rules"
		r15 := ts.create(t, botRules, ccRule("only a", 1, 15, "read:a"))

		if got := lifetime(clientID, key, kid, "read:a"); got != 15*60 {
			t.Fatalf("read:a lifetime %d, want 15 minutes", got)
		}
		// read:b matches no rule of "bot", so the default policy decides.
		if got := lifetime(clientID, key, kid, "read:b"); got != 60*60 {
			t.Fatalf("read:b through the default policy: %d", got)
		}
		if a := ts.mgmt(t, http.MethodPost, policiesPath+"/"+defaultID+"/lifecycle/deactivate", nil); a.status != 204 {
			t.Fatalf("deactivate default: %d %s", a.status, a.body)
		}
		_, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, ts.assertion(t, clientID, key, kid, tokenURL), "read:b")
		expectOAuthError(t, err, 401, "access_denied", "Policy evaluation failed for this request, please check the policy configurations.")

		// A rule inserted above wins; moving the first back on top restores it.
		ts.create(t, botRules, ccRule("a for 30", 1, 30, "read:a"))
		if got := lifetime(clientID, key, kid, "read:a"); got != 30*60 {
			t.Fatalf("after inserting a 30-minute rule first: %d", got)
		}
		if a := ts.mgmt(t, http.MethodPut, botRules+"/"+r15["id"].(string), ccRule("only a", 1, 15, "read:a")); a.status != 200 {
			t.Fatalf("move rule: %d %s", a.status, a.body)
		}
		if got := lifetime(clientID, key, kid, "read:a"); got != 15*60 {
			t.Fatalf("after moving the 15-minute rule first: %d", got)
		}

		// A policy that includes only another client does not apply to this one.
		other := ts.create(t, policiesPath, map[string]any{"name": "other", "priority": 1,
			"conditions": map[string]any{"clients": map[string]any{"include": []string{otherID}}}})
		ts.create(t, policiesPath+"/"+other["id"].(string)+"/rules", ccRule("any", 0, 45, "*"))
		if got := lifetime(clientID, key, kid, "read:a"); got != 15*60 {
			t.Fatalf("another client's policy applied: %d", got)
		}
		if got := lifetime(otherID, otherKey, otherKID, "read:b"); got != 45*60 {
			t.Fatalf("other client's lifetime %d", got)
		}

		// Deactivating "bot" falls through to the default policy once it is active.
		ts.mgmt(t, http.MethodPost, policiesPath+"/"+defaultID+"/lifecycle/activate", nil)
		if a := ts.mgmt(t, http.MethodPost, policiesPath+"/"+bot["id"].(string)+"/lifecycle/deactivate", nil); a.status != 204 {
			t.Fatalf("deactivate bot: %d %s", a.status, a.body)
		}
		if got := lifetime(clientID, key, kid, "read:a"); got != 60*60 {
			t.Fatalf("after deactivating bot: %d", got)
		}
	})
}
