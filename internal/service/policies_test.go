package service

import (
	"fmt"
	"slices"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestRuleValidation: the rule object's rules (§4.6, §3.4): type
// RESOURCE_ACCESS, known grant types, people and scopes that exist, access
// token lifetime 5..1440 (default 60), refresh lifetime 0 (unlimited) or at
// least the access lifetime, window 10..2 628 000 (default 10080) and
// between the other two.
func TestRuleValidation(t *testing.T) {
	f := newFixture(t)
	pol := &store.Policy{Name: "Second", ClientsInclude: []string{"ALL_CLIENTS"}}
	if err := f.svc.CreatePolicy(f.ctx, SystemContext, "default", pol); err != nil {
		t.Fatal(err)
	}
	g := f.group(t, "Engineering")
	u := f.user(t, "rule@example.com", store.UserActive, false)
	rule := func(mod func(r *store.PolicyRule)) *store.PolicyRule {
		r := &store.PolicyRule{Name: "r", Type: "RESOURCE_ACCESS", GrantTypes: []string{"client_credentials"}, Scopes: []string{"*"}, GroupsInclude: []string{"EVERYONE"}}
		if mod != nil {
			mod(r)
		}
		return r
	}
	for _, c := range []struct {
		name   string
		r      *store.PolicyRule
		causes []string
	}{
		{"defaults", rule(nil), nil},
		{"people and scopes that exist", rule(func(r *store.PolicyRule) {
			r.UsersInclude, r.GroupsInclude, r.GroupsExclude, r.Scopes = []string{u.ID}, []string{g.ID}, []string{"EVERYONE"}, []string{"openid", "profile"}
		}), nil},
		{"bounds", rule(func(r *store.PolicyRule) {
			r.AccessTokenLifetimeMinutes, r.RefreshTokenLifetimeMinutes, r.RefreshTokenWindowMinutes = 5, 10, 10
		}), nil},
		{"largest", rule(func(r *store.PolicyRule) {
			r.AccessTokenLifetimeMinutes, r.RefreshTokenWindowMinutes = 1440, 2628000
		}), nil},
		{"blank name", rule(func(r *store.PolicyRule) { r.Name = " " }), []string{"name: The field cannot be left blank"}},
		{"type", rule(func(r *store.PolicyRule) { r.Type = "SIGN_ON" }), []string{"type: Must be RESOURCE_ACCESS"}},
		{"status", rule(func(r *store.PolicyRule) { r.Status = "PAUSED" }), []string{"status: Must be one of ACTIVE, INACTIVE"}},
		{"no grant type", rule(func(r *store.PolicyRule) { r.GrantTypes = nil }), []string{"conditions.grantTypes.include: The field cannot be left blank"}},
		{"refresh_token is no rule grant", rule(func(r *store.PolicyRule) { r.GrantTypes = []string{"refresh_token"} }),
			[]string{"conditions.grantTypes.include: Invalid grant type: refresh_token"}},
		{"unknown user", rule(func(r *store.PolicyRule) { r.UsersExclude = []string{"00unothere"} }),
			[]string{"conditions.people.users: Invalid user id: 00unothere"}},
		{"unknown group", rule(func(r *store.PolicyRule) { r.GroupsInclude = []string{"00gnothere"} }),
			[]string{"conditions.people.groups: Invalid group id: 00gnothere"}},
		{"unknown scope", rule(func(r *store.PolicyRule) { r.Scopes = []string{"openid", "nothere"} }),
			[]string{"conditions.scopes.include: Invalid scope: nothere"}},
		{"access lifetime 4", rule(func(r *store.PolicyRule) { r.AccessTokenLifetimeMinutes = 4 }),
			[]string{"actions.token.accessTokenLifetimeMinutes: Must be between 5 and 1440 minutes"}},
		{"access lifetime 1441", rule(func(r *store.PolicyRule) { r.AccessTokenLifetimeMinutes, r.RefreshTokenWindowMinutes = 1441, 2000 }),
			[]string{"actions.token.accessTokenLifetimeMinutes: Must be between 5 and 1440 minutes"}},
		{"refresh shorter than access", rule(func(r *store.PolicyRule) { r.AccessTokenLifetimeMinutes, r.RefreshTokenLifetimeMinutes = 60, 30 }), []string{
			"actions.token.refreshTokenLifetimeMinutes: Must be 0 (unlimited) or at least the access token lifetime",
			"actions.token.refreshTokenWindowMinutes: Must be between the access token lifetime and the refresh token lifetime"}},
		{"negative refresh", rule(func(r *store.PolicyRule) { r.RefreshTokenLifetimeMinutes = -1 }),
			[]string{"actions.token.refreshTokenLifetimeMinutes: Must be 0 (unlimited) or at least the access token lifetime"}},
		{"window 9", rule(func(r *store.PolicyRule) { r.AccessTokenLifetimeMinutes, r.RefreshTokenWindowMinutes = 5, 9 }),
			[]string{"actions.token.refreshTokenWindowMinutes: Must be between 10 and 2628000 minutes"}},
		{"window past the maximum", rule(func(r *store.PolicyRule) { r.RefreshTokenWindowMinutes = 2628001 }),
			[]string{"actions.token.refreshTokenWindowMinutes: Must be between 10 and 2628000 minutes"}},
		{"window shorter than access", rule(func(r *store.PolicyRule) { r.AccessTokenLifetimeMinutes, r.RefreshTokenWindowMinutes = 120, 60 }),
			[]string{"actions.token.refreshTokenWindowMinutes: Must be between the access token lifetime and the refresh token lifetime"}},
		{"window longer than refresh", rule(func(r *store.PolicyRule) { r.RefreshTokenLifetimeMinutes, r.RefreshTokenWindowMinutes = 120, 240 }),
			[]string{"actions.token.refreshTokenWindowMinutes: Must be between the access token lifetime and the refresh token lifetime"}},
	} {
		err := f.svc.CreateRule(f.ctx, SystemContext, "default", pol.ID, c.r)
		switch {
		case c.causes == nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.causes == nil:
			if c.r.AccessTokenLifetimeMinutes == 0 || c.r.RefreshTokenWindowMinutes == 0 || c.r.Status != store.StatusActive {
				t.Errorf("%s: not normalized: %+v", c.name, c.r)
			}
			if c.name == "defaults" && (c.r.AccessTokenLifetimeMinutes != 60 || c.r.RefreshTokenWindowMinutes != 10080) {
				t.Errorf("defaults: access %d window %d, want 60 10080", c.r.AccessTokenLifetimeMinutes, c.r.RefreshTokenWindowMinutes)
			}
		case err == nil:
			t.Errorf("%s: accepted", c.name)
		default:
			wantOkta(t, c.name, err, 400, "E0000001", c.causes...)
		}
	}
	wantOkta(t, "negative priority", f.svc.CreateRule(f.ctx, SystemContext, "default", pol.ID, rule(func(r *store.PolicyRule) { r.Priority = -1 })),
		400, "E0000001", "priority: Priority must be a positive integer.")
	wantOkta(t, "unknown policy", f.svc.CreateRule(f.ctx, SystemContext, "default", "00pnothere", rule(nil)), 404, "E0000007")
	wantOkta(t, "unknown server", f.svc.CreateRule(f.ctx, SystemContext, "ausnothere", pol.ID, rule(nil)), 404, "E0000007")
}

// TestPolicyValidation: a policy names its clients (ids of existing apps,
// or ALL_CLIENTS) (§4.5).
func TestPolicyValidation(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name   string
		p      store.Policy
		causes []string
	}{
		{"blank name", store.Policy{ClientsInclude: []string{"ALL_CLIENTS"}}, []string{"name: The field cannot be left blank"}},
		{"no clients", store.Policy{Name: "p"}, []string{"conditions.clients.include: The field cannot be left blank"}},
		{"unknown client", store.Policy{Name: "p", ClientsInclude: []string{"0oanothere"}}, []string{"conditions.clients.include: Invalid client id: 0oanothere"}},
		{"status", store.Policy{Name: "p", ClientsInclude: []string{"ALL_CLIENTS"}, Status: "PAUSED"}, []string{"status: Must be one of ACTIVE, INACTIVE"}},
	} {
		wantOkta(t, c.name, f.svc.CreatePolicy(f.ctx, SystemContext, "default", &c.p), 400, "E0000001", c.causes...)
	}
}

