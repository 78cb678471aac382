package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

func (h *Handler) registerPolicies(mux *http.ServeMux) {
	const read, manage = "okta.authorizationServers.read", "okta.authorizationServers.manage"
	const pols = "/api/v1/authorizationServers/{as}/policies"
	const rules = pols + "/{policyId}/rules"
	mux.Handle("GET "+pols, h.auth(read, h.listPolicies))
	mux.Handle("POST "+pols, h.auth(manage, h.createPolicy))
	mux.Handle("GET "+pols+"/{policyId}", h.auth(read, h.getPolicy))
	mux.Handle("PUT "+pols+"/{policyId}", h.auth(manage, h.replacePolicy))
	mux.Handle("DELETE "+pols+"/{policyId}", h.auth(manage, h.deletePolicy))
	mux.Handle("POST "+pols+"/{policyId}/lifecycle/activate", h.auth(manage, h.policyLifecycle(store.StatusActive)))
	mux.Handle("POST "+pols+"/{policyId}/lifecycle/deactivate", h.auth(manage, h.policyLifecycle(store.StatusInactive)))
	mux.Handle("GET "+rules, h.auth(read, h.listRules))
	mux.Handle("POST "+rules, h.auth(manage, h.createRule))
	mux.Handle("GET "+rules+"/{ruleId}", h.auth(read, h.getRule))
	mux.Handle("PUT "+rules+"/{ruleId}", h.auth(manage, h.replaceRule))
	mux.Handle("DELETE "+rules+"/{ruleId}", h.auth(manage, h.deleteRule))
	mux.Handle("POST "+rules+"/{ruleId}/lifecycle/activate", h.auth(manage, h.ruleLifecycle(store.StatusActive)))
	mux.Handle("POST "+rules+"/{ruleId}/lifecycle/deactivate", h.auth(manage, h.ruleLifecycle(store.StatusInactive)))
}

// IncludeJSON is a condition that only includes ({"include":[…]}).
type IncludeJSON struct {
	Include []string `json:"include"`
}

// PeopleSetJSON is a users or groups condition. Okta answers an empty
// request object {} with {"exclude":[]}: include is left out when empty,
// exclude is always there (Terraform's recorded traffic, §4.6).
type PeopleSetJSON struct {
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude"`
}

