package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/expr"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// Group rules put people in groups by an expression over their profile:
// when a rule is activated, every person is evaluated; from then on each
// person is evaluated again whenever they are created or their profile
// changes, and taken out of the rule's groups when they stop matching. A
// rule only ever takes away a membership it made itself (recorded per
// rule), never one an administrator made.

// Group rule statuses and the one expression type Okta accepts.
const (
	RuleActive         = "ACTIVE"
	RuleInactive       = "INACTIVE"
	RuleExpressionType = "urn:okta:expression:1.0"
	maxRuleName        = 50
	maxRuleGroups      = 100
	maxRuleExcludes    = 100
)

func groupRuleTarget(r *store.GroupRule) audit.Target {
	return audit.Target{ID: r.ID, Type: "GroupRule", AlternateID: r.Name, DisplayName: r.Name}
}

func loadGroupRule(ctx context.Context, st store.Store, id string) (*store.GroupRule, error) {
	r, err := st.GroupRules().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(id, "GroupRule")
	}
	return r, err
}

// validateGroupRule checks what an administrator sends: a name, an
// expression Sesame can evaluate (one it cannot would silently match
// nobody), existing OKTA_GROUP groups and existing excluded users.
func validateGroupRule(ctx context.Context, st store.Store, r *store.GroupRule) error {
	var causes []string
	switch {
	case strings.TrimSpace(r.Name) == "":
		causes = append(causes, "name: The field cannot be left blank")
	case utf8.RuneCountInString(r.Name) > maxRuleName:
		causes = append(causes, "name: The field is too long (at most 50 characters)")
	}
	if strings.TrimSpace(r.Expression) == "" {
		causes = append(causes, "conditions.expression.value: The field cannot be left blank")
	} else if _, err := expr.Parse(r.Expression); err != nil {
		causes = append(causes, "conditions.expression.value: Invalid expression: "+err.Error())
	}
	switch {
	case len(r.GroupIDs) == 0:
		causes = append(causes, "actions.assignUserToGroups.groupIds: A rule assigns people to at least one group")
	case len(r.GroupIDs) > maxRuleGroups:
		causes = append(causes, "actions.assignUserToGroups.groupIds: A rule assigns people to at most 100 groups")
	}
	for _, id := range r.GroupIDs {
		g, err := st.Groups().Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			causes = append(causes, "actions.assignUserToGroups.groupIds: Group "+id+" does not exist")
			continue
		}
		if err != nil {
			return err
		}
		if g.Type != GroupTypeOkta {
			causes = append(causes, "actions.assignUserToGroups.groupIds: Group "+id+" is not an OKTA_GROUP group")
		}
	}
	if len(r.ExcludeUserIDs) > maxRuleExcludes {
		causes = append(causes, "conditions.people.users.exclude: At most 100 people can be excluded")
	}
	for _, id := range r.ExcludeUserIDs {
		if _, err := st.Users().Get(ctx, id); errors.Is(err, store.ErrNotFound) {
			causes = append(causes, "conditions.people.users.exclude: User "+id+" does not exist")
		} else if err != nil {
			return err
		}
	}
	if len(causes) > 0 {
		return oktaerr.Validation(strings.SplitN(causes[0], ":", 2)[0], causes...)
	}
	r.GroupIDs, r.ExcludeUserIDs = uniqueIDs(r.GroupIDs), uniqueIDs(r.ExcludeUserIDs)
	return nil
}

// uniqueIDs keeps the first of each id, in order ([] for none: stored and
// answered as a JSON array).
func uniqueIDs(ids []string) []string {
	out := []string{}
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// GetGroupRule returns a rule by id.
func (s *Service) GetGroupRule(ctx context.Context, id string) (*store.GroupRule, error) {
	return loadGroupRule(ctx, s.Store, id)
}

// ListGroupRules lists rules in id order.
func (s *Service) ListGroupRules(ctx context.Context, p store.Page) ([]*store.GroupRule, error) {
	return s.Store.GroupRules().List(ctx, p)
}

// CreateGroupRule stores a new rule, INACTIVE as Okta creates them.
func (s *Service) CreateGroupRule(ctx context.Context, c Context, r *store.GroupRule) error {
	now := s.now()
	r.ID, r.Status, r.Created, r.LastUpdated = secret.NewID("0pr"), RuleInactive, now, now
	return s.Store.InTx(ctx, func(tx store.Store) error {
		if err := validateGroupRule(ctx, tx, r); err != nil {
			return err
		}
		if err := tx.GroupRules().Create(ctx, r); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "group.rule.create", "Create group rule", groupRuleTarget(r))
	})
}