// TestPriorities: priorities are 1-based and dense; creating at a taken
// priority shifts the others down, 0 or past the end means last, moving and
// deleting close the gaps (§4.5: Okta renormalises to 1..n).
func TestPriorities(t *testing.T) {
	f := newFixture(t)
	policies := func() []string {
		t.Helper()
		ps, err := f.svc.ListPolicies(f.ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i, p := range ps {
			if p.Priority != i+1 {
				t.Errorf("policy %s has priority %d at place %d", p.Name, p.Priority, i+1)
			}
			out = append(out, p.Name)
		}
		return out
	}
	add := func(name string, prio int) *store.Policy {
		t.Helper()
		p := &store.Policy{Name: name, Priority: prio, ClientsInclude: []string{"ALL_CLIENTS"}}
		if err := f.svc.CreatePolicy(f.ctx, SystemContext, "default", p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := add("A", 0)
	b := add("B", 1)
	add("C", 99)
	if got, want := policies(), []string{"B", "Default Policy", "A", "C"}; !slices.Equal(got, want) {
		t.Errorf("after creating: %v, want %v", got, want)
	}
	a.Priority = 1
	if err := f.svc.UpdatePolicy(f.ctx, SystemContext, "default", a); err != nil {
		t.Fatal(err)
	}
	if got, want := policies(), []string{"A", "B", "Default Policy", "C"}; !slices.Equal(got, want) {
		t.Errorf("after moving A first: %v, want %v", got, want)
	}
	if err := f.svc.DeletePolicy(f.ctx, SystemContext, "default", b.ID); err != nil {
		t.Fatal(err)
	}
	if got, want := policies(), []string{"A", "Default Policy", "C"}; !slices.Equal(got, want) {
		t.Errorf("after deleting B: %v, want %v", got, want)
	}
	// The snapshot evaluates in the same order.
	var cached []string
	for _, p := range f.cache.Current().Servers["default"].Policies {
		cached = append(cached, p.Name)
	}
	if want := []string{"A", "Default Policy", "C"}; !slices.Equal(cached, want) {
		t.Errorf("snapshot order %v, want %v", cached, want)
	}

	// Rules within a policy follow the same rules.
	rules := func() []string {
		t.Helper()
		rs, err := f.svc.ListRules(f.ctx, "default", a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i, r := range rs {
			if r.Priority != i+1 {
				t.Errorf("rule %s has priority %d at place %d", r.Name, r.Priority, i+1)
			}
			out = append(out, r.Name)
		}
		return out
	}
	var ids []string
	for i, prio := range []int{0, 0, 1} {
		r := &store.PolicyRule{Name: fmt.Sprint("r", i), Type: "RESOURCE_ACCESS", Priority: prio, GrantTypes: []string{"password"}, GroupsInclude: []string{"EVERYONE"}}
		if err := f.svc.CreateRule(f.ctx, SystemContext, "default", a.ID, r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if got, want := rules(), []string{"r2", "r0", "r1"}; !slices.Equal(got, want) {
		t.Errorf("rules %v, want %v", got, want)
	}
	if err := f.svc.DeleteRule(f.ctx, SystemContext, "default", a.ID, ids[2]); err != nil {
		t.Fatal(err)
	}
	if got, want := rules(), []string{"r0", "r1"}; !slices.Equal(got, want) {
		t.Errorf("rules after delete %v, want %v", got, want)
	}
	// A rule is found only under its own policy.
	_, err := f.svc.GetRule(f.ctx, "default", b.ID, ids[0])
	wantOkta(t, "rule under a deleted policy", err, 404, "E0000007")
	if err := f.svc.SetRuleStatus(f.ctx, SystemContext, "default", a.ID, ids[0], store.StatusInactive); err != nil {
		t.Fatal(err)
	}
	if r := f.cache.Current().Servers["default"].Policies[0].Rules[0]; r.ID != ids[0] || r.Status != store.StatusInactive {
		t.Errorf("the snapshot's first rule: %+v", r)
	}
}
