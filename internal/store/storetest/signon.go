package storetest

import (
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

var signOnCases = []testCase{
	{"OrgPolicies", testOrgPolicies},
	{"RecoveryCodes", testRecoveryCodes},
}

func testOrgPolicies(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	// Every store starts with the default sign-on policy and its rule.
	all, err := s.OrgPolicies().List(ctx, store.PolicyOktaSignOn)
	ok(t, err, "list sign-on policies")
	if len(all) != 1 || !all[0].System || all[0].Name != "Default Policy" || all[0].Status != store.StatusActive {
		t.Fatalf("default policies: %+v", all)
	}
	rules, err := s.OrgPolicies().ListRules(ctx, all[0].ID)
	ok(t, err, "list default rules")
	if len(rules) != 1 || !rules[0].System || rules[0].Actions.Access != "ALLOW" || rules[0].Actions.RequireFactor {
		t.Fatalf("default rules: %+v", rules)
	}

	p := &store.OrgPolicy{ID: "00p1", Type: store.PolicyOktaSignOn, Name: "MFA", Description: "d", Status: store.StatusActive, Priority: 1,
		Conditions: store.OrgPolicyConditions{GroupsInclude: []string{"00g1"}}, Created: at(time.Minute), LastUpdated: at(time.Minute)}
	ok(t, s.OrgPolicies().Create(ctx, p), "create policy")
	conflict(t, s.OrgPolicies().Create(ctx, p), "create policy with a taken id")
	got, err := s.OrgPolicies().Get(ctx, "00p1")
	ok(t, err, "get policy")
	same(t, got, p, "policy")
	_, err = s.OrgPolicies().Get(ctx, "00pnope")
	notFound(t, err, "get missing policy")
	ok(t, s.OrgPolicies().Create(ctx, &store.OrgPolicy{ID: "rst1", Type: store.PolicyAccess, Name: "App", Status: store.StatusActive,
		Priority: 1, Created: at(0), LastUpdated: at(0)}), "create access policy")
	all, _ = s.OrgPolicies().List(ctx, store.PolicyOktaSignOn)
	sameStrings(t, ids(all, func(p *store.OrgPolicy) string { return p.ID }), []string{"00p1", all[1].ID}, "sign-on policies by priority")
	if len(all) != 2 || !all[1].System {
		t.Fatalf("after create: %+v", all)
	}

	p.Name, p.Priority, p.Status, p.LastUpdated = "MFA 2", 2, store.StatusInactive, at(2*time.Minute)
	p.Conditions.GroupsInclude = nil
	ok(t, s.OrgPolicies().Update(ctx, p), "update policy")
	got, _ = s.OrgPolicies().Get(ctx, "00p1")
	same(t, got, p, "updated policy")
	notFound(t, s.OrgPolicies().Update(ctx, &store.OrgPolicy{ID: "00pnope"}), "update missing policy")

	r := &store.OrgPolicyRule{ID: "0pr1", PolicyID: "00p1", Type: store.RuleSignOn, Name: "r1", Status: store.StatusActive, Priority: 1,
		Conditions: store.OrgRuleConditions{UsersExclude: []string{"00u9"}, Network: "ANYWHERE"},
		Actions:    store.OrgRuleActions{Access: "ALLOW", RequireFactor: true, FactorPromptMode: "ALWAYS", FactorLifetime: 15},
		Created:    at(time.Minute), LastUpdated: at(time.Minute)}
	ok(t, s.OrgPolicies().CreateRule(ctx, r), "create rule")
	conflict(t, s.OrgPolicies().CreateRule(ctx, r), "create rule with a taken id")
	gr, err := s.OrgPolicies().GetRule(ctx, "00p1", "0pr1")
	ok(t, err, "get rule")
	same(t, gr, r, "rule")
	_, err = s.OrgPolicies().GetRule(ctx, "rst1", "0pr1")
	notFound(t, err, "rule under another policy")
	r2 := *r
	r2.ID, r2.Priority = "0pr2", 2
	ok(t, s.OrgPolicies().CreateRule(ctx, &r2), "create second rule")
	r.Priority, r.Actions.RequireFactor, r.LastUpdated = 3, false, at(3*time.Minute)
	ok(t, s.OrgPolicies().UpdateRule(ctx, r), "update rule")
	rs, _ := s.OrgPolicies().ListRules(ctx, "00p1")
	sameStrings(t, ids(rs, func(r *store.OrgPolicyRule) string { return r.ID }), []string{"0pr2", "0pr1"}, "rules by priority")
	same(t, rs[1], r, "updated rule")
	ok(t, s.OrgPolicies().DeleteRule(ctx, "0pr2"), "delete rule")
	notFound(t, s.OrgPolicies().DeleteRule(ctx, "0pr2"), "delete rule twice")

	// Apps bind to an access policy; deleting the policy unbinds them.
	app := newApp(t, "0oa1", "client1")
	ok(t, s.Apps().Create(ctx, app), "create app")
	_, err = s.OrgPolicies().AppPolicy(ctx, "0oa1")
	notFound(t, err, "app without a policy")
	ok(t, s.OrgPolicies().SetAppPolicy(ctx, "0oa1", "rst1"), "bind app")
	ok(t, s.OrgPolicies().SetAppPolicy(ctx, "0oa1", "00p1"), "bind app again")
	pid, err := s.OrgPolicies().AppPolicy(ctx, "0oa1")
	ok(t, err, "app policy")
	same(t, pid, "00p1", "app policy")
	ok(t, s.OrgPolicies().Delete(ctx, "00p1"), "delete policy")
	_, err = s.OrgPolicies().GetRule(ctx, "00p1", "0pr1")
	notFound(t, err, "rule of a deleted policy")
	_, err = s.OrgPolicies().AppPolicy(ctx, "0oa1")
	notFound(t, err, "app of a deleted policy")
}

func testRecoveryCodes(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	ok(t, s.Users().Create(ctx, newUser("00u1", "ada@example.com")), "create user")
	ok(t, s.Users().Create(ctx, newUser("00u2", "bob@example.com")), "create user")
	ok(t, s.RecoveryCodes().Replace(ctx, "00u1", [][]byte{{1}, {2}, {3}}, at(0)), "store codes")
	ok(t, s.RecoveryCodes().Replace(ctx, "00u2", [][]byte{{9}}, at(0)), "store codes of another user")
	n, err := s.RecoveryCodes().Remaining(ctx, "00u1")
	ok(t, err, "count")
	same(t, n, 3, "codes")
	used, err := s.RecoveryCodes().Use(ctx, "00u1", []byte{2}, at(time.Minute))
	ok(t, err, "use")
	same(t, used, true, "first use")
	used, _ = s.RecoveryCodes().Use(ctx, "00u1", []byte{2}, at(2*time.Minute))
	same(t, used, false, "second use")
	used, _ = s.RecoveryCodes().Use(ctx, "00u1", []byte{9}, at(2*time.Minute))
	same(t, used, false, "another user's code")
	n, _ = s.RecoveryCodes().Remaining(ctx, "00u1")
	same(t, n, 2, "codes left")
	ok(t, s.RecoveryCodes().Replace(ctx, "00u1", [][]byte{{2}, {4}}, at(3*time.Minute)), "replace codes")
	used, _ = s.RecoveryCodes().Use(ctx, "00u1", []byte{2}, at(4*time.Minute))
	same(t, used, true, "a replaced set starts unused")
	ok(t, s.RecoveryCodes().DeleteByUser(ctx, "00u1"), "delete")
	n, _ = s.RecoveryCodes().Remaining(ctx, "00u1")
	same(t, n, 0, "codes after delete")
	n, _ = s.RecoveryCodes().Remaining(ctx, "00u2")
	same(t, n, 1, "the other user's codes stay")
}
