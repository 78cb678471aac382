package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// GrantTypes a policy rule may name (§4.6).
var GrantTypes = []string{
	"authorization_code", "implicit", "password", "client_credentials",
	"urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange",
	"urn:ietf:params:oauth:grant-type:saml2-bearer", "interaction_code", "urn:openid:params:grant-type:ciba",
}

// Rule token lifetime bounds and defaults, in minutes (§3.4, §4.6).
const (
	MinAccessTokenLifetime     = 5
	MaxAccessTokenLifetime     = 1440
	DefaultAccessTokenLifetime = 60
	MinRefreshTokenWindow      = 10
	MaxRefreshTokenWindow      = 2628000
	DefaultRefreshTokenWindow  = 10080
)

func policyTarget(p *store.Policy) audit.Target {
	return audit.Target{ID: p.ID, Type: "OAuth2Policy", DisplayName: p.Name}
}

func ruleTarget(r *store.PolicyRule) audit.Target {
	return audit.Target{ID: r.ID, Type: "OAuth2PolicyRule", DisplayName: r.Name}
}

// reorder places id at the 1-based priority prio among ids (which are in
// priority order and may or may not contain id already); prio ≤ 0 or past
// the end means last. The result's index+1 is each record's new priority, so
// the server's order stays dense 1..n whatever priorities were asked for.
func reorder(ids []string, id string, prio int) []string {
	out := slices.DeleteFunc(slices.Clone(ids), func(s string) bool { return s == id })
	if prio <= 0 || prio > len(out) {
		return append(out, id)
	}
	return slices.Insert(out, prio-1, id)
}

// renumber gives the items of one ordered list dense priorities 1..n,
// placing the item placedID (if any) at priority want (0 or past the end:
// last), and saves every other item whose priority changed. It returns the
// placed item's priority.
func renumber[T any](items []T, id func(T) string, priority func(T) *int, placedID string, want int, save func(T) error) (int, error) {
	byID := make(map[string]T, len(items))
	ids := make([]string, 0, len(items))
	for _, o := range items {
		byID[id(o)], ids = o, append(ids, id(o))
	}
	order := ids
	if placedID != "" {
		order = reorder(ids, placedID, want)
	}
	placed := 0
	for i, oid := range order {
		if oid == placedID {
			placed = i + 1
			continue
		}
		if o := byID[oid]; *priority(o) != i+1 {
			*priority(o) = i + 1
			if err := save(o); err != nil {
				return 0, fmt.Errorf("renumber %s: %w", oid, err)
			}
		}
	}
	return placed, nil
}

func policyKey(p *store.Policy) string      { return p.ID }
func policyPriority(p *store.Policy) *int   { return &p.Priority }
func ruleKey(r *store.PolicyRule) string    { return r.ID }
func rulePriority(r *store.PolicyRule) *int { return &r.Priority }

func checkPriority(prio int) *oktaerr.Error {
	if prio < 0 {
		return oktaerr.Validation("priority", "priority: Priority must be a positive integer.")
	}
	return nil
}

func (s *Service) serverIn(ctx context.Context, tx store.Store, serverID string) error {
	if _, err := tx.AuthServers().Get(ctx, serverID); errors.Is(err, store.ErrNotFound) {
		return oktaerr.NotFound(serverID, "AuthorizationServer")
	} else if err != nil {
		return err
	}
	return nil
}

func policyIn(ctx context.Context, tx store.Store, serverID, id string) (*store.Policy, error) {
	p, err := tx.AuthServers().GetPolicy(ctx, serverID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(id, "Policy")
	}
	return p, err
}

func ruleIn(ctx context.Context, tx store.Store, serverID, policyID, id string) (*store.PolicyRule, error) {
	if _, err := policyIn(ctx, tx, serverID, policyID); err != nil {
		return nil, err
	}
	r, err := tx.AuthServers().GetRule(ctx, policyID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && r.ServerID != serverID) {
		return nil, oktaerr.NotFound(id, "PolicyRule")
	}
	return r, err
}

// ListPolicies lists a server's access policies in priority order.
func (s *Service) ListPolicies(ctx context.Context, serverID string) ([]*store.Policy, error) {
	if err := s.serverIn(ctx, s.Store, serverID); err != nil {
		return nil, err
	}
	return s.Store.AuthServers().ListPolicies(ctx, serverID)
}

// GetPolicy returns one access policy.
func (s *Service) GetPolicy(ctx context.Context, serverID, id string) (*store.Policy, error) {
	if err := s.serverIn(ctx, s.Store, serverID); err != nil {
		return nil, err
	}
	return policyIn(ctx, s.Store, serverID, id)
}

