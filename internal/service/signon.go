package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// Org policies (/api/v1/policies): the classic OKTA_SIGN_ON policy whose
// SIGN_ON rules say who gives a second factor at sign-in, and ACCESS_POLICY
// policies an app is bound to, whose rules say whether the app needs two
// factors. Both are evaluated as Okta does: policies by priority, then
// their rules by priority; the first rule whose conditions hold decides.

// Factor prompt modes of a sign-on rule.
const (
	PromptAlways  = "ALWAYS"
	PromptDevice  = "DEVICE"
	PromptSession = "SESSION"
)

// DefaultFactorLifetime is how long (minutes) a remembered device or a
// verified factor counts when a rule does not say, as Okta's default.
const DefaultFactorLifetime = 15

func orgPolicyTarget(p *store.OrgPolicy) audit.Target {
	return audit.Target{ID: p.ID, Type: "PolicyEntity", AlternateID: p.Type, DisplayName: p.Name}
}

func orgRuleTarget(r *store.OrgPolicyRule) audit.Target {
	return audit.Target{ID: r.ID, Type: "PolicyRule", AlternateID: r.Type, DisplayName: r.Name}
}

func orgPolicyKey(p *store.OrgPolicy) string        { return p.ID }
func orgPolicyPriority(p *store.OrgPolicy) *int     { return &p.Priority }
func orgRuleKey(r *store.OrgPolicyRule) string      { return r.ID }
func orgRulePriority(r *store.OrgPolicyRule) *int   { return &r.Priority }
func errOrgPolicyNotFound(id string) *oktaerr.Error { return oktaerr.NotFound(id, "Policy") }

// OrgPolicyTypes are the policy types /api/v1/policies manages.
var OrgPolicyTypes = []string{store.PolicyOktaSignOn, store.PolicyAccess}

func checkOrgPolicyType(typ string) error {
	if !slices.Contains(OrgPolicyTypes, typ) {
		return oktaerr.Validation("type", "type: Sesame manages policies of type "+strings.Join(OrgPolicyTypes, ", ")+" through this API.")
	}
	return nil
}

// ListOrgPolicies lists the policies of a type in priority order.
func (s *Service) ListOrgPolicies(ctx context.Context, typ string) ([]*store.OrgPolicy, error) {
	if err := checkOrgPolicyType(typ); err != nil {
		return nil, err
	}
	return s.Store.OrgPolicies().List(ctx, typ)
}

// GetOrgPolicy returns one org policy.
func (s *Service) GetOrgPolicy(ctx context.Context, id string) (*store.OrgPolicy, error) {
	return orgPolicyIn(ctx, s.Store, id)
}

func orgPolicyIn(ctx context.Context, st store.Store, id string) (*store.OrgPolicy, error) {
	p, err := st.OrgPolicies().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errOrgPolicyNotFound(id)
	}
	return p, err
}

func validateOrgPolicy(ctx context.Context, tx store.Store, p *store.OrgPolicy) error {
	var causes []string
	if strings.TrimSpace(p.Name) == "" {
		causes = append(causes, "name: The field cannot be left blank")
	} else if len(p.Name) > 255 {
		causes = append(causes, "name: The field must be at most 255 characters")
	}
	if p.Status == "" {
		p.Status = store.StatusActive
	}
	if p.Status != store.StatusActive && p.Status != store.StatusInactive {
		causes = append(causes, "status: Must be one of ACTIVE, INACTIVE")
	}
	if p.Priority < 0 {
		causes = append(causes, "priority: Priority must be a positive integer.")
	}
	c, err := checkGroups(ctx, tx, "conditions.people.groups.include", p.Conditions.GroupsInclude)
	if err != nil {
		return err
	}
	causes = append(causes, c...)
	return validationError(causes)
}

func validationError(causes []string) error {
	if len(causes) > 0 {
		return oktaerr.Validation(strings.SplitN(causes[0], ":", 2)[0], causes...)
	}
	return nil
}

func checkGroups(ctx context.Context, tx store.Store, field string, ids []string) ([]string, error) {
	var causes []string
	for _, id := range ids {
		if _, err := tx.Groups().Get(ctx, id); errors.Is(err, store.ErrNotFound) {
			causes = append(causes, field+": Invalid group id: "+id)
		} else if err != nil {
			return nil, err
		}
	}
	return causes, nil
}

