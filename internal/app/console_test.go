package app

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
)

const consoleAdminPassword = "Correct-Horse-9-battery"

// consoleServer is a served org whose first administrator has a known
// password, for signing in to the console.
func consoleServer(t *testing.T, st store.Store, opts ...Option) *testServer {
	t.Helper()
	return consoleServerWith(t, st, nil, opts...)
}

// consoleServerWith is consoleServer with configuration settings (a mail
// server, say).
func consoleServerWith(t *testing.T, st store.Store, cfg []func(*config.Config), opts ...Option) *testServer {
	t.Helper()
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	ts := serveReplicaWith(t, st, sealer, "", false, cfg, opts)
	res, err := ts.App.Service.Initialize(context.Background(), "Console Org",
		service.Admin{Email: "admin@example.com", Password: consoleAdminPassword, FirstName: "Ada", LastName: "Admin"}, true)
	if err != nil {
		t.Fatal(err)
	}
	ts.APIToken = res.APIToken
	return ts
}

// consoleSignIn opens /admin in a new browser and signs in through the
// hosted sign-in page, returning the browser and the dashboard.
func consoleSignIn(t *testing.T, ts *testServer, login, password string) (*browser, page) {
	t.Helper()
	b := newBrowser(t, ts)
	p := b.get(t, ts.Addr+"/admin")
	if p.status != http.StatusFound || p.location.Path != "/login/login.htm" || p.location.Query().Get("fromURI") != "/admin" {
		t.Fatalf("/admin without a session: %d %v", p.status, p.location)
	}
	p = b.follow(t, b.submitLogin(t, b.follow(t, p), login, password))
	return b, p
}

// consolePost submits a console form with the page's CSRF token.
func (b *browser) consolePost(t *testing.T, from page, path string, form url.Values) page {
	t.Helper()
	form.Set("csrf", field(t, csrfField, from.body))
	return b.post(t, b.ts.Addr+path, form)
}

var clientIDText = regexp.MustCompile(`id="client-id">([^<]+)<`)

