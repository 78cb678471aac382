package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	v5 "github.com/okta/okta-sdk-golang/v5/okta"
	v6 "github.com/okta/okta-sdk-golang/v6/okta"
)

// oidcAppModels builds an OIDC app request in both SDKs' models from the
// JSON a user would write, so that what goes over the wire is what the SDK
// itself marshals from its models.
func oidcAppModels(t *testing.T, body string) (v5.ListApplications200ResponseInner, v6.ListApplications200ResponseInner) {
	t.Helper()
	var a5 v5.OpenIdConnectApplication
	var a6 v6.OpenIdConnectApplication
	if err := json.Unmarshal([]byte(body), &a5); err != nil {
		t.Fatalf("v5 model: %v", err)
	}
	if err := json.Unmarshal([]byte(body), &a6); err != nil {
		t.Fatalf("v6 model: %v", err)
	}
	return v5.OpenIdConnectApplicationAsListApplications200ResponseInner(&a5),
		v6.OpenIdConnectApplicationAsListApplications200ResponseInner(&a6)
}

const sdkSPA = `{"name":"oidc_client","label":"SDK SPA","signOnMode":"OPENID_CONNECT",
 "credentials":{"oauthClient":{"token_endpoint_auth_method":"none"}},
 "settings":{"oauthClient":{"application_type":"browser","grant_types":["authorization_code","refresh_token"],
  "response_types":["code"],"redirect_uris":["http://localhost:3000/callback"],
  "post_logout_redirect_uris":["http://localhost:3000/"],
  "refresh_token":{"rotation_type":"ROTATE","leeway":30}}}}`

// TestSDKAppLifecycle drives an app's whole life through each SDK: create,
// read, list, replace, deactivate, delete, and the 404 after.
func TestSDKAppLifecycle(t *testing.T) {
	sdkSuite(t, func(t *testing.T, c *sdkClients) {
		ctx := context.Background()
		m5, m6 := oidcAppModels(t, sdkSPA)

		t.Run("v5", func(t *testing.T) {
			api := c.v5.ApplicationAPI
			created, resp, err := api.CreateApplication(ctx).Application(m5).Execute()
			mustSDK(t, "create", http.StatusOK, resp, err)
			app := created.OpenIdConnectApplication
			if app == nil || app.GetId() == "" || app.GetStatus() != "ACTIVE" {
				t.Fatalf("create answered %+v", created)
			}
			id := app.GetId()
			oc := app.Settings.GetOauthClient()
			if app.Credentials.OauthClient.GetTokenEndpointAuthMethod() != "none" || !app.Credentials.OauthClient.GetPkceRequired() ||
				oc.GetApplicationType() != "browser" || oc.RefreshToken.GetRotationType() != "ROTATE" {
				t.Fatalf("created app reads back differently: %+v", app)
			}

			got, resp, err := api.GetApplication(ctx, id).Execute()
			mustSDK(t, "get", http.StatusOK, resp, err)
			if got.OpenIdConnectApplication == nil || got.OpenIdConnectApplication.GetLabel() != "SDK SPA" {
				t.Fatalf("get answered %+v", got)
			}

			list, resp, err := api.ListApplications(ctx).Limit(200).Execute()
			mustSDK(t, "list", http.StatusOK, resp, err)
			if !listsApp5(list, id) {
				t.Fatalf("list does not hold %s", id)
			}

			app.SetLabel("SDK SPA renamed")
			replaced, resp, err := api.ReplaceApplication(ctx, id).Application(v5.OpenIdConnectApplicationAsListApplications200ResponseInner(app)).Execute()
			mustSDK(t, "replace", http.StatusOK, resp, err)
			if replaced.OpenIdConnectApplication.GetLabel() != "SDK SPA renamed" {
				t.Fatalf("replace answered %+v", replaced)
			}

			resp, err = api.DeleteApplication(ctx, id).Execute()
			wantSDKError(t, "delete while active", http.StatusForbidden, "E0000056", resp, err)
			resp, err = api.DeactivateApplication(ctx, id).Execute()
			mustSDK(t, "deactivate", http.StatusOK, resp, err)
			resp, err = api.DeleteApplication(ctx, id).Execute()
			mustSDK(t, "delete", http.StatusNoContent, resp, err)
			_, resp, err = api.GetApplication(ctx, id).Execute()
			wantSDKError(t, "get deleted", http.StatusNotFound, "E0000007", resp, err)
		})

		t.Run("v6", func(t *testing.T) {
			api := c.v6.ApplicationAPI
			created, resp, err := api.CreateApplication(ctx).Application(m6).Activate(false).Execute()
			mustSDK(t, "create", http.StatusOK, resp, err)
			app := created.OpenIdConnectApplication
			if app == nil || app.GetStatus() != "INACTIVE" {
				t.Fatalf("create answered %+v", created)
			}
			id := app.GetId()
			oc := app.Settings.GetOauthClient()
			if app.Credentials.OauthClient.GetTokenEndpointAuthMethod() != "none" || oc.GetApplicationType() != "browser" ||
				len(oc.GetRedirectUris()) != 1 || oc.GetRedirectUris()[0] != "http://localhost:3000/callback" {
				t.Fatalf("created app reads back differently: %+v", app)
			}
			resp, err = api.ActivateApplication(ctx, id).Execute()
			mustSDK(t, "activate", http.StatusOK, resp, err)

			got, resp, err := api.GetApplication(ctx, id).Execute()
			mustSDK(t, "get", http.StatusOK, resp, err)
			if got.OpenIdConnectApplication == nil || got.OpenIdConnectApplication.GetStatus() != "ACTIVE" {
				t.Fatalf("get answered %+v", got)
			}
			list, resp, err := api.ListApplications(ctx).Limit(200).Execute()
			mustSDK(t, "list", http.StatusOK, resp, err)
			if !listsApp6(list, id) {
				t.Fatalf("list does not hold %s", id)
			}

			resp, err = api.DeactivateApplication(ctx, id).Execute()
			mustSDK(t, "deactivate", http.StatusOK, resp, err)
			resp, err = api.DeleteApplication(ctx, id).Execute()
			mustSDK(t, "delete", http.StatusNoContent, resp, err)
			_, resp, err = api.GetApplication(ctx, id).Execute()
			wantSDKError(t, "get deleted", http.StatusNotFound, "E0000007", resp, err)
		})
	})
}

