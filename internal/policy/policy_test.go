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

// TestRuleMatching covers §5.1's walk case by case: policies and rules in
// the order the snapshot holds them (priority order), inactive ones
// skipped, the first rule whose grant type, people and scopes all match
// wins, and nothing matching is 401 access_denied.
func TestRuleMatching(t *testing.T) {
	scopes := []*store.Scope{{Name: "openid", System: true}, {Name: "read", Default: true}, {Name: "write", Default: true}, {Name: "admin"}}
	pw := []string{"password"}
	inactive := func(r *store.PolicyRule) { r.Status = "INACTIVE" }
	inactivePolicy := pol("p0", []string{"ALL_CLIENTS"}, rule("r0", pw, []string{"*"}, nil))
	inactivePolicy.Status = "INACTIVE"
	for _, c := range []struct {
		name     string
		srv      *cache.Server
		req      Request
		wantRule string // "" for the denial
	}{
		{"first rule of the first policy wins", server(scopes,
			pol("p1", []string{"c"}, rule("r1", pw, []string{"*"}, nil), rule("r2", pw, []string{"*"}, nil)),
			pol("p2", []string{"c"}, rule("r3", pw, []string{"*"}, nil))),
			Request{ClientID: "c", GrantType: "password", Scopes: []string{"read"}, UserID: "u1"}, "r1"},
		{"inactive policy skipped", server(scopes, inactivePolicy, pol("p1", []string{"c"}, rule("r1", pw, []string{"*"}, nil))),
			Request{ClientID: "c", GrantType: "password", Scopes: []string{"read"}, UserID: "u1"}, "r1"},
		{"only inactive rules", server(scopes, pol("p1", []string{"c"}, rule("r1", pw, []string{"*"}, inactive))),
			Request{ClientID: "c", GrantType: "password", Scopes: []string{"read"}, UserID: "u1"}, ""},
		{"client named among others", server(scopes, pol("p1", []string{"a", "c", "z"}, rule("r1", pw, []string{"*"}, nil))),
			Request{ClientID: "c", GrantType: "password", Scopes: []string{"read"}, UserID: "u1"}, "r1"},
		{"user included by id", server(scopes, pol("p1", []string{"c"}, rule("r1", pw, []string{"*"}, func(r *store.PolicyRule) {
			r.GroupsInclude, r.UsersInclude = nil, []string{"u1"}
		}))), Request{ClientID: "c", GrantType: "password", Scopes: []string{"read"}, UserID: "u1"}, "r1"},
		{"user neither included nor in a group", server(scopes, pol("p1", []string{"c"}, rule("r1", pw, []string{"*"}, func(r *store.PolicyRule) {
			r.GroupsInclude, r.UsersInclude = nil, []string{"u2"}
		}))), Request{ClientID: "c", GrantType: "password", Scopes: []string{"read"}, UserID: "u1"}, ""},
		{"group exclusion beats EVERYONE", server(scopes, pol("p1", []string{"c"}, rule("r1", pw, []string{"*"}, func(r *store.PolicyRule) {
			r.GroupsExclude = []string{"contractors"}
		}), rule("r2", pw, []string{"read"}, nil))), Request{ClientID: "c", GrantType: "password", Scopes: []string{"read"}, UserID: "u1", UserGroups: []string{"staff", "contractors"}}, "r2"},
		{"user exclusion beats user inclusion", server(scopes, pol("p1", []string{"c"}, rule("r1", pw, []string{"*"}, func(r *store.PolicyRule) {
			r.UsersInclude, r.UsersExclude = []string{"u1"}, []string{"u1"}
		}))), Request{ClientID: "c", GrantType: "password", Scopes: []string{"read"}, UserID: "u1"}, ""},
		{"client credentials: the people condition does not apply", server(scopes, pol("p1", []string{"c"}, rule("r1", []string{"client_credentials"}, []string{"*"}, func(r *store.PolicyRule) {
			r.GroupsInclude, r.UsersExclude = []string{"g-nobody"}, []string{"u1"}
		}))), Request{ClientID: "c", GrantType: "client_credentials", Scopes: []string{"read"}}, "r1"},
		{"default scopes must all be covered", server(scopes, pol("p1", []string{"c"}, rule("r1", pw, []string{"read"}, nil), rule("r2", pw, []string{"read", "write"}, nil))),
			Request{ClientID: "c", GrantType: "password", UserID: "u1"}, "r2"},
		{"a scope no rule lists", server(scopes, pol("p1", []string{"c"}, rule("r1", pw, []string{"read", "write"}, nil))),
			Request{ClientID: "c", GrantType: "password", Scopes: []string{"read", "admin"}, UserID: "u1"}, ""},
		{"grant type of another rule", server(scopes, pol("p1", []string{"c"}, rule("r1", []string{"authorization_code"}, []string{"*"}, nil), rule("r2", []string{"implicit", "password"}, []string{"*"}, nil))),
			Request{ClientID: "c", GrantType: "password", Scopes: []string{"read"}, UserID: "u1"}, "r2"},
		{"no policies", server(scopes), Request{ClientID: "c", GrantType: "password", Scopes: []string{"read"}, UserID: "u1"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, d := Evaluate(c.srv, c.req)
			if c.wantRule == "" {
				if d == nil || d.Status != 401 || d.Code != "access_denied" || d.Description != "Policy evaluation failed for this request, please check the policy configurations." {
					t.Fatalf("got %+v %+v, want the policy denial", res, d)
				}
				return
			}
			if d != nil || res.RuleID != c.wantRule {
				t.Fatalf("got %+v %v, want rule %s", res, d, c.wantRule)
			}
		})
	}
}