func TestConsole(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := consoleServer(t, open(t))
		b, dash := consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)

		t.Run("dashboard", func(t *testing.T) {
			if dash.status != 200 {
				t.Fatalf("dashboard: %d %s", dash.status, dash.body)
			}
			csp := dash.header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "style-src 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
				t.Errorf("CSP %q allows script or unsafe sources", csp)
			}
			if dash.header.Get("X-Frame-Options") != "DENY" || dash.header.Get("Cache-Control") != "no-store" {
				t.Errorf("headers: %v", dash.header)
			}
			for _, want := range []string{
				"sesame openmetadata setup --org-url " + ts.URL,
				"--admin-email admin@example.com",
				"There is only one super administrator",
				"user.lifecycle.create", // the administrator's creation, in recent events
			} {
				if !strings.Contains(dash.body, want) {
					t.Errorf("dashboard lacks %q", want)
				}
			}
			if css := b.get(t, ts.Addr+"/admin/static/console.css"); css.status != 200 || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
				t.Errorf("stylesheet: %d %s", css.status, css.header.Get("Content-Type"))
			}
		})

		var spaID string
		t.Run("create SPA through the wizard", func(t *testing.T) {
			step1 := b.get(t, ts.Addr+"/admin/apps/new")
			if step1.status != 200 || !strings.Contains(step1.body, "Single-Page Application") {
				t.Fatalf("wizard step 1: %d", step1.status)
			}
			step2 := b.get(t, ts.Addr+"/admin/apps/new/oidc?method=OIDC&type=browser")
			if step2.status != 200 || !strings.Contains(step2.body, "Sign-in redirect URIs") {
				t.Fatalf("wizard step 2: %d %s", step2.status, step2.body)
			}
			label := `OpenMetadata <script>alert("x")</script>`
			p := b.consolePost(t, step2, "/admin/apps", url.Values{"type": {"browser"}, "label": {label},
				"grant_types":               {"authorization_code", "refresh_token", "implicit"},
				"implicit_id_token":         {"1"},
				"implicit_token":            {"1"},
				"redirect_uris":             {"http://localhost:8585/callback\r\nhttp://localhost:8585/silent-callback\r\n"},
				"post_logout_redirect_uris": {"http://localhost:8585/"},
				"base_uris":                 {"http://localhost:8585"},
				"access":                    {"everyone"}})
			if p.status != 200 {
				t.Fatalf("create: %d %s", p.status, p.body)
			}
			if strings.Contains(p.body, "<script>alert") || !strings.Contains(p.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
				t.Errorf("the label is not shown escaped")
			}
			clientID := field(t, clientIDText, p.body)
			a := ts.mgmt(t, http.MethodGet, "/api/v1/apps?q=OpenMetadata", nil).list(t)
			if len(a) != 1 {
				t.Fatalf("apps named OpenMetadata: %d", len(a))
			}
			spaID = a[0]["id"].(string)
			var app struct {
				Label       string `json:"label"`
				Credentials struct {
					OAuthClient struct {
						ClientID   string `json:"client_id"`
						AuthMethod string `json:"token_endpoint_auth_method"`
						PKCE       bool   `json:"pkce_required"`
					} `json:"oauthClient"`
				} `json:"credentials"`
				Settings struct {
					OAuthClient struct {
						Type          string   `json:"application_type"`
						Redirects     []string `json:"redirect_uris"`
						Logouts       []string `json:"post_logout_redirect_uris"`
						Grants        []string `json:"grant_types"`
						ResponseTypes []string `json:"response_types"`
						RefreshToken  struct {
							Rotation string `json:"rotation_type"`
						} `json:"refresh_token"`
					} `json:"oauthClient"`
				} `json:"settings"`
			}
			raw, _ := json.Marshal(a[0])
			if err := json.Unmarshal(raw, &app); err != nil {
				t.Fatal(err)
			}
			oc := app.Settings.OAuthClient
			if app.Label != label || app.Credentials.OAuthClient.ClientID != clientID || app.Credentials.OAuthClient.AuthMethod != "none" ||
				!app.Credentials.OAuthClient.PKCE || oc.Type != "browser" ||
				!slices.Equal(oc.Redirects, []string{"http://localhost:8585/callback", "http://localhost:8585/silent-callback"}) ||
				!slices.Equal(oc.Logouts, []string{"http://localhost:8585/"}) ||
				!slices.Equal(oc.Grants, []string{"authorization_code", "refresh_token", "implicit"}) ||
				!slices.Equal(oc.ResponseTypes, []string{"code", "id_token", "token"}) || oc.RefreshToken.Rotation != "ROTATE" {
				t.Errorf("app as created: %s", raw)
			}
			origins := ts.mgmt(t, http.MethodGet, "/api/v1/trustedOrigins", nil).list(t)
			if len(origins) != 1 || origins[0]["origin"] != "http://localhost:8585" {
				t.Errorf("trusted origins: %v", origins)
			}
			groups := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+spaID+"/groups", nil).list(t)
			if len(groups) != 1 {
				t.Errorf("group assignments: %v", groups)
			}
			// Each change is in the System Log with the administrator as actor.
			for _, ev := range []string{"application.lifecycle.create", "security.trusted_origin.create"} {
				logs := ts.mgmt(t, http.MethodGet, "/api/v1/logs?filter="+url.QueryEscape(`eventType eq "`+ev+`"`), nil).list(t)
				if len(logs) != 1 || logs[0]["actor"].(map[string]any)["alternateId"] != "admin@example.com" {
					t.Errorf("%s events: %v", ev, logs)
				}
			}
			list := b.get(t, ts.Addr+"/admin/apps?q=openmeta")
			if !strings.Contains(list.body, "/admin/apps/"+spaID) {
				t.Errorf("search does not find the app")
			}
			if none := b.get(t, ts.Addr+"/admin/apps?q=nothing-like-it"); strings.Contains(none.body, "/admin/apps/"+spaID) {
				t.Errorf("search finds the app for another word")
			}
		})

		t.Run("web app secret shown once", func(t *testing.T) {
			step2 := b.get(t, ts.Addr+"/admin/apps/new/oidc?type=web")
			p := b.consolePost(t, step2, "/admin/apps", url.Values{"type": {"web"}, "label": {"Web app"},
				"redirect_uris": {"https://web.example.com/cb"}, "access": {"skip"}})
			m := regexp.MustCompile(`id="client-secret">([^<]+)<`).FindStringSubmatch(p.body)
			if p.status != 200 || m == nil {
				t.Fatalf("create web app: %d %s", p.status, p.body)
			}
			id := field(t, clientIDText, p.body)
			again := b.get(t, ts.Addr+"/admin/apps/"+id)
			if again.status != 200 || strings.Contains(again.body, m[1]) || !strings.Contains(again.body, "Sesame keeps only its hash") {
				t.Errorf("the app's page again: %d, secret shown: %v", again.status, strings.Contains(again.body, m[1]))
			}
			// The secret shown is the app's: it authenticates the client.
			req, _ := http.NewRequest(http.MethodPost, ts.Addr+"/oauth2/v1/introspect", strings.NewReader("token=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(id, m[1])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("introspect with the shown secret: %d", resp.StatusCode)
			}
			dash := b.get(t, ts.Addr+"/admin")
			if !strings.Contains(dash.body, "“Web app” is assigned to nobody") {
				t.Errorf("dashboard does not warn about the unassigned app")
			}
		})

		t.Run("validation errors are shown", func(t *testing.T) {
			step2 := b.get(t, ts.Addr+"/admin/apps/new/oidc?type=browser")
			p := b.consolePost(t, step2, "/admin/apps", url.Values{"type": {"browser"}, "label": {"Bad"},
				"redirect_uris": {"not a uri"}, "base_uris": {"http://ok.example.com"}})
			if p.status != 400 || !strings.Contains(p.body, `role="alert"`) || !strings.Contains(p.body, "not a uri") {
				t.Errorf("bad redirect URI: %d %s", p.status, p.body)
			}
			p = b.consolePost(t, step2, "/admin/apps", url.Values{"type": {"browser"}, "label": {"Bad"}, "base_uris": {"ftp://x/y"}})
			if p.status != 400 || !strings.Contains(p.body, "is not an origin") {
				t.Errorf("bad base URI: %d", p.status)
			}
			if n := len(ts.mgmt(t, http.MethodGet, "/api/v1/apps?q=Bad", nil).list(t)); n != 0 {
				t.Errorf("%d apps created by refused forms", n)
			}
		})

		t.Run("general tab", func(t *testing.T) {
			page := b.get(t, ts.Addr+"/admin/apps/"+spaID)
			p := b.consolePost(t, page, "/admin/apps/"+spaID+"/general", url.Values{"label": {"OpenMetadata"},
				"grant_types":   {"authorization_code", "refresh_token"},
				"redirect_uris": {"http://localhost:8585/callback"}, "rotation_type": {"ROTATE"}, "leeway": {"10"}, "consent": {"1"}})
			if p.status != http.StatusSeeOther {
				t.Fatalf("save: %d %s", p.status, p.body)
			}
			a := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+spaID, nil).json(t)
			oc := a["settings"].(map[string]any)["oauthClient"].(map[string]any)
			rt := oc["refresh_token"].(map[string]any)
			if a["label"] != "OpenMetadata" || rt["leeway"] != 10.0 || rt["rotation_type"] != "ROTATE" || oc["consent_method"] != "REQUIRED" ||
				len(oc["redirect_uris"].([]any)) != 1 || len(oc["grant_types"].([]any)) != 2 {
				t.Errorf("after save: %v", a)
			}
			p = b.consolePost(t, page, "/admin/apps/"+spaID+"/general", url.Values{"label": {"OpenMetadata"},
				"grant_types": {"refresh_token"}, "rotation_type": {"ROTATE"}, "leeway": {"99"}})
			if p.status != 400 || !strings.Contains(p.body, "between 0 and 60") {
				t.Errorf("leeway 99: %d %s", p.status, p.body)
			}
		})

		t.Run("CSRF", func(t *testing.T) {
			before := len(ts.mgmt(t, http.MethodGet, "/api/v1/apps", nil).list(t))
			form := url.Values{"type": {"browser"}, "label": {"Forged"}, "redirect_uris": {"http://evil.example/cb"}}
			if p := b.post(t, ts.Addr+"/admin/apps", form); p.status != http.StatusForbidden {
				t.Errorf("no CSRF token: %d", p.status)
			}
			form.Set("csrf", "wrong-token-wrong-token-wrong")
			if p := b.post(t, ts.Addr+"/admin/apps", form); p.status != http.StatusForbidden {
				t.Errorf("wrong CSRF token: %d", p.status)
			}
			if p := b.post(t, ts.Addr+"/admin/apps/"+spaID+"/lifecycle/deactivate", form); p.status != http.StatusForbidden {
				t.Errorf("lifecycle with a wrong CSRF token: %d", p.status)
			}
			if after := len(ts.mgmt(t, http.MethodGet, "/api/v1/apps", nil).list(t)); after != before {
				t.Errorf("apps: %d before, %d after forged posts", before, after)
			}
		})

		t.Run("lifecycle", func(t *testing.T) {
			page := b.get(t, ts.Addr+"/admin/apps/"+spaID)
			if p := b.consolePost(t, page, "/admin/apps/"+spaID+"/lifecycle/delete", url.Values{}); p.status != 400 {
				t.Errorf("delete an active app: %d", p.status)
			}
			if p := b.consolePost(t, page, "/admin/apps/"+spaID+"/lifecycle/deactivate", url.Values{}); p.status != http.StatusSeeOther {
				t.Fatalf("deactivate: %d %s", p.status, p.body)
			}
			if s := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+spaID, nil).json(t)["status"]; s != "INACTIVE" {
				t.Errorf("status after deactivate: %v", s)
			}
			if p := b.consolePost(t, page, "/admin/apps/"+spaID+"/lifecycle/delete", url.Values{}); p.status != http.StatusSeeOther {
				t.Fatalf("delete: %d %s", p.status, p.body)
			}
			if a := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+spaID, nil); a.status != 404 {
				t.Errorf("after delete: %d", a.status)
			}
			if p := b.get(t, ts.Addr+"/admin/apps/"+spaID); p.status != 404 {
				t.Errorf("console page of a deleted app: %d", p.status)
			}
		})

		t.Run("non-admin refused and logged", func(t *testing.T) {
			ts.createUser(t, "?activate=true", person("pat@example.com"), "Qwerty-Lamp-42")
			_, p := consoleSignIn(t, ts, "pat@example.com", "Qwerty-Lamp-42")
			if p.status != http.StatusForbidden || !strings.Contains(p.body, "not an administrator") {
				t.Fatalf("non-admin: %d %s", p.status, p.body)
			}
			ts.App.Audit.Flush()
			logs := ts.mgmt(t, http.MethodGet, "/api/v1/logs?filter="+url.QueryEscape(`eventType eq "user.session.access_admin_app"`), nil).list(t)
			if len(logs) != 1 || logs[0]["actor"].(map[string]any)["alternateId"] != "pat@example.com" ||
				logs[0]["outcome"].(map[string]any)["result"] != "DENY" {
				t.Errorf("refusal events: %v", logs)
			}
		})

		t.Run("role limits", func(t *testing.T) {
			u := ts.createUser(t, "?activate=true", person("rita@example.com"), "Qwerty-Lamp-43")
			if _, err := ts.App.Service.AssignUserRole(context.Background(), service.SystemContext, u["id"].(string), service.RoleReportAdmin); err != nil {
				t.Fatal(err)
			}
			rb, dash := consoleSignIn(t, ts, "rita@example.com", "Qwerty-Lamp-43")
			if dash.status != 200 {
				t.Fatalf("a report admin's dashboard: %d %s", dash.status, dash.body)
			}
			if p := rb.get(t, ts.Addr+"/admin/apps"); p.status != http.StatusForbidden || !strings.Contains(p.body, "okta.apps.read") {
				t.Errorf("a report admin's applications: %d", p.status)
			}
			form := url.Values{"type": {"browser"}, "label": {"Not mine"}}
			if p := rb.consolePost(t, dash, "/admin/apps", form); p.status != http.StatusForbidden {
				t.Errorf("a report admin creating an app: %d", p.status)
			}
		})

		t.Run("sign out", func(t *testing.T) {
			page := b.get(t, ts.Addr+"/admin")
			if p := b.consolePost(t, page, "/admin/signout", url.Values{}); p.status != 200 {
				t.Fatalf("sign out: %d", p.status)
			}
			if p := b.get(t, ts.Addr+"/admin/apps"); p.status != http.StatusFound || p.location.Query().Get("fromURI") != "/admin/apps" {
				t.Errorf("after sign-out: %d %v", p.status, p.location)
			}
		})
	})
}