func errRuleActive(what string) error {
	return oktaerr.Validation("status", "status: "+what+" an ACTIVE rule is not allowed: deactivate it first")
}

// ReplaceGroupRule replaces an INACTIVE rule's name, expression, groups and
// exclusions.
func (s *Service) ReplaceGroupRule(ctx context.Context, c Context, id string, in *store.GroupRule) (*store.GroupRule, error) {
	var out *store.GroupRule
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		r, err := loadGroupRule(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Status == RuleActive {
			return errRuleActive("Changing")
		}
		r.Name, r.Expression, r.GroupIDs, r.ExcludeUserIDs = in.Name, in.Expression, in.GroupIDs, in.ExcludeUserIDs
		if err := validateGroupRule(ctx, tx, r); err != nil {
			return err
		}
		r.LastUpdated = s.now()
		if err := tx.GroupRules().Update(ctx, r); err != nil {
			return err
		}
		out = r
		return s.record(ctx, tx, c, "group.rule.update", "Update group rule", groupRuleTarget(r))
	})
	return out, err
}

// ActivateGroupRule turns a rule on and puts every person it matches in its
// groups, in the same transaction. Activating an active rule changes
// nothing.
func (s *Service) ActivateGroupRule(ctx context.Context, c Context, id string) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		r, err := loadGroupRule(ctx, tx, id)
		if err != nil || r.Status == RuleActive {
			return err
		}
		// The groups may have gone since the rule was saved.
		if err := validateGroupRule(ctx, tx, r); err != nil {
			return err
		}
		r.Status, r.LastUpdated = RuleActive, s.now()
		if err := tx.GroupRules().Update(ctx, r); err != nil {
			return err
		}
		if err := s.record(ctx, tx, c, "group.rule.activate", "Activate group rule", groupRuleTarget(r)); err != nil {
			return err
		}
		e, err := expr.Parse(r.Expression)
		if err != nil {
			return err
		}
		for after := ""; ; {
			users, err := tx.Users().List(ctx, store.Page{After: after, Limit: 500})
			if err != nil {
				return err
			}
			for _, u := range users {
				if err := s.applyRule(ctx, tx, c, r, e, u); err != nil {
					return err
				}
			}
			if len(users) < 500 {
				return nil
			}
			after = users[len(users)-1].ID
		}
	})
}

// DeactivateGroupRule turns a rule off. As in Okta the people it put in
// groups stay there; the rule can then be changed or deleted.
func (s *Service) DeactivateGroupRule(ctx context.Context, c Context, id string) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		r, err := loadGroupRule(ctx, tx, id)
		if err != nil || r.Status == RuleInactive {
			return err
		}
		r.Status, r.LastUpdated = RuleInactive, s.now()
		if err := tx.GroupRules().Update(ctx, r); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "group.rule.deactivate", "Deactivate group rule", groupRuleTarget(r))
	})
}