// PolicyJSON is an authorization server access policy (§4.5).
type PolicyJSON struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	Status      string         `json:"status"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Priority    int            `json:"priority"`
	System      bool           `json:"system"`
	Conditions  any            `json:"conditions"`
	Created     string         `json:"created"`
	LastUpdated string         `json:"lastUpdated"`
	Links       map[string]any `json:"_links"`
}

// RuleJSON is an access policy rule (§4.6).
type RuleJSON struct {
	ID          string             `json:"id"`
	Type        string             `json:"type"`
	Status      string             `json:"status"`
	Name        string             `json:"name"`
	Priority    int                `json:"priority"`
	System      bool               `json:"system"`
	Conditions  RuleConditionsJSON `json:"conditions"`
	Actions     RuleActionsJSON    `json:"actions"`
	Created     string             `json:"created"`
	LastUpdated string             `json:"lastUpdated"`
	Links       map[string]any     `json:"_links"`
}

// RuleConditionsJSON is a rule's conditions, in answers and requests alike.
type RuleConditionsJSON struct {
	People     PeopleJSON  `json:"people"`
	GrantTypes IncludeJSON `json:"grantTypes"`
	Scopes     IncludeJSON `json:"scopes"`
}

// PeopleJSON is the people condition of a rule.
type PeopleJSON struct {
	Users  PeopleSetJSON `json:"users"`
	Groups PeopleSetJSON `json:"groups"`
}

// RuleActionsJSON is a rule's token lifetimes, in answers and requests alike.
type RuleActionsJSON struct {
	Token struct {
		AccessTokenLifetimeMinutes  int `json:"accessTokenLifetimeMinutes"`
		RefreshTokenLifetimeMinutes int `json:"refreshTokenLifetimeMinutes"`
		RefreshTokenWindowMinutes   int `json:"refreshTokenWindowMinutes"`
	} `json:"token"`
}

func lifecycleLinks(self, status string) map[string]any {
	links := map[string]any{"self": map[string]any{"href": self, "hints": map[string]any{"allow": []string{"GET", "PUT", "DELETE"}}}}
	if status == store.StatusActive {
		links["deactivate"] = map[string]any{"href": self + "/lifecycle/deactivate", "hints": map[string]any{"allow": []string{"POST"}}}
	} else {
		links["activate"] = map[string]any{"href": self + "/lifecycle/activate", "hints": map[string]any{"allow": []string{"POST"}}}
	}
	return links
}

func (h *Handler) policyToJSON(p *store.Policy) PolicyJSON {
	self := h.orgURL + "/api/v1/authorizationServers/" + p.ServerID + "/policies/" + p.ID
	links := lifecycleLinks(self, p.Status)
	links["rules"] = map[string]any{"href": self + "/rules", "hints": map[string]any{"allow": []string{"GET", "POST"}}}
	return PolicyJSON{ID: p.ID, Type: "OAUTH_AUTHORIZATION_POLICY", Status: p.Status, Name: p.Name, Description: p.Description,
		Priority: p.Priority, System: p.System,
		Conditions: map[string]any{"clients": IncludeJSON{Include: nonNil(p.ClientsInclude)}},
		Created:    FormatTime(p.Created), LastUpdated: FormatTime(p.LastUpdated), Links: links}
}

func (h *Handler) ruleToJSON(r *store.PolicyRule) RuleJSON {
	self := h.orgURL + "/api/v1/authorizationServers/" + r.ServerID + "/policies/" + r.PolicyID + "/rules/" + r.ID
	out := RuleJSON{ID: r.ID, Type: r.Type, Status: r.Status, Name: r.Name, Priority: r.Priority, System: r.System,
		Created: FormatTime(r.Created), LastUpdated: FormatTime(r.LastUpdated), Links: lifecycleLinks(self, r.Status)}
	out.Conditions.People.Users = PeopleSetJSON{Include: r.UsersInclude, Exclude: nonNil(r.UsersExclude)}
	out.Conditions.People.Groups = PeopleSetJSON{Include: r.GroupsInclude, Exclude: nonNil(r.GroupsExclude)}
	out.Conditions.GrantTypes = IncludeJSON{Include: nonNil(r.GrantTypes)}
	out.Conditions.Scopes = IncludeJSON{Include: nonNil(r.Scopes)}
	out.Actions.Token.AccessTokenLifetimeMinutes = r.AccessTokenLifetimeMinutes
	out.Actions.Token.RefreshTokenLifetimeMinutes = r.RefreshTokenLifetimeMinutes
	out.Actions.Token.RefreshTokenWindowMinutes = r.RefreshTokenWindowMinutes
	return out
}

// policyFromRequest decodes a policy; unknown members are ignored as Okta does.
func policyFromRequest(body []byte) (*store.Policy, *oktaerr.Error) {
	var in struct {
		Type        string `json:"type"`
		Name        string `json:"name"`
		Description string `json:"description"`
		Status      string `json:"status"`
		Priority    int    `json:"priority"`
		Conditions  struct {
			Clients IncludeJSON `json:"clients"`
		} `json:"conditions"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, oktaerr.MalformedBody()
	}
	if in.Type != "" && in.Type != "OAUTH_AUTHORIZATION_POLICY" {
		return nil, oktaerr.Validation("type", "type: Must be OAUTH_AUTHORIZATION_POLICY")
	}
	return &store.Policy{Name: in.Name, Description: in.Description, Status: in.Status, Priority: in.Priority,
		ClientsInclude: in.Conditions.Clients.Include}, nil
}