// TestSetupEndsInConsole: the first-start setup page signs the new
// administrator in and links to the console.
func TestSetupEndsInConsole(t *testing.T) {
	st := openTestSQLite(t)
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	ts := serveReplica(t, st, sealer, "", false)
	tok, err := ts.App.Service.Bootstrap(context.Background(), "Fresh Org")
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, ts)
	setup := b.get(t, ts.Addr+"/setup?token="+url.QueryEscape(tok))
	if setup.status != 200 {
		t.Fatalf("setup page: %d", setup.status)
	}
	done := b.post(t, ts.Addr+"/setup", url.Values{"token": {tok}, "csrf": {field(t, csrfField, setup.body)},
		"email": {"first@example.com"}, "password": {consoleAdminPassword}})
	if done.status != 200 || !strings.Contains(done.body, `href="/admin"`) {
		t.Fatalf("setup done: %d %s", done.status, done.body)
	}
	dash := b.get(t, ts.Addr+"/admin")
	if dash.status != 200 || !strings.Contains(dash.body, "first@example.com") || !strings.Contains(dash.body, "Fresh Org") {
		t.Fatalf("console after setup: %d %s", dash.status, dash.body)
	}
}

var (
	serverIDInLocation = regexp.MustCompile(`^/admin/api/servers/(aus[^/?]+)`)
)