func checkUsers(ctx context.Context, tx store.Store, field string, ids []string) ([]string, error) {
	var causes []string
	for _, id := range ids {
		if _, err := tx.Users().Get(ctx, id); errors.Is(err, store.ErrNotFound) {
			causes = append(causes, field+": Invalid user id: "+id)
		} else if err != nil {
			return nil, err
		}
	}
	return causes, nil
}

// placeOrgPolicy stores p at its priority among the policies of its type:
// the system (default) policy always stays last, as Okta keeps it.
func placeOrgPolicy(ctx context.Context, tx store.Store, p *store.OrgPolicy, create bool) error {
	all, err := tx.OrgPolicies().List(ctx, p.Type)
	if err != nil {
		return err
	}
	if !p.System {
		nonSystem := 0
		for _, o := range all {
			if !o.System && o.ID != p.ID {
				nonSystem++
			}
		}
		if p.Priority <= 0 || p.Priority > nonSystem+1 {
			p.Priority = nonSystem + 1
		}
	}
	if p.Priority, err = renumber(all, orgPolicyKey, orgPolicyPriority, p.ID, p.Priority, func(o *store.OrgPolicy) error {
		return tx.OrgPolicies().Update(ctx, o)
	}); err != nil {
		return err
	}
	if create {
		return tx.OrgPolicies().Create(ctx, p)
	}
	return tx.OrgPolicies().Update(ctx, p)
}

// CreateOrgPolicy adds a policy at p.Priority (0: last before the default).
func (s *Service) CreateOrgPolicy(ctx context.Context, c Context, p *store.OrgPolicy) error {
	if err := checkOrgPolicyType(p.Type); err != nil {
		return err
	}
	now := s.now()
	prefix := "00p"
	if p.Type == store.PolicyAccess {
		prefix = "rst"
	}
	p.ID, p.System, p.Created, p.LastUpdated = secret.NewID(prefix), false, now, now
	return s.Store.InTx(ctx, func(tx store.Store) error {
		if err := validateOrgPolicy(ctx, tx, p); err != nil {
			return err
		}
		if err := placeOrgPolicy(ctx, tx, p, true); err != nil {
			return err
		}
		// An access policy starts with its catch-all rule, as Okta's do:
		// one factor, for everyone.
		if p.Type == store.PolicyAccess {
			r := &store.OrgPolicyRule{ID: secret.NewID("0pr"), PolicyID: p.ID, Type: store.RuleAccess, Name: "Catch-all Rule",
				Status: store.StatusActive, Priority: 1, System: true, Conditions: store.OrgRuleConditions{Network: "ANYWHERE"},
				Actions: store.OrgRuleActions{Access: "ALLOW", FactorMode: "1FA", VerificationType: "ASSURANCE", ReauthenticateIn: "PT12H"},
				Created: now, LastUpdated: now}
			if err := tx.OrgPolicies().CreateRule(ctx, r); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, c, "policy.lifecycle.create", "Create policy", orgPolicyTarget(p))
	})
}

// UpdateOrgPolicy replaces a policy's name, description, status, priority
// and conditions; its type cannot change. The default policy keeps its
// place and cannot be deactivated.
func (s *Service) UpdateOrgPolicy(ctx context.Context, c Context, p *store.OrgPolicy) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		old, err := orgPolicyIn(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if p.Type != "" && p.Type != old.Type {
			return oktaerr.Validation("type", "type: The type of a policy cannot change.")
		}
		p.Type, p.System, p.Created, p.LastUpdated = old.Type, old.System, old.Created, s.now()
		if p.Priority == 0 || p.System {
			p.Priority = old.Priority
		}
		if p.Status == "" || p.System {
			p.Status = old.Status
		}
		if err := validateOrgPolicy(ctx, tx, p); err != nil {
			return err
		}
		if err := placeOrgPolicy(ctx, tx, p, false); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "policy.lifecycle.update", "Update policy", orgPolicyTarget(p))
	})
}

// DeleteOrgPolicy removes a policy with its rules; apps bound to it fall
// back to the org's sign-on policy alone.
func (s *Service) DeleteOrgPolicy(ctx context.Context, c Context, id string) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		p, err := orgPolicyIn(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.System {
			return oktaerr.Forbidden("The default policy cannot be deleted.")
		}
		if err := tx.OrgPolicies().Delete(ctx, id); err != nil {
			return err
		}
		rest, err := tx.OrgPolicies().List(ctx, p.Type)
		if err != nil {
			return err
		}
		if _, err := renumber(rest, orgPolicyKey, orgPolicyPriority, "", 0, func(o *store.OrgPolicy) error { return tx.OrgPolicies().Update(ctx, o) }); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "policy.lifecycle.delete", "Delete policy", orgPolicyTarget(p))
	})
}