// ruleFromRequest decodes a rule. Empty or missing condition objects become
// empty lists, which is how Okta normalizes Terraform's {} members.
func ruleFromRequest(body []byte) (*store.PolicyRule, *oktaerr.Error) {
	var in struct {
		Type       string             `json:"type"`
		Name       string             `json:"name"`
		Status     string             `json:"status"`
		Priority   int                `json:"priority"`
		Conditions RuleConditionsJSON `json:"conditions"`
		Actions    RuleActionsJSON    `json:"actions"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, oktaerr.MalformedBody()
	}
	c, t := in.Conditions, in.Actions.Token
	return &store.PolicyRule{Type: in.Type, Name: in.Name, Status: in.Status, Priority: in.Priority,
		UsersInclude: nonNil(c.People.Users.Include), UsersExclude: nonNil(c.People.Users.Exclude),
		GroupsInclude: nonNil(c.People.Groups.Include), GroupsExclude: nonNil(c.People.Groups.Exclude),
		GrantTypes: nonNil(c.GrantTypes.Include), Scopes: nonNil(c.Scopes.Include),
		AccessTokenLifetimeMinutes: t.AccessTokenLifetimeMinutes, RefreshTokenLifetimeMinutes: t.RefreshTokenLifetimeMinutes,
		RefreshTokenWindowMinutes: t.RefreshTokenWindowMinutes}, nil
}

// readJSON reads the body and decodes it with parse, answering the error
// itself when it cannot.
func readJSON[T any](w http.ResponseWriter, r *http.Request, parse func([]byte) (T, *oktaerr.Error)) (T, bool) {
	body, werr := readBody(w, r)
	if werr == nil {
		var v T
		if v, werr = parse(body); werr == nil {
			return v, true
		}
	}
	web.WriteError(w, werr)
	var zero T
	return zero, false
}

func (h *Handler) listPolicies(w http.ResponseWriter, r *http.Request, p *principal) {
	pols, err := h.svc.ListPolicies(r.Context(), r.PathValue("as"))
	writeList(h, w, r, pols, err, h.policyToJSON)
}

func (h *Handler) createPolicy(w http.ResponseWriter, r *http.Request, p *principal) {
	save(h, w, r, http.StatusCreated, policyFromRequest, func(pol *store.Policy) error {
		return h.svc.CreatePolicy(r.Context(), serviceContext(r, p), r.PathValue("as"), pol)
	}, h.policyToJSON)
}

func (h *Handler) getPolicy(w http.ResponseWriter, r *http.Request, p *principal) {
	pol, err := h.svc.GetPolicy(r.Context(), r.PathValue("as"), r.PathValue("policyId"))
	writeOne(h, w, r, pol, err, h.policyToJSON)
}

func (h *Handler) replacePolicy(w http.ResponseWriter, r *http.Request, p *principal) {
	save(h, w, r, http.StatusOK, policyFromRequest, func(pol *store.Policy) error {
		pol.ID = r.PathValue("policyId")
		return h.svc.UpdatePolicy(r.Context(), serviceContext(r, p), r.PathValue("as"), pol)
	}, h.policyToJSON)
}

func (h *Handler) deletePolicy(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.DeletePolicy(r.Context(), serviceContext(r, p), r.PathValue("as"), r.PathValue("policyId")))
}

func (h *Handler) policyLifecycle(status string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		h.writeNoContent(w, r, h.svc.SetPolicyStatus(r.Context(), serviceContext(r, p), r.PathValue("as"), r.PathValue("policyId"), status))
	}
}

func (h *Handler) listRules(w http.ResponseWriter, r *http.Request, p *principal) {
	rules, err := h.svc.ListRules(r.Context(), r.PathValue("as"), r.PathValue("policyId"))
	writeList(h, w, r, rules, err, h.ruleToJSON)
}

func (h *Handler) createRule(w http.ResponseWriter, r *http.Request, p *principal) {
	save(h, w, r, http.StatusCreated, ruleFromRequest, func(rule *store.PolicyRule) error {
		return h.svc.CreateRule(r.Context(), serviceContext(r, p), r.PathValue("as"), r.PathValue("policyId"), rule)
	}, h.ruleToJSON)
}

func (h *Handler) getRule(w http.ResponseWriter, r *http.Request, p *principal) {
	rule, err := h.svc.GetRule(r.Context(), r.PathValue("as"), r.PathValue("policyId"), r.PathValue("ruleId"))
	writeOne(h, w, r, rule, err, h.ruleToJSON)
}

func (h *Handler) replaceRule(w http.ResponseWriter, r *http.Request, p *principal) {
	save(h, w, r, http.StatusOK, ruleFromRequest, func(rule *store.PolicyRule) error {
		rule.ID = r.PathValue("ruleId")
		return h.svc.UpdateRule(r.Context(), serviceContext(r, p), r.PathValue("as"), r.PathValue("policyId"), rule)
	}, h.ruleToJSON)
}

func (h *Handler) deleteRule(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.DeleteRule(r.Context(), serviceContext(r, p), r.PathValue("as"), r.PathValue("policyId"), r.PathValue("ruleId")))
}

func (h *Handler) ruleLifecycle(status string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		h.writeNoContent(w, r, h.svc.SetRuleStatus(r.Context(), serviceContext(r, p), r.PathValue("as"), r.PathValue("policyId"), r.PathValue("ruleId"), status))
	}
}
