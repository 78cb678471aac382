package console

import (
	"net/http"
	"strings"

	"github.com/sesame-idp/sesame/internal/mgmt"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

// An app's Sign On tab: the issuer of its ID tokens and its groups claim, as
// /api/v1/internal/apps/{id}/settings/oauth/idToken stores them, through the
// same service call (service.SetIDTokenSettings) and so the same rules.

func (c *Console) registerAppSignOn(mux *http.ServeMux) {
	mux.Handle("GET /admin/apps/{id}/signon", c.admin("okta.apps.read", c.appSignOn))
	mux.Handle("POST /admin/apps/{id}/signon", c.admin("okta.apps.manage", c.saveAppSignOn))
}

type choice struct{ Value, Label string }

type signOnView struct {
	App                                mgmt.AppJSON
	Issuer                             string
	IssuerMode                         string
	ValueType, Name, FilterType, Value string
	Filters                            []choice
}

var groupFilters = []choice{{"STARTS_WITH", "Starts with"}, {"EQUALS", "Equals"}, {"CONTAINS", "Contains"}, {"REGEX", "Matches regex"}}

func (c *Console) appSignOn(w http.ResponseWriter, r *http.Request, q *request) {
	a, err := c.svc.GetApp(r.Context(), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	in := service.IDTokenSettings{IssuerMode: a.Settings.OAuthClient.IssuerMode}
	if gc := a.GroupsClaim; gc != nil {
		in.ValueType, in.Name, in.GroupFilterType, in.Value = gc.ValueType, gc.Name, gc.GroupFilterType, gc.Value
	}
	c.renderSignOn(w, q, a, in, http.StatusOK, map[string]string{"saved": "Saved."}[r.URL.Query().Get("done")], "", nil)
}

func (c *Console) renderSignOn(w http.ResponseWriter, q *request, a *store.App, in service.IDTokenSettings, status int, notice, errText string, causes []string) {
	v := signOnView{App: mgmt.AppToJSON(a, c.svc.OrgURL, ""), Issuer: c.oauth.OrgIDTokenIssuer(a), IssuerMode: in.IssuerMode,
		ValueType: in.ValueType, Name: in.Name, FilterType: in.GroupFilterType, Value: in.Value, Filters: groupFilters}
	if v.IssuerMode == "" {
		v.IssuerMode = service.IssuerOrgURL
	}
	c.render(w, status, "app_signon", &view{Title: a.Label, Section: "apps", User: q.user, CSRF: q.csrf, Notice: notice, Error: errText, Causes: causes, Data: v})
}

func (c *Console) saveAppSignOn(w http.ResponseWriter, r *http.Request, q *request) {
	f := r.PostForm
	in := service.IDTokenSettings{IssuerMode: f.Get("issuer_mode"), ValueType: f.Get("claim_type"),
		Name: strings.TrimSpace(f.Get("claim_name")), Value: strings.TrimSpace(f.Get("claim_value")), GroupFilterType: f.Get("claim_filter")}
	if in.ValueType == "" {
		// "None": the claim is removed, whatever the other fields still hold.
		in.Name, in.Value, in.GroupFilterType = "", "", ""
	} else if in.ValueType != "GROUPS" {
		in.GroupFilterType = "" // the filter applies to the Filter type only
	}
	_, err := c.svc.SetIDTokenSettings(r.Context(), q.ctx(r), r.PathValue("id"), in)
	if err != nil {
		summary, causes, ok := problem(err)
		a, gerr := c.svc.GetApp(r.Context(), r.PathValue("id"))
		if !ok || gerr != nil {
			c.fail(w, r, err)
			return
		}
		c.renderSignOn(w, q, a, in, http.StatusBadRequest, "", summary, causes)
		return
	}
	http.Redirect(w, r, "/admin/apps/"+r.PathValue("id")+"/signon?done=saved", http.StatusSeeOther)
}