// DeleteGroupRule deletes an INACTIVE rule; with removeUsers the
// memberships it made go too, unless another rule made the same one.
func (s *Service) DeleteGroupRule(ctx context.Context, c Context, id string, removeUsers bool) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		r, err := loadGroupRule(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Status == RuleActive {
			return errRuleActive("Deleting")
		}
		made, err := tx.GroupRules().Made(ctx, r.ID)
		if err != nil {
			return err
		}
		if err := tx.GroupRules().Delete(ctx, r.ID); err != nil {
			return err
		}
		if err := s.record(ctx, tx, c, "group.rule.delete", "Delete group rule", groupRuleTarget(r)); err != nil {
			return err
		}
		if !removeUsers {
			return nil
		}
		for _, m := range made {
			if err := s.dropRuleMembership(ctx, tx, c, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// applyGroupRules evaluates every active rule for one person, in the
// transaction that created or changed them.
func (s *Service) applyGroupRules(ctx context.Context, tx store.Store, c Context, u *store.User) error {
	rules, err := tx.GroupRules().Active(ctx)
	if err != nil || len(rules) == 0 {
		return err
	}
	for _, r := range rules {
		e, err := expr.Parse(r.Expression)
		if err != nil {
			// Saved under an earlier, looser parser: it matches nobody
			// rather than stopping every user write.
			continue
		}
		if err := s.applyRule(ctx, tx, c, r, e, u); err != nil {
			return err
		}
	}
	return nil
}

// ruleMatches evaluates a rule for a person. An expression that fails on
// this person's values (a type mismatch) does not match, as in Okta.
func groupRuleMatches(r *store.GroupRule, e *expr.Expr, u *store.User, groupIDs []string) bool {
	if u.Status == store.UserDeprovisioned || slices.Contains(r.ExcludeUserIDs, u.ID) {
		return false
	}
	v, err := e.Eval(expr.Env{User: &expr.User{ID: u.ID, Profile: u.Profile, GroupIDs: groupIDs}})
	b, isBool := v.(bool)
	return err == nil && isBool && b
}

// applyRule adds a matching person to the rule's groups and takes a person
// who no longer matches out of the memberships this rule made.
func (s *Service) applyRule(ctx context.Context, tx store.Store, c Context, r *store.GroupRule, e *expr.Expr, u *store.User) error {
	of, err := tx.Groups().GroupsOf(ctx, u.ID)
	if err != nil {
		return err
	}
	match := groupRuleMatches(r, e, u, of)
	made, err := tx.GroupRules().MadeFor(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, gid := range r.GroupIDs {
		m := store.RuleMembership{RuleID: r.ID, GroupID: gid, UserID: u.ID}
		switch {
		case match && !slices.Contains(of, gid):
			g, err := tx.Groups().Get(ctx, gid)
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted since; the rule's other groups still apply
			}
			if err != nil {
				return err
			}
			if err := tx.Groups().AddMember(ctx, gid, u.ID); err != nil {
				return err
			}
			if err := tx.GroupRules().Record(ctx, m); err != nil {
				return err
			}
			if err := s.touchMembership(ctx, tx, g); err != nil {
				return err
			}
			if err := s.record(ctx, tx, c, "group.user_membership.add", "Add user to group membership", userTarget(u), groupTarget(g), groupRuleTarget(r)); err != nil {
				return err
			}
		case !match && slices.Contains(made, m):
			if err := s.dropRuleMembership(ctx, tx, c, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropRuleMembership forgets a membership a rule made and removes it unless
// another rule made it as well.
func (s *Service) dropRuleMembership(ctx context.Context, tx store.Store, c Context, m store.RuleMembership) error {
	if err := tx.GroupRules().Forget(ctx, m); err != nil {
		return err
	}
	others, err := tx.GroupRules().MadeFor(ctx, m.UserID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(others, func(o store.RuleMembership) bool { return o.GroupID == m.GroupID }) {
		return nil
	}
	g, err := tx.Groups().Get(ctx, m.GroupID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	u, err := tx.Users().Get(ctx, m.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := tx.Groups().RemoveMember(ctx, m.GroupID, m.UserID); err != nil {
		return err
	}
	if err := s.touchMembership(ctx, tx, g); err != nil {
		return err
	}
	return s.record(ctx, tx, c, "group.user_membership.remove", "Remove user from group membership", userTarget(u), groupTarget(g))
}

func (s *Service) touchMembership(ctx context.Context, tx store.Store, g *store.Group) error {
	g.LastMembershipUpdated = s.now()
	return tx.Groups().Update(ctx, g)
}
