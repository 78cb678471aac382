package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/sesame-idp/sesame/internal/mgmtclient"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

// Directory → People and Groups. Lists and searches are the Users and
// Groups APIs' own (read in-process); changes are service calls.

const (
	usersRead    = "okta.users.read"
	usersManage  = "okta.users.manage"
	groupsRead   = "okta.groups.read"
	groupsManage = "okta.groups.manage"
)

func (c *Console) registerDirectory(mux *http.ServeMux) {
	mux.Handle("GET /admin/people", c.admin(usersRead, c.listPeople))
	mux.Handle("POST /admin/people", c.admin(usersManage, c.addPerson))
	mux.Handle("GET /admin/people/{id}", c.admin(usersRead, c.person))
	mux.Handle("POST /admin/people/{id}/profile", c.admin(usersManage, c.updatePerson))
	mux.Handle("POST /admin/people/{id}/lifecycle/{op}", c.admin(usersManage, c.personLifecycle))
	mux.Handle("POST /admin/people/{id}/password", c.admin(usersManage, c.setPersonPassword))
	mux.Handle("POST /admin/people/{id}/sessions/clear", c.admin("okta.sessions.manage", c.clearSessions))
	mux.Handle("POST /admin/people/{id}/factors/reset", c.admin(usersManage, c.resetPersonFactors))
	mux.Handle("POST /admin/people/{id}/groups", c.admin(groupsManage, c.addPersonToGroup))
	mux.Handle("POST /admin/people/{id}/groups/{gid}/remove", c.admin(groupsManage, c.removePersonFromGroup))
	mux.Handle("POST /admin/people/{id}/delete", c.admin(usersManage, c.deletePerson))

	mux.Handle("GET /admin/groups", c.admin(groupsRead, c.listGroups))
	mux.Handle("POST /admin/groups", c.admin(groupsManage, c.addGroup))
	mux.Handle("GET /admin/groups/{gid}", c.admin(groupsRead, c.group))
	mux.Handle("POST /admin/groups/{gid}/members", c.admin(groupsManage, c.addGroupMember))
	mux.Handle("POST /admin/groups/{gid}/members/{id}/remove", c.admin(groupsManage, c.removeGroupMember))
	mux.Handle("POST /admin/groups/{gid}/apps", c.admin("okta.apps.manage", c.assignGroupApp))
	mux.Handle("POST /admin/groups/{gid}/delete", c.admin(groupsManage, c.deleteGroup))
}

type personRow struct {
	ID, Name, Login, Status string
}

type peopleData struct {
	Q, Search, Status, Next string
	People                  []personRow
	Form                    map[string]string
}

// personStatuses are the statuses the list can be narrowed to.
var personStatuses = []string{store.UserStaged, store.UserProvisioned, store.UserActive, store.UserRecovery, store.UserLockedOut,
	store.UserPasswordExpired, store.UserSuspended, store.UserDeprovisioned}

func (c *Console) listPeople(w http.ResponseWriter, r *http.Request, q *request) {
	c.renderPeople(w, r, q, http.StatusOK, map[string]string{"deleted": "Person deleted."}[r.URL.Query().Get("done")], "", nil, nil)
}

