package mgmt

import (
	"slices"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

func TestGrantFromRequest(t *testing.T) {
	scope, iss, err := GrantFromRequest([]byte(`{"scopeId":"okta.users.read","issuer":"https://idp.example.com/"}`))
	if err != nil || scope != "okta.users.read" || iss != "https://idp.example.com" {
		t.Fatalf("%q %q %v", scope, iss, err)
	}
	if _, iss, err := GrantFromRequest([]byte(`{"scopeId":"okta.clients.read","issuer":"http://localhost:8080"}`)); err != nil || iss != "http://localhost:8080" {
		t.Fatalf("local issuer: %q %v", iss, err)
	}

	tests := []struct {
		name, body string
		code       string
		causes     []string
	}{
		{"malformed", `{"scopeId":`, oktaerr.CodeMalformedBody, nil},
		{"wrong type", `{"scopeId":["okta.users.read"]}`, oktaerr.CodeMalformedBody, []string{"scopeId: The value must be a string."}},
		{"blank", `{}`, oktaerr.CodeValidation, []string{"scopeId: The field cannot be left blank", "issuer: The field cannot be left blank"}},
		{"unknown scope", `{"scopeId":"okta.everything.manage","issuer":"https://idp.example.com"}`, oktaerr.CodeValidation,
			[]string{"scopeId: 'okta.everything.manage' is not an Okta API scope."}},
		{"oidc scope", `{"scopeId":"openid","issuer":"https://idp.example.com"}`, oktaerr.CodeValidation,
			[]string{"scopeId: 'openid' is not an Okta API scope."}},
		{"case matters", `{"scopeId":"okta.Users.read","issuer":"https://idp.example.com"}`, oktaerr.CodeValidation,
			[]string{"scopeId: 'okta.Users.read' is not an Okta API scope."}},
		{"relative issuer", `{"scopeId":"okta.users.read","issuer":"idp.example.com"}`, oktaerr.CodeValidation,
			[]string{"issuer: 'idp.example.com' is not a valid issuer: it must be the org's absolute URL."}},
		{"issuer with query", `{"scopeId":"okta.users.read","issuer":"https://idp.example.com?x=1"}`, oktaerr.CodeValidation,
			[]string{"issuer: 'https://idp.example.com?x=1' is not a valid issuer: it must be the org's absolute URL."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, i, err := GrantFromRequest([]byte(tt.body))
			if err == nil || s != "" || i != "" {
				t.Fatalf("accepted %q %q", s, i)
			}
			if err.Code != tt.code || err.Status != 400 || !slices.Equal(causes(err), tt.causes) && len(tt.causes)+len(err.Causes) > 0 {
				t.Fatalf("got %s %q", err.Code, causes(err))
			}
		})
	}
}

func TestGrantToJSON(t *testing.T) {
	app, _ := mustApp(t, serviceBody)
	g := &store.AppGrant{ID: "oag91n9ruw3dsaXzP0h6", AppID: app.ID, Issuer: "https://idp.example.com", ScopeID: "okta.users.read",
		Status: "ACTIVE", Source: "ADMIN", CreatedBy: "00uvozgevpwhNsOXx1d7", Created: testNow, LastUpdated: testNow}
	m := decodeMap(t, GrantToJSON(g, app, "https://idp.example.com/"))
	want := map[string]any{
		"id": g.ID, "status": "ACTIVE", "created": "2025-03-13T23:22:54.000Z", "lastUpdated": "2025-03-13T23:22:54.000Z",
		"issuer": "https://idp.example.com", "clientId": app.ClientID, "scopeId": "okta.users.read", "source": "ADMIN",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	checks := map[string]any{
		"_embedded.scope.id":  "okta.users.read",
		"createdBy.id":        "00uvozgevpwhNsOXx1d7",
		"createdBy.type":      "User",
		"_links.app.href":     "https://idp.example.com/api/v1/apps/" + app.ID,
		"_links.self.href":    "https://idp.example.com/api/v1/apps/" + app.ID + "/grants/" + g.ID,
		"_links.client.href":  "https://idp.example.com/oauth2/v1/clients/" + app.ClientID,
		"_links.client.title": app.Label,
	}
	for p, v := range checks {
		if got := path(m, strings.Split(p, ".")...); got != v {
			t.Errorf("%s = %v, want %v", p, got, v)
		}
	}
	g.CreatedBy = app.ClientID
	if path(decodeMap(t, GrantToJSON(g, app, "https://idp.example.com")), "createdBy", "type") != "Client" {
		t.Error("client creator")
	}
	g.CreatedBy = ""
	if _, ok := decodeMap(t, GrantToJSON(g, app, "https://idp.example.com"))["createdBy"]; ok {
		t.Error("empty creator shown")
	}
}

func TestOktaScopes(t *testing.T) {
	s := OktaScopes()
	if !slices.IsSorted(s) || len(slices.Compact(slices.Clone(s))) != len(s) {
		t.Fatal("not sorted or has duplicates")
	}
	// Every scope the reference names, and those the OpenMetadata guide grants.
	for _, want := range []string{
		"okta.users.read", "okta.users.manage", "okta.users.read.self", "okta.users.manage.self",
		"okta.groups.read", "okta.groups.manage", "okta.apps.read", "okta.apps.manage",
		"okta.appGrants.read", "okta.appGrants.manage", "okta.clients.read", "okta.clients.manage", "okta.clients.register",
		"okta.authorizationServers.read", "okta.authorizationServers.manage", "okta.trustedOrigins.read", "okta.trustedOrigins.manage",
		"okta.apiTokens.read", "okta.apiTokens.manage", "okta.logs.read", "okta.sessions.read", "okta.sessions.manage",
		"okta.policies.read", "okta.policies.manage", "okta.roles.read", "okta.roles.manage", "okta.orgs.read",
		"okta.userTypes.read", "okta.userTypes.manage", "okta.schemas.read", "okta.schemas.manage",
	} {
		if !slices.Contains(s, want) || !IsOktaScope(want) {
			t.Errorf("missing %s", want)
		}
	}
	for _, s := range s {
		if !strings.HasPrefix(s, "okta.") {
			t.Errorf("%q is not an okta scope", s)
		}
	}
	s[0] = "tampered"
	if IsOktaScope("tampered") || OktaScopes()[0] == "tampered" {
		t.Error("the list is shared")
	}
	for _, bad := range []string{"", "okta.users.read okta.users.manage", "okta.", "openid", " okta.users.read"} {
		if IsOktaScope(bad) {
			t.Errorf("IsOktaScope(%q)", bad)
		}
	}
}