// validatePolicy normalizes and checks a policy (§4.5); client ids must name
// existing apps so that a typo does not silently match nothing.
func validatePolicy(ctx context.Context, tx store.Store, p *store.Policy) error {
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
	if len(p.ClientsInclude) == 0 {
		causes = append(causes, "conditions.clients.include: The field cannot be left blank")
	}
	for _, c := range p.ClientsInclude {
		if c == "ALL_CLIENTS" {
			continue
		}
		if _, err := tx.Apps().GetByClientID(ctx, c); errors.Is(err, store.ErrNotFound) {
			causes = append(causes, "conditions.clients.include: Invalid client id: "+c)
		} else if err != nil {
			return err
		}
	}
	if len(causes) > 0 {
		return oktaerr.Validation(strings.SplitN(causes[0], ":", 2)[0], causes...)
	}
	return nil
}

// placePolicy stores p at its requested priority (create or update) and
// renumbers the server's other policies, all in tx.
func placePolicy(ctx context.Context, tx store.Store, p *store.Policy, create bool) error {
	all, err := tx.AuthServers().ListPolicies(ctx, p.ServerID)
	if err != nil {
		return err
	}
	if p.Priority, err = renumber(all, policyKey, policyPriority, p.ID, p.Priority, func(o *store.Policy) error {
		return tx.AuthServers().UpdatePolicy(ctx, o)
	}); err != nil {
		return err
	}
	if create {
		return tx.AuthServers().CreatePolicy(ctx, p)
	}
	return tx.AuthServers().UpdatePolicy(ctx, p)
}

// CreatePolicy adds an access policy at p.Priority (0: last).
func (s *Service) CreatePolicy(ctx context.Context, c Context, serverID string, p *store.Policy) error {
	if err := checkPriority(p.Priority); err != nil {
		return err
	}
	now := s.now()
	p.ID, p.ServerID, p.System, p.Created, p.LastUpdated = secret.NewID("00p"), serverID, false, now, now
	return s.configChange(ctx, func(tx store.Store) error {
		if err := s.serverIn(ctx, tx, serverID); err != nil {
			return err
		}
		if err := validatePolicy(ctx, tx, p); err != nil {
			return err
		}
		if err := placePolicy(ctx, tx, p, true); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "oauth2.as.policy.created", "Create OAuth 2.0 authorization server policy", policyTarget(p))
	})
}

// UpdatePolicy replaces a policy; priority 0 keeps its place and an empty
// status keeps its status (lifecycle has its own operations).
func (s *Service) UpdatePolicy(ctx context.Context, c Context, serverID string, p *store.Policy) error {
	if err := checkPriority(p.Priority); err != nil {
		return err
	}
	return s.configChange(ctx, func(tx store.Store) error {
		if err := s.serverIn(ctx, tx, serverID); err != nil {
			return err
		}
		old, err := policyIn(ctx, tx, serverID, p.ID)
		if err != nil {
			return err
		}
		p.ServerID, p.System, p.Created, p.LastUpdated = serverID, old.System, old.Created, s.now()
		if p.Priority == 0 {
			p.Priority = old.Priority
		}
		if p.Status == "" {
			p.Status = old.Status
		}
		if err := validatePolicy(ctx, tx, p); err != nil {
			return err
		}
		if err := placePolicy(ctx, tx, p, false); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "oauth2.as.policy.updated", "Update OAuth 2.0 authorization server policy", policyTarget(p))
	})
}

// DeletePolicy removes a policy with its rules and closes the gap it leaves.
func (s *Service) DeletePolicy(ctx context.Context, c Context, serverID, id string) error {
	return s.configChange(ctx, func(tx store.Store) error {
		if err := s.serverIn(ctx, tx, serverID); err != nil {
			return err
		}
		p, err := policyIn(ctx, tx, serverID, id)
		if err != nil {
			return err
		}
		if p.System {
			return oktaerr.Forbidden("System policies cannot be deleted.")
		}
		if err := tx.AuthServers().DeletePolicy(ctx, serverID, id); err != nil {
			return err
		}
		rest, err := tx.AuthServers().ListPolicies(ctx, serverID)
		if err != nil {
			return err
		}
		if _, err := renumber(rest, policyKey, policyPriority, "", 0, func(o *store.Policy) error { return tx.AuthServers().UpdatePolicy(ctx, o) }); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "oauth2.as.policy.deleted", "Delete OAuth 2.0 authorization server policy", policyTarget(p))
	})
}

// SetPolicyStatus activates (ACTIVE) or deactivates (INACTIVE) a policy.
func (s *Service) SetPolicyStatus(ctx context.Context, c Context, serverID, id, status string) error {
	event, msg := "oauth2.as.policy.activated", "Activate OAuth 2.0 authorization server policy"
	if status != store.StatusActive {
		event, msg = "oauth2.as.policy.deactivated", "Deactivate OAuth 2.0 authorization server policy"
	}
	return s.configChange(ctx, func(tx store.Store) error {
		if err := s.serverIn(ctx, tx, serverID); err != nil {
			return err
		}
		p, err := policyIn(ctx, tx, serverID, id)
		if err != nil {
			return err
		}
		p.Status, p.LastUpdated = status, s.now()
		if err := tx.AuthServers().UpdatePolicy(ctx, p); err != nil {
			return err
		}
		return s.record(ctx, tx, c, event, msg, policyTarget(p))
	})
}

