package sqlstore

import (
	"context"

	"github.com/sesame-idp/sesame/internal/store"
)

type groupRules struct{ s *Store }

const groupRuleCols = `id, name, status, expression, group_ids, exclude_user_ids, created, last_updated`

func scanGroupRule(row scanner) (*store.GroupRule, error) {
	var r store.GroupRule
	err := row.Scan(&r.ID, &r.Name, &r.Status, &r.Expression, jsonDoc{&r.GroupIDs}, jsonDoc{&r.ExcludeUserIDs},
		msTime{&r.Created}, msTime{&r.LastUpdated})
	return &r, err
}

// ids stores a list of ids, none as [].
func ids(v []string) jsonDoc {
	if v == nil {
		v = []string{}
	}
	return jsonDoc{v}
}

func (g groupRules) Create(ctx context.Context, r *store.GroupRule) error {
	_, err := g.s.exec(ctx, "create group rule "+r.ID,
		`INSERT INTO group_rules (`+groupRuleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Name, r.Status, r.Expression, ids(r.GroupIDs), ids(r.ExcludeUserIDs), ms(r.Created), ms(r.LastUpdated))
	return err
}

func (g groupRules) Get(ctx context.Context, id string) (r *store.GroupRule, err error) {
	err = g.s.get(ctx, "get group rule "+id, func(row scanner) error {
		r, err = scanGroupRule(row)
		return err
	}, `SELECT `+groupRuleCols+` FROM group_rules WHERE id = ?`, id)
	return r, err
}

func (g groupRules) Update(ctx context.Context, r *store.GroupRule) error {
	return g.s.execOne(ctx, "update group rule "+r.ID,
		`UPDATE group_rules SET name = ?, status = ?, expression = ?, group_ids = ?, exclude_user_ids = ?, last_updated = ? WHERE id = ?`,
		r.Name, r.Status, r.Expression, ids(r.GroupIDs), ids(r.ExcludeUserIDs), ms(r.LastUpdated), r.ID)
}

func (g groupRules) Delete(ctx context.Context, id string) error {
	return g.s.execOne(ctx, "delete group rule "+id, `DELETE FROM group_rules WHERE id = ?`, id)
}

func (g groupRules) List(ctx context.Context, p store.Page) ([]*store.GroupRule, error) {
	q, args := page(`SELECT `+groupRuleCols+` FROM group_rules WHERE 1=1`, "id", p, nil)
	return list(ctx, g.s, "list group rules", scanGroupRule, q, args...)
}

func (g groupRules) Active(ctx context.Context) ([]*store.GroupRule, error) {
	return list(ctx, g.s, "list active group rules", scanGroupRule,
		`SELECT `+groupRuleCols+` FROM group_rules WHERE status = 'ACTIVE' ORDER BY id`)
}

func (g groupRules) Record(ctx context.Context, m store.RuleMembership) error {
	_, err := g.s.exec(ctx, "record rule membership",
		`INSERT INTO group_rule_members (rule_id, group_id, user_id) VALUES (?, ?, ?)
		ON CONFLICT (rule_id, group_id, user_id) DO NOTHING`, m.RuleID, m.GroupID, m.UserID)
	return err
}

func (g groupRules) Forget(ctx context.Context, m store.RuleMembership) error {
	_, err := g.s.exec(ctx, "forget rule membership",
		`DELETE FROM group_rule_members WHERE rule_id = ? AND group_id = ? AND user_id = ?`, m.RuleID, m.GroupID, m.UserID)
	return err
}

func scanRuleMembership(row scanner) (store.RuleMembership, error) {
	var m store.RuleMembership
	err := row.Scan(&m.RuleID, &m.GroupID, &m.UserID)
	return m, err
}

func (g groupRules) Made(ctx context.Context, ruleID string) ([]store.RuleMembership, error) {
	return list(ctx, g.s, "list memberships of rule "+ruleID, scanRuleMembership,
		`SELECT rule_id, group_id, user_id FROM group_rule_members WHERE rule_id = ? ORDER BY group_id, user_id`, ruleID)
}

func (g groupRules) MadeFor(ctx context.Context, userID string) ([]store.RuleMembership, error) {
	return list(ctx, g.s, "list rule memberships of user "+userID, scanRuleMembership,
		`SELECT rule_id, group_id, user_id FROM group_rule_members WHERE user_id = ? ORDER BY rule_id, group_id`, userID)
}