// SetOrgPolicyStatus activates or deactivates a policy.
func (s *Service) SetOrgPolicyStatus(ctx context.Context, c Context, id, status string) error {
	event, msg := "policy.lifecycle.activate", "Activate policy"
	if status != store.StatusActive {
		event, msg = "policy.lifecycle.deactivate", "Deactivate policy"
	}
	return s.Store.InTx(ctx, func(tx store.Store) error {
		p, err := orgPolicyIn(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.System && status != store.StatusActive {
			return oktaerr.Forbidden("The default policy cannot be deactivated.")
		}
		p.Status, p.LastUpdated = status, s.now()
		if err := tx.OrgPolicies().Update(ctx, p); err != nil {
			return err
		}
		return s.record(ctx, tx, c, event, msg, orgPolicyTarget(p))
	})
}

// ListOrgRules lists a policy's rules in priority order.
func (s *Service) ListOrgRules(ctx context.Context, policyID string) ([]*store.OrgPolicyRule, error) {
	if _, err := orgPolicyIn(ctx, s.Store, policyID); err != nil {
		return nil, err
	}
	return s.Store.OrgPolicies().ListRules(ctx, policyID)
}

// GetOrgRule returns one rule of a policy.
func (s *Service) GetOrgRule(ctx context.Context, policyID, id string) (*store.OrgPolicyRule, error) {
	return orgRuleIn(ctx, s.Store, policyID, id)
}

func orgRuleIn(ctx context.Context, st store.Store, policyID, id string) (*store.OrgPolicyRule, error) {
	if _, err := orgPolicyIn(ctx, st, policyID); err != nil {
		return nil, err
	}
	r, err := st.OrgPolicies().GetRule(ctx, policyID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(id, "PolicyRule")
	}
	return r, err
}

func validateOrgRule(ctx context.Context, tx store.Store, p *store.OrgPolicy, r *store.OrgPolicyRule) error {
	var causes []string
	want := store.RuleSignOn
	if p.Type == store.PolicyAccess {
		want = store.RuleAccess
	}
	if r.Type == "" {
		r.Type = want
	}
	if r.Type != want {
		causes = append(causes, "type: A rule of a "+p.Type+" policy has type "+want)
	}
	if strings.TrimSpace(r.Name) == "" {
		causes = append(causes, "name: The field cannot be left blank")
	} else if len(r.Name) > 255 {
		causes = append(causes, "name: The field must be at most 255 characters")
	}
	if r.Status == "" {
		r.Status = store.StatusActive
	}
	if r.Status != store.StatusActive && r.Status != store.StatusInactive {
		causes = append(causes, "status: Must be one of ACTIVE, INACTIVE")
	}
	if r.Priority < 0 {
		causes = append(causes, "priority: Priority must be a positive integer.")
	}
	cond, a := &r.Conditions, &r.Actions
	if cond.Network == "" {
		cond.Network = "ANYWHERE"
	}
	if cond.Network != "ANYWHERE" {
		causes = append(causes, "conditions.network.connection: Sesame evaluates only ANYWHERE")
	}
	if a.Access == "" {
		a.Access = "ALLOW"
	}
	if a.Access != "ALLOW" && a.Access != "DENY" {
		causes = append(causes, "actions.access: Must be one of ALLOW, DENY")
	}
	if r.Type == store.RuleSignOn {
		if cond.AuthType == "" {
			cond.AuthType = "ANY"
		}
		if a.PrimaryFactor == "" {
			a.PrimaryFactor = "PASSWORD_IDP_ANY_FACTOR"
		}
		if a.RequireFactor {
			if a.FactorPromptMode == "" {
				a.FactorPromptMode = PromptAlways
			}
			if a.FactorLifetime == 0 && a.FactorPromptMode != PromptAlways {
				a.FactorLifetime = DefaultFactorLifetime
			}
		}
		if a.FactorPromptMode != "" && !slices.Contains([]string{PromptAlways, PromptDevice, PromptSession}, a.FactorPromptMode) {
			causes = append(causes, "actions.signon.factorPromptMode: Must be one of ALWAYS, DEVICE, SESSION")
		}
		if a.FactorLifetime < 0 || a.FactorLifetime > 43200 {
			causes = append(causes, "actions.signon.factorLifetime: Must be between 1 and 43200 minutes")
		}
		if a.MaxSessionIdleMinutes < 0 || a.MaxSessionLifetime < 0 {
			causes = append(causes, "actions.signon.session: Session minutes must be positive")
		}
	} else {
		if a.FactorMode == "" {
			a.FactorMode = "1FA"
		}
		if a.FactorMode != "1FA" && a.FactorMode != "2FA" {
			causes = append(causes, "actions.appSignOn.verificationMethod.factorMode: Must be one of 1FA, 2FA")
		}
		if a.VerificationType == "" {
			a.VerificationType = "ASSURANCE"
		}
		if a.ReauthenticateIn != "" {
			if _, ok := ParseISODuration(a.ReauthenticateIn); !ok {
				causes = append(causes, "actions.appSignOn.verificationMethod.reauthenticateIn: Must be an ISO 8601 duration such as PT2H")
			}
		}
	}
	for _, check := range []struct {
		field string
		ids   []string
		users bool
	}{
		{"conditions.people.users.include", cond.UsersInclude, true},
		{"conditions.people.users.exclude", cond.UsersExclude, true},
		{"conditions.people.groups.include", cond.GroupsInclude, false},
		{"conditions.people.groups.exclude", cond.GroupsExclude, false},
	} {
		var c []string
		var err error
		if check.users {
			c, err = checkUsers(ctx, tx, check.field, check.ids)
		} else {
			c, err = checkGroups(ctx, tx, check.field, check.ids)
		}
		if err != nil {
			return err
		}
		causes = append(causes, c...)
	}
	return validationError(causes)
}

// ParseISODuration reads the ISO 8601 durations policies use (PT2H,
// PT30M, P1D, PT0S). It refuses years and months, whose length varies.
func ParseISODuration(s string) (time.Duration, bool) {
	if !strings.HasPrefix(s, "P") || len(s) < 3 || len(s) > 40 {
		return 0, false
	}
	var d time.Duration
	inTime, num, seen := false, -1, false
	for _, ch := range s[1:] {
		switch {
		case ch == 'T':
			if inTime || num >= 0 {
				return 0, false
			}
			inTime = true
		case ch >= '0' && ch <= '9':
			if num < 0 {
				num = 0
			}
			num = num*10 + int(ch-'0')
			if num > 1_000_000 {
				return 0, false
			}
		default:
			if num < 0 {
				return 0, false
			}
			var unit time.Duration
			switch {
			case !inTime && ch == 'D':
				unit = 24 * time.Hour
			case !inTime && ch == 'W':
				unit = 7 * 24 * time.Hour
			case inTime && ch == 'H':
				unit = time.Hour
			case inTime && ch == 'M':
				unit = time.Minute
			case inTime && ch == 'S':
				unit = time.Second
			default:
				return 0, false
			}
			d += time.Duration(num) * unit
			num, seen = -1, true
		}
	}
	return d, seen && num < 0
}

func placeOrgRule(ctx context.Context, tx store.Store, r *store.OrgPolicyRule, create bool) error {
	all, err := tx.OrgPolicies().ListRules(ctx, r.PolicyID)
	if err != nil {
		return err
	}
	if !r.System {
		nonSystem := 0
		for _, o := range all {
			if !o.System && o.ID != r.ID {
				nonSystem++
			}
		}
		if r.Priority <= 0 || r.Priority > nonSystem+1 {
			r.Priority = nonSystem + 1
		}
	}
	if r.Priority, err = renumber(all, orgRuleKey, orgRulePriority, r.ID, r.Priority, func(o *store.OrgPolicyRule) error {
		return tx.OrgPolicies().UpdateRule(ctx, o)
	}); err != nil {
		return err
	}
	if create {
		return tx.OrgPolicies().CreateRule(ctx, r)
	}
	return tx.OrgPolicies().UpdateRule(ctx, r)
}

// CreateOrgRule adds a rule at r.Priority (0: last before the default rule).
func (s *Service) CreateOrgRule(ctx context.Context, c Context, policyID string, r *store.OrgPolicyRule) error {
	now := s.now()
	r.ID, r.PolicyID, r.System, r.Created, r.LastUpdated = secret.NewID("0pr"), policyID, false, now, now
	return s.Store.InTx(ctx, func(tx store.Store) error {
		p, err := orgPolicyIn(ctx, tx, policyID)
		if err != nil {
			return err
		}
		if err := validateOrgRule(ctx, tx, p, r); err != nil {
			return err
		}
		if err := placeOrgRule(ctx, tx, r, true); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "policy.rule.add", "Add policy rule", orgPolicyTarget(p), orgRuleTarget(r))
	})
}