// ListRules lists a policy's rules in priority order.
func (s *Service) ListRules(ctx context.Context, serverID, policyID string) ([]*store.PolicyRule, error) {
	if _, err := s.GetPolicy(ctx, serverID, policyID); err != nil {
		return nil, err
	}
	return s.Store.AuthServers().ListRules(ctx, policyID)
}

// GetRule returns one rule.
func (s *Service) GetRule(ctx context.Context, serverID, policyID, id string) (*store.PolicyRule, error) {
	if err := s.serverIn(ctx, s.Store, serverID); err != nil {
		return nil, err
	}
	return ruleIn(ctx, s.Store, serverID, policyID, id)
}

// validateRule normalizes and checks a rule (§4.6): defaults for lifetimes,
// known grant types, and users, groups and scopes that exist.
func validateRule(ctx context.Context, tx store.Store, r *store.PolicyRule) error {
	var causes []string
	add := func(c string) { causes = append(causes, c) }
	if strings.TrimSpace(r.Name) == "" {
		add("name: The field cannot be left blank")
	} else if len(r.Name) > 255 {
		add("name: The field must be at most 255 characters")
	}
	if r.Type != "RESOURCE_ACCESS" {
		add("type: Must be RESOURCE_ACCESS")
	}
	if r.Status == "" {
		r.Status = store.StatusActive
	}
	if r.Status != store.StatusActive && r.Status != store.StatusInactive {
		add("status: Must be one of ACTIVE, INACTIVE")
	}
	if len(r.GrantTypes) == 0 {
		add("conditions.grantTypes.include: The field cannot be left blank")
	}
	for _, g := range r.GrantTypes {
		if !slices.Contains(GrantTypes, g) {
			add("conditions.grantTypes.include: Invalid grant type: " + g)
		}
	}
	for _, list := range [][]string{r.UsersInclude, r.UsersExclude} {
		for _, u := range list {
			if _, err := tx.Users().Get(ctx, u); errors.Is(err, store.ErrNotFound) {
				add("conditions.people.users: Invalid user id: " + u)
			} else if err != nil {
				return err
			}
		}
	}
	for _, list := range [][]string{r.GroupsInclude, r.GroupsExclude} {
		for _, g := range list {
			if g == "EVERYONE" {
				continue
			}
			if _, err := tx.Groups().Get(ctx, g); errors.Is(err, store.ErrNotFound) {
				add("conditions.people.groups: Invalid group id: " + g)
			} else if err != nil {
				return err
			}
		}
	}
	if len(r.Scopes) > 0 && !slices.Equal(r.Scopes, []string{"*"}) {
		defined, err := tx.AuthServers().ListScopes(ctx, r.ServerID)
		if err != nil {
			return err
		}
		for _, sc := range r.Scopes {
			if !slices.ContainsFunc(defined, func(d *store.Scope) bool { return d.Name == sc }) {
				add("conditions.scopes.include: Invalid scope: " + sc)
			}
		}
	}
	if r.AccessTokenLifetimeMinutes == 0 {
		r.AccessTokenLifetimeMinutes = DefaultAccessTokenLifetime
	}
	if r.RefreshTokenWindowMinutes == 0 {
		r.RefreshTokenWindowMinutes = DefaultRefreshTokenWindow
	}
	at, rt, win := r.AccessTokenLifetimeMinutes, r.RefreshTokenLifetimeMinutes, r.RefreshTokenWindowMinutes
	if at < MinAccessTokenLifetime || at > MaxAccessTokenLifetime {
		add(fmt.Sprintf("actions.token.accessTokenLifetimeMinutes: Must be between %d and %d minutes", MinAccessTokenLifetime, MaxAccessTokenLifetime))
	}
	if rt < 0 || (rt > 0 && rt < at) {
		add("actions.token.refreshTokenLifetimeMinutes: Must be 0 (unlimited) or at least the access token lifetime")
	}
	if win < MinRefreshTokenWindow || win > MaxRefreshTokenWindow {
		add(fmt.Sprintf("actions.token.refreshTokenWindowMinutes: Must be between %d and %d minutes", MinRefreshTokenWindow, MaxRefreshTokenWindow))
	} else if win < at || (rt > 0 && win > rt) {
		add("actions.token.refreshTokenWindowMinutes: Must be between the access token lifetime and the refresh token lifetime")
	}
	if len(causes) > 0 {
		return oktaerr.Validation(strings.SplitN(causes[0], ":", 2)[0], causes...)
	}
	return nil
}

