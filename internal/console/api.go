package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sesame-idp/sesame/internal/oauth"
	"github.com/sesame-idp/sesame/internal/policy"
	"github.com/sesame-idp/sesame/internal/store"
)

// Security → API: authorization servers (Settings, Scopes, Claims, Access
// Policies, Token Preview), Trusted Origins and Tokens, as Okta's console
// has them. Every change is a service call; the forms only gather fields.

const (
	serversRead   = "okta.authorizationServers.read"
	serversManage = "okta.authorizationServers.manage"
	originsRead   = "okta.trustedOrigins.read"
	originsManage = "okta.trustedOrigins.manage"
	tokensManage  = "okta.apiTokens.manage"
)

func (c *Console) registerAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/api", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/api/servers", http.StatusFound)
	})
	mux.Handle("GET /admin/api/servers", c.admin(serversRead, c.listServers))
	mux.Handle("POST /admin/api/servers", c.admin(serversManage, c.createServer))
	mux.Handle("GET /admin/api/servers/{id}", c.admin(serversRead, c.serverTab("settings")))
	mux.Handle("GET /admin/api/servers/{id}/{tab}", c.admin(serversRead, c.serverTabFromPath))
	mux.Handle("POST /admin/api/servers/{id}/settings", c.admin(serversManage, c.updateServer))
	mux.Handle("POST /admin/api/servers/{id}/rotate", c.admin(serversManage, c.rotateServerKeys))
	mux.Handle("POST /admin/api/servers/{id}/scopes", c.admin(serversManage, c.createScope))
	mux.Handle("POST /admin/api/servers/{id}/scopes/{sid}/delete", c.admin(serversManage, c.deleteScope))
	mux.Handle("POST /admin/api/servers/{id}/claims", c.admin(serversManage, c.createClaim))
	mux.Handle("POST /admin/api/servers/{id}/claims/{cid}/delete", c.admin(serversManage, c.deleteClaim))
	mux.Handle("POST /admin/api/servers/{id}/policies", c.admin(serversManage, c.createPolicy))
	mux.Handle("POST /admin/api/servers/{id}/policies/{pid}/delete", c.admin(serversManage, c.deletePolicy))
	mux.Handle("POST /admin/api/servers/{id}/policies/{pid}/rules", c.admin(serversManage, c.createRule))
	mux.Handle("POST /admin/api/servers/{id}/policies/{pid}/rules/{rid}/move/{dir}", c.admin(serversManage, c.moveRule))
	mux.Handle("POST /admin/api/servers/{id}/policies/{pid}/rules/{rid}/delete", c.admin(serversManage, c.deleteRule))
	mux.Handle("POST /admin/api/servers/{id}/preview", c.admin(serversRead, c.tokenPreview))

	mux.Handle("GET /admin/api/origins", c.admin(originsRead, c.listOrigins))
	mux.Handle("POST /admin/api/origins", c.admin(originsManage, c.createOrigin))
	mux.Handle("POST /admin/api/origins/{oid}/delete", c.admin(originsManage, c.deleteOrigin))

	mux.Handle("GET /admin/api/tokens", c.admin(tokensManage, c.listTokens))
	mux.Handle("POST /admin/api/tokens", c.admin(tokensManage, c.createToken))
	mux.Handle("POST /admin/api/tokens/{tid}/revoke", c.admin(tokensManage, c.revokeToken))
}

// APITabs is the tab row of Security → API.
type APITabs struct{ Current string }

type serverListData struct {
	APITabs
	Servers []serverRow
	// Form holds what was typed when creating failed.
	Form struct{ Name, Audience, Description string }
}

type serverRow struct {
	ID, Name, Audience, Issuer, Status string
	Default                            bool
}

func (c *Console) issuer(s *store.AuthServer) string {
	return c.svc.OrgURL + "/oauth2/" + s.ID
}

