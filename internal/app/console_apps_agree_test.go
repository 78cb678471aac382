package app

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// consoleError is the error box of a console page: the summary and causes.
var (
	consoleErrorBox   = regexp.MustCompile(`(?s)<div class="error" role="alert"><p>(.*?)</p>(.*?)</div>`)
	consoleErrorCause = regexp.MustCompile(`<li>(.*?)</li>`)
)

func consoleRefusal(t *testing.T, p page) (summary string, causes []string) {
	t.Helper()
	m := consoleErrorBox.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no error shown: %d\n%s", p.status, p.body)
	}
	for _, c := range consoleErrorCause.FindAllStringSubmatch(m[2], -1) {
		causes = append(causes, html.UnescapeString(c[1]))
	}
	return html.UnescapeString(m[1]), causes
}

func apiRefusal(t *testing.T, a answer) (summary string, causes []string) {
	t.Helper()
	if a.errorCode(t, http.StatusBadRequest) != "E0000001" {
		t.Fatalf("not E0000001: %s", a.body)
	}
	m := a.json(t)
	for _, c := range m["errorCauses"].([]any) {
		causes = append(causes, c.(map[string]any)["errorSummary"].(string))
	}
	return m["errorSummary"].(string), causes
}

// TestConsoleAndAPIRefuseAppsAlike: an app the rules refuse is refused by
// the console's forms and by the Apps API with the same summary and the same
// causes, and neither stores anything. Both reach the one validation in
// service.CreateApp and UpdateApp. The cases are those the console's form
// can express: it offers only the grant types of the chosen application
// type, so an unknown grant or client_credentials for a single-page app is
// never sent by it (the service's own tests cover those).
func TestConsoleAndAPIRefuseAppsAlike(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := consoleServer(t, open(t))
		b, _ := consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)
		appCount := func() int { return len(ts.mgmt(t, http.MethodGet, "/api/v1/apps", nil).list(t)) }

		// form is what the wizard posts; settings is the settings.oauthClient
		// the console builds from it, sent to the API as it is.
		tests := []struct {
			name, typ, auth string
			form            url.Values
			settings        map[string]any
			want            string
		}{
			{"redirect URI with a fragment", "web", "client_secret_basic",
				url.Values{"label": {"Fragment"}, "grant_types": {"authorization_code"}, "redirect_uris": {"https://app.example.com/cb#top"}},
				map[string]any{"grant_types": []string{"authorization_code"}, "response_types": []string{"code"},
					"redirect_uris": []string{"https://app.example.com/cb#top"}, "post_logout_redirect_uris": []string{}},
				"redirect_uris: 'https://app.example.com/cb#top' must not contain a fragment."},
			{"single-page app with a custom scheme", "browser", "none",
				url.Values{"label": {"Scheme"}, "grant_types": {"authorization_code"}, "redirect_uris": {"com.example.app:/cb"}},
				map[string]any{"grant_types": []string{"authorization_code"}, "response_types": []string{"code"},
					"redirect_uris": []string{"com.example.app:/cb"}, "post_logout_redirect_uris": []string{}},
				"redirect_uris: 'com.example.app:/cb' must use https."},
			{"native app with a script scheme and a wildcard logout", "native", "none",
				url.Values{"label": {"Script"}, "grant_types": {"authorization_code"}, "redirect_uris": {"javascript:alert(1)"},
					"post_logout_redirect_uris": {"https://*.example.com/"}},
				map[string]any{"grant_types": []string{"authorization_code"}, "response_types": []string{"code"},
					"redirect_uris": []string{"javascript:alert(1)"}, "post_logout_redirect_uris": []string{"https://*.example.com/"}},
				"redirect_uris: 'javascript:alert(1)' uses the scheme 'javascript', which is not allowed."},
			{"web app without redirect URIs or label", "web", "client_secret_basic",
				url.Values{"label": {""}, "grant_types": {"authorization_code", "implicit"}, "implicit_token": {"1"}},
				map[string]any{"grant_types": []string{"authorization_code", "implicit"}, "response_types": []string{"code", "token"},
					"redirect_uris": []string{}, "post_logout_redirect_uris": []string{}},
				"redirect_uris: The field cannot be left blank"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := appCount()
				label := tt.form.Get("label")
				tt.settings["application_type"] = tt.typ
				api := ts.mgmt(t, http.MethodPost, "/api/v1/apps", map[string]any{"name": "oidc_client", "label": label, "signOnMode": "OPENID_CONNECT",
					"credentials": map[string]any{"oauthClient": map[string]any{"token_endpoint_auth_method": tt.auth}},
					"settings":    map[string]any{"oauthClient": tt.settings}})
				apiSummary, apiCauses := apiRefusal(t, api)

				step2 := b.get(t, ts.Addr+"/admin/apps/new/oidc?type="+tt.typ)
				tt.form.Set("type", tt.typ)
				tt.form.Set("access", "skip")
				p := b.consolePost(t, step2, "/admin/apps", tt.form)
				if p.status != http.StatusBadRequest {
					t.Fatalf("console: %d", p.status)
				}
				summary, causes := consoleRefusal(t, p)
				if summary != apiSummary || !slices.Equal(causes, apiCauses) {
					t.Fatalf("console says %q %q\nAPI says %q %q", summary, causes, apiSummary, apiCauses)
				}
				if !slices.Contains(causes, tt.want) {
					t.Errorf("causes %q lack %q", causes, tt.want)
				}
				if n := appCount(); n != before {
					t.Errorf("%d apps after the refusals, %d before", n, before)
				}
			})
		}

		t.Run("update", func(t *testing.T) {
			created := ts.mgmt(t, http.MethodPost, "/api/v1/apps", map[string]any{"label": "Kept", "settings": map[string]any{"oauthClient": map[string]any{
				"application_type": "web", "grant_types": []string{"authorization_code"}, "redirect_uris": []string{"https://kept.example.com/cb"}}}})
			if created.status != http.StatusOK {
				t.Fatalf("create: %d %s", created.status, created.body)
			}
			app := created.json(t)
			id := app["id"].(string)
			oc := app["settings"].(map[string]any)["oauthClient"].(map[string]any)
			oc["redirect_uris"] = []string{"https://kept.example.com/cb#x", "http://kept.example.com/other"}
			apiSummary, apiCauses := apiRefusal(t, ts.mgmt(t, http.MethodPut, "/api/v1/apps/"+id, app))

			general := b.get(t, ts.Addr+"/admin/apps/"+id)
			p := b.consolePost(t, general, "/admin/apps/"+id+"/general", url.Values{"label": {"Kept"}, "grant_types": {"authorization_code"},
				"redirect_uris": {"https://kept.example.com/cb#x\r\nhttp://kept.example.com/other"}})
			if p.status != http.StatusBadRequest {
				t.Fatalf("console: %d", p.status)
			}
			summary, causes := consoleRefusal(t, p)
			if summary != apiSummary || !slices.Equal(causes, apiCauses) || len(causes) != 1 {
				t.Fatalf("console says %q %q\nAPI says %q %q", summary, causes, apiSummary, apiCauses)
			}
			got := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+id, nil).json(t)
			if uris := got["settings"].(map[string]any)["oauthClient"].(map[string]any)["redirect_uris"].([]any); len(uris) != 1 || uris[0] != "https://kept.example.com/cb" {
				t.Errorf("redirect URIs after the refusals: %v", uris)
			}
		})
	})
}