// UpdateOrgRule replaces a rule. The default rule keeps its place, its
// status and its conditions (everyone); its actions may change, as in Okta.
func (s *Service) UpdateOrgRule(ctx context.Context, c Context, policyID string, r *store.OrgPolicyRule) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		p, err := orgPolicyIn(ctx, tx, policyID)
		if err != nil {
			return err
		}
		old, err := orgRuleIn(ctx, tx, policyID, r.ID)
		if err != nil {
			return err
		}
		r.PolicyID, r.System, r.Created, r.LastUpdated = policyID, old.System, old.Created, s.now()
		if r.Priority == 0 || r.System {
			r.Priority = old.Priority
		}
		if r.Status == "" || r.System {
			r.Status = old.Status
		}
		if r.System {
			r.Conditions = old.Conditions
			r.Name = old.Name
		}
		if err := validateOrgRule(ctx, tx, p, r); err != nil {
			return err
		}
		if err := placeOrgRule(ctx, tx, r, false); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "policy.rule.update", "Update policy rule", orgPolicyTarget(p), orgRuleTarget(r))
	})
}

// DeleteOrgRule removes a rule; the default rule stays.
func (s *Service) DeleteOrgRule(ctx context.Context, c Context, policyID, id string) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		r, err := orgRuleIn(ctx, tx, policyID, id)
		if err != nil {
			return err
		}
		if r.System {
			return oktaerr.Forbidden("The default rule cannot be deleted.")
		}
		if err := tx.OrgPolicies().DeleteRule(ctx, id); err != nil {
			return err
		}
		rest, err := tx.OrgPolicies().ListRules(ctx, policyID)
		if err != nil {
			return err
		}
		if _, err := renumber(rest, orgRuleKey, orgRulePriority, "", 0, func(o *store.OrgPolicyRule) error { return tx.OrgPolicies().UpdateRule(ctx, o) }); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "policy.rule.delete", "Delete policy rule", orgRuleTarget(r))
	})
}

