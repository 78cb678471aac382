package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

// TestClaimsAPI covers /api/v1/authorizationServers/{id}/claims (§4.4).
func TestClaimsAPI(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		base := "/api/v1/authorizationServers/default/claims"
		a := ts.mgmt(t, http.MethodPost, base, map[string]any{"name": "svc", "claimType": "RESOURCE", "valueType": "EXPRESSION",
			"value": `app.clientId + "@svc"`, "alwaysIncludeInToken": false, "conditions": map[string]any{}})
		if a.status != 201 {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		c := a.json(t)
		id, _ := c["id"].(string)
		cond, _ := c["conditions"].(map[string]any)
		scopes, isList := cond["scopes"].([]any)
		if !strings.HasPrefix(id, "ocl") || c["status"] != "ACTIVE" || c["alwaysIncludeInToken"] != true || !isList || len(scopes) != 0 ||
			c["system"] != false || c["apiResourceId"] != nil || c["value"] != `app.clientId + "@svc"` {
			t.Fatalf("claim: %s", a.body)
		}
		if _, ok := c["group_filter_type"]; ok {
			t.Errorf("EXPRESSION claim has group_filter_type: %s", a.body)
		}
		self := c["_links"].(map[string]any)["self"].(map[string]any)["href"]
		if self != ts.URL+base+"/"+id {
			t.Errorf("self link %v", self)
		}
		if g := ts.mgmt(t, http.MethodGet, base+"/"+id, nil); g.status != 200 || g.json(t)["name"] != "svc" {
			t.Fatalf("get: %d %s", g.status, g.body)
		}

		for name, tc := range map[string]struct {
			body  map[string]any
			cause string
		}{
			"blank name":     {map[string]any{"claimType": "RESOURCE", "value": "1"}, "name: The field cannot be left blank"},
			"reserved name":  {map[string]any{"name": "sub", "claimType": "RESOURCE", "value": "1"}, "name: The claim name 'sub' is reserved"},
			"duplicate":      {map[string]any{"name": "svc", "claimType": "RESOURCE", "value": "1"}, "name: A claim with the same name and claim type already exists"},
			"bad expression": {map[string]any{"name": "x", "claimType": "RESOURCE", "value": `user.a + + "b"`}, "value: Invalid expression at position 10: unexpected '+'"},
			"unclosed call":  {map[string]any{"name": "x", "claimType": "RESOURCE", "value": `String.nope(1`}, "value: Invalid expression at position"},
			"bad claimType":  {map[string]any{"name": "x", "claimType": "ID", "value": "1"}, "claimType: Must be one of RESOURCE, IDENTITY"},
			"bad valueType":  {map[string]any{"name": "x", "claimType": "RESOURCE", "valueType": "SYSTEM", "value": "1"}, "valueType: Must be one of EXPRESSION, GROUPS"},
			"bad regex":      {map[string]any{"name": "g", "claimType": "IDENTITY", "valueType": "GROUPS", "group_filter_type": "REGEX", "value": "(["}, "value: Invalid regular expression"},
			"no filter":      {map[string]any{"name": "g", "claimType": "IDENTITY", "valueType": "GROUPS", "value": ".*"}, "group_filter_type: The field cannot be left blank"},
			"unknown scope":  {map[string]any{"name": "x", "claimType": "RESOURCE", "value": "1", "conditions": map[string]any{"scopes": []string{"nope:read"}}}, "conditions.scopes: The scope 'nope:read' does not exist"},
			"bad status":     {map[string]any{"name": "x", "claimType": "RESOURCE", "value": "1", "status": "ON"}, "status: Must be one of ACTIVE, INACTIVE"},
		} {
			r := ts.mgmt(t, http.MethodPost, base, tc.body)
			m := r.json(t)
			causes, _ := m["errorCauses"].([]any)
			found := false
			for _, cs := range causes {
				found = found || strings.HasPrefix(cs.(map[string]any)["errorSummary"].(string), tc.cause)
			}
			if r.status != 400 || m["errorCode"] != "E0000001" || !found {
				t.Errorf("%s: %d %s", name, r.status, r.body)
			}
		}
		if r := ts.do(t, http.MethodPost, base, "SSWS "+ts.APIToken, "application/json", []byte(`{"name":`)); r.status != 400 || r.json(t)["errorCode"] != "E0000003" {
			t.Errorf("malformed body: %d %s", r.status, r.body)
		}
		// The same name is allowed for the other claim type.
		g := ts.mgmt(t, http.MethodPost, base, map[string]any{"name": "svc", "claimType": "IDENTITY", "valueType": "GROUPS", "group_filter_type": "STARTS_WITH", "value": "app"})
		if g.status != 201 || g.json(t)["group_filter_type"] != "STARTS_WITH" || g.json(t)["alwaysIncludeInToken"] != false {
			t.Fatalf("identity claim: %d %s", g.status, g.body)
		}
		if r := ts.mgmt(t, http.MethodPost, "/api/v1/authorizationServers/ausNOPE/claims", map[string]any{"name": "x", "claimType": "RESOURCE", "value": "1"}); r.status != 404 || r.json(t)["errorCode"] != "E0000007" {
			t.Errorf("unknown server: %d %s", r.status, r.body)
		}
		if r := ts.mgmt(t, http.MethodGet, base+"/oclNOPE", nil); r.status != 404 || r.json(t)["errorCode"] != "E0000007" {
			t.Errorf("unknown claim: %d %s", r.status, r.body)
		}
		var list []map[string]any
		if err := json.Unmarshal(ts.mgmt(t, http.MethodGet, base, nil).body, &list); err != nil {
			t.Fatal(err)
		}
		if len(list) < 2 {
			t.Fatalf("list: %v", list)
		}

		put := ts.mgmt(t, http.MethodPut, base+"/"+id, map[string]any{"name": "svc", "claimType": "RESOURCE", "value": `org.name`, "status": "INACTIVE"})
		if put.status != 200 || put.json(t)["status"] != "INACTIVE" || put.json(t)["value"] != "org.name" {
			t.Fatalf("put: %d %s", put.status, put.body)
		}
		if r := ts.mgmt(t, http.MethodPut, base+"/"+id, map[string]any{"name": "svc", "claimType": "RESOURCE", "value": `(`}); r.status != 400 {
			t.Errorf("bad put: %d %s", r.status, r.body)
		}
		if d := ts.mgmt(t, http.MethodDelete, base+"/"+id, nil); d.status != 204 {
			t.Fatalf("delete: %d %s", d.status, d.body)
		}
		if d := ts.mgmt(t, http.MethodDelete, base+"/"+id, nil); d.status != 404 {
			t.Fatalf("second delete: %d %s", d.status, d.body)
		}

		q := url.Values{"filter": {`eventType eq "oauth2.as.claim.created" or eventType eq "oauth2.as.claim.updated" or eventType eq "oauth2.as.claim.deleted"`}}
		var events []map[string]any
		if err := json.Unmarshal(ts.mgmt(t, http.MethodGet, "/api/v1/logs?"+q.Encode(), nil).body, &events); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range events {
			seen[e["eventType"].(string)] = true
		}
		if !seen["oauth2.as.claim.created"] || !seen["oauth2.as.claim.updated"] || !seen["oauth2.as.claim.deleted"] {
			t.Errorf("System Log events: %v", seen)
		}
	})
}

