package console

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sesame-idp/sesame/internal/mgmt"
	"github.com/sesame-idp/sesame/internal/store"
)

// An app's Assignments and Okta API Scopes tabs.

func (c *Console) registerAppTabs(mux *http.ServeMux) {
	mux.Handle("GET /admin/apps/{id}/assignments", c.admin("okta.apps.read", c.appAssignments))
	mux.Handle("POST /admin/apps/{id}/assignments/people", c.admin("okta.apps.manage", c.assignPerson))
	mux.Handle("POST /admin/apps/{id}/assignments/groups", c.admin("okta.apps.manage", c.assignGroup))
	mux.Handle("POST /admin/apps/{id}/assignments/people/{uid}/remove", c.admin("okta.apps.manage", c.unassignPerson))
	mux.Handle("POST /admin/apps/{id}/assignments/groups/{gid}/remove", c.admin("okta.apps.manage", c.unassignGroup))
	mux.Handle("GET /admin/apps/{id}/scopes", c.admin("okta.apps.read", c.appScopes))
	mux.Handle("POST /admin/apps/{id}/scopes", c.admin("okta.appGrants.manage", c.grantScope))
	mux.Handle("POST /admin/apps/{id}/scopes/{grant}/revoke", c.admin("okta.appGrants.manage", c.revokeScope))
}

type assignmentsData struct {
	App       *store.App
	People    []*store.User
	Groups    []*store.Group
	AllGroups []*store.Group
}

func (c *Console) appAssignments(w http.ResponseWriter, r *http.Request, q *request) {
	c.renderAssignments(w, r, q, http.StatusOK, map[string]string{"saved": "Saved."}[r.URL.Query().Get("done")], "", nil)
}

func (c *Console) renderAssignments(w http.ResponseWriter, r *http.Request, q *request, status int, notice, errText string, causes []string) {
	ctx := r.Context()
	a, err := c.svc.GetApp(ctx, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := assignmentsData{App: a}
	aus, err := c.svc.ListAppUsers(ctx, a.ID, store.Page{Limit: 200})
	for _, au := range aus {
		if err != nil {
			break
		}
		if au.Scope != "USER" {
			continue
		}
		var u *store.User
		if u, err = c.svc.Store.Users().Get(ctx, au.UserID); err == nil {
			d.People = append(d.People, u)
		}
	}
	if err == nil {
		var ags []*store.AppGroup
		ags, err = c.svc.ListAppGroups(ctx, a.ID, store.Page{Limit: 200})
		for _, ag := range ags {
			if err != nil {
				break
			}
			var g *store.Group
			if g, err = c.svc.GetGroup(ctx, ag.GroupID); err == nil {
				d.Groups = append(d.Groups, g)
			}
		}
	}
	if err == nil {
		d.AllGroups, err = c.svc.ListGroups(ctx, store.Page{Limit: 200})
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, status, "app_assignments", &view{Title: a.Label, Section: "apps", User: q.user, CSRF: q.csrf, Notice: notice, Error: errText, Causes: causes, Data: d})
}

func (c *Console) assignmentDone(w http.ResponseWriter, r *http.Request, q *request, err error) {
	if err != nil {
		if summary, causes, ok := problem(err); ok {
			c.renderAssignments(w, r, q, http.StatusBadRequest, "", summary, causes)
			return
		}
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/apps/"+r.PathValue("id")+"/assignments?done=saved", http.StatusSeeOther)
}

func (c *Console) assignPerson(w http.ResponseWriter, r *http.Request, q *request) {
	u, err := c.svc.GetUser(r.Context(), strings.TrimSpace(r.PostForm.Get("login")))
	if err == nil {
		err = c.svc.AssignUserToApp(r.Context(), q.ctx(r), &store.AppUser{AppID: r.PathValue("id"), UserID: u.ID})
	}
	c.assignmentDone(w, r, q, err)
}

func (c *Console) assignGroup(w http.ResponseWriter, r *http.Request, q *request) {
	_, err := c.svc.AssignGroupToApp(r.Context(), q.ctx(r), r.PathValue("id"), r.PostForm.Get("group"), nil, nil)
	c.assignmentDone(w, r, q, err)
}

func (c *Console) unassignPerson(w http.ResponseWriter, r *http.Request, q *request) {
	c.assignmentDone(w, r, q, c.svc.UnassignUserFromApp(r.Context(), q.ctx(r), r.PathValue("id"), r.PathValue("uid")))
}

func (c *Console) unassignGroup(w http.ResponseWriter, r *http.Request, q *request) {
	c.assignmentDone(w, r, q, c.svc.UnassignGroupFromApp(r.Context(), q.ctx(r), r.PathValue("id"), r.PathValue("gid")))
}

type scopeGrantRow struct {
	Scope, GrantID string
}

type scopesData struct {
	App    *store.App
	Scopes []scopeGrantRow
}

func (c *Console) appScopes(w http.ResponseWriter, r *http.Request, q *request) {
	c.renderScopes(w, r, q, http.StatusOK, map[string]string{"granted": "Scope granted.", "revoked": "Scope revoked."}[r.URL.Query().Get("done")], "", nil)
}

func (c *Console) renderScopes(w http.ResponseWriter, r *http.Request, q *request, status int, notice, errText string, causes []string) {
	a, err := c.svc.GetApp(r.Context(), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	grants, err := c.svc.ListGrants(r.Context(), a.ID)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	granted := map[string]string{}
	for _, g := range grants {
		granted[g.ScopeID] = g.ID
	}
	d := scopesData{App: a}
	for _, s := range mgmt.OktaScopes() {
		d.Scopes = append(d.Scopes, scopeGrantRow{Scope: s, GrantID: granted[s]})
	}
	c.render(w, status, "app_scopes", &view{Title: a.Label, Section: "apps", User: q.user, CSRF: q.csrf, Notice: notice, Error: errText, Causes: causes, Data: d})
}

func (c *Console) grantScope(w http.ResponseWriter, r *http.Request, q *request) {
	// The same decoding and checks as POST /api/v1/apps/{id}/grants; the
	// issuer is always this org.
	body, _ := json.Marshal(map[string]string{"scopeId": r.PostForm.Get("scope"), "issuer": c.svc.OrgURL})
	scopeID, issuer, werr := mgmt.GrantFromRequest(body)
	var err error
	if werr != nil {
		err = werr
	} else {
		_, err = c.svc.CreateGrant(r.Context(), q.ctx(r), r.PathValue("id"), scopeID, issuer)
	}
	if err != nil {
		if summary, causes, ok := problem(err); ok {
			c.renderScopes(w, r, q, http.StatusBadRequest, "", summary, causes)
			return
		}
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/apps/"+r.PathValue("id")+"/scopes?done=granted", http.StatusSeeOther)
}

func (c *Console) revokeScope(w http.ResponseWriter, r *http.Request, q *request) {
	if err := c.svc.DeleteGrant(r.Context(), q.ctx(r), r.PathValue("id"), r.PathValue("grant")); err != nil {
		if summary, causes, ok := problem(err); ok {
			c.renderScopes(w, r, q, http.StatusBadRequest, "", summary, causes)
			return
		}
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/apps/"+r.PathValue("id")+"/scopes?done=revoked", http.StatusSeeOther)
}