func (c *Console) listServers(w http.ResponseWriter, r *http.Request, q *request) {
	c.renderServers(w, r, q, http.StatusOK, "", nil, serverListData{})
}

func (c *Console) renderServers(w http.ResponseWriter, r *http.Request, q *request, status int, errText string, causes []string, d serverListData) {
	servers, err := c.svc.ListAuthServers(r.Context(), store.Page{Limit: 200}, nil)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d.Current = "servers"
	for _, s := range servers {
		d.Servers = append(d.Servers, serverRow{ID: s.ID, Name: s.Name, Audience: strings.Join(s.Audiences, ", "), Issuer: c.issuer(s), Status: s.Status, Default: s.Default})
	}
	c.render(w, status, "api_servers", &view{Title: "API", Section: "api", User: q.user, CSRF: q.csrf, Error: errText, Causes: causes, Data: d})
}

func (c *Console) createServer(w http.ResponseWriter, r *http.Request, q *request) {
	var d serverListData
	d.Form.Name, d.Form.Audience, d.Form.Description = strings.TrimSpace(r.PostForm.Get("name")), strings.TrimSpace(r.PostForm.Get("audience")), r.PostForm.Get("description")
	srv := &store.AuthServer{Name: d.Form.Name, Description: d.Form.Description, Audiences: nonNil(lines(d.Form.Audience))}
	if err := c.svc.CreateAuthServer(r.Context(), q.ctx(r), srv); err != nil {
		if summary, causes, ok := problem(err); ok {
			c.renderServers(w, r, q, http.StatusBadRequest, summary, causes, d)
			return
		}
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/api/servers/"+srv.ID+"?done=created", http.StatusSeeOther)
}

// serverData is an authorization server's page, one tab at a time.
type serverData struct {
	Tab      string
	Server   *store.AuthServer
	Issuer   string
	Metadata string
	Keys     []*store.SigningKey
	Scopes   []*store.Scope
	Claims   []*store.Claim
	Policies []policyView
	Apps     []*store.App
	Preview  *previewData
	// Form holds what was typed on the tab when saving failed.
	Form map[string]string
}

type policyView struct {
	*store.Policy
	Clients string
	Rules   []*store.PolicyRule
}

type previewData struct {
	ClientID, GrantType, Login, Scopes string
	// Out is what the OAuth server answered; nil when the form was refused.
	Out                  *oauth.Preview
	PolicyName, RuleName string
	// AccessJSON and IDJSON are the tokens' claims as shown.
	AccessJSON, IDJSON string
}

var serverTabs = []string{"settings", "scopes", "claims", "policies", "preview"}

func (c *Console) serverTabFromPath(w http.ResponseWriter, r *http.Request, q *request) {
	c.serverTab(r.PathValue("tab"))(w, r, q)
}

func (c *Console) serverTab(tab string) handler {
	return func(w http.ResponseWriter, r *http.Request, q *request) {
		if !slices.Contains(serverTabs, tab) {
			c.message(w, r, http.StatusNotFound, "Not found", "There is no such tab.")
			return
		}
		notice := map[string]string{"created": "Authorization server created.", "saved": "Saved.", "rotated": "Keys rotated: a new key signs from now on.",
			"added": "Added.", "deleted": "Deleted.", "moved": "Rule moved."}[r.URL.Query().Get("done")]
		c.renderServer(w, r, q, tab, http.StatusOK, notice, "", nil, nil, nil)
	}
}

func (c *Console) renderServer(w http.ResponseWriter, r *http.Request, q *request, tab string, status int, notice, errText string, causes []string, form map[string]string, preview *previewData) {
	ctx := r.Context()
	srv, err := c.svc.GetAuthServer(ctx, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := serverData{Tab: tab, Server: srv, Issuer: c.issuer(srv), Metadata: c.issuer(srv) + "/.well-known/oauth-authorization-server", Form: form, Preview: preview}
	switch tab {
	case "settings":
		d.Keys, err = c.svc.ListServerKeys(ctx, srv.ID)
	case "scopes":
		d.Scopes, err = c.svc.ListScopes(ctx, srv.ID)
	case "claims":
		d.Claims, err = c.svc.ListClaims(ctx, srv.ID)
		if err == nil {
			d.Scopes, err = c.svc.ListScopes(ctx, srv.ID)
		}
	case "policies", "preview":
		var ps []*store.Policy
		ps, err = c.svc.ListPolicies(ctx, srv.ID)
		for _, p := range ps {
			if err != nil {
				break
			}
			pv := policyView{Policy: p, Clients: c.clientNames(p.ClientsInclude)}
			pv.Rules, err = c.svc.ListRules(ctx, srv.ID, p.ID)
			d.Policies = append(d.Policies, pv)
		}
		if err == nil {
			d.Apps, err = c.svc.ListApps(ctx, store.Page{Limit: 200})
		}
		if err == nil {
			d.Scopes, err = c.svc.ListScopes(ctx, srv.ID)
		}
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, status, "api_server", &view{Title: srv.Name, Section: "api", User: q.user, CSRF: q.csrf, Notice: notice, Error: errText, Causes: causes, Data: d})
}

// clientNames shows a policy's clients by their apps' labels.
func (c *Console) clientNames(ids []string) string {
	var out []string
	for _, id := range ids {
		if id == "ALL_CLIENTS" {
			out = append(out, "All clients")
			continue
		}
		if a := c.svc.Cache.Current().AppByClientID(id); a != nil {
			out = append(out, a.Label+" ("+id+")")
		} else {
			out = append(out, id)
		}
	}
	return strings.Join(out, ", ")
}

func formOf(r *http.Request, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = r.PostForm.Get(n)
	}
	return m
}

// saved redirects to a server tab after a change, or shows the tab again
// with the service's error and what was typed.
func (c *Console) saved(w http.ResponseWriter, r *http.Request, q *request, tab string, err error, done string, form map[string]string) {
	if err != nil {
		if summary, causes, ok := problem(err); ok {
			c.renderServer(w, r, q, tab, http.StatusBadRequest, "", summary, causes, form, nil)
			return
		}
		c.fail(w, r, err)
		return
	}
	path := "/admin/api/servers/" + r.PathValue("id")
	if tab != "settings" {
		path += "/" + tab
	}
	http.Redirect(w, r, path+"?done="+done, http.StatusSeeOther)
}

func (c *Console) updateServer(w http.ResponseWriter, r *http.Request, q *request) {
	form := formOf(r, "name", "audience", "description", "issuerMode", "rotationMode")
	srv, err := c.svc.GetAuthServer(r.Context(), r.PathValue("id"))
	if err == nil {
		up := *srv
		up.Name, up.Description, up.Audiences = strings.TrimSpace(form["name"]), form["description"], nonNil(lines(form["audience"]))
		up.IssuerMode, up.RotationMode = form["issuerMode"], form["rotationMode"]
		err = c.svc.UpdateAuthServer(r.Context(), q.ctx(r), &up)
	}
	if err == nil {
		switch r.PostForm.Get("status") {
		case store.StatusActive, store.StatusInactive:
			if r.PostForm.Get("status") != srv.Status {
				err = c.svc.SetAuthServerStatus(r.Context(), q.ctx(r), srv.ID, r.PostForm.Get("status"))
			}
		}
	}
	c.saved(w, r, q, "settings", err, "saved", form)
}

func (c *Console) rotateServerKeys(w http.ResponseWriter, r *http.Request, q *request) {
	_, err := c.svc.RotateKeys(r.Context(), q.ctx(r), r.PathValue("id"))
	c.saved(w, r, q, "settings", err, "rotated", nil)
}

func (c *Console) createScope(w http.ResponseWriter, r *http.Request, q *request) {
	form := formOf(r, "name", "displayName", "description", "consent", "default", "metadataPublish")
	sc := &store.Scope{Name: strings.TrimSpace(form["name"]), DisplayName: form["displayName"], Description: form["description"],
		Consent: "IMPLICIT", Default: form["default"] != "", MetadataPublish: "NO_CLIENTS"}
	if form["consent"] != "" {
		sc.Consent = "REQUIRED"
	}
	if form["metadataPublish"] != "" {
		sc.MetadataPublish = "ALL_CLIENTS"
	}
	err := c.svc.CreateScope(r.Context(), q.ctx(r), r.PathValue("id"), sc)
	c.saved(w, r, q, "scopes", err, "added", form)
}

func (c *Console) deleteScope(w http.ResponseWriter, r *http.Request, q *request) {
	err := c.svc.DeleteScope(r.Context(), q.ctx(r), r.PathValue("id"), r.PathValue("sid"))
	c.saved(w, r, q, "scopes", err, "deleted", nil)
}

func (c *Console) createClaim(w http.ResponseWriter, r *http.Request, q *request) {
	form := formOf(r, "name", "claimType", "valueType", "value", "groupFilterType", "always", "scopes")
	cl := &store.Claim{Name: strings.TrimSpace(form["name"]), ClaimType: form["claimType"], ValueType: form["valueType"],
		Value: form["value"], AlwaysIncludeInToken: form["always"] != "", ConditionScopes: r.PostForm["scope"]}
	if cl.ValueType == "GROUPS" {
		cl.GroupFilterType = form["groupFilterType"]
	}
	err := c.svc.CreateClaim(r.Context(), q.ctx(r), r.PathValue("id"), cl)
	c.saved(w, r, q, "claims", err, "added", form)
}

func (c *Console) deleteClaim(w http.ResponseWriter, r *http.Request, q *request) {
	err := c.svc.DeleteClaim(r.Context(), q.ctx(r), r.PathValue("id"), r.PathValue("cid"))
	c.saved(w, r, q, "claims", err, "deleted", nil)
}

func (c *Console) createPolicy(w http.ResponseWriter, r *http.Request, q *request) {
	form := formOf(r, "name", "description", "clients")
	p := &store.Policy{Name: strings.TrimSpace(form["name"]), Description: form["description"], ClientsInclude: []string{"ALL_CLIENTS"}}
	if form["clients"] == "some" {
		p.ClientsInclude = nonNil(r.PostForm["client"])
	}
	err := c.svc.CreatePolicy(r.Context(), q.ctx(r), r.PathValue("id"), p)
	c.saved(w, r, q, "policies", err, "added", form)
}

func (c *Console) deletePolicy(w http.ResponseWriter, r *http.Request, q *request) {
	err := c.svc.DeletePolicy(r.Context(), q.ctx(r), r.PathValue("id"), r.PathValue("pid"))
	c.saved(w, r, q, "policies", err, "deleted", nil)
}

// minutes reads a lifetime field; a value that is no number is passed on
// as -1 for the service to refuse in its own words.
func minutes(s string, def int) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func (c *Console) createRule(w http.ResponseWriter, r *http.Request, q *request) {
	form := formOf(r, "name", "people", "groups", "scopesMode", "scopes", "accessLifetime", "refreshLifetime", "refreshWindow")
	ru := &store.PolicyRule{Name: strings.TrimSpace(form["name"]), Type: "RESOURCE_ACCESS",
		GrantTypes: nonNil(r.PostForm["grant"]), UsersInclude: []string{}, UsersExclude: []string{}, GroupsExclude: []string{},
		GroupsInclude: []string{"EVERYONE"}, Scopes: []string{"*"},
		AccessTokenLifetimeMinutes:  minutes(form["accessLifetime"], 60),
		RefreshTokenLifetimeMinutes: minutes(form["refreshLifetime"], 0),
		RefreshTokenWindowMinutes:   minutes(form["refreshWindow"], 10080)}
	if form["people"] == "groups" {
		ru.GroupsInclude = nonNil(lines(strings.ReplaceAll(form["groups"], ",", "\n")))
	}
	if form["scopesMode"] == "listed" {
		ru.Scopes = nonNil(strings.Fields(strings.ReplaceAll(form["scopes"], ",", " ")))
	}
	err := c.svc.CreateRule(r.Context(), q.ctx(r), r.PathValue("id"), r.PathValue("pid"), ru)
	c.saved(w, r, q, "policies", err, "added", form)
}

// moveRule moves a rule one place up or down in its policy's priority
// order; the service renumbers the others.
func (c *Console) moveRule(w http.ResponseWriter, r *http.Request, q *request) {
	ru, err := c.svc.GetRule(r.Context(), r.PathValue("id"), r.PathValue("pid"), r.PathValue("rid"))
	if err == nil {
		switch r.PathValue("dir") {
		case "up":
			if ru.Priority > 1 {
				ru.Priority--
			}
		case "down":
			ru.Priority++
		}
		// A rule moved below the last one stays last: the service answers
		// a priority past the end by putting the rule at the end.
		err = c.svc.UpdateRule(r.Context(), q.ctx(r), r.PathValue("id"), r.PathValue("pid"), ru)
	}
	c.saved(w, r, q, "policies", err, "moved", nil)
}

func (c *Console) deleteRule(w http.ResponseWriter, r *http.Request, q *request) {
	err := c.svc.DeleteRule(r.Context(), q.ctx(r), r.PathValue("id"), r.PathValue("pid"), r.PathValue("rid"))
	c.saved(w, r, q, "policies", err, "deleted", nil)
}

// tokenPreview asks the OAuth server to run the token endpoint's own
// checks, policy evaluation and claim computation for the chosen client,
// grant, person and scopes, and shows the claims of the tokens it would
// issue. Nothing is stored and no token is shown.
func (c *Console) tokenPreview(w http.ResponseWriter, r *http.Request, q *request) {
	p := &previewData{ClientID: r.PostForm.Get("client"), GrantType: r.PostForm.Get("grant"),
		Login: strings.TrimSpace(r.PostForm.Get("login")), Scopes: r.PostForm.Get("scopes")}
	req := oauth.PreviewRequest{ServerID: r.PathValue("id"), ClientID: p.ClientID, GrantType: p.GrantType, Scopes: policy.ParseScopes(p.Scopes)}
	if p.GrantType != "client_credentials" {
		if p.Login == "" {
			c.renderServer(w, r, q, "preview", http.StatusBadRequest, "", "Choose the person the token is for (their username).", nil, nil, p)
			return
		}
		u, err := c.svc.GetUser(r.Context(), p.Login)
		if err != nil {
			if _, _, ok := problem(err); !ok {
				c.fail(w, r, err)
				return
			}
			c.renderServer(w, r, q, "preview", http.StatusBadRequest, "", "There is no person with the username “"+p.Login+"”.", nil, nil, p)
			return
		}
		req.UserID = u.ID
	}
	res, err := c.oauth.PreviewTokens(r.Context(), req)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p.Out = res
	if res.Result != nil {
		srv := c.svc.Cache.Current().Servers[req.ServerID]
		for _, pol := range srv.Policies {
			if pol.ID == res.Result.PolicyID {
				p.PolicyName = pol.Name
				for _, ru := range pol.Rules {
					if ru.ID == res.Result.RuleID {
						p.RuleName = ru.Name
					}
				}
			}
		}
		p.AccessJSON = claimsJSON(res.Access)
		p.IDJSON = claimsJSON(res.ID)
	}
	c.renderServer(w, r, q, "preview", http.StatusOK, "", "", nil, nil, p)
}

// claimsJSON shows a token's claims as indented JSON, keys sorted.
func claimsJSON(claims map[string]any) string {
	if claims == nil {
		return ""
	}
	b, _ := json.MarshalIndent(claims, "", "  ")
	return string(b)
}
