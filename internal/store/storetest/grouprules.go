package storetest

import (
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

var groupRuleCases = []testCase{
	{"GroupRules", testGroupRules},
}

func testGroupRules(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	ok(t, s.Users().Create(ctx, newUser("00u1", "a@example.com")), "create user")
	ok(t, s.Groups().Create(ctx, newGroup("00g1", "Engineering")), "create group")
	ok(t, s.Groups().Create(ctx, newGroup("00g2", "Physics")), "create group")
	b := &store.GroupRule{ID: "0pr2", Name: "b", Status: "INACTIVE", Expression: `user.department=="Physics"`,
		GroupIDs: []string{"00g2"}, ExcludeUserIDs: []string{}, Created: at(0), LastUpdated: at(0)}
	a := &store.GroupRule{ID: "0pr1", Name: "a", Status: "ACTIVE", Expression: `user.department=="Engineering"`,
		GroupIDs: []string{"00g1", "00g2"}, ExcludeUserIDs: []string{"00u1"}, Created: at(1), LastUpdated: at(1)}
	ok(t, s.GroupRules().Create(ctx, b), "create rule")
	ok(t, s.GroupRules().Create(ctx, a), "create rule")
	got, err := s.GroupRules().Get(ctx, "0pr1")
	ok(t, err, "get")
	same(t, got, a, "rule read back")
	notFound(t, func() error { _, err := s.GroupRules().Get(ctx, "0prX"); return err }(), "get unknown")
	all, err := s.GroupRules().List(ctx, store.Page{Limit: 1})
	ok(t, err, "list")
	same(t, all, []*store.GroupRule{a}, "first page")
	all, err = s.GroupRules().List(ctx, store.Page{After: "0pr1"})
	ok(t, err, "list after")
	same(t, all, []*store.GroupRule{b}, "second page")
	active, err := s.GroupRules().Active(ctx)
	ok(t, err, "active")
	same(t, active, []*store.GroupRule{a}, "active rules")

	b.Status, b.GroupIDs, b.LastUpdated = "ACTIVE", []string{"00g1"}, at(5)
	ok(t, s.GroupRules().Update(ctx, b), "update")
	got, err = s.GroupRules().Get(ctx, "0pr2")
	ok(t, err, "get updated")
	same(t, got, b, "updated rule")
	notFound(t, s.GroupRules().Update(ctx, &store.GroupRule{ID: "0prX"}), "update unknown")

	m := store.RuleMembership{RuleID: "0pr1", GroupID: "00g1", UserID: "00u1"}
	ok(t, s.GroupRules().Record(ctx, m), "record")
	ok(t, s.GroupRules().Record(ctx, m), "record again")
	made, err := s.GroupRules().Made(ctx, "0pr1")
	ok(t, err, "made")
	same(t, made, []store.RuleMembership{m}, "memberships made by the rule")
	made, err = s.GroupRules().MadeFor(ctx, "00u1")
	ok(t, err, "made for")
	same(t, made, []store.RuleMembership{m}, "memberships made for the user")
	ok(t, s.GroupRules().Forget(ctx, m), "forget")
	ok(t, s.GroupRules().Forget(ctx, m), "forget again")
	made, err = s.GroupRules().Made(ctx, "0pr1")
	ok(t, err, "made after forget")
	if len(made) != 0 {
		t.Fatalf("after forget: %v", made)
	}
	// Deleting the rule drops its records with it.
	ok(t, s.GroupRules().Record(ctx, m), "record")
	ok(t, s.GroupRules().Delete(ctx, "0pr1"), "delete")
	notFound(t, s.GroupRules().Delete(ctx, "0pr1"), "delete again")
	made, err = s.GroupRules().MadeFor(ctx, "00u1")
	ok(t, err, "made for after delete")
	if len(made) != 0 {
		t.Fatalf("records outlive their rule: %v", made)
	}
}
