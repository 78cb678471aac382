package app

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	v6 "github.com/okta/okta-sdk-golang/v6/okta"

	"github.com/sesame-idp/sesame/internal/keys"
)

// clientCredentialsStatus asks the default server for a token with a client
// secret and returns the answer's status.
func (ts *testServer) clientCredentialsStatus(t *testing.T, clientID, secret string) int {
	t.Helper()
	return ts.form(t, "/oauth2/default/v1/token", "Basic "+basicSecret(url.QueryEscape(clientID), url.QueryEscape(secret)),
		url.Values{"grant_type": {"client_credentials"}}).status
}

// TestSDKClientSecretRotation rotates a client secret with no downtime
// through the v6 SDK (v5 has no secrets API): a second secret is added, both
// authenticate, the old one is deactivated (and fails) and deleted. The
// limits hold: two secrets at most, the last active one stays, an active
// one cannot be deleted. Nothing but hashes is kept: a list never shows a
// secret.
func TestSDKClientSecretRotation(t *testing.T) {
	sdkSuite(t, func(t *testing.T, c *sdkClients) {
		ctx := context.Background()
		ts := c.ts
		ts.createScope(t, "default", "rotate:test", true)
		_, m6 := oidcAppModels(t, `{"name":"oidc_client","label":"Rotating","signOnMode":"OPENID_CONNECT",
			"credentials":{"oauthClient":{"token_endpoint_auth_method":"client_secret_basic"}},
			"settings":{"oauthClient":{"application_type":"service","grant_types":["client_credentials"],"response_types":["token"]}}}`)
		created, resp, err := c.v6.ApplicationAPI.CreateApplication(ctx).Application(m6).Execute()
		mustSDK(t, "create", http.StatusOK, resp, err)
		app := created.OpenIdConnectApplication
		appID, clientID := app.GetId(), app.Credentials.OauthClient.GetClientId()
		first := app.Credentials.OauthClient.GetClientSecret()
		if first == "" || ts.clientCredentialsStatus(t, clientID, first) != 200 {
			t.Fatal("the first secret does not authenticate")
		}

		api := c.v6.ApplicationSSOPublicKeysAPI
		list, resp, err := api.ListOAuth2ClientSecrets(ctx, appID).Execute()
		mustSDK(t, "list", http.StatusOK, resp, err)
		if len(list) != 1 || list[0].GetStatus() != "ACTIVE" || list[0].HasClientSecret() || list[0].GetSecretHash() == "" {
			t.Fatalf("list %+v", list)
		}
		oldID := list[0].GetId()

		added, resp, err := api.CreateOAuth2ClientSecret(ctx, appID).Execute()
		mustSDK(t, "add a secret", http.StatusCreated, resp, err)
		second := added.GetClientSecret()
		if second == "" || second == first || added.GetStatus() != "ACTIVE" || added.GetId() == oldID {
			t.Fatalf("added %+v", added)
		}
		// Both authenticate while the clients move to the new one.
		if ts.clientCredentialsStatus(t, clientID, first) != 200 || ts.clientCredentialsStatus(t, clientID, second) != 200 {
			t.Fatal("two active secrets do not both authenticate")
		}
		_, resp, err = api.CreateOAuth2ClientSecret(ctx, appID).Execute()
		wantSDKError(t, "a third secret", http.StatusBadRequest, "E0000001", resp, err)

		resp, err = api.DeleteOAuth2ClientSecret(ctx, appID, oldID).Execute()
		wantSDKError(t, "delete an active secret", http.StatusBadRequest, "E0000001", resp, err)
		old, resp, err := api.DeactivateOAuth2ClientSecret(ctx, appID, oldID).Execute()
		mustSDK(t, "deactivate the old secret", http.StatusOK, resp, err)
		if old.GetStatus() != "INACTIVE" {
			t.Fatalf("deactivated %+v", old)
		}
		if ts.clientCredentialsStatus(t, clientID, first) != 401 || ts.clientCredentialsStatus(t, clientID, second) != 200 {
			t.Fatal("after deactivation the old secret must fail and the new one work")
		}
		_, resp, err = api.DeactivateOAuth2ClientSecret(ctx, appID, added.GetId()).Execute()
		wantSDKError(t, "deactivate the last active secret", http.StatusBadRequest, "E0000001", resp, err)
		resp, err = api.DeleteOAuth2ClientSecret(ctx, appID, oldID).Execute()
		mustSDK(t, "delete the old secret", http.StatusNoContent, resp, err)
		_, resp, err = api.GetOAuth2ClientSecret(ctx, appID, oldID).Execute()
		wantSDKError(t, "get a deleted secret", http.StatusNotFound, "E0000007", resp, err)

		// A chosen secret, created inactive, is activated later.
		chosen := "a-chosen-secret-of-enough-length-0123"
		body := v6.NewOAuth2ClientSecretRequestBody()
		body.SetClientSecret(chosen)
		body.SetStatus("INACTIVE")
		third, resp, err := api.CreateOAuth2ClientSecret(ctx, appID).OAuth2ClientSecretRequestBody(*body).Execute()
		mustSDK(t, "add a chosen inactive secret", http.StatusCreated, resp, err)
		if third.GetClientSecret() != chosen || ts.clientCredentialsStatus(t, clientID, chosen) != 401 {
			t.Fatalf("chosen inactive secret %+v", third)
		}
		_, resp, err = api.ActivateOAuth2ClientSecret(ctx, appID, third.GetId()).Execute()
		mustSDK(t, "activate", http.StatusOK, resp, err)
		if ts.clientCredentialsStatus(t, clientID, chosen) != 200 {
			t.Fatal("the activated secret does not authenticate")
		}
		body.SetClientSecret("short")
		body.SetStatus("ACTIVE")
		_, resp, err = api.CreateOAuth2ClientSecret(ctx, "0oaNOSUCHAPP").OAuth2ClientSecretRequestBody(*body).Execute()
		wantSDKError(t, "secret of an unknown app", http.StatusNotFound, "E0000007", resp, err)

		// The stored app carries hashes only: no secret in any answer.
		for _, path := range []string{"/api/v1/apps/" + appID, "/api/v1/apps/" + appID + "/credentials/secrets"} {
			a := ts.mgmt(t, http.MethodGet, path, nil)
			for _, s := range []string{first, second, chosen} {
				if bytes.Contains(a.body, []byte(s)) {
					t.Fatalf("%s shows a secret: %s", path, a.body)
				}
			}
		}
	})
}