// TestConsoleSecurityAPI walks Security → API: an authorization server with
// audience, scope, claim (a bad expression first), policy and rules, the
// rule order, Token Preview, trusted origins and API tokens.
func TestConsoleSecurityAPI(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := consoleServer(t, open(t))
		b, dash := consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)
		list := b.get(t, ts.Addr+"/admin/api/servers")
		if list.status != 200 || !strings.Contains(list.body, ">default</a>") {
			t.Fatalf("servers: %d %s", list.status, list.body)
		}
		// An app for the policy and the preview.
		clientID, _, appID := ts.oidcApp(t, "Ingestion", "service", "client_secret_basic", []string{"client_credentials"}, []string{"token"}, map[string]any{"redirect_uris": []string{}, "post_logout_redirect_uris": []string{}})
		_ = appID

		p := b.consolePost(t, list, "/admin/api/servers", url.Values{"name": {"OpenMetadata"}, "audience": {"api://openmetadata"}, "description": {"For OM"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("create server: %d %s", p.status, p.body)
		}
		m := serverIDInLocation.FindStringSubmatch(p.location.Path)
		if m == nil {
			t.Fatalf("redirect after create: %v", p.location)
		}
		id := m[1]
		srv := ts.mgmt(t, http.MethodGet, "/api/v1/authorizationServers/"+id, nil).json(t)
		if srv["name"] != "OpenMetadata" || srv["audiences"].([]any)[0] != "api://openmetadata" {
			t.Errorf("server: %v", srv)
		}
		base := "/admin/api/servers/" + id

		// Settings: the issuer mode is saved.
		settings := b.get(t, ts.Addr+base)
		if p := b.consolePost(t, settings, base+"/settings", url.Values{"name": {"OpenMetadata"}, "audience": {"api://openmetadata"},
			"issuerMode": {"DYNAMIC"}, "rotationMode": {"AUTO"}, "status": {"ACTIVE"}}); p.status != http.StatusSeeOther {
			t.Fatalf("settings: %d %s", p.status, p.body)
		}
		if s := ts.mgmt(t, http.MethodGet, "/api/v1/authorizationServers/"+id, nil).json(t); s["issuerMode"] != "DYNAMIC" {
			t.Errorf("issuerMode: %v", s["issuerMode"])
		}

		// Scope.
		if p := b.consolePost(t, settings, base+"/scopes", url.Values{"name": {"om:read"}, "description": {"Read"}, "default": {"1"}}); p.status != http.StatusSeeOther {
			t.Fatalf("scope: %d %s", p.status, p.body)
		}
		var scopes []map[string]any
		for _, sc := range ts.mgmt(t, http.MethodGet, "/api/v1/authorizationServers/"+id+"/scopes", nil).list(t) {
			if sc["system"] != true {
				scopes = append(scopes, sc)
			}
		}
		if len(scopes) != 1 || scopes[0]["name"] != "om:read" || scopes[0]["default"] != true {
			t.Errorf("scopes: %v", scopes)
		}

		// Claim: a bad expression is refused with the parser's position.
		p = b.consolePost(t, settings, base+"/claims", url.Values{"name": {"email"}, "claimType": {"RESOURCE"}, "valueType": {"EXPRESSION"}, "value": {"user.email +"}})
		if p.status != 400 || !strings.Contains(p.body, "Invalid expression at position") || !strings.Contains(p.body, `value="user.email &#43;"`) {
			t.Errorf("bad claim: %d %s", p.status, p.body)
		}
		if p := b.consolePost(t, settings, base+"/claims", url.Values{"name": {"email"}, "claimType": {"RESOURCE"}, "valueType": {"EXPRESSION"}, "value": {"user.email"}}); p.status != http.StatusSeeOther {
			t.Fatalf("claim: %d %s", p.status, p.body)
		}

		// Policy and two rules, then the second moved above the first.
		if p := b.consolePost(t, settings, base+"/policies", url.Values{"name": {"OM policy"}, "description": {"For OM"}, "clients": {"some"}, "client": {clientID}}); p.status != http.StatusSeeOther {
			t.Fatalf("policy: %d %s", p.status, p.body)
		}
		pols := ts.mgmt(t, http.MethodGet, "/api/v1/authorizationServers/"+id+"/policies", nil).list(t)
		if len(pols) != 1 {
			t.Fatalf("policies: %v", pols)
		}
		pid := pols[0]["id"].(string)
		for _, name := range []string{"Code rule", "Service rule"} {
			grant := "authorization_code"
			if name == "Service rule" {
				grant = "client_credentials"
			}
			if p := b.consolePost(t, settings, base+"/policies/"+pid+"/rules", url.Values{"name": {name}, "grant": {grant}, "people": {"everyone"}, "scopesMode": {"any"}, "accessLifetime": {"30"}}); p.status != http.StatusSeeOther {
				t.Fatalf("rule %s: %d %s", name, p.status, p.body)
			}
		}
		rules := ts.mgmt(t, http.MethodGet, "/api/v1/authorizationServers/"+id+"/policies/"+pid+"/rules", nil).list(t)
		if len(rules) != 2 || rules[1]["name"] != "Service rule" {
			t.Fatalf("rules: %v", rules)
		}
		if p := b.consolePost(t, settings, base+"/policies/"+pid+"/rules/"+rules[1]["id"].(string)+"/move/up", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("move: %d %s", p.status, p.body)
		}
		rules = ts.mgmt(t, http.MethodGet, "/api/v1/authorizationServers/"+id+"/policies/"+pid+"/rules", nil).list(t)
		if rules[0]["name"] != "Service rule" || rules[0]["priority"] != 1.0 || rules[1]["priority"] != 2.0 {
			t.Errorf("rules after moving up: %v", rules)
		}
		pp := b.get(t, ts.Addr+base+"/policies")
		if i, j := strings.Index(pp.body, "Service rule"), strings.Index(pp.body, "Code rule"); pp.status != 200 || i < 0 || j < 0 || i > j {
			t.Errorf("policies tab shows the rules out of order")
		}

		// Token Preview runs the token endpoint's own checks, policy and
		// claims: the service app with client_credentials matches the
		// service rule and gets the default scope, its token the audience;
		// the user claim (user.email) is left out, there is no user.
		p = b.consolePost(t, settings, base+"/preview", url.Values{"client": {clientID}, "grant": {"client_credentials"}})
		if p.status != 200 || !strings.Contains(p.body, "A token would be issued") || !strings.Contains(p.body, "Service rule") || !strings.Contains(p.body, "<code>om:read</code>") {
			t.Errorf("preview: %d %s", p.status, p.body)
		}
		at := previewClaims(t, p.body, "preview-access")
		if at["cid"] != clientID || at["sub"] != clientID || at["aud"] != "api://openmetadata" || at["iss"] != ts.URL+"/oauth2/"+id ||
			fmt.Sprint(at["scp"]) != "[om:read]" || at["exp"].(float64)-at["iat"].(float64) != 30*60 || at["email"] != nil {
			t.Errorf("client_credentials access token claims: %v", at)
		}
		if strings.Contains(p.body, `id="preview-id"`) {
			t.Errorf("an ID token for client_credentials")
		}
		// A grant the app may not use is refused as the token endpoint refuses it.
		p = b.consolePost(t, settings, base+"/preview", url.Values{"client": {clientID}, "grant": {"password"}, "login": {"admin@example.com"}})
		if !strings.Contains(p.body, "Refused: <code>unauthorized_client</code>") {
			t.Errorf("preview of a grant the app lacks: %s", p.body)
		}
		// A person's token: the SPA in the policy, a code rule for everyone;
		// the claim comes from the person's profile, the ID token says who.
		spaClient, _, spaID := ts.oidcApp(t, "OM SPA", "browser", "none", []string{"authorization_code"}, []string{"code"}, nil)
		admin := ts.mgmt(t, http.MethodGet, "/api/v1/users/admin@example.com", nil).json(t)
		ts.assign(t, spaID, admin["id"].(string))
		pol := ts.mgmt(t, http.MethodGet, "/api/v1/authorizationServers/"+id+"/policies/"+pid, nil).json(t)
		pol["conditions"].(map[string]any)["clients"] = map[string]any{"include": []string{clientID, spaClient}}
		if a := ts.mgmt(t, http.MethodPut, "/api/v1/authorizationServers/"+id+"/policies/"+pid, pol); a.status != 200 {
			t.Fatalf("policy clients: %d %s", a.status, a.body)
		}
		p = b.consolePost(t, settings, base+"/preview", url.Values{"client": {spaClient}, "grant": {"authorization_code"},
			"login": {"admin@example.com"}, "scopes": {"openid email om:read"}})
		at = previewClaims(t, p.body, "preview-access")
		idt := previewClaims(t, p.body, "preview-id")
		if at["sub"] != "admin@example.com" || at["uid"] != admin["id"] || at["email"] != "admin@example.com" || at["cid"] != spaClient ||
			fmt.Sprint(at["scp"]) != "[openid email om:read]" {
			t.Errorf("authorization_code access token claims: %v", at)
		}
		if idt["sub"] != admin["id"] || idt["aud"] != spaClient || idt["email"] != "admin@example.com" || idt["iss"] != ts.URL+"/oauth2/"+id {
			t.Errorf("ID token claims: %v", idt)
		}
		// Someone not assigned to the app is refused, as at sign-in.
		ts.createUser(t, "?activate=true", person("nobody@example.com"), "Qwerty-Lamp-44")
		p = b.consolePost(t, settings, base+"/preview", url.Values{"client": {spaClient}, "grant": {"authorization_code"}, "login": {"nobody@example.com"}})
		if !strings.Contains(p.body, "Refused: <code>access_denied</code>") || strings.Contains(p.body, `id="preview-access"`) {
			t.Errorf("preview for an unassigned person: %s", p.body)
		}
		if p := b.consolePost(t, settings, base+"/preview", url.Values{"client": {spaClient}, "grant": {"authorization_code"}, "login": {"nobody-at-all"}}); p.status != 400 {
			t.Errorf("preview for an unknown person: %d", p.status)
		}

		// Trusted origins.
		origins := b.get(t, ts.Addr+"/admin/api/origins")
		if p := b.consolePost(t, origins, "/admin/api/origins", url.Values{"name": {"OM"}, "origin": {"http://localhost:8585"}, "cors": {"1"}}); p.status != http.StatusSeeOther {
			t.Fatalf("origin: %d %s", p.status, p.body)
		}
		if p := b.consolePost(t, origins, "/admin/api/origins", url.Values{"name": {"Bad"}, "origin": {"javascript:alert(1)"}, "cors": {"1"}}); p.status != 400 {
			t.Errorf("bad origin: %d", p.status)
		}
		os := ts.mgmt(t, http.MethodGet, "/api/v1/trustedOrigins", nil).list(t)
		if len(os) != 1 || os[0]["origin"] != "http://localhost:8585" || len(os[0]["scopes"].([]any)) != 1 {
			t.Errorf("origins: %v", os)
		}

		// API tokens: created once, works, revoked.
		tokens := b.get(t, ts.Addr+"/admin/api/tokens")
		p = b.consolePost(t, tokens, "/admin/api/tokens", url.Values{"name": {"OpenMetadata setup"}})
		tm := regexp.MustCompile(`id="api-token">([^<]+)<`).FindStringSubmatch(p.body)
		if p.status != 200 || tm == nil {
			t.Fatalf("create token: %d %s", p.status, p.body)
		}
		if a := ts.do(t, http.MethodGet, "/api/v1/users/me", "SSWS "+tm[1], "", nil); a.status != 200 {
			t.Errorf("the new token: %d", a.status)
		}
		var tid string
		for _, tok := range ts.mgmt(t, http.MethodGet, "/api/v1/api-tokens", nil).list(t) {
			if tok["name"] == "OpenMetadata setup" {
				tid = tok["id"].(string)
			}
		}
		if p := b.consolePost(t, tokens, "/admin/api/tokens/"+tid+"/revoke", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("revoke: %d %s", p.status, p.body)
		}
		if a := ts.do(t, http.MethodGet, "/api/v1/users/me", "SSWS "+tm[1], "", nil); a.status != 401 {
			t.Errorf("the revoked token: %d", a.status)
		}

		// Every change above has the administrator as its actor.
		logs := ts.mgmt(t, http.MethodGet, "/api/v1/logs?filter="+url.QueryEscape(`eventType sw "oauth2.as" or eventType eq "security.trusted_origin.create" or eventType eq "system.api_token.revoke"`), nil).list(t)
		if len(logs) < 8 {
			t.Errorf("only %d events", len(logs))
		}
		for _, e := range logs {
			if e["actor"].(map[string]any)["alternateId"] != "admin@example.com" {
				t.Errorf("%s by %v", e["eventType"], e["actor"])
			}
		}
		_ = dash
	})
}

