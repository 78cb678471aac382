package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sesame-idp/sesame/internal/mgmt"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

func (c *Console) registerApps(mux *http.ServeMux) {
	mux.Handle("GET /admin/apps", c.admin("okta.apps.read", c.listApps))
	mux.Handle("GET /admin/apps/new", c.admin("okta.apps.read", c.newAppStart))
	mux.Handle("GET /admin/apps/new/oidc", c.admin("okta.apps.read", c.newAppForm))
	mux.Handle("POST /admin/apps", c.admin("okta.apps.manage", c.createApp))
	mux.Handle("GET /admin/apps/{id}", c.admin("okta.apps.read", c.appGeneral))
	mux.Handle("POST /admin/apps/{id}/general", c.admin("okta.apps.manage", c.updateApp))
	mux.Handle("POST /admin/apps/{id}/lifecycle/{op}", c.admin("okta.apps.manage", c.appLifecycle))
}

// appType is one choice of the Create App Integration wizard, labelled as
// Okta labels it.
type appType struct {
	Value, Label, Help string
	// Grants are the grant types offered, the required one first.
	Grants []grantChoice
	// Redirects: the type signs people in through a browser.
	Redirects bool
}

type grantChoice struct {
	Value, Label string
	Required     bool
}

var (
	grantCode     = grantChoice{Value: service.GrantAuthorizationCode, Label: "Authorization Code", Required: true}
	grantRefresh  = grantChoice{Value: service.GrantRefreshToken, Label: "Refresh Token"}
	grantImplicit = grantChoice{Value: service.GrantImplicit, Label: "Implicit (hybrid)"}
	grantClient   = grantChoice{Value: service.GrantClientCredentials, Label: "Client Credentials"}
	grantPassword = grantChoice{Value: service.GrantPassword, Label: "Resource Owner Password"}
	grantDevice   = grantChoice{Value: service.GrantDeviceCode, Label: "Device Authorization"}
	grantExchange = grantChoice{Value: service.GrantTokenExchange, Label: "Token Exchange"}
)

var appTypes = []appType{
	{Value: service.TypeWeb, Label: "Web Application", Help: "Server-side applications where authentication and tokens are handled on the server (for example Go, Java, ASP.Net, Node.js, PHP).",
		Grants: []grantChoice{grantCode, grantRefresh, grantImplicit, grantClient, grantPassword, grantDevice, grantExchange}, Redirects: true},
	{Value: service.TypeBrowser, Label: "Single-Page Application", Help: "Single-page web applications that run in the browser where the client receives tokens (for example JavaScript, Angular, React, Vue).",
		Grants: []grantChoice{grantCode, grantRefresh, grantImplicit}, Redirects: true},
	{Value: service.TypeNative, Label: "Native Application", Help: "Desktop or mobile applications that run natively on a device and redirect users to a non-HTTP callback (for example iOS, Android, React Native).",
		Grants: []grantChoice{grantCode, grantRefresh, grantImplicit, grantPassword, grantDevice, grantExchange}, Redirects: true},
	{Value: service.TypeService, Label: "API Services", Help: "Interact with Okta APIs using the scoped OAuth 2.0 access tokens for machine-to-machine authentication.",
		Grants: []grantChoice{{Value: service.GrantClientCredentials, Label: "Client Credentials", Required: true}, grantExchange}},
}

func findAppType(v string) *appType {
	for i := range appTypes {
		if appTypes[i].Value == v {
			return &appTypes[i]
		}
	}
	return nil
}

func typeLabel(v string) string {
	if t := findAppType(v); t != nil {
		return t.Label
	}
	return v
}

// appRow is one line of the applications list.
type appRow struct {
	ID, Label, Type, Status, ClientID string
}

type appListData struct {
	Query, Next string
	Apps        []appRow
}

const appPage = 50

func (c *Console) listApps(w http.ResponseWriter, r *http.Request, q *request) {
	query := strings.TrimSpace(r.URL.Query().Get("q"))
	after := r.URL.Query().Get("after")
	d := appListData{Query: query}
	// The list is filtered as it is read: a page shows up to appPage
	// matches, and Next continues after the last app read.
	for len(d.Apps) < appPage {
		apps, err := c.svc.ListApps(r.Context(), store.Page{After: after, Limit: 200})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		for _, a := range apps {
			after = a.ID
			if query != "" && !strings.Contains(strings.ToLower(a.Label), strings.ToLower(query)) && a.ClientID != query {
				continue
			}
			d.Apps = append(d.Apps, appRow{ID: a.ID, Label: a.Label, Type: typeLabel(a.Settings.OAuthClient.ApplicationType), Status: a.Status, ClientID: a.ClientID})
			if len(d.Apps) == appPage {
				d.Next = a.ID
				break
			}
		}
		if len(apps) < 200 {
			break
		}
	}
	c.render(w, http.StatusOK, "apps", &view{Title: "Applications", Section: "apps", User: q.user, CSRF: q.csrf, Data: d})
}