// TestRuleLifetimes: the rule's lifetimes come with the match; a rule that
// leaves them unset gets Okta's defaults (§3.4: access 60 minutes, window
// 10080 minutes, refresh unlimited), and the default scopes are what was
// granted when none was asked for (§5.2).
func TestRuleLifetimes(t *testing.T) {
	scopes := []*store.Scope{{Name: "read", Default: true}, {Name: "write"}, {Name: "audit", Default: true}}
	srv := server(scopes, pol("p1", []string{"ALL_CLIENTS"}, rule("r1", []string{"password"}, []string{"*"}, func(r *store.PolicyRule) {
		r.AccessTokenLifetimeMinutes, r.RefreshTokenLifetimeMinutes, r.RefreshTokenWindowMinutes = 0, 0, 0
	}), rule("r2", []string{"client_credentials"}, []string{"*"}, func(r *store.PolicyRule) {
		r.AccessTokenLifetimeMinutes, r.RefreshTokenLifetimeMinutes, r.RefreshTokenWindowMinutes = 5, 120, 30
	})))
	res, d := Evaluate(srv, Request{ClientID: "c", GrantType: "password", UserID: "u1"})
	if d != nil {
		t.Fatal(d)
	}
	if res.AccessTokenLifetimeMinutes != 60 || res.RefreshTokenLifetimeMinutes != 0 || res.RefreshTokenWindowMinutes != 10080 || res.PolicyID != "p1" {
		t.Errorf("defaults: %+v", res)
	}
	if !slices.Equal(res.Scopes, []string{"read", "audit"}) {
		t.Errorf("default scopes %v", res.Scopes)
	}
	res, d = Evaluate(srv, Request{ClientID: "c", GrantType: "client_credentials", Scopes: []string{"write"}})
	if d != nil {
		t.Fatal(d)
	}
	if res.AccessTokenLifetimeMinutes != 5 || res.RefreshTokenLifetimeMinutes != 120 || res.RefreshTokenWindowMinutes != 30 || !slices.Equal(res.Scopes, []string{"write"}) {
		t.Errorf("set lifetimes: %+v", res)
	}
	// Scope checks come before the walk: an unknown scope is invalid_scope
	// even where no policy would match.
	if _, d := Evaluate(server(scopes), Request{ClientID: "c", GrantType: "password", Scopes: []string{"nope"}}); d == nil || d.Status != 400 || d.Code != "invalid_scope" {
		t.Errorf("unknown scope: %+v", d)
	}
}