// previewClaims reads the claims a Token Preview shows in the element id.
func previewClaims(t *testing.T, body, id string) map[string]any {
	t.Helper()
	m := regexp.MustCompile(`(?s)id="` + id + `"[^>]*>(.*?)</pre>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in the preview: %s", id, body)
	}
	var claims map[string]any
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &claims); err != nil {
		t.Fatalf("%s: %v in %s", id, err, m[1])
	}
	return claims
}

// TestConsoleSystemLog: Reports → System Log speaks the System Log API's
// filter language and time range, and pages back through older events.
func TestConsoleSystemLog(t *testing.T) {
	ts := consoleServer(t, openTestSQLite(t))
	// 60 changes, so that the newest 50 fill one page.
	for i := range 60 {
		ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": "group-" + strconv.Itoa(i)}})
	}
	b, _ := consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)
	ts.App.Audit.Flush()
	p := b.get(t, ts.Addr+"/admin/logs?filter="+url.QueryEscape(`eventType eq "group.lifecycle.create"`))
	if p.status != 200 || strings.Count(p.body, "<code>group.lifecycle.create</code>") != 50 || strings.Contains(p.body, "<code>user.lifecycle.create</code>") {
		t.Fatalf("filtered log: %d, %d rows", p.status, strings.Count(p.body, "<code>group.lifecycle.create</code>"))
	}
	if !strings.Contains(p.body, "group-59") || strings.Contains(p.body, ">group-0<") {
		t.Errorf("the first page is not the newest events")
	}
	next := regexp.MustCompile(`href="(/admin/logs\?[^"]+)">Older events`).FindStringSubmatch(p.body)
	if next == nil {
		t.Fatalf("no link to older events")
	}
	older := b.get(t, ts.Addr+html.UnescapeString(next[1]))
	if n := strings.Count(older.body, "<code>group.lifecycle.create</code>"); older.status != 200 || n != 10 || !strings.Contains(older.body, ">group-0<") {
		t.Errorf("older page: %d, %d rows", older.status, n)
	}
	if p := b.get(t, ts.Addr+"/admin/logs?filter="+url.QueryEscape(`eventType eq`)); p.status != 400 || !strings.Contains(p.body, `role="alert"`) {
		t.Errorf("bad filter: %d", p.status)
	}
	if p := b.get(t, ts.Addr+"/admin/logs?since=yesterday"); p.status != 400 || !strings.Contains(p.body, "From:") {
		t.Errorf("bad since: %d", p.status)
	}
	dayAgo, hourAgo := time.Now().UTC().Add(-24*time.Hour).Format("2006-01-02T15:04"), time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")
	if p := b.get(t, ts.Addr+"/admin/logs?since="+dayAgo+"&until="+hourAgo); p.status != 200 || !strings.Contains(p.body, "No events match") {
		t.Errorf("a range with no events: %d", p.status)
	}
}

