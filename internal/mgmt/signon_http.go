package mgmt

import (
	"net/http"
	"slices"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// The org policies of /api/v1/policies: OKTA_SIGN_ON with SIGN_ON rules
// (the classic sign-on policy: who must give a second factor) and
// ACCESS_POLICY with ACCESS_POLICY rules (an app's sign-on requirement,
// bound with PUT /api/v1/apps/{appId}/policies/{policyId}).
func (h *Handler) registerOrgPolicies(mux *http.ServeMux) {
	const read, manage = "okta.policies.read", "okta.policies.manage"
	const pols = "/api/v1/policies"
	const rules = pols + "/{policyId}/rules"
	mux.Handle("GET "+pols, h.auth(read, h.listOrgPolicies))
	mux.Handle("POST "+pols, h.auth(manage, h.createOrgPolicy))
	mux.Handle("GET "+pols+"/{policyId}", h.auth(read, h.getOrgPolicy))
	mux.Handle("PUT "+pols+"/{policyId}", h.auth(manage, h.replaceOrgPolicy))
	mux.Handle("DELETE "+pols+"/{policyId}", h.auth(manage, h.deleteOrgPolicy))
	mux.Handle("POST "+pols+"/{policyId}/lifecycle/activate", h.auth(manage, h.orgPolicyLifecycle(store.StatusActive)))
	mux.Handle("POST "+pols+"/{policyId}/lifecycle/deactivate", h.auth(manage, h.orgPolicyLifecycle(store.StatusInactive)))
	mux.Handle("GET "+rules, h.auth(read, h.listOrgRules))
	mux.Handle("POST "+rules, h.auth(manage, h.createOrgRule))
	mux.Handle("GET "+rules+"/{ruleId}", h.auth(read, h.getOrgRule))
	mux.Handle("PUT "+rules+"/{ruleId}", h.auth(manage, h.replaceOrgRule))
	mux.Handle("DELETE "+rules+"/{ruleId}", h.auth(manage, h.deleteOrgRule))
	mux.Handle("POST "+rules+"/{ruleId}/lifecycle/activate", h.auth(manage, h.orgRuleLifecycle(store.StatusActive)))
	mux.Handle("POST "+rules+"/{ruleId}/lifecycle/deactivate", h.auth(manage, h.orgRuleLifecycle(store.StatusInactive)))
	mux.Handle("PUT /api/v1/apps/{appId}/policies/{policyId}", h.auth("okta.apps.manage", h.bindAppPolicy))
}

// OrgPolicyJSON is a policy of /api/v1/policies.
type OrgPolicyJSON struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Status      string          `json:"status"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Priority    int             `json:"priority"`
	System      bool            `json:"system"`
	Conditions  any             `json:"conditions"`
	Created     string          `json:"created"`
	LastUpdated string          `json:"lastUpdated"`
	Links       map[string]Link `json:"_links"`
}

func lifecycleLinkSet(self, status string) map[string]Link {
	links := map[string]Link{"self": {Href: self, Hints: &Hints{Allow: []string{"GET", "PUT", "DELETE"}}}}
	if status == store.StatusActive {
		links["deactivate"] = Link{Href: self + "/lifecycle/deactivate", Hints: &Hints{Allow: []string{"POST"}}}
	} else {
		links["activate"] = Link{Href: self + "/lifecycle/activate", Hints: &Hints{Allow: []string{"POST"}}}
	}
	return links
}

func (h *Handler) orgPolicyToJSON(p *store.OrgPolicy) OrgPolicyJSON {
	self := h.orgURL + "/api/v1/policies/" + p.ID
	links := lifecycleLinkSet(self, p.Status)
	links["rules"] = Link{Href: self + "/rules", Hints: &Hints{Allow: []string{"GET", "POST"}}}
	var cond any
	if p.Type == store.PolicyOktaSignOn {
		cond = map[string]any{"people": map[string]any{"groups": map[string]any{"include": nonNil(p.Conditions.GroupsInclude)}}}
	}
	return OrgPolicyJSON{ID: p.ID, Type: p.Type, Status: p.Status, Name: p.Name, Description: p.Description, Priority: p.Priority,
		System: p.System, Conditions: cond, Created: FormatTime(p.Created), LastUpdated: FormatTime(p.LastUpdated), Links: links}
}

func orgPolicyFromRequest(body []byte) (*store.OrgPolicy, *oktaerr.Error) {
	var in struct {
		Type        string `json:"type"`
		Name        string `json:"name"`
		Description string `json:"description"`
		Status      string `json:"status"`
		Priority    int    `json:"priority"`
		Conditions  *struct {
			People *struct {
				Groups *PeopleSetJSON `json:"groups"`
			} `json:"people"`
		} `json:"conditions"`
	}
	if werr := decodeBody(body, &in); werr != nil {
		return nil, werr
	}
	p := &store.OrgPolicy{Type: in.Type, Name: in.Name, Description: in.Description, Status: in.Status, Priority: in.Priority}
	if c := in.Conditions; c != nil && c.People != nil && c.People.Groups != nil {
		p.Conditions.GroupsInclude = c.People.Groups.Include
	}
	return p, nil
}

// OrgRuleJSON is a rule of an org policy: SIGN_ON rules answer
// actions.signon, ACCESS_POLICY rules actions.appSignOn.
type OrgRuleJSON struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Status      string          `json:"status"`
	Name        string          `json:"name"`
	Priority    int             `json:"priority"`
	System      bool            `json:"system"`
	Conditions  map[string]any  `json:"conditions"`
	Actions     map[string]any  `json:"actions"`
	Created     string          `json:"created"`
	LastUpdated string          `json:"lastUpdated"`
	Links       map[string]Link `json:"_links"`
}

func (h *Handler) orgRuleToJSON(r *store.OrgPolicyRule) OrgRuleJSON {
	c, a := r.Conditions, r.Actions
	users := map[string]any{"exclude": nonNil(c.UsersExclude)}
	if len(c.UsersInclude) > 0 {
		users["include"] = c.UsersInclude
	}
	people := map[string]any{"users": users}
	if len(c.GroupsInclude) > 0 || len(c.GroupsExclude) > 0 {
		people["groups"] = map[string]any{"include": nonNil(c.GroupsInclude), "exclude": nonNil(c.GroupsExclude)}
	}
	cond := map[string]any{"people": people, "network": map[string]any{"connection": c.Network}}
	var actions map[string]any
	if r.Type == store.RuleSignOn {
		cond["authContext"] = map[string]any{"authType": c.AuthType}
		cond["risk"] = map[string]any{"behaviors": nonNil(c.Behaviors)}
		level := c.RiskLevel
		if level == "" {
			level = "ANY"
		}
		cond["riskScore"] = map[string]any{"level": level}
		idp := c.IdentityProvider
		if idp == "" {
			idp = "ANY"
		}
		cond["identityProvider"] = map[string]any{"provider": idp}
		signon := map[string]any{"access": a.Access, "requireFactor": a.RequireFactor, "primaryFactor": a.PrimaryFactor,
			"rememberDeviceByDefault": a.RememberDeviceByDefault,
			"session": map[string]any{"usePersistentCookie": a.UsePersistentCookie, "maxSessionIdleMinutes": a.MaxSessionIdleMinutes,
				"maxSessionLifetimeMinutes": a.MaxSessionLifetime}}
		if a.RequireFactor {
			signon["factorPromptMode"] = a.FactorPromptMode
			signon["factorLifetime"] = a.FactorLifetime
		}
		actions = map[string]any{"signon": signon}
	} else {
		vm := map[string]any{"factorMode": a.FactorMode, "type": a.VerificationType}
		if a.ReauthenticateIn != "" {
			vm["reauthenticateIn"] = a.ReauthenticateIn
		}
		actions = map[string]any{"appSignOn": map[string]any{"access": a.Access, "verificationMethod": vm}}
	}
	self := h.orgURL + "/api/v1/policies/" + r.PolicyID + "/rules/" + r.ID
	return OrgRuleJSON{ID: r.ID, Type: r.Type, Status: r.Status, Name: r.Name, Priority: r.Priority, System: r.System,
		Conditions: cond, Actions: actions, Created: FormatTime(r.Created), LastUpdated: FormatTime(r.LastUpdated),
		Links: lifecycleLinkSet(self, r.Status)}
}

func orgRuleFromRequest(body []byte) (*store.OrgPolicyRule, *oktaerr.Error) {
	var in struct {
		Type       string `json:"type"`
		Name       string `json:"name"`
		Status     string `json:"status"`
		Priority   int    `json:"priority"`
		Conditions struct {
			People  PeopleJSON `json:"people"`
			Network struct {
				Connection string `json:"connection"`
			} `json:"network"`
			AuthContext struct {
				AuthType string `json:"authType"`
			} `json:"authContext"`
			RiskScore struct {
				Level string `json:"level"`
			} `json:"riskScore"`
			Risk struct {
				Behaviors []string `json:"behaviors"`
			} `json:"risk"`
			IdentityProvider struct {
				Provider string `json:"provider"`
			} `json:"identityProvider"`
		} `json:"conditions"`
		Actions struct {
			SignOn *struct {
				Access                  string `json:"access"`
				RequireFactor           bool   `json:"requireFactor"`
				FactorPromptMode        string `json:"factorPromptMode"`
				FactorLifetime          int    `json:"factorLifetime"`
				RememberDeviceByDefault bool   `json:"rememberDeviceByDefault"`
				PrimaryFactor           string `json:"primaryFactor"`
				Session                 struct {
					MaxSessionIdleMinutes     int  `json:"maxSessionIdleMinutes"`
					MaxSessionLifetimeMinutes int  `json:"maxSessionLifetimeMinutes"`
					UsePersistentCookie       bool `json:"usePersistentCookie"`
				} `json:"session"`
			} `json:"signon"`
			AppSignOn *struct {
				Access             string `json:"access"`
				VerificationMethod struct {
					FactorMode       string `json:"factorMode"`
					Type             string `json:"type"`
					ReauthenticateIn string `json:"reauthenticateIn"`
				} `json:"verificationMethod"`
			} `json:"appSignOn"`
		} `json:"actions"`
	}
	if werr := decodeBody(body, &in); werr != nil {
		return nil, werr
	}
	c := in.Conditions
	r := &store.OrgPolicyRule{Type: in.Type, Name: in.Name, Status: in.Status, Priority: in.Priority,
		Conditions: store.OrgRuleConditions{UsersInclude: c.People.Users.Include, UsersExclude: c.People.Users.Exclude,
			GroupsInclude: c.People.Groups.Include, GroupsExclude: c.People.Groups.Exclude, Network: c.Network.Connection,
			AuthType: c.AuthContext.AuthType, RiskLevel: c.RiskScore.Level, IdentityProvider: c.IdentityProvider.Provider,
			Behaviors: c.Risk.Behaviors}}
	if s := in.Actions.SignOn; s != nil {
		r.Actions = store.OrgRuleActions{Access: s.Access, RequireFactor: s.RequireFactor, FactorPromptMode: s.FactorPromptMode,
			FactorLifetime: s.FactorLifetime, RememberDeviceByDefault: s.RememberDeviceByDefault, PrimaryFactor: s.PrimaryFactor,
			MaxSessionIdleMinutes: s.Session.MaxSessionIdleMinutes, MaxSessionLifetime: s.Session.MaxSessionLifetimeMinutes,
			UsePersistentCookie: s.Session.UsePersistentCookie}
	}
	if s := in.Actions.AppSignOn; s != nil {
		r.Actions.Access = s.Access
		r.Actions.FactorMode, r.Actions.VerificationType, r.Actions.ReauthenticateIn =
			s.VerificationMethod.FactorMode, s.VerificationMethod.Type, s.VerificationMethod.ReauthenticateIn
	}
	return r, nil
}

func (h *Handler) listOrgPolicies(w http.ResponseWriter, r *http.Request, p *principal) {
	typ := r.URL.Query().Get("type")
	if typ == "" {
		web.WriteError(w, oktaerr.Validation("type", "type: The field cannot be left blank"))
		return
	}
	pols, err := h.svc.ListOrgPolicies(r.Context(), typ)
	if st := r.URL.Query().Get("status"); st != "" {
		pols = slices.DeleteFunc(pols, func(pol *store.OrgPolicy) bool { return pol.Status != st })
	}
	writeList(h, w, r, pols, err, h.orgPolicyToJSON)
}

// inactiveUnlessActivated applies ?activate=false to a create that sets no
// status itself.
func inactiveUnlessActivated(r *http.Request, status *string) {
	if r.URL.Query().Get("activate") == "false" && *status == "" {
		*status = store.StatusInactive
	}
}

// Okta answers a created org policy or rule with 200, not 201.
func (h *Handler) createOrgPolicy(w http.ResponseWriter, r *http.Request, p *principal) {
	save(h, w, r, http.StatusOK, orgPolicyFromRequest, func(pol *store.OrgPolicy) error {
		inactiveUnlessActivated(r, &pol.Status)
		return h.svc.CreateOrgPolicy(r.Context(), serviceContext(r, p), pol)
	}, h.orgPolicyToJSON)
}

func (h *Handler) getOrgPolicy(w http.ResponseWriter, r *http.Request, p *principal) {
	pol, err := h.svc.GetOrgPolicy(r.Context(), r.PathValue("policyId"))
	writeOne(h, w, r, pol, err, h.orgPolicyToJSON)
}

func (h *Handler) replaceOrgPolicy(w http.ResponseWriter, r *http.Request, p *principal) {
	save(h, w, r, http.StatusOK, orgPolicyFromRequest, func(pol *store.OrgPolicy) error {
		pol.ID = r.PathValue("policyId")
		return h.svc.UpdateOrgPolicy(r.Context(), serviceContext(r, p), pol)
	}, h.orgPolicyToJSON)
}

func (h *Handler) deleteOrgPolicy(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.DeleteOrgPolicy(r.Context(), serviceContext(r, p), r.PathValue("policyId")))
}

// Okta answers policy and rule lifecycle calls with 204 (Terraform's
// recordings).
func (h *Handler) orgPolicyLifecycle(status string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		h.writeNoContent(w, r, h.svc.SetOrgPolicyStatus(r.Context(), serviceContext(r, p), r.PathValue("policyId"), status))
	}
}

func (h *Handler) listOrgRules(w http.ResponseWriter, r *http.Request, p *principal) {
	rules, err := h.svc.ListOrgRules(r.Context(), r.PathValue("policyId"))
	writeList(h, w, r, rules, err, h.orgRuleToJSON)
}

func (h *Handler) createOrgRule(w http.ResponseWriter, r *http.Request, p *principal) {
	save(h, w, r, http.StatusOK, orgRuleFromRequest, func(rule *store.OrgPolicyRule) error {
		inactiveUnlessActivated(r, &rule.Status)
		return h.svc.CreateOrgRule(r.Context(), serviceContext(r, p), r.PathValue("policyId"), rule)
	}, h.orgRuleToJSON)
}

func (h *Handler) getOrgRule(w http.ResponseWriter, r *http.Request, p *principal) {
	rule, err := h.svc.GetOrgRule(r.Context(), r.PathValue("policyId"), r.PathValue("ruleId"))
	writeOne(h, w, r, rule, err, h.orgRuleToJSON)
}

func (h *Handler) replaceOrgRule(w http.ResponseWriter, r *http.Request, p *principal) {
	save(h, w, r, http.StatusOK, orgRuleFromRequest, func(rule *store.OrgPolicyRule) error {
		rule.ID = r.PathValue("ruleId")
		return h.svc.UpdateOrgRule(r.Context(), serviceContext(r, p), r.PathValue("policyId"), rule)
	}, h.orgRuleToJSON)
}

func (h *Handler) deleteOrgRule(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.DeleteOrgRule(r.Context(), serviceContext(r, p), r.PathValue("policyId"), r.PathValue("ruleId")))
}

func (h *Handler) orgRuleLifecycle(status string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		h.writeNoContent(w, r, h.svc.SetOrgRuleStatus(r.Context(), serviceContext(r, p), r.PathValue("policyId"), r.PathValue("ruleId"), status))
	}
}

func (h *Handler) bindAppPolicy(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.SetAppAccessPolicy(r.Context(), serviceContext(r, p), r.PathValue("appId"), r.PathValue("policyId")))
}
