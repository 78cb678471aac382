package policy

import (
	"slices"
	"testing"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/store"
)

func server(scopes []*store.Scope, policies ...*cache.Policy) *cache.Server {
	s := &cache.Server{ScopesByName: map[string]*store.Scope{}, Scopes: scopes, Policies: policies}
	for _, sc := range scopes {
		s.ScopesByName[sc.Name] = sc
	}
	return s
}

func pol(id string, clients []string, rules ...*store.PolicyRule) *cache.Policy {
	return &cache.Policy{Policy: &store.Policy{ID: id, Status: "ACTIVE", ClientsInclude: clients}, Rules: rules}
}

func rule(id string, grants, scopes []string, mod func(r *store.PolicyRule)) *store.PolicyRule {
	r := &store.PolicyRule{ID: id, Status: "ACTIVE", GrantTypes: grants, Scopes: scopes, GroupsInclude: []string{"EVERYONE"}, AccessTokenLifetimeMinutes: 15}
	if mod != nil {
		mod(r)
	}
	return r
}

func TestEvaluate(t *testing.T) {
	scopes := []*store.Scope{{Name: "openid", System: true}, {Name: "read", Default: true}, {Name: "write"}}
	cc := []string{"client_credentials"}
	cases := []struct {
		name       string
		srv        *cache.Server
		req        Request
		wantRule   string
		wantScopes []string
		wantErr    string
	}{
		{"default scopes", server(scopes, pol("p1", []string{"ALL_CLIENTS"}, rule("r1", cc, []string{"*"}, nil))),
			Request{ClientID: "c", GrantType: "client_credentials"}, "r1", []string{"read"}, ""},
		{"no default scopes", server(scopes[2:], pol("p1", []string{"ALL_CLIENTS"}, rule("r1", cc, []string{"*"}, nil))),
			Request{ClientID: "c", GrantType: "client_credentials"}, "", nil, "The authorization server resource does not have any configured default scopes, 'scope' must be provided."},
		{"unknown scope", server(scopes, pol("p1", []string{"ALL_CLIENTS"}, rule("r1", cc, []string{"*"}, nil))),
			Request{ClientID: "c", GrantType: "client_credentials", Scopes: []string{"nope"}}, "", nil, "One or more scopes are not configured for the authorization server resource."},
		{"client not included", server(scopes, pol("p1", []string{"other"}, rule("r1", cc, []string{"*"}, nil))),
			Request{ClientID: "c", GrantType: "client_credentials", Scopes: []string{"read"}}, "", nil, "Policy evaluation failed for this request, please check the policy configurations."},
		{"grant not in rule", server(scopes, pol("p1", []string{"c"}, rule("r1", []string{"authorization_code"}, []string{"*"}, nil))),
			Request{ClientID: "c", GrantType: "client_credentials", Scopes: []string{"read"}}, "", nil, "Policy evaluation failed for this request, please check the policy configurations."},
		{"scope list must cover every scope", server(scopes, pol("p1", []string{"c"}, rule("r1", cc, []string{"read"}, nil), rule("r2", cc, []string{"read", "write"}, nil))),
			Request{ClientID: "c", GrantType: "client_credentials", Scopes: []string{"read", "write"}}, "r2", []string{"read", "write"}, ""},
		{"inactive rule skipped", server(scopes, pol("p1", []string{"c"}, rule("r1", cc, []string{"*"}, func(r *store.PolicyRule) { r.Status = "INACTIVE" }), rule("r2", cc, []string{"*"}, nil))),
			Request{ClientID: "c", GrantType: "client_credentials", Scopes: []string{"read"}}, "r2", []string{"read"}, ""},
		{"next policy when no rule matches", server(scopes, pol("p1", []string{"c"}, rule("r1", []string{"password"}, []string{"*"}, nil)), pol("p2", []string{"ALL_CLIENTS"}, rule("r2", cc, []string{"*"}, nil))),
			Request{ClientID: "c", GrantType: "client_credentials", Scopes: []string{"read"}}, "r2", []string{"read"}, ""},
		{"user excluded", server(scopes, pol("p1", []string{"c"}, rule("r1", []string{"password"}, []string{"*"}, func(r *store.PolicyRule) { r.UsersExclude = []string{"u1"} }))),
			Request{ClientID: "c", GrantType: "password", Scopes: []string{"read"}, UserID: "u1"}, "", nil, "Policy evaluation failed for this request, please check the policy configurations."},
		{"user by group", server(scopes, pol("p1", []string{"c"}, rule("r1", []string{"password"}, []string{"*"}, func(r *store.PolicyRule) { r.GroupsInclude = []string{"g1"} }))),
			Request{ClientID: "c", GrantType: "password", Scopes: []string{"read"}, UserID: "u1", UserGroups: []string{"g1"}}, "r1", []string{"read"}, ""},
		{"user not in group", server(scopes, pol("p1", []string{"c"}, rule("r1", []string{"password"}, []string{"*"}, func(r *store.PolicyRule) { r.GroupsInclude = []string{"g1"} }))),
			Request{ClientID: "c", GrantType: "password", Scopes: []string{"read"}, UserID: "u1", UserGroups: []string{"g2"}}, "", nil, "Policy evaluation failed for this request, please check the policy configurations."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, d := Evaluate(c.srv, c.req)
			if c.wantErr != "" {
				if d == nil || d.Description != c.wantErr {
					t.Fatalf("got %+v %+v, want %q", res, d, c.wantErr)
				}
				return
			}
			if d != nil {
				t.Fatalf("denied: %v", d)
			}
			if res.RuleID != c.wantRule || !slices.Equal(res.Scopes, c.wantScopes) || res.AccessTokenLifetimeMinutes != 15 {
				t.Fatalf("got %+v", res)
			}
		})
	}
}

func TestParseScopes(t *testing.T) {
	if got := ParseScopes("  a b\ta  c "); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("%v", got)
	}
	if got := ParseScopes(""); got != nil {
		t.Fatalf("%v", got)
	}
}