// TestSDKAppJWKS rotates a private_key_jwt client's key through the v6 SDK:
// a second key is added inactive (and cannot sign in), activated (and can),
// the first is deactivated and deleted; the last active key stays.
func TestSDKAppJWKS(t *testing.T) {
	sdkSuite(t, func(t *testing.T, c *sdkClients) {
		ctx := context.Background()
		ts := c.ts
		ts.createScope(t, "default", "keys:test", true)
		clientID, keyA, kidA := ts.serviceApp(t, "key-rotation")
		tokenURL := ts.URL + "/oauth2/default/v1/token"
		tokenWith := func(key crypto.Signer, kid string) int {
			return ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"client_credentials"},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
				"client_assertion":      {ts.assertion(t, clientID, key, kid, tokenURL)}}).status
		}
		if tokenWith(keyA, kidA) != 200 {
			t.Fatal("the first key does not authenticate")
		}
		g, err := keys.GenerateSet(keys.GenerateOptions{KID: "key-b", Alg: "RS256", Size: 2048, Use: "sig"})
		if err != nil {
			t.Fatal(err)
		}
		keyB, kidB, err := keys.ParsePrivateKey([]byte(g.PrivateJWK))
		if err != nil {
			t.Fatal(err)
		}
		pubB := generatedPublic(t, g.PublicJWKS)

		api := c.v6.ApplicationSSOPublicKeysAPI
		var req v6.OAuth2ClientJsonSigningKeyRequest
		pubB["status"] = "INACTIVE"
		raw, _ := json.Marshal(pubB)
		if err := json.Unmarshal(raw, &req); err != nil {
			t.Fatal(err)
		}
		added, resp, err := api.AddJwk(ctx, clientID).AddJwkRequest(v6.OAuth2ClientJsonSigningKeyRequestAsAddJwkRequest(&req)).Execute()
		mustSDKKey(t, "add a key", http.StatusCreated, resp, err)
		_ = added
		list, resp, err := api.ListJwk(ctx, clientID).Execute()
		mustSDK(t, "list keys", http.StatusOK, resp, err)
		if len(list.Keys) != 2 {
			t.Fatalf("keys %+v", list)
		}
		var idA, idB string
		for _, k := range ts.listKeys(t, clientID) {
			switch k["kid"] {
			case kidA:
				idA = k["id"].(string)
			case kidB:
				idB = k["id"].(string)
				if k["status"] != "INACTIVE" {
					t.Fatalf("added key %v", k)
				}
			}
		}
		if tokenWith(keyB, kidB) != 401 {
			t.Fatal("an inactive key authenticates")
		}
		_, resp, err = api.ActivateOAuth2ClientJsonWebKey(ctx, clientID, idB).Execute()
		mustSDKKey(t, "activate key b", http.StatusOK, resp, err)
		if tokenWith(keyA, kidA) != 200 || tokenWith(keyB, kidB) != 200 {
			t.Fatal("two active keys do not both authenticate")
		}
		resp, err = api.Deletejwk(ctx, clientID, idA).Execute()
		wantSDKError(t, "delete an active key", http.StatusBadRequest, "E0000001", resp, err)
		_, resp, err = api.DeactivateOAuth2ClientJsonWebKey(ctx, clientID, idA).Execute()
		mustSDKKey(t, "deactivate key a", http.StatusOK, resp, err)
		if tokenWith(keyA, kidA) != 401 {
			t.Fatal("a deactivated key authenticates")
		}
		_, resp, err = api.DeactivateOAuth2ClientJsonWebKey(ctx, clientID, idB).Execute()
		wantSDKError(t, "deactivate the last active key", http.StatusBadRequest, "E0000001", resp, err)
		resp, err = api.Deletejwk(ctx, clientID, idA).Execute()
		mustSDK(t, "delete key a", http.StatusNoContent, resp, err)
		_, resp, err = api.GetJwk(ctx, clientID, idA).Execute()
		wantSDKError(t, "get a deleted key", http.StatusNotFound, "E0000007", resp, err)

		// A private key, or garbage, is refused and changes nothing.
		for name, body := range map[string]string{
			"private key": string(g.PrivateJWK),
			"not a key":   `{"kty":"RSA","kid":"x","n":"AQAB","e":"AQAB"}`,
			"not JSON":    `{"kty":`,
		} {
			a := ts.do(t, http.MethodPost, "/api/v1/apps/"+clientID+"/credentials/jwks", "SSWS "+ts.APIToken, "application/json", []byte(body))
			if a.status != 400 {
				t.Fatalf("%s: %d %s", name, a.status, a.body)
			}
		}
		if n := len(ts.listKeys(t, clientID)); n != 1 {
			t.Fatalf("%d keys after refusals", n)
		}

		// The keys that sign the app's ID tokens are the org server's.
		v5keys, resp5, err := c.v5.ApplicationCredentialsAPI.ListApplicationKeys(ctx, clientID).Execute()
		mustSDK(t, "v5 app signing keys", http.StatusOK, resp5, err)
		v6keys, resp6, err := c.v6.ApplicationSSOCredentialKeyAPI.ListApplicationKeys(ctx, clientID).Execute()
		mustSDK(t, "v6 app signing keys", http.StatusOK, resp6, err)
		org := ts.mgmt(t, http.MethodGet, "/oauth2/v1/keys", nil).json(t)["keys"].([]any)
		if len(v5keys) == 0 || len(v5keys) != len(org) || len(v6keys) != len(org) || v5keys[0].GetKid() != org[0].(map[string]any)["kid"] {
			t.Fatalf("app keys %d/%d, org keys %v", len(v5keys), len(v6keys), org)
		}
	})
}

// mustSDKKey is mustSDK for the v6 calls that answer one client key. Their
// response model is a oneOf of an encryption and a signing key whose members
// overlap, so the SDK reports any RSA key, Okta's own included, as matching
// both; the status and the body (checked through the list) are what count.
func mustSDKKey(t *testing.T, what string, want int, resp *v6.APIResponse, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), "matches more than one schema in oneOf") {
		err = nil
	}
	mustSDK(t, what, want, resp, err)
}

func (ts *testServer) listKeys(t *testing.T, appID string) []map[string]any {
	t.Helper()
	a := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+appID+"/credentials/jwks", nil)
	var out struct {
		Keys []map[string]any `json:"keys"`
	}
	if a.status != 200 || json.Unmarshal(a.body, &out) != nil {
		t.Fatalf("list keys: %d %s", a.status, a.body)
	}
	return out.Keys
}

func generatedPublic(t *testing.T, set []byte) map[string]any {
	t.Helper()
	var s struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(set, &s); err != nil || len(s.Keys) != 1 {
		t.Fatalf("set %s", set)
	}
	return s.Keys[0]
}