// placeRule is placePolicy for a rule within its policy.
func placeRule(ctx context.Context, tx store.Store, r *store.PolicyRule, create bool) error {
	all, err := tx.AuthServers().ListRules(ctx, r.PolicyID)
	if err != nil {
		return err
	}
	if r.Priority, err = renumber(all, ruleKey, rulePriority, r.ID, r.Priority, func(o *store.PolicyRule) error {
		return tx.AuthServers().UpdateRule(ctx, o)
	}); err != nil {
		return err
	}
	if create {
		return tx.AuthServers().CreateRule(ctx, r)
	}
	return tx.AuthServers().UpdateRule(ctx, r)
}

// CreateRule adds a rule to a policy at r.Priority (0: last).
func (s *Service) CreateRule(ctx context.Context, c Context, serverID, policyID string, r *store.PolicyRule) error {
	if err := checkPriority(r.Priority); err != nil {
		return err
	}
	now := s.now()
	r.ID, r.PolicyID, r.ServerID, r.System, r.Created, r.LastUpdated = secret.NewID("0pr"), policyID, serverID, false, now, now
	return s.configChange(ctx, func(tx store.Store) error {
		if err := s.serverIn(ctx, tx, serverID); err != nil {
			return err
		}
		if _, err := policyIn(ctx, tx, serverID, policyID); err != nil {
			return err
		}
		if err := validateRule(ctx, tx, r); err != nil {
			return err
		}
		if err := placeRule(ctx, tx, r, true); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "oauth2.as.policy.rule.created", "Create OAuth 2.0 authorization server policy rule", ruleTarget(r))
	})
}

// UpdateRule replaces a rule; priority 0 keeps its place and an empty status
// keeps its status.
func (s *Service) UpdateRule(ctx context.Context, c Context, serverID, policyID string, r *store.PolicyRule) error {
	if err := checkPriority(r.Priority); err != nil {
		return err
	}
	return s.configChange(ctx, func(tx store.Store) error {
		if err := s.serverIn(ctx, tx, serverID); err != nil {
			return err
		}
		old, err := ruleIn(ctx, tx, serverID, policyID, r.ID)
		if err != nil {
			return err
		}
		r.PolicyID, r.ServerID, r.System, r.Created, r.LastUpdated = policyID, serverID, old.System, old.Created, s.now()
		if r.Priority == 0 {
			r.Priority = old.Priority
		}
		if r.Status == "" {
			r.Status = old.Status
		}
		if err := validateRule(ctx, tx, r); err != nil {
			return err
		}
		if err := placeRule(ctx, tx, r, false); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "oauth2.as.policy.rule.updated", "Update OAuth 2.0 authorization server policy rule", ruleTarget(r))
	})
}

// DeleteRule removes a rule and closes the gap it leaves; the system rule stays.
func (s *Service) DeleteRule(ctx context.Context, c Context, serverID, policyID, id string) error {
	return s.configChange(ctx, func(tx store.Store) error {
		if err := s.serverIn(ctx, tx, serverID); err != nil {
			return err
		}
		r, err := ruleIn(ctx, tx, serverID, policyID, id)
		if err != nil {
			return err
		}
		if r.System {
			return oktaerr.Forbidden("System rules cannot be deleted.")
		}
		if err := tx.AuthServers().DeleteRule(ctx, policyID, id); err != nil {
			return err
		}
		rest, err := tx.AuthServers().ListRules(ctx, policyID)
		if err != nil {
			return err
		}
		if _, err := renumber(rest, ruleKey, rulePriority, "", 0, func(o *store.PolicyRule) error { return tx.AuthServers().UpdateRule(ctx, o) }); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "oauth2.as.policy.rule.deleted", "Delete OAuth 2.0 authorization server policy rule", ruleTarget(r))
	})
}

// SetRuleStatus activates (ACTIVE) or deactivates (INACTIVE) a rule.
func (s *Service) SetRuleStatus(ctx context.Context, c Context, serverID, policyID, id, status string) error {
	event, msg := "oauth2.as.policy.rule.activated", "Activate OAuth 2.0 authorization server policy rule"
	if status != store.StatusActive {
		event, msg = "oauth2.as.policy.rule.deactivated", "Deactivate OAuth 2.0 authorization server policy rule"
	}
	return s.configChange(ctx, func(tx store.Store) error {
		if err := s.serverIn(ctx, tx, serverID); err != nil {
			return err
		}
		r, err := ruleIn(ctx, tx, serverID, policyID, id)
		if err != nil {
			return err
		}
		r.Status, r.LastUpdated = status, s.now()
		if err := tx.AuthServers().UpdateRule(ctx, r); err != nil {
			return err
		}
		return s.record(ctx, tx, c, event, msg, ruleTarget(r))
	})
}
