package mgmt

import (
	"net/http"
	"strconv"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// Group rules: Okta lists up to 200 at once (50 by default).
const (
	rulesDefaultLimit = 50
	rulesMaxLimit     = 200
)

func (h *Handler) registerGroupRules(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/groups/rules", h.auth("okta.groups.read", h.listGroupRules))
	mux.Handle("POST /api/v1/groups/rules", h.auth("okta.groups.manage", h.createGroupRule))
	// GET …/groups/rules/{ruleId} would conflict in Go's mux with
	// GET …/groups/{groupId}/users (each is the more specific in one
	// segment), so a rule is read through the two-segment pattern below,
	// which the more specific group patterns win over.
	mux.Handle("GET /api/v1/groups/{groupId}/{ruleId}", h.auth("okta.groups.read", h.getGroupRule))
	mux.Handle("PUT /api/v1/groups/rules/{ruleId}", h.auth("okta.groups.manage", h.replaceGroupRule))
	mux.Handle("DELETE /api/v1/groups/rules/{ruleId}", h.auth("okta.groups.manage", h.deleteGroupRule))
	mux.Handle("POST /api/v1/groups/rules/{ruleId}/lifecycle/activate", h.auth("okta.groups.manage", h.groupRuleLifecycle(true)))
	mux.Handle("POST /api/v1/groups/rules/{ruleId}/lifecycle/deactivate", h.auth("okta.groups.manage", h.groupRuleLifecycle(false)))
}

// GroupRuleJSON is Okta's group rule object.
type GroupRuleJSON struct {
	Type        string `json:"type"`
	ID          string `json:"id,omitempty"`
	Status      string `json:"status,omitempty"`
	Name        string `json:"name"`
	Created     *Time  `json:"created,omitempty"`
	LastUpdated *Time  `json:"lastUpdated,omitempty"`
	Conditions  struct {
		People     *rulePeopleJSON     `json:"people,omitempty"`
		Expression *ruleExpressionJSON `json:"expression"`
	} `json:"conditions"`
	Actions struct {
		AssignUserToGroups *struct {
			GroupIDs []string `json:"groupIds"`
		} `json:"assignUserToGroups"`
	} `json:"actions"`
	AllGroupsValid *bool `json:"allGroupsValid,omitempty"`
}

type rulePeopleJSON struct {
	Users  *ruleExcludeJSON `json:"users,omitempty"`
	Groups *ruleExcludeJSON `json:"groups,omitempty"`
}

type ruleExcludeJSON struct {
	Exclude []string `json:"exclude"`
}

type ruleExpressionJSON struct {
	Value string `json:"value"`
	Type  string `json:"type"`
}

func (h *Handler) groupRuleToJSON(r *store.GroupRule) GroupRuleJSON {
	var j GroupRuleJSON
	valid := true
	j.Type, j.ID, j.Status, j.Name, j.AllGroupsValid = "group_rule", r.ID, r.Status, r.Name, &valid
	j.Created, j.LastUpdated = &Time{r.Created}, &Time{r.LastUpdated}
	j.Conditions.People = &rulePeopleJSON{Users: &ruleExcludeJSON{Exclude: nonNil(r.ExcludeUserIDs)}}
	j.Conditions.Expression = &ruleExpressionJSON{Value: r.Expression, Type: service.RuleExpressionType}
	j.Actions.AssignUserToGroups = &struct {
		GroupIDs []string `json:"groupIds"`
	}{GroupIDs: nonNil(r.GroupIDs)}
	return j
}

// groupRuleFromRequest checks the parts of the object Okta requires and
// refuses what Sesame cannot honour rather than ignore it.
func groupRuleFromRequest(in *GroupRuleJSON) (*store.GroupRule, *oktaerr.Error) {
	var causes []string
	if in.Type != "" && in.Type != "group_rule" {
		causes = append(causes, "type: The value must be group_rule")
	}
	r := &store.GroupRule{Name: in.Name}
	switch e := in.Conditions.Expression; {
	case e == nil:
		causes = append(causes, "conditions.expression: The field cannot be left blank")
	case e.Type != "" && e.Type != service.RuleExpressionType:
		causes = append(causes, "conditions.expression.type: The value must be "+service.RuleExpressionType)
	default:
		r.Expression = e.Value
	}
	if p := in.Conditions.People; p != nil {
		if p.Users != nil {
			r.ExcludeUserIDs = p.Users.Exclude
		}
		if p.Groups != nil && len(p.Groups.Exclude) > 0 {
			causes = append(causes, "conditions.people.groups.exclude: Excluding groups is not supported; exclude people instead")
		}
	}
	if a := in.Actions.AssignUserToGroups; a != nil {
		r.GroupIDs = a.GroupIDs
	}
	if len(causes) > 0 {
		return nil, oktaerr.Validation("conditions", causes...)
	}
	return r, nil
}

func (h *Handler) listGroupRules(w http.ResponseWriter, r *http.Request, p *principal) {
	limit, after, werr := web.PageParams(r, rulesDefaultLimit, rulesMaxLimit)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	rules, err := h.svc.ListGroupRules(r.Context(), store.Page{After: after, Limit: limit})
	writePage(h, w, r, limit, rules, err, func(gr *store.GroupRule) string { return gr.ID }, h.groupRuleToJSON)
}

func (h *Handler) createGroupRule(w http.ResponseWriter, r *http.Request, p *principal) {
	var in GroupRuleJSON
	if !readInto(w, r, &in) {
		return
	}
	rule, werr := groupRuleFromRequest(&in)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	if err := h.svc.CreateGroupRule(r.Context(), serviceContext(r, p), rule); err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, h.groupRuleToJSON(rule))
}

func (h *Handler) getGroupRule(w http.ResponseWriter, r *http.Request, p *principal) {
	if r.PathValue("groupId") != "rules" {
		web.WriteError(w, oktaerr.PathNotFound())
		return
	}
	rule, err := h.svc.GetGroupRule(r.Context(), r.PathValue("ruleId"))
	writeOne(h, w, r, rule, err, h.groupRuleToJSON)
}

func (h *Handler) replaceGroupRule(w http.ResponseWriter, r *http.Request, p *principal) {
	var in GroupRuleJSON
	if !readInto(w, r, &in) {
		return
	}
	rule, werr := groupRuleFromRequest(&in)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	out, err := h.svc.ReplaceGroupRule(r.Context(), serviceContext(r, p), r.PathValue("ruleId"), rule)
	writeOne(h, w, r, out, err, h.groupRuleToJSON)
}

func (h *Handler) deleteGroupRule(w http.ResponseWriter, r *http.Request, p *principal) {
	remove := false
	if v := r.URL.Query().Get("removeUsers"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			web.WriteError(w, oktaerr.Validation("removeUsers", "removeUsers: The value must be true or false"))
			return
		}
		remove = b
	}
	h.writeNoContent(w, r, h.svc.DeleteGroupRule(r.Context(), serviceContext(r, p), r.PathValue("ruleId"), remove))
}

func (h *Handler) groupRuleLifecycle(activate bool) func(http.ResponseWriter, *http.Request, *principal) {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		c, id := serviceContext(r, p), r.PathValue("ruleId")
		var err error
		if activate {
			err = h.svc.ActivateGroupRule(r.Context(), c, id)
		} else {
			err = h.svc.DeactivateGroupRule(r.Context(), c, id)
		}
		if err != nil {
			h.writeErr(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
