package app

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestUserTokensClaimsAndPolicies: custom IDENTITY claims (EXPRESSION and
// GROUPS with their filters, alwaysIncludeInToken) in ID tokens and
// userinfo, RESOURCE claims computed from the user in access tokens, and
// access-policy people conditions decided by real users and groups.
func TestUserTokensClaimsAndPolicies(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		eng := ts.createUser(t, "?activate=true", map[string]any{"login": "eng@example.com", "email": "eng@example.com",
			"firstName": "Edsger", "lastName": "Dijkstra", "department": "research"}, "Correct-Horse-42")["id"].(string)
		sales := ts.createUser(t, "?activate=true", map[string]any{"login": "sales@example.com", "email": "sales@example.com",
			"firstName": "Sal", "lastName": "Es", "department": "sales"}, "Correct-Horse-42")["id"].(string)
		group := func(name string, members ...string) string {
			g := ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": name}})
			if g.status != 200 {
				t.Fatalf("group %s: %d %s", name, g.status, g.body)
			}
			id := g.json(t)["id"].(string)
			for _, m := range members {
				if a := ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+id+"/users/"+m, nil); a.status != 204 {
					t.Fatalf("add member: %d %s", a.status, a.body)
				}
			}
			return id
		}
		platform := group("eng-platform", eng)
		group("Eng-Data", eng)
		group("sales", sales)

		base := "/api/v1/authorizationServers/default/claims"
		for _, c := range []map[string]any{
			{"name": "groups", "claimType": "IDENTITY", "valueType": "GROUPS", "group_filter_type": "STARTS_WITH", "value": "eng", "alwaysIncludeInToken": true},
			{"name": "data_groups", "claimType": "IDENTITY", "valueType": "GROUPS", "group_filter_type": "REGEX", "value": "Eng-D.*", "alwaysIncludeInToken": true},
			{"name": "dept", "claimType": "IDENTITY", "valueType": "EXPRESSION", "value": "user.department", "alwaysIncludeInToken": false},
			{"name": "team", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "String.toUpperCase(user.department)"},
			{"name": "admin", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": `isMemberOfGroupName("eng-platform") ? "yes" : "no"`},
		} {
			ts.create(t, base, c)
		}

		native, _, nativeApp := ts.oidcApp(t, "CLI", "native", "none", []string{"authorization_code", "password"}, []string{"code"}, nil)
		ts.assign(t, nativeApp, eng)
		ts.assign(t, nativeApp, sales)
		// A policy ahead of the default one: 15-minute tokens for the
		// eng-platform group, not for anyone in sales.
		p := ts.create(t, "/api/v1/authorizationServers/default/policies", map[string]any{"type": "OAUTH_AUTHORIZATION_POLICY", "name": "Platform",
			"priority": 1, "conditions": map[string]any{"clients": map[string]any{"include": []string{native}}}})
		ts.create(t, "/api/v1/authorizationServers/default/policies/"+p["id"].(string)+"/rules", map[string]any{"type": "RESOURCE_ACCESS", "name": "Platform people",
			"conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{platform}}},
				"grantTypes": map[string]any{"include": []string{"password"}}, "scopes": map[string]any{"include": []string{"*"}}},
			"actions": map[string]any{"token": map[string]any{"accessTokenLifetimeMinutes": 15}}})

		signIn := func(login string) map[string]any {
			a := ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"password"}, "client_id": {native},
				"username": {login}, "password": {"Correct-Horse-42"}, "scope": {"openid profile"}})
			if a.status != 200 {
				t.Fatalf("password grant for %s: %d %s", login, a.status, a.body)
			}
			return a.json(t)
		}
		res := signIn("eng@example.com")
		id := decodeClaims(t, res["id_token"].(string))
		at := decodeClaims(t, res["access_token"].(string))
		groups, _ := id["groups"].([]any)
		names := []string{}
		for _, g := range groups {
			names = append(names, g.(string))
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"Eng-Data", "eng-platform"}) {
			t.Errorf("groups claim (STARTS_WITH is case-insensitive) %v", id["groups"])
		}
		if dg, _ := id["data_groups"].([]any); len(dg) != 1 || dg[0] != "Eng-Data" {
			t.Errorf("REGEX groups claim %v", id["data_groups"])
		}
		if _, ok := id["dept"]; ok {
			t.Error("an IDENTITY claim without alwaysIncludeInToken is in an ID token issued with an access token")
		}
		if at["team"] != "RESEARCH" || at["admin"] != "yes" || at["exp"].(float64)-at["iat"].(float64) != 900 {
			t.Errorf("access token %v", at)
		}
		info := ts.do(t, http.MethodGet, "/oauth2/default/v1/userinfo", "Bearer "+res["access_token"].(string), "", nil).json(t)
		if info["dept"] != "research" || info["sub"] != eng || info["preferred_username"] != "eng@example.com" || info["groups"] == nil {
			t.Errorf("userinfo %v", info)
		}

		// The sales user is not in the platform group: the default policy's
		// one-hour rule applies, and the group claims are absent.
		res = signIn("sales@example.com")
		at = decodeClaims(t, res["access_token"].(string))
		id = decodeClaims(t, res["id_token"].(string))
		if at["exp"].(float64)-at["iat"].(float64) != 3600 || at["admin"] != "no" || at["team"] != "SALES" {
			t.Errorf("sales access token %v", at)
		}
		if _, ok := id["groups"]; ok {
			t.Errorf("a groups claim that matches nothing is present: %v", id["groups"])
		}
	})
}

// TestGroupsClaimLimit: a groups claim matching more than 100 groups fails
// the request with Okta's server_error text rather than a truncated claim.
func TestGroupsClaimLimit(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		for i := range 101 {
			g := ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": fmt.Sprintf("big-%03d", i)}})
			if g.status != 200 {
				t.Fatalf("group: %d %s", g.status, g.body)
			}
			if a := ts.mgmt(t, http.MethodPut, "/api/v1/groups/"+g.json(t)["id"].(string)+"/users/"+user.ID, nil); a.status != 204 {
				t.Fatalf("member: %d", a.status)
			}
		}
		ts.create(t, "/api/v1/authorizationServers/default/claims", map[string]any{"name": "groups", "claimType": "IDENTITY", "valueType": "GROUPS",
			"group_filter_type": "STARTS_WITH", "value": "big-", "alwaysIncludeInToken": true})
		native, _, nativeApp := ts.oidcApp(t, "CLI", "native", "none", []string{"authorization_code", "password"}, []string{"code"}, nil)
		ts.assign(t, nativeApp, user.ID)
		a := ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"password"}, "client_id": {native},
			"username": {"ada@example.com"}, "password": {"Correct-Horse-42"}, "scope": {"openid"}})
		wantOAuth(t, "101 groups", a, 500, "server_error", "The groups claim matched too many groups and must be configured to match fewer groups.")
	})
}