// SetOrgRuleStatus activates or deactivates a rule.
func (s *Service) SetOrgRuleStatus(ctx context.Context, c Context, policyID, id, status string) error {
	event, msg := "policy.rule.activate", "Activate policy rule"
	if status != store.StatusActive {
		event, msg = "policy.rule.deactivate", "Deactivate policy rule"
	}
	return s.Store.InTx(ctx, func(tx store.Store) error {
		r, err := orgRuleIn(ctx, tx, policyID, id)
		if err != nil {
			return err
		}
		if r.System && status != store.StatusActive {
			return oktaerr.Forbidden("The default rule cannot be deactivated.")
		}
		r.Status, r.LastUpdated = status, s.now()
		if err := tx.OrgPolicies().UpdateRule(ctx, r); err != nil {
			return err
		}
		return s.record(ctx, tx, c, event, msg, orgRuleTarget(r))
	})
}

// SetAppAccessPolicy binds an app to an access policy
// (PUT /api/v1/apps/{appId}/policies/{policyId}).
func (s *Service) SetAppAccessPolicy(ctx context.Context, c Context, appID, policyID string) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		app, err := tx.Apps().Get(ctx, appID)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(appID, "Application")
		} else if err != nil {
			return err
		}
		p, err := orgPolicyIn(ctx, tx, policyID)
		if err != nil {
			return err
		}
		if p.Type != store.PolicyAccess {
			return oktaerr.Validation("policyId", "policyId: An app is bound to a policy of type ACCESS_POLICY.")
		}
		if err := tx.OrgPolicies().SetAppPolicy(ctx, app.ID, p.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "application.policy.sign_on.update", "Update application sign on policy",
			audit.Target{ID: app.ID, Type: "AppInstance", AlternateID: app.Label, DisplayName: app.Label}, orgPolicyTarget(p))
	})
}