// accessClaims decodes an access token's payload; the signature is checked
// by the protocol tests.
func accessClaims(t *testing.T, at string) map[string]any {
	t.Helper()
	parts := strings.Split(at, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", at)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestClientCredentialsResourceClaims: configured RESOURCE claims appear in
// client_credentials access tokens as configured, only for their scopes and
// only while active.
func TestClientCredentialsResourceClaims(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ts.createScope(t, "default", "reports:read", false)
		ts.createScope(t, "default", "other:read", false)
		base := "/api/v1/authorizationServers/default/claims"
		create := func(body map[string]any) string {
			t.Helper()
			body["claimType"] = "RESOURCE"
			a := ts.mgmt(t, http.MethodPost, base, body)
			if a.status != 201 {
				t.Fatalf("create claim: %d %s", a.status, a.body)
			}
			return a.json(t)["id"].(string)
		}
		create(map[string]any{"name": "svc", "value": `app.clientId + "@svc"`})
		create(map[string]any{"name": "reports", "value": `"yes"`, "conditions": map[string]any{"scopes": []string{"reports:read"}}})
		create(map[string]any{"name": "off", "value": `"x"`, "status": "INACTIVE"})
		create(map[string]any{"name": "email", "value": `user.email`})
		create(map[string]any{"name": "who", "value": `(appuser != null) ? appuser.userName : String.toUpperCase(org.name)`})
		create(map[string]any{"name": "broken", "value": `true && "x"`})
		create(map[string]any{"name": "groups", "value": `Groups.startsWith("OKTA", "a", 10)`})
		create(map[string]any{"name": "member", "value": `isMemberOfGroupName("Everyone")`})

		clientID, key, kid := ts.serviceApp(t, "claims-bot")
		tokenURL := tokenclient.TokenURL(ts.URL, "default")
		get := func(scope string) map[string]any {
			t.Helper()
			r, err := tokenclient.ClientCredentials(context.Background(), ts.HTTP, tokenURL, ts.assertion(t, clientID, key, kid, tokenURL), scope)
			if err != nil {
				t.Fatalf("token (%q): %v", scope, err)
			}
			return accessClaims(t, r.AccessToken)
		}
		m := get("reports:read")
		if m["svc"] != clientID+"@svc" || m["reports"] != "yes" || m["who"] != "TEST ORG" || m["sub"] != clientID || m["member"] != false {
			t.Fatalf("claims: %v", m)
		}
		groups, _ := m["groups"].([]any)
		if _, ok := m["groups"]; !ok || len(groups) != 0 {
			t.Errorf("groups without a user: %v", m["groups"])
		}
		for _, absent := range []string{"off", "email", "broken"} {
			if _, ok := m[absent]; ok {
				t.Errorf("claim %s present: %v", absent, m)
			}
		}
		// Without the condition scope, the conditioned claim is left out.
		m = get("other:read")
		if _, ok := m["reports"]; ok || m["svc"] != clientID+"@svc" {
			t.Errorf("token without reports:read: %v", m)
		}
	})
}