type newAppData struct {
	Types  []appType
	Chosen string
}

func (c *Console) newAppStart(w http.ResponseWriter, r *http.Request, q *request) {
	c.render(w, http.StatusOK, "app_new", &view{Title: "Create a new app integration", Section: "apps", User: q.user, CSRF: q.csrf,
		Data: newAppData{Types: appTypes, Chosen: r.URL.Query().Get("type")}})
}

// appForm is the wizard's second step and, filled, what it posts.
type appForm struct {
	Type                     *appType
	Label                    string
	Grants                   []string
	ImplicitID, ImplicitAT   bool
	RedirectURIs, LogoutURIs string
	BaseURIs                 string
	Access                   string // everyone or skip
}

func (c *Console) newAppForm(w http.ResponseWriter, r *http.Request, q *request) {
	t := findAppType(r.URL.Query().Get("type"))
	if t == nil {
		c.render(w, http.StatusBadRequest, "app_new", &view{Title: "Create a new app integration", Section: "apps", User: q.user, CSRF: q.csrf,
			Error: "Choose an application type.", Data: newAppData{Types: appTypes}})
		return
	}
	f := appForm{Type: t, Grants: []string{t.Grants[0].Value}, Access: "everyone", ImplicitID: true}
	if t.Value == service.TypeBrowser {
		f.Grants = append(f.Grants, service.GrantRefreshToken)
	}
	c.render(w, http.StatusOK, "app_form", &view{Title: "New " + t.Label + " integration", Section: "apps", User: q.user, CSRF: q.csrf, Data: f})
}

// lines splits a textarea into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// responseTypes follows the grants and the two implicit checkboxes of
// Okta's form ("Allow ID Token / Access Token with implicit grant type").
func responseTypes(appType string, grants []string, id, at bool) []string {
	if appType == service.TypeService {
		return []string{"token"}
	}
	rt := []string{}
	if slices.Contains(grants, service.GrantAuthorizationCode) {
		rt = append(rt, "code")
	}
	if slices.Contains(grants, service.GrantImplicit) {
		if id || !at {
			rt = append(rt, "id_token")
		}
		if at {
			rt = append(rt, "token")
		}
	}
	return rt
}

func (c *Console) readAppForm(r *http.Request, t *appType) appForm {
	f := appForm{Type: t, Label: strings.TrimSpace(r.PostForm.Get("label")),
		RedirectURIs: r.PostForm.Get("redirect_uris"), LogoutURIs: r.PostForm.Get("post_logout_redirect_uris"),
		BaseURIs: r.PostForm.Get("base_uris"), Access: r.PostForm.Get("access"),
		ImplicitID: r.PostForm.Get("implicit_id_token") != "", ImplicitAT: r.PostForm.Get("implicit_token") != ""}
	for _, g := range t.Grants {
		if g.Required || slices.Contains(r.PostForm["grant_types"], g.Value) {
			f.Grants = append(f.Grants, g.Value)
		}
	}
	return f
}