func openTestSQLite(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "sesame.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestConsoleDirectory: People (add, search, profile, status actions,
// password, groups, apps, sessions, delete) and Groups (add, members,
// apps), every value shown escaped.
func TestConsoleDirectory(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := consoleServer(t, open(t))
		b, _ := consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)
		people := b.get(t, ts.Addr+"/admin/people")
		if people.status != 200 || !strings.Contains(people.body, "admin@example.com") {
			t.Fatalf("people: %d", people.status)
		}
		xss := `<img src=x onerror=alert(1)>`
		p := b.consolePost(t, people, "/admin/people", url.Values{"firstName": {"Grace" + xss}, "lastName": {"Hopper"}, "email": {"grace@example.com"},
			"password": {"Navy-Cobol-1959"}, "activate": {"1"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("add person: %d %s", p.status, p.body)
		}
		personPath := p.location.Path
		page := b.get(t, ts.Addr+personPath)
		if page.status != 200 || strings.Contains(page.body, xss) || !strings.Contains(page.body, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("person page: %d, escaped: %v", page.status, !strings.Contains(page.body, xss))
		}
		u := ts.mgmt(t, http.MethodGet, "/api/v1/users/grace@example.com", nil).json(t)
		id := u["id"].(string)
		if u["status"] != "ACTIVE" || personPath != "/admin/people/"+id {
			t.Fatalf("person: %v at %s", u["status"], personPath)
		}
		// A weak password is refused with the policy's words.
		p = b.consolePost(t, people, "/admin/people", url.Values{"firstName": {"W"}, "lastName": {"K"}, "email": {"weak@example.com"}, "password": {"short"}, "activate": {"1"}})
		if p.status != 400 || !strings.Contains(p.body, "Password requirements") {
			t.Errorf("weak password: %d %s", p.status, p.body)
		}

		// Search by q and by the search language, and the status filter.
		if s := b.get(t, ts.Addr+"/admin/people?q=grac"); !strings.Contains(s.body, "grace@example.com") || strings.Contains(s.body, "<td>admin@example.com</td>") {
			t.Errorf("q search")
		}
		if s := b.get(t, ts.Addr+"/admin/people?search="+url.QueryEscape(`profile.lastName eq "Hopper"`)); !strings.Contains(s.body, "grace@example.com") {
			t.Errorf("search expression")
		}
		if s := b.get(t, ts.Addr+"/admin/people?search="+url.QueryEscape(`profile.lastName eq`)); s.status != 400 {
			t.Errorf("bad search: %d", s.status)
		}

		// Profile, status actions, password, sessions.
		if p := b.consolePost(t, page, personPath+"/profile", url.Values{"firstName": {"Grace"}, "lastName": {"Hopper"}, "title": {"Rear Admiral"}}); p.status != http.StatusSeeOther {
			t.Fatalf("profile: %d %s", p.status, p.body)
		}
		if u := ts.mgmt(t, http.MethodGet, "/api/v1/users/"+id, nil).json(t); u["profile"].(map[string]any)["title"] != "Rear Admiral" || u["profile"].(map[string]any)["firstName"] != "Grace" {
			t.Errorf("profile after save: %v", u["profile"])
		}
		if p := b.consolePost(t, page, personPath+"/lifecycle/suspend", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("suspend: %d %s", p.status, p.body)
		}
		if s := ts.mgmt(t, http.MethodGet, "/api/v1/users/"+id, nil).json(t)["status"]; s != "SUSPENDED" {
			t.Errorf("after suspend: %v", s)
		}
		if s := b.get(t, ts.Addr+"/admin/people?status=SUSPENDED"); !strings.Contains(s.body, "grace@example.com") {
			t.Errorf("status filter")
		}
		if p := b.consolePost(t, page, personPath+"/lifecycle/suspend", url.Values{}); p.status != 400 || !strings.Contains(p.body, "not allowed in the user") {
			t.Errorf("suspend twice: %d", p.status)
		}
		b.consolePost(t, page, personPath+"/lifecycle/unsuspend", url.Values{})
		if p := b.consolePost(t, page, personPath+"/password", url.Values{"password": {"Harvard-Mark-1944"}}); p.status != http.StatusSeeOther {
			t.Fatalf("password: %d %s", p.status, p.body)
		}
		gb, _ := consoleSignIn(t, ts, "grace@example.com", "Harvard-Mark-1944") // refused (no role) but signed in
		if p := b.consolePost(t, page, personPath+"/sessions/clear", url.Values{"oauthTokens": {"1"}}); p.status != http.StatusSeeOther {
			t.Fatalf("clear sessions: %d", p.status)
		}
		if p := gb.get(t, ts.Addr+"/admin"); p.status != http.StatusFound {
			t.Errorf("Grace's session after clearing: %d", p.status)
		}

		// Groups: add, member, app; the person's page shows both.
		groups := b.get(t, ts.Addr+"/admin/groups")
		p = b.consolePost(t, groups, "/admin/groups", url.Values{"name": {"Data team"}, "description": {"OM users"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("add group: %d %s", p.status, p.body)
		}
		groupPath := p.location.Path
		gid := strings.TrimPrefix(groupPath, "/admin/groups/")
		if p := b.consolePost(t, groups, groupPath+"/members", url.Values{"login": {"grace@example.com"}}); p.status != http.StatusSeeOther {
			t.Fatalf("add member: %d %s", p.status, p.body)
		}
		if p := b.consolePost(t, groups, groupPath+"/members", url.Values{"login": {"nobody@example.com"}}); p.status != 404 && p.status != 400 {
			t.Errorf("add an unknown member: %d", p.status)
		}
		_, _, appID := ts.oidcApp(t, "OM", "browser", "none", []string{"authorization_code"}, []string{"code"}, nil)
		if p := b.consolePost(t, groups, groupPath+"/apps", url.Values{"app": {appID}}); p.status != http.StatusSeeOther {
			t.Fatalf("assign app: %d %s", p.status, p.body)
		}
		if ok, err := ts.App.Service.IsAssigned(context.Background(), appID, id); err != nil || !ok {
			t.Errorf("Grace is not assigned the app through the group")
		}
		page = b.get(t, ts.Addr+personPath)
		if !strings.Contains(page.body, `href="/admin/groups/`+gid+`">Data team`) || !strings.Contains(page.body, `href="/admin/apps/`+appID+`">OM`) {
			t.Errorf("person page lacks the group or the app")
		}
		if g := b.get(t, ts.Addr+groupPath); !strings.Contains(g.body, "grace@example.com") || !strings.Contains(g.body, ">OM</a>") {
			t.Errorf("group page lacks the member or the app")
		}

		// Deactivate, then delete.
		b.consolePost(t, page, personPath+"/lifecycle/deactivate", url.Values{})
		if p := b.consolePost(t, page, personPath+"/delete", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("delete: %d %s", p.status, p.body)
		}
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/users/"+id, nil); a.status != 404 {
			t.Errorf("after delete: %d", a.status)
		}
	})
}

// TestConsoleAppTabs: an app's Assignments and Okta API Scopes tabs; the
// granted scopes then let the service app call the management API.
func TestConsoleAppTabs(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := consoleServer(t, open(t))
		b, _ := consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)
		_, _, spaID := ts.oidcApp(t, "SPA", "browser", "none", []string{"authorization_code"}, []string{"code"}, nil)
		ts.createUser(t, "?activate=true", person("ada@example.com"), "Engine-Analytical-1843")
		tab := b.get(t, ts.Addr+"/admin/apps/"+spaID+"/assignments")
		if tab.status != 200 || !strings.Contains(tab.body, "No one is assigned directly") {
			t.Fatalf("assignments: %d", tab.status)
		}
		if p := b.consolePost(t, tab, "/admin/apps/"+spaID+"/assignments/people", url.Values{"login": {"ada@example.com"}}); p.status != http.StatusSeeOther {
			t.Fatalf("assign: %d %s", p.status, p.body)
		}
		ada := ts.mgmt(t, http.MethodGet, "/api/v1/users/ada@example.com", nil).json(t)["id"].(string)
		if ok, err := ts.App.Service.IsAssigned(context.Background(), spaID, ada); err != nil || !ok {
			t.Errorf("not assigned")
		}
		if p := b.consolePost(t, tab, "/admin/apps/"+spaID+"/assignments/people", url.Values{"login": {"ada@example.com"}}); p.status != 400 {
			t.Errorf("assign twice: %d", p.status)
		}
		if p := b.consolePost(t, tab, "/admin/apps/"+spaID+"/assignments/people/"+ada+"/remove", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("unassign: %d %s", p.status, p.body)
		}
		if ok, err := ts.App.Service.IsAssigned(context.Background(), spaID, ada); err != nil || ok {
			t.Errorf("still assigned")
		}

		_, _, svcID := ts.oidcApp(t, "OM service", "service", "client_secret_basic", []string{"client_credentials"}, []string{"token"},
			map[string]any{"redirect_uris": []string{}, "post_logout_redirect_uris": []string{}})
		scopes := b.get(t, ts.Addr+"/admin/apps/"+svcID+"/scopes")
		if scopes.status != 200 || !strings.Contains(scopes.body, "okta.users.read") {
			t.Fatalf("scopes tab: %d", scopes.status)
		}
		for _, s := range []string{"okta.users.read", "okta.users.manage", "okta.clients.read"} {
			if p := b.consolePost(t, scopes, "/admin/apps/"+svcID+"/scopes", url.Values{"scope": {s}}); p.status != http.StatusSeeOther {
				t.Fatalf("grant %s: %d %s", s, p.status, p.body)
			}
		}
		if p := b.consolePost(t, scopes, "/admin/apps/"+svcID+"/scopes", url.Values{"scope": {"okta.nothing.read"}}); p.status != 400 {
			t.Errorf("grant of an unknown scope: %d", p.status)
		}
		grants := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+svcID+"/grants", nil).list(t)
		if len(grants) != 3 {
			t.Fatalf("grants: %v", grants)
		}
		// (A token with these scopes needs private_key_jwt at the org
		// authorization server; the grants themselves are what the tab makes.)
		for _, g := range grants {
			if g["issuer"] != ts.URL || g["source"] != "ADMIN" {
				t.Errorf("grant: %v", g)
			}
		}
		var gid string
		for _, g := range grants {
			if g["scopeId"] == "okta.users.read" {
				gid = g["id"].(string)
			}
		}
		if p := b.consolePost(t, scopes, "/admin/apps/"+svcID+"/scopes/"+gid+"/revoke", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("revoke: %d %s", p.status, p.body)
		}
		if n := len(ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+svcID+"/grants", nil).list(t)); n != 2 {
			t.Errorf("grants after revoke: %d", n)
		}
	})
}