// AppAccessPolicy is the id of the access policy an app is bound to, or "".
func (s *Service) AppAccessPolicy(ctx context.Context, appID string) (string, error) {
	id, err := s.Store.OrgPolicies().AppPolicy(ctx, appID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return id, err
}

// SignOnDecision is what the org's sign-on policy asks of one sign-in.
type SignOnDecision struct {
	PolicyID, RuleID string
	Deny             bool
	RequireFactor    bool
	PromptMode       string
	// FactorLifetime is how long a remembered device (DEVICE) spares the
	// factor.
	FactorLifetime          time.Duration
	RememberDeviceByDefault bool
}

// ruleMatches says whether a rule's people conditions hold for a user in
// groups (the built-in Everyone group included).
func ruleMatches(c store.OrgRuleConditions, userID string, groups []string) bool {
	if slices.Contains(c.UsersExclude, userID) {
		return false
	}
	for _, g := range c.GroupsExclude {
		if slices.Contains(groups, g) {
			return false
		}
	}
	if len(c.UsersInclude) == 0 && len(c.GroupsInclude) == 0 {
		return true
	}
	if slices.Contains(c.UsersInclude, userID) {
		return true
	}
	for _, g := range c.GroupsInclude {
		if slices.Contains(groups, g) {
			return true
		}
	}
	return false
}

func (s *Service) userGroups(ctx context.Context, st store.Store, userID string) ([]string, error) {
	gs, err := st.Groups().Of(ctx, userID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(gs))
	for _, g := range gs {
		ids = append(ids, g.ID)
	}
	return ids, nil
}

// firstRule walks policies and their rules in priority order and returns
// the first active rule that applies to the user.
func (s *Service) firstRule(ctx context.Context, pols []*store.OrgPolicy, userID string, groups []string) (*store.OrgPolicy, *store.OrgPolicyRule, error) {
	for _, p := range pols {
		if p.Status != store.StatusActive {
			continue
		}
		if len(p.Conditions.GroupsInclude) > 0 && !slices.ContainsFunc(p.Conditions.GroupsInclude, func(g string) bool { return slices.Contains(groups, g) }) {
			continue
		}
		rules, err := s.Store.OrgPolicies().ListRules(ctx, p.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range rules {
			if r.Status == store.StatusActive && ruleMatches(r.Conditions, userID, groups) {
				return p, r, nil
			}
		}
	}
	return nil, nil, nil
}

// EvaluateSignOn decides what the org's sign-on policy asks of userID.
// With no policy that applies, nothing more than the password is asked.
func (s *Service) EvaluateSignOn(ctx context.Context, userID string) (*SignOnDecision, error) {
	groups, err := s.userGroups(ctx, s.Store, userID)
	if err != nil {
		return nil, err
	}
	pols, err := s.Store.OrgPolicies().List(ctx, store.PolicyOktaSignOn)
	if err != nil {
		return nil, err
	}
	p, r, err := s.firstRule(ctx, pols, userID, groups)
	if err != nil || r == nil {
		return &SignOnDecision{}, err
	}
	a := r.Actions
	d := &SignOnDecision{PolicyID: p.ID, RuleID: r.ID, Deny: a.Access == "DENY", RequireFactor: a.RequireFactor,
		PromptMode: a.FactorPromptMode, RememberDeviceByDefault: a.RememberDeviceByDefault,
		FactorLifetime: time.Duration(a.FactorLifetime) * time.Minute}
	if d.RequireFactor && d.PromptMode == "" {
		d.PromptMode = PromptAlways
	}
	if d.FactorLifetime <= 0 {
		d.FactorLifetime = DefaultFactorLifetime * time.Minute
	}
	return d, nil
}

// AppDecision is what an app's access policy asks of a user.
type AppDecision struct {
	PolicyID, RuleID string
	Deny             bool
	// RequireFactor: two factors (factorMode 2FA).
	RequireFactor bool
	// ReauthenticateIn bounds how old the factor may be (0: the session's).
	ReauthenticateIn time.Duration
}

// EvaluateAppSignOn decides what the access policy the app is bound to
// asks of userID; an app bound to none asks nothing beyond the org policy.
func (s *Service) EvaluateAppSignOn(ctx context.Context, appID, userID string) (*AppDecision, error) {
	pid, err := s.AppAccessPolicy(ctx, appID)
	if err != nil || pid == "" {
		return &AppDecision{}, err
	}
	p, err := s.Store.OrgPolicies().Get(ctx, pid)
	if errors.Is(err, store.ErrNotFound) {
		return &AppDecision{}, nil
	} else if err != nil {
		return nil, err
	}
	groups, err := s.userGroups(ctx, s.Store, userID)
	if err != nil {
		return nil, err
	}
	p, r, err := s.firstRule(ctx, []*store.OrgPolicy{p}, userID, groups)
	if err != nil || r == nil {
		return &AppDecision{}, err
	}
	d := &AppDecision{PolicyID: p.ID, RuleID: r.ID, Deny: r.Actions.Access == "DENY", RequireFactor: r.Actions.FactorMode == "2FA"}
	d.ReauthenticateIn, _ = ParseISODuration(r.Actions.ReauthenticateIn)
	return d, nil
}