func (c *Console) createApp(w http.ResponseWriter, r *http.Request, q *request) {
	t := findAppType(r.PostForm.Get("type"))
	if t == nil {
		c.render(w, http.StatusBadRequest, "app_new", &view{Title: "Create a new app integration", Section: "apps", User: q.user, CSRF: q.csrf,
			Error: "Choose an application type.", Data: newAppData{Types: appTypes}})
		return
	}
	f := c.readAppForm(r, t)
	again := func(status int, summary string, causes []string) {
		c.render(w, status, "app_form", &view{Title: "New " + t.Label + " integration", Section: "apps", User: q.user, CSRF: q.csrf,
			Error: summary, Causes: causes, Data: f})
	}
	origins, bad := originsFrom(lines(f.BaseURIs))
	if len(bad) > 0 {
		again(http.StatusBadRequest, "Api validation failed: Trusted Origins", bad)
		return
	}
	if len(origins) > 0 {
		if err := c.svc.Authorize(r.Context(), q.user, "okta.trustedOrigins.manage"); err != nil {
			again(http.StatusForbidden, "Your administrator role does not allow adding trusted origins; leave Base URIs empty.", nil)
			return
		}
	}
	auth := service.AuthClientSecretBasic
	if t.Value == service.TypeBrowser || t.Value == service.TypeNative {
		auth = service.AuthNone
	}
	oc := map[string]any{"application_type": t.Value, "grant_types": f.Grants,
		"response_types": responseTypes(t.Value, f.Grants, f.ImplicitID, f.ImplicitAT),
		"redirect_uris":  nonNil(lines(f.RedirectURIs)), "post_logout_redirect_uris": nonNil(lines(f.LogoutURIs))}
	body, _ := json.Marshal(map[string]any{"name": service.AppName, "label": f.Label, "signOnMode": service.SignOnModeOIDC,
		"credentials": map[string]any{"oauthClient": map[string]any{"token_endpoint_auth_method": auth}},
		"settings":    map[string]any{"oauthClient": oc}})
	a, clientSecret, err := mgmt.AppFromRequest(body, nil, c.svc.Now())
	if err == nil {
		err = c.svc.CreateApp(r.Context(), q.ctx(r), a, clientSecret)
	}
	if err != nil {
		if summary, causes, ok := problem(err); ok {
			again(http.StatusBadRequest, summary, causes)
			return
		}
		c.fail(w, r, err)
		return
	}
	// The app exists from here on: what follows is reported on its page
	// rather than undoing it.
	var notes []string
	for _, o := range origins {
		err := c.svc.CreateTrustedOrigin(r.Context(), q.ctx(r), &store.TrustedOrigin{Name: o, Origin: o, Scopes: []store.OriginScope{{Type: "CORS"}, {Type: "REDIRECT"}}})
		if err != nil {
			if summary, causes, ok := problem(err); ok {
				notes = append(notes, "Trusted origin "+o+" was not added: "+strings.Join(append([]string{summary}, causes...), " "))
				continue
			}
			c.fail(w, r, err)
			return
		}
	}
	if f.Access == "everyone" {
		if err := c.assignEveryone(r, q, a.ID); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	notice := "Application created."
	if clientSecret != "" {
		notice += " Copy the client secret now: it is shown only this once."
	}
	c.renderApp(w, r, q, a, http.StatusOK, notice, clientSecret, notes)
}

func (c *Console) assignEveryone(r *http.Request, q *request, appID string) error {
	g, err := c.svc.Everyone(r.Context())
	if err != nil {
		return err
	}
	_, err = c.svc.AssignGroupToApp(r.Context(), q.ctx(r), appID, g.ID, nil, nil)
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// originsFrom normalizes the wizard's base URIs into trusted origins.
func originsFrom(uris []string) (origins, bad []string) {
	for _, u := range uris {
		o, ok := service.NormalizeOrigin(u)
		if !ok {
			bad = append(bad, "'"+u+"' is not an origin: give scheme, host and port only, like https://app.example.com.")
			continue
		}
		if !slices.Contains(origins, o) {
			origins = append(origins, o)
		}
	}
	return origins, bad
}

// appView is the app's General tab.
type appView struct {
	App          mgmt.AppJSON
	TypeLabel    string
	Type         *appType
	ClientSecret string
	HasSecret    bool
	UsesSecret   bool              // the app authenticates with a client secret
	Secrets      []store.AppSecret // its client secrets, at most service.MaxAppSecrets
	CanAdd       bool              // fewer than service.MaxAppSecrets
	Grants       []string
	ImplicitID   bool
	ImplicitAT   bool
	Redirects    string
	Logouts      string
	Rotation     string
	Leeway       int
	Consent      bool
	Notes        []string
}

func (c *Console) renderApp(w http.ResponseWriter, r *http.Request, q *request, a *store.App, status int, notice, clientSecret string, notes []string) {
	j := mgmt.AppToJSON(a, c.svc.OrgURL, clientSecret)
	oc := a.Settings.OAuthClient
	v := appView{App: j, TypeLabel: typeLabel(oc.ApplicationType), Type: findAppType(oc.ApplicationType),
		ClientSecret: clientSecret, HasSecret: len(a.Secrets) > 0, Grants: oc.GrantTypes,
		ImplicitID: slices.Contains(oc.ResponseTypes, "id_token"), ImplicitAT: slices.Contains(oc.ResponseTypes, "token"),
		Redirects: strings.Join(oc.RedirectURIs, "\n"), Logouts: strings.Join(oc.PostLogoutRedirectURIs, "\n"),
		Consent: oc.ConsentMethod == service.ConsentRequired, Notes: notes,
		UsesSecret: service.UsesClientSecret(a.ClientAuthMethod()), Secrets: a.Secrets, CanAdd: len(a.Secrets) < service.MaxAppSecrets}
	if rt := oc.RefreshToken; rt != nil {
		v.Rotation, v.Leeway = rt.RotationType, rt.Leeway
	}
	c.render(w, status, "app", &view{Title: a.Label, Section: "apps", User: q.user, CSRF: q.csrf, Notice: notice, Data: v})
}

func (c *Console) appGeneral(w http.ResponseWriter, r *http.Request, q *request) {
	a, err := c.svc.GetApp(r.Context(), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	notice := ""
	switch r.URL.Query().Get("done") {
	case "saved":
		notice = "Saved."
	case "activated":
		notice = "Application activated."
	case "deactivated":
		notice = "Application deactivated."
	case "secret-activated":
		notice = "Client secret activated."
	case "secret-deactivated":
		notice = "Client secret deactivated."
	case "secret-deleted":
		notice = "Client secret deleted."
	}
	c.renderApp(w, r, q, a, http.StatusOK, notice, "", nil)
}

func (c *Console) updateApp(w http.ResponseWriter, r *http.Request, q *request) {
	existing, err := c.svc.GetApp(r.Context(), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	t := findAppType(existing.Settings.OAuthClient.ApplicationType)
	if t == nil {
		c.fail(w, r, errors.New("app of unknown type "+existing.Settings.OAuthClient.ApplicationType))
		return
	}
	f := c.readAppForm(r, t)
	// The edit starts from the app as the API shows it, so that what the
	// form does not show stays as it is, and goes through the API's own
	// decoding and validation, as a PUT would.
	j := mgmt.AppToJSON(existing, c.svc.OrgURL, "")
	j.Label = f.Label
	oc := &j.Settings.OAuthClient
	oc.GrantTypes = f.Grants
	oc.ResponseTypes = responseTypes(t.Value, f.Grants, f.ImplicitID, f.ImplicitAT)
	oc.RedirectURIs = nonNil(lines(f.RedirectURIs))
	oc.PostLogoutRedirectURIs = lines(f.LogoutURIs)
	oc.ConsentMethod = service.ConsentTrusted
	if r.PostForm.Get("consent") != "" {
		oc.ConsentMethod = service.ConsentRequired
	}
	if slices.Contains(f.Grants, service.GrantRefreshToken) {
		leeway, lerr := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("leeway")))
		if lerr != nil {
			leeway = -1 // refused by the validation with its own message
		}
		oc.RefreshToken = &store.RefreshTokenSettings{RotationType: r.PostForm.Get("rotation_type"), Leeway: leeway}
	} else {
		oc.RefreshToken = nil
	}
	j.Credentials.OAuthClient.PKCERequired = r.PostForm.Get("pkce_required") != "" || j.Credentials.OAuthClient.TokenEndpointAuthMethod == service.AuthNone
	body, err := json.Marshal(j)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	a, clientSecret, err := mgmt.AppFromRequest(body, existing, c.svc.Now())
	if err == nil {
		err = c.svc.UpdateApp(r.Context(), q.ctx(r), a, clientSecret)
	}
	if err != nil {
		if summary, causes, ok := problem(err); ok {
			// Show the form as the administrator filled it, with the error.
			shown := *existing
			shown.Label = f.Label
			c.renderAppError(w, r, q, &shown, f, summary, causes)
			return
		}
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/apps/"+a.ID+"?done=saved", http.StatusSeeOther)
}

func (c *Console) renderAppError(w http.ResponseWriter, r *http.Request, q *request, a *store.App, f appForm, summary string, causes []string) {
	j := mgmt.AppToJSON(a, c.svc.OrgURL, "")
	v := appView{App: j, TypeLabel: f.Type.Label, Type: f.Type, HasSecret: len(a.Secrets) > 0, Grants: f.Grants,
		ImplicitID: f.ImplicitID, ImplicitAT: f.ImplicitAT, Redirects: f.RedirectURIs, Logouts: f.LogoutURIs,
		Rotation: r.PostForm.Get("rotation_type"), Consent: r.PostForm.Get("consent") != ""}
	v.Leeway, _ = strconv.Atoi(r.PostForm.Get("leeway"))
	c.render(w, http.StatusBadRequest, "app", &view{Title: a.Label, Section: "apps", User: q.user, CSRF: q.csrf, Error: summary, Causes: causes, Data: v})
}

func (c *Console) appLifecycle(w http.ResponseWriter, r *http.Request, q *request) {
	id := r.PathValue("id")
	var err error
	switch op := r.PathValue("op"); op {
	case "activate":
		err = c.svc.SetAppStatus(r.Context(), q.ctx(r), id, store.StatusActive)
	case "deactivate":
		err = c.svc.SetAppStatus(r.Context(), q.ctx(r), id, store.StatusInactive)
	case "delete":
		if err = c.svc.DeleteApp(r.Context(), q.ctx(r), id); err == nil {
			http.Redirect(w, r, "/admin/apps", http.StatusSeeOther)
			return
		}
	default:
		c.message(w, r, http.StatusNotFound, "Not found", "There is no such action.")
		return
	}
	if err != nil {
		if summary, causes, ok := problem(err); ok {
			a, gerr := c.svc.GetApp(r.Context(), id)
			if gerr != nil {
				c.fail(w, r, gerr)
				return
			}
			c.renderApp(w, r, q, a, http.StatusBadRequest, "", "", append([]string{summary}, causes...))
			return
		}
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/apps/"+id+"?done="+r.PathValue("op")+"d", http.StatusSeeOther)
}