// TestConsoleKeyWarning: the dashboard warns two weeks before a MANUAL
// server's signing key reaches the end of its 90 days and after, and when an
// AUTO server's rotation is overdue; rotating ends the warning.
func TestConsoleKeyWarning(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		start := time.Now().UTC().Truncate(time.Second)
		clock := &fakeClock{t: start}
		ts := consoleServer(t, open(t), WithClock(clock.now))
		a := ts.mgmt(t, http.MethodPost, "/api/v1/authorizationServers", map[string]any{"name": "Manual <b>AS</b>", "audiences": []string{"api://manual"},
			"credentials": map[string]any{"signing": map[string]any{"rotationMode": "MANUAL"}}})
		if a.status != 201 {
			t.Fatalf("create server: %d %s", a.status, a.body)
		}
		manualID := a.json(t)["id"].(string)
		var b *browser
		var dash page
		warned := func(at time.Duration) string {
			t.Helper()
			clock.t = start.Add(at)
			b, dash = consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)
			if dash.status != 200 {
				t.Fatalf("dashboard: %d", dash.status)
			}
			return dash.body
		}
		manualEnd := start.Add(service.AutoRotationPeriod).Format("2006-01-02")
		if body := warned(70 * 24 * time.Hour); strings.Contains(body, "The signing key of") {
			t.Errorf("a warning 20 days before the end")
		}
		body := warned(80 * 24 * time.Hour)
		if !strings.Contains(body, "“Manual &lt;b&gt;AS&lt;/b&gt;” expires on "+manualEnd) || strings.Contains(body, "“default”") {
			t.Errorf("10 days before the end: %s", body)
		}
		body = warned(92 * 24 * time.Hour)
		if !strings.Contains(body, "“Manual &lt;b&gt;AS&lt;/b&gt;” expired on "+manualEnd) ||
			!strings.Contains(body, "“default” was due for automatic rotation on "+manualEnd) {
			t.Errorf("after the end: %s", body)
		}
		// The scheduled work rotates the AUTO server; the MANUAL one is
		// rotated by hand. Then no key warning is left.
		if _, _, err := ts.App.RunScheduled(context.Background(), clock.now()); err != nil {
			t.Fatal(err)
		}
		if p := b.consolePost(t, dash, "/admin/api/servers/"+manualID+"/rotate", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("rotate: %d %s", p.status, p.body)
		}
		if body := warned(92 * 24 * time.Hour); strings.Contains(body, "The signing key of") {
			t.Errorf("a key warning after rotating: %s", body)
		}
	})
}