func listsApp5(list []v5.ListApplications200ResponseInner, id string) bool {
	for _, a := range list {
		if a.OpenIdConnectApplication != nil && a.OpenIdConnectApplication.GetId() == id {
			return true
		}
	}
	return false
}

func listsApp6(list []v6.ListApplications200ResponseInner, id string) bool {
	for _, a := range list {
		if a.OpenIdConnectApplication != nil && a.OpenIdConnectApplication.GetId() == id {
			return true
		}
	}
	return false
}

// TestSDKAppList drives GET /api/v1/apps the way SDK users and the
// okta_app_oauth data source do: q (a label prefix), filter (status, name,
// user.id, group.id), limit with the next link followed by the SDK, and
// expand=user/{id}; then an app's users with expand=user.
func TestSDKAppList(t *testing.T) {
	sdkSuite(t, func(t *testing.T, c *sdkClients) {
		ctx := context.Background()
		ts := c.ts
		_, _, first := ts.oidcApp(t, "Alpha reports", "web", "client_secret_basic", []string{"authorization_code"}, []string{"code"}, nil)
		_, _, second := ts.oidcApp(t, "alpha billing", "web", "client_secret_basic", []string{"authorization_code"}, []string{"code"}, nil)
		_, _, other := ts.oidcApp(t, "Beta", "web", "client_secret_basic", []string{"authorization_code"}, []string{"code"}, nil)
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+second+"/lifecycle/deactivate", nil); a.status != 200 {
			t.Fatalf("deactivate: %d %s", a.status, a.body)
		}
		user := ts.newUser(t, "lister@example.com")
		ts.assign(t, other, user.ID)
		g := ts.mgmt(t, http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": "Listers"}}).json(t)
		if a := ts.mgmt(t, http.MethodPut, "/api/v1/apps/"+first+"/groups/"+g["id"].(string), map[string]any{}); a.status != 200 {
			t.Fatalf("assign group: %d %s", a.status, a.body)
		}
		ids6 := func(list []v6.ListApplications200ResponseInner) []string {
			var out []string
			for _, a := range list {
				out = append(out, a.OpenIdConnectApplication.GetId())
			}
			return out
		}
		same := func(what string, got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s: %v, want %v", what, got, want)
			}
			for _, w := range want {
				if !slices.Contains(got, w) {
					t.Fatalf("%s: %v, want %v", what, got, want)
				}
			}
		}
		api := c.v6.ApplicationAPI
		list, resp, err := api.ListApplications(ctx).Q("alpha").Execute()
		mustSDK(t, "q", http.StatusOK, resp, err)
		same("q=alpha", ids6(list), first, second)
		list, resp, err = api.ListApplications(ctx).Q("alpha").Filter(`status eq "ACTIVE"`).Limit(1).Execute()
		mustSDK(t, "data source search", http.StatusOK, resp, err)
		same("q=alpha, active, limit 1", ids6(list), first)
		list, resp, err = api.ListApplications(ctx).Filter(`user.id eq "` + user.ID + `"`).Execute()
		mustSDK(t, "user.id", http.StatusOK, resp, err)
		same("user.id", ids6(list), other)
		list, resp, err = api.ListApplications(ctx).Filter(`group.id eq "` + g["id"].(string) + `" or name eq "nothing"`).Execute()
		mustSDK(t, "group.id", http.StatusOK, resp, err)
		same("group.id", ids6(list), first)

		// Pages of one, followed through the Link header by the SDK itself.
		var walked []string
		list, resp, err = api.ListApplications(ctx).Limit(1).Execute()
		for pages := 0; ; pages++ {
			mustSDK(t, "page", http.StatusOK, resp, err)
			walked = append(walked, ids6(list)...)
			if !resp.HasNextPage() || pages > 10 {
				break
			}
			list = nil
			resp, err = resp.Next(&list)
		}
		same("walked", walked, first, second, other)

		// v5 reads the same list, and the user embedded by expand.
		l5, resp5, err := c.v5.ApplicationAPI.ListApplications(ctx).Expand("user/" + user.ID).Execute()
		mustSDK(t, "v5 expand", http.StatusOK, resp5, err)
		if len(l5) != 3 {
			t.Fatalf("v5 list %d apps", len(l5))
		}
		a := ts.mgmt(t, http.MethodGet, "/api/v1/apps?expand=user/"+user.ID+"&filter="+url.QueryEscape(`user.id eq "`+user.ID+`"`), nil)
		if a.status != 200 || !strings.Contains(string(a.body), `"_embedded":{"user":{"id":"`+user.ID+`"`) {
			t.Fatalf("expand user: %d %s", a.status, a.body)
		}

		users, resp, err := c.v6.ApplicationUsersAPI.ListApplicationUsers(ctx, other).Expand("user").Execute()
		mustSDK(t, "app users expand=user", http.StatusOK, resp, err)
		if len(users) != 1 || users[0].GetId() != user.ID || users[0].Embedded == nil {
			t.Fatalf("app users %+v", users)
		}
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+other+"/users?expand=user", nil); !strings.Contains(string(a.body), `"login":"lister@example.com"`) {
			t.Fatalf("embedded user: %s", a.body)
		}

		// Refusals: Okta's error codes, nothing listed.
		for q, code := range map[string]string{
			"filter=" + url.QueryEscape(`label eq "x"`):  "E0000094",
			"filter=" + url.QueryEscape(`status sw "A"`): "E0000094",
			"filter=" + url.QueryEscape(`status eq`):     "E0000031",
			"expand=groups":                              "E0000031",
			"limit=0":                                    "E0000001",
		} {
			a := ts.mgmt(t, http.MethodGet, "/api/v1/apps?"+q, nil)
			if a.status != 400 || a.json(t)["errorCode"] != code {
				t.Errorf("%s: %d %s", q, a.status, a.body)
			}
		}
	})
}
