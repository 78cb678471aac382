package app

import (
	"context"
	"encoding/json"
	"net/http"
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
