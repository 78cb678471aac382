package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

type orgPolicies struct{ s *Store }

const orgPolicyCols = `id, policy_type, name, description, status, priority, system, conditions, created, last_updated`

func scanOrgPolicy(row scanner) (*store.OrgPolicy, error) {
	var p store.OrgPolicy
	err := row.Scan(&p.ID, &p.Type, &p.Name, &p.Description, &p.Status, &p.Priority, &p.System, jsonDoc{&p.Conditions},
		msTime{&p.Created}, msTime{&p.LastUpdated})
	return &p, err
}

func (r orgPolicies) Create(ctx context.Context, p *store.OrgPolicy) error {
	_, err := r.s.exec(ctx, "create org policy "+p.ID,
		`INSERT INTO org_policies (`+orgPolicyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Type, p.Name, p.Description, p.Status, p.Priority, p.System, jsonDoc{p.Conditions}, ms(p.Created), ms(p.LastUpdated))
	return err
}

func (r orgPolicies) Get(ctx context.Context, id string) (p *store.OrgPolicy, err error) {
	err = r.s.get(ctx, "get org policy "+id, func(row scanner) error {
		p, err = scanOrgPolicy(row)
		return err
	}, `SELECT `+orgPolicyCols+` FROM org_policies WHERE id = ?`, id)
	return p, err
}

func (r orgPolicies) List(ctx context.Context, typ string) ([]*store.OrgPolicy, error) {
	if typ == "" {
		return list(ctx, r.s, "list org policies", scanOrgPolicy,
			`SELECT `+orgPolicyCols+` FROM org_policies ORDER BY policy_type, priority, id`)
	}
	return list(ctx, r.s, "list org policies of "+typ, scanOrgPolicy,
		`SELECT `+orgPolicyCols+` FROM org_policies WHERE policy_type = ? ORDER BY priority, id`, typ)
}

func (r orgPolicies) Update(ctx context.Context, p *store.OrgPolicy) error {
	return r.s.execOne(ctx, "update org policy "+p.ID,
		`UPDATE org_policies SET name = ?, description = ?, status = ?, priority = ?, conditions = ?, last_updated = ? WHERE id = ?`,
		p.Name, p.Description, p.Status, p.Priority, jsonDoc{p.Conditions}, ms(p.LastUpdated), p.ID)
}

func (r orgPolicies) Delete(ctx context.Context, id string) error {
	return r.s.execOne(ctx, "delete org policy "+id, `DELETE FROM org_policies WHERE id = ?`, id)
}

const orgRuleCols = `id, policy_id, rule_type, name, status, priority, system, conditions, actions, created, last_updated`

func scanOrgRule(row scanner) (*store.OrgPolicyRule, error) {
	var r store.OrgPolicyRule
	err := row.Scan(&r.ID, &r.PolicyID, &r.Type, &r.Name, &r.Status, &r.Priority, &r.System, jsonDoc{&r.Conditions},
		jsonDoc{&r.Actions}, msTime{&r.Created}, msTime{&r.LastUpdated})
	return &r, err
}

func (r orgPolicies) CreateRule(ctx context.Context, x *store.OrgPolicyRule) error {
	_, err := r.s.exec(ctx, "create org policy rule "+x.ID,
		`INSERT INTO org_policy_rules (`+orgRuleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.PolicyID, x.Type, x.Name, x.Status, x.Priority, x.System, jsonDoc{x.Conditions}, jsonDoc{x.Actions},
		ms(x.Created), ms(x.LastUpdated))
	return err
}

func (r orgPolicies) GetRule(ctx context.Context, policyID, id string) (x *store.OrgPolicyRule, err error) {
	err = r.s.get(ctx, "get org policy rule "+id, func(row scanner) error {
		x, err = scanOrgRule(row)
		return err
	}, `SELECT `+orgRuleCols+` FROM org_policy_rules WHERE policy_id = ? AND id = ?`, policyID, id)
	return x, err
}

func (r orgPolicies) ListRules(ctx context.Context, policyID string) ([]*store.OrgPolicyRule, error) {
	return list(ctx, r.s, "list rules of org policy "+policyID, scanOrgRule,
		`SELECT `+orgRuleCols+` FROM org_policy_rules WHERE policy_id = ? ORDER BY priority, id`, policyID)
}

func (r orgPolicies) UpdateRule(ctx context.Context, x *store.OrgPolicyRule) error {
	return r.s.execOne(ctx, "update org policy rule "+x.ID,
		`UPDATE org_policy_rules SET name = ?, status = ?, priority = ?, conditions = ?, actions = ?, last_updated = ? WHERE id = ?`,
		x.Name, x.Status, x.Priority, jsonDoc{x.Conditions}, jsonDoc{x.Actions}, ms(x.LastUpdated), x.ID)
}

func (r orgPolicies) DeleteRule(ctx context.Context, id string) error {
	return r.s.execOne(ctx, "delete org policy rule "+id, `DELETE FROM org_policy_rules WHERE id = ?`, id)
}

func (r orgPolicies) SetAppPolicy(ctx context.Context, appID, policyID string) error {
	_, err := r.s.exec(ctx, "bind app "+appID+" to policy "+policyID,
		`INSERT INTO app_access_policies (app_id, policy_id) VALUES (?, ?)
			ON CONFLICT (app_id) DO UPDATE SET policy_id = excluded.policy_id`, appID, policyID)
	return err
}

func (r orgPolicies) AppPolicy(ctx context.Context, appID string) (id string, err error) {
	err = r.s.get(ctx, "get access policy of app "+appID, func(row scanner) error { return row.Scan(&id) },
		`SELECT policy_id FROM app_access_policies WHERE app_id = ?`, appID)
	return id, err
}

// Ids of the default sign-on policy and its rule, which every org has
// (as every Okta org has its "Default Policy" with a "Default Rule").
const (
	DefaultSignOnPolicyID = "00pDefaultSignOnPol1"
	DefaultSignOnRuleID   = "0prDefaultSignOnRul1"
)

// addDefaultSignOnPolicy is migration 1402's data: the default sign-on
// policy, for everyone, whose default rule asks for no second factor.
func addDefaultSignOnPolicy(ctx context.Context, tx *sql.Tx, d dialect) error {
	now := time.Now().UnixMilli()
	if _, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO org_policies (`+orgPolicyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		DefaultSignOnPolicyID, store.PolicyOktaSignOn, "Default Policy",
		"The default policy applies in all situations if no other policy applies.", store.StatusActive, 1, true, `{}`, now, now); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO org_policy_rules (`+orgRuleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		DefaultSignOnRuleID, DefaultSignOnPolicyID, store.RuleSignOn, "Default Rule", store.StatusActive, 1, true,
		`{"network":"ANYWHERE","authType":"ANY"}`,
		`{"access":"ALLOW","primaryFactor":"PASSWORD_IDP_ANY_FACTOR","maxSessionIdleMinutes":120,"maxSessionLifetimeMinutes":1440}`, now, now)
	return err
}