func (c *Console) renderPeople(w http.ResponseWriter, r *http.Request, q *request, status int, notice, errText string, causes []string, form map[string]string) {
	v := r.URL.Query()
	d := peopleData{Q: v.Get("q"), Search: v.Get("search"), Status: v.Get("status"), Form: form}
	api := url.Values{"limit": {"50"}}
	search := d.Search
	if d.Status != "" {
		cond := `status eq "` + strings.ReplaceAll(d.Status, `"`, "") + `"`
		if search != "" {
			search = "(" + search + ") and " + cond
		} else {
			search = cond
		}
	}
	switch {
	case search != "":
		api.Set("search", search)
	case d.Q != "":
		api.Set("q", d.Q)
	}
	if a := v.Get("after"); a != "" {
		api.Set("after", a)
	}
	vw := &view{Title: "People", Section: "people", User: q.user, CSRF: q.csrf, Notice: notice, Error: errText, Causes: causes, Data: &d}
	users, next, err := c.api.Page(r.Context(), "/api/v1/users?"+api.Encode())
	var ae *mgmtclient.Error
	if errors.As(err, &ae) && ae.Status < 500 {
		vw.Error, vw.Causes = "The search is not valid.", ae.Causes
		c.render(w, http.StatusBadRequest, "people", vw)
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, u := range users {
		d.People = append(d.People, personRow{ID: mgmtclient.Str(u, "id"), Login: mgmtclient.Str(u, "profile.login"), Status: mgmtclient.Str(u, "status"),
			Name: strings.TrimSpace(mgmtclient.Str(u, "profile.firstName") + " " + mgmtclient.Str(u, "profile.lastName"))})
	}
	if next != "" {
		if u, err := url.Parse(next); err == nil {
			nv := url.Values{"after": {u.Query().Get("after")}}
			for _, k := range []string{"q", "search", "status"} {
				if v.Get(k) != "" {
					nv.Set(k, v.Get(k))
				}
			}
			d.Next = "/admin/people?" + nv.Encode()
		}
	}
	c.render(w, status, "people", vw)
}

func (c *Console) addPerson(w http.ResponseWriter, r *http.Request, q *request) {
	form := formOf(r, "firstName", "lastName", "email", "login", "password", "activate", "setup")
	// "Send an invitation": the person is created STAGED, then activated
	// with an activation link — e-mailed, or shown to the admin here when
	// it could not be.
	invite := form["setup"] == "invite"
	if invite && form["password"] != "" {
		form["password"] = ""
		c.renderPeople(w, r, q, http.StatusBadRequest, "", "Choose one: send an invitation, or set a password.", nil, form)
		return
	}
	login := strings.TrimSpace(form["login"])
	if login == "" {
		login = strings.TrimSpace(form["email"])
	}
	in := service.NewUser{Profile: map[string]any{"firstName": strings.TrimSpace(form["firstName"]), "lastName": strings.TrimSpace(form["lastName"]),
		"email": strings.TrimSpace(form["email"]), "login": login}}
	if form["password"] != "" {
		pw := form["password"]
		in.Password = &pw
	}
	u, err := c.svc.CreateUser(r.Context(), q.ctx(r), in, form["activate"] != "" && !invite)
	if err == nil && invite {
		link, err := c.svc.LinkLifecycle(r.Context(), q.ctx(r), u.ID, service.OpActivate, true)
		c.linkDone(w, r, q, u.ID, link, err, "invited")
		return
	}
	if err != nil {
		form["password"] = ""
		if summary, causes, ok := problem(err); ok {
			c.renderPeople(w, r, q, http.StatusBadRequest, "", summary, causes, form)
			return
		}
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/people/"+u.ID+"?done=created", http.StatusSeeOther)
}

type personData struct {
	// Link is a link that could not be e-mailed, shown once to the admin.
	Link     *shownLink
	Person   *store.User
	Profile  map[string]string
	Groups   []*store.Group
	AllGroup []*store.Group
	Apps     []appRow
	Ops      []string
	Sessions bool
	Factors  []*store.Factor
}

// personOps are the status actions offered, in Okta's words, when the
// person's status allows them (the service's own table decides).
var personOps = []struct{ Op, Label string }{
	{service.OpActivate, "Activate"}, {service.OpReactivate, "Resend activation e-mail"}, {service.OpSuspend, "Suspend"}, {service.OpUnsuspend, "Unsuspend"},
	{service.OpUnlock, "Unlock"}, {service.OpResetPassword, "Reset password"}, {service.OpExpirePassword, "Expire password"},
	{service.OpDeactivate, "Deactivate"},
}

func opLabel(op string) string {
	for _, o := range personOps {
		if o.Op == op {
			return o.Label
		}
	}
	return op
}

func (c *Console) person(w http.ResponseWriter, r *http.Request, q *request) {
	notice := map[string]string{"created": "Person added.", "saved": "Saved.", "done": "Done.", "cleared": "Sessions cleared: the person must sign in again everywhere.",
		"password": "Password set.", "invited": "Invitation sent: the person sets a password through the activation link e-mailed to them.",
		"resetsent": "Password reset e-mail sent: the person chooses a new password through the link in it.",
		"factors":   "Factors reset: the person enrols a new factor at the next sign-in that asks for one."}[r.URL.Query().Get("done")]
	c.renderPerson(w, r, q, http.StatusOK, notice, "", nil)
}

// shownLink is an activation or reset link the admin must hand on.
type shownLink struct {
	What, URL, Why, Expires string
}

// linkDone finishes an action that issues a link (invite, activate,
// reset password): when it went by e-mail, back to the person's page;
// when it could not, the page again with the link shown once (a link is a
// credential: it never travels in a URL).
func (c *Console) linkDone(w http.ResponseWriter, r *http.Request, q *request, id string, link *service.UserLink, err error, done string) {
	if err != nil || link == nil || link.Sent {
		if link == nil && err == nil {
			done = "done"
		}
		r.SetPathValue("id", id)
		c.personDone(w, r, q, err, done)
		return
	}
	what := "activation link"
	if link.Kind == service.LinkReset {
		what = "password reset link"
	}
	r.SetPathValue("id", id)
	c.renderPerson(w, r, q, http.StatusOK, "", "", nil, func(d *personData) {
		d.Link = &shownLink{What: what, URL: link.URL, Why: link.NotSent, Expires: link.Expires.UTC().Format("2006-01-02 15:04 UTC")}
	})
}

func (c *Console) renderPerson(w http.ResponseWriter, r *http.Request, q *request, status int, notice, errText string, causes []string, extra ...func(*personData)) {
	ctx := r.Context()
	u, err := c.svc.GetUser(ctx, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := personData{Person: u, Profile: map[string]string{}}
	for k, v := range u.Profile {
		if s, ok := v.(string); ok {
			d.Profile[k] = s
		}
	}
	if d.Groups, err = c.svc.UserGroups(ctx, u.ID); err == nil {
		d.AllGroup, err = c.svc.ListGroups(ctx, store.Page{Limit: 200})
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	apps, _, err := c.api.Page(ctx, "/api/v1/apps?limit=200&filter="+url.QueryEscape(`user.id eq "`+u.ID+`"`))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, a := range apps {
		d.Apps = append(d.Apps, appRow{ID: mgmtclient.Str(a, "id"), Label: mgmtclient.Str(a, "label"), Status: mgmtclient.Str(a, "status")})
	}
	if _, d.Factors, err = c.svc.ListFactors(ctx, u.ID); err != nil {
		c.fail(w, r, err)
		return
	}
	for _, o := range personOps {
		if service.UserOpAllowed(o.Op, u.Status) {
			d.Ops = append(d.Ops, o.Op)
		}
	}
	for _, f := range extra {
		f(&d)
	}
	c.render(w, status, "person", &view{Title: u.DisplayName(), Section: "people", User: q.user, CSRF: q.csrf, Notice: notice, Error: errText, Causes: causes, Data: d})
}

// personDone finishes a change to a person: back to their page, or the
// page again with the service's error.
func (c *Console) personDone(w http.ResponseWriter, r *http.Request, q *request, err error, done string) {
	if err != nil {
		if summary, causes, ok := problem(err); ok {
			c.renderPerson(w, r, q, http.StatusBadRequest, "", summary, causes)
			return
		}
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/people/"+r.PathValue("id")+"?done="+done, http.StatusSeeOther)
}

func (c *Console) updatePerson(w http.ResponseWriter, r *http.Request, q *request) {
	p := map[string]any{}
	for _, k := range []string{"firstName", "lastName", "email", "login", "mobilePhone", "title", "department"} {
		if _, ok := r.PostForm[k]; ok {
			p[k] = strings.TrimSpace(r.PostForm.Get(k))
		}
	}
	_, err := c.svc.UpdateUser(r.Context(), q.ctx(r), r.PathValue("id"), service.UserUpdate{Profile: p})
	c.personDone(w, r, q, err, "saved")
}

func (c *Console) personLifecycle(w http.ResponseWriter, r *http.Request, q *request) {
	op := r.PathValue("op")
	if !service.IsUserOp(op) {
		c.message(w, r, http.StatusNotFound, "Not found", "There is no such action.")
		return
	}
	if op == service.OpActivate || op == service.OpReactivate || op == service.OpResetPassword {
		// As Okta's console: these e-mail the person a link.
		link, err := c.svc.LinkLifecycle(r.Context(), q.ctx(r), r.PathValue("id"), op, true)
		done := "invited"
		if op == service.OpResetPassword {
			done = "resetsent"
		}
		c.linkDone(w, r, q, r.PathValue("id"), link, err, done)
		return
	}
	_, err := c.svc.UserLifecycle(r.Context(), q.ctx(r), r.PathValue("id"), op)
	c.personDone(w, r, q, err, "done")
}

func (c *Console) setPersonPassword(w http.ResponseWriter, r *http.Request, q *request) {
	pw := r.PostForm.Get("password")
	_, err := c.svc.UpdateUser(r.Context(), q.ctx(r), r.PathValue("id"), service.UserUpdate{Profile: map[string]any{}, Password: &pw})
	c.personDone(w, r, q, err, "password")
}

// resetPersonFactors is Okta's "Reset Multifactor" (lifecycle/reset_factors):
// every factor and recovery code of the person goes.
func (c *Console) resetPersonFactors(w http.ResponseWriter, r *http.Request, q *request) {
	err := c.svc.ResetFactors(r.Context(), q.ctx(r), r.PathValue("id"))
	c.personDone(w, r, q, err, "factors")
}

func (c *Console) clearSessions(w http.ResponseWriter, r *http.Request, q *request) {
	err := c.svc.ClearUserSessions(r.Context(), q.ctx(r), r.PathValue("id"), r.PostForm.Get("oauthTokens") != "")
	c.personDone(w, r, q, err, "cleared")
}

func (c *Console) addPersonToGroup(w http.ResponseWriter, r *http.Request, q *request) {
	err := c.svc.AddGroupMember(r.Context(), q.ctx(r), r.PostForm.Get("group"), r.PathValue("id"))
	c.personDone(w, r, q, err, "saved")
}

func (c *Console) removePersonFromGroup(w http.ResponseWriter, r *http.Request, q *request) {
	err := c.svc.RemoveGroupMember(r.Context(), q.ctx(r), r.PathValue("gid"), r.PathValue("id"))
	c.personDone(w, r, q, err, "saved")
}

func (c *Console) deletePerson(w http.ResponseWriter, r *http.Request, q *request) {
	if _, err := c.svc.DeleteUser(r.Context(), q.ctx(r), r.PathValue("id")); err != nil {
		c.personDone(w, r, q, err, "")
		return
	}
	http.Redirect(w, r, "/admin/people?done=deleted", http.StatusSeeOther)
}

type groupsData struct {
	Groups []*store.Group
	Form   map[string]string
}

func (c *Console) listGroups(w http.ResponseWriter, r *http.Request, q *request) {
	c.renderGroups(w, r, q, http.StatusOK, map[string]string{"deleted": "Group deleted."}[r.URL.Query().Get("done")], "", nil, nil)
}

func (c *Console) renderGroups(w http.ResponseWriter, r *http.Request, q *request, status int, notice, errText string, causes []string, form map[string]string) {
	gs, err := c.svc.ListGroups(r.Context(), store.Page{Limit: 200})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if qs := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q"))); qs != "" {
		var keep []*store.Group
		for _, g := range gs {
			if strings.Contains(strings.ToLower(g.Name), qs) {
				keep = append(keep, g)
			}
		}
		gs = keep
	}
	c.render(w, status, "groups", &view{Title: "Groups", Section: "groups", User: q.user, CSRF: q.csrf, Notice: notice, Error: errText, Causes: causes,
		Data: groupsData{Groups: gs, Form: form}})
}

func (c *Console) addGroup(w http.ResponseWriter, r *http.Request, q *request) {
	form := formOf(r, "name", "description")
	g := &store.Group{Name: strings.TrimSpace(form["name"]), Description: form["description"]}
	if err := c.svc.CreateGroup(r.Context(), q.ctx(r), g); err != nil {
		if summary, causes, ok := problem(err); ok {
			c.renderGroups(w, r, q, http.StatusBadRequest, "", summary, causes, form)
			return
		}
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/groups/"+g.ID+"?done=created", http.StatusSeeOther)
}

type groupData struct {
	Group   *store.Group
	Members []*store.User
	Apps    []appRow
	AllApps []*store.App
}

func (c *Console) group(w http.ResponseWriter, r *http.Request, q *request) {
	notice := map[string]string{"created": "Group added.", "saved": "Saved."}[r.URL.Query().Get("done")]
	c.renderGroup(w, r, q, http.StatusOK, notice, "", nil)
}

func (c *Console) renderGroup(w http.ResponseWriter, r *http.Request, q *request, status int, notice, errText string, causes []string) {
	ctx := r.Context()
	g, err := c.svc.GetGroup(ctx, r.PathValue("gid"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := groupData{Group: g}
	if d.Members, err = c.svc.ListGroupMembers(ctx, g.ID, store.Page{Limit: 200}); err == nil {
		d.AllApps, err = c.svc.ListApps(ctx, store.Page{Limit: 200})
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	apps, _, err := c.api.Page(ctx, "/api/v1/apps?limit=200&filter="+url.QueryEscape(`group.id eq "`+g.ID+`"`))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, a := range apps {
		d.Apps = append(d.Apps, appRow{ID: mgmtclient.Str(a, "id"), Label: mgmtclient.Str(a, "label"), Status: mgmtclient.Str(a, "status")})
	}
	c.render(w, status, "group", &view{Title: g.Name, Section: "groups", User: q.user, CSRF: q.csrf, Notice: notice, Error: errText, Causes: causes, Data: d})
}

func (c *Console) groupDone(w http.ResponseWriter, r *http.Request, q *request, err error) {
	if err != nil {
		if summary, causes, ok := problem(err); ok {
			c.renderGroup(w, r, q, http.StatusBadRequest, "", summary, causes)
			return
		}
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/groups/"+r.PathValue("gid")+"?done=saved", http.StatusSeeOther)
}

func (c *Console) addGroupMember(w http.ResponseWriter, r *http.Request, q *request) {
	u, err := c.svc.GetUser(r.Context(), strings.TrimSpace(r.PostForm.Get("login")))
	if err == nil {
		err = c.svc.AddGroupMember(r.Context(), q.ctx(r), r.PathValue("gid"), u.ID)
	}
	c.groupDone(w, r, q, err)
}

func (c *Console) removeGroupMember(w http.ResponseWriter, r *http.Request, q *request) {
	c.groupDone(w, r, q, c.svc.RemoveGroupMember(r.Context(), q.ctx(r), r.PathValue("gid"), r.PathValue("id")))
}

func (c *Console) assignGroupApp(w http.ResponseWriter, r *http.Request, q *request) {
	_, err := c.svc.AssignGroupToApp(r.Context(), q.ctx(r), r.PostForm.Get("app"), r.PathValue("gid"), nil, nil)
	c.groupDone(w, r, q, err)
}

func (c *Console) deleteGroup(w http.ResponseWriter, r *http.Request, q *request) {
	if err := c.svc.DeleteGroup(r.Context(), q.ctx(r), r.PathValue("gid")); err != nil {
		c.groupDone(w, r, q, err)
		return
	}
	http.Redirect(w, r, "/admin/groups?done=deleted", http.StatusSeeOther)
}
