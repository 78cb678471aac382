package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/keys"
)

// tfAppBody is an okta_app_oauth create or update body as the provider
// builds it (buildAppOAuthV6): every member the provider always sends, and
// the resource's own settings.oauthClient and credentials.oauthClient
// members merged in.
func tfAppBody(t *testing.T, label string, creds, client map[string]any) string {
	t.Helper()
	oc := map[string]any{"autoKeyRotation": true, "pkce_required": false, "token_endpoint_auth_method": "client_secret_basic"}
	for k, v := range creds {
		oc[k] = v
	}
	settings := map[string]any{"consent_method": "TRUSTED", "dpop_bound_access_tokens": false,
		"idp_initiated_login": map[string]any{"default_scope": []string{}, "mode": "DISABLED"}, "issuer_mode": "ORG_URL", "wildcard_redirect": "DISABLED"}
	for k, v := range client {
		settings[k] = v
	}
	b, err := json.Marshal(map[string]any{
		"accessibility": map[string]any{},
		"credentials":   map[string]any{"oauthClient": oc, "userNameTemplate": map[string]any{"template": "${source.login}", "type": "BUILT_IN"}},
		"label":         label, "name": "oidc_client", "signOnMode": "OPENID_CONNECT",
		"settings":   map[string]any{"notes": map[string]any{}, "oauthClient": settings},
		"visibility": map[string]any{"hide": map[string]any{"iOS": true, "web": true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The provider reads the app back; what it wrote must come back as written,
// except client_secret (write-only) and the jwks bookkeeping it ignores.
var tfAppNoEcho = []string{"credentials.oauthClient.client_secret"}

// tfAppLife is the provider's create → read → destroy sequence of an app,
// with the internal ID-token settings call after the create.
func tfAppLife(body string, idToken string, extraReads ...tfStep) []tfStep {
	const app = "/api/v1/apps/{{app}}"
	const idt = "/api/v1/internal/apps/{{app}}/settings/oauth/idToken"
	steps := []tfStep{
		{name: "create", method: "POST", path: "/api/v1/apps?activate=true", body: body, status: 200, echo: true, noEcho: tfAppNoEcho,
			save: map[string]string{"app": "id", "client": "credentials.oauthClient.client_id"}},
		{name: "id token settings", method: "POST", path: idt, body: idToken, status: 200, echo: true},
		{name: "org kind", method: "GET", path: "/.well-known/okta-organization", status: 200, want: map[string]any{"pipeline": "v1"}},
		{name: "read", method: "GET", path: app, status: 200, reads: body, noEcho: tfAppNoEcho},
		{name: "read id token settings", method: "GET", path: idt, status: 200, reads: idToken,
			want: map[string]any{"issuer": "{{org}}", "audience": "{{client}}", "orgUrl": nil, "customUrl": nil}},
	}
	steps = append(steps, extraReads...)
	return append(steps,
		tfStep{name: "deactivate", method: "POST", path: app + "/lifecycle/deactivate", status: 200},
		tfStep{name: "delete", method: "DELETE", path: app, status: 204},
		tfStep{name: "gone", method: "GET", path: app, status: 404, errorCode: "E0000007"},
		tfStep{name: "id token settings gone", method: "GET", path: idt, status: 404, errorCode: "E0000007"},
	)
}

// TestTFAppOAuthSPA replays the single-page app written as the
// provider's examples write it: no token_endpoint_auth_method, so the
// provider sends its default client_secret_basic. Okta keeps it and the
// app is a public client with PKCE; so does Sesame.
func TestTFAppOAuthSPA(t *testing.T) {
	tfSuite(t, func(t *testing.T, ts *testServer) {
		body := tfAppBody(t, "Team SPA", map[string]any{"pkce_required": true}, map[string]any{
			"application_type": "browser", "grant_types": []string{"authorization_code", "refresh_token"},
			"response_types": []string{"code"}, "redirect_uris": []string{"http://app.test/callback"},
			"post_logout_redirect_uris": []string{"http://app.test/"},
			"refresh_token":             map[string]any{"leeway": 30, "rotation_type": "ROTATE"},
		})
		steps := tfAppLife(body, `{"issuerMode":"ORG_URL"}`)
		// Sign a person in with the app before it is destroyed.
		vars := tfReplay(t, ts, nil, steps[:5])
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+vars["app"], nil); strings.Contains(string(a.body), "client_secret\"") {
			t.Fatalf("a public client shows a client secret: %s", a.body)
		}
		user := ts.newUser(t, "spa@example.com")
		ts.assign(t, vars["app"], user.ID)
		b := signedInBrowser(t, ts, "spa@example.com", "Correct-Horse-42")
		verifier, challenge := pkce()
		q := map[string][]string{"client_id": {vars["client"]}, "response_type": {"code"}, "scope": {"openid offline_access"},
			"redirect_uri": {"http://app.test/callback"}, "state": {"s"}, "nonce": {"n"},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		p := b.authorize(t, ts.Addr+"/oauth2/default", q, "", "")
		code := p.location.Query().Get("code")
		if code == "" {
			t.Fatalf("no code: %d %v %s", p.status, p.location, p.body)
		}
		if a := exchange(t, ts, vars["client"], code, "wrong-verifier-wrong-verifier-wrong-verifier-x", "http://app.test/callback"); a.status != 400 {
			t.Fatalf("a wrong verifier was accepted: %d %s", a.status, a.body)
		}
		p = b.authorize(t, ts.Addr+"/oauth2/default", q, "", "")
		a := exchange(t, ts, vars["client"], p.location.Query().Get("code"), verifier, "http://app.test/callback")
		if a.status != 200 || a.json(t)["refresh_token"] == nil {
			t.Fatalf("a public client with PKCE: %d %s", a.status, a.body)
		}
		// Without PKCE the app is refused, as every public client is.
		delete(q, "code_challenge")
		delete(q, "code_challenge_method")
		if p := b.authorize(t, ts.Addr+"/oauth2/default", q, "", ""); p.location == nil || p.location.Query().Get("error") != "invalid_request" {
			t.Fatalf("authorize without PKCE: %d %v", p.status, p.location)
		}
		tfReplay(t, ts, vars, steps[5:])
	})
}

// TestTFAppOAuthWeb replays the provider's recorded web app with its groups
// claim, then the okta_app_oauth data source's reads (a label search with
// a status filter and limit 1, and the app's secrets).
func TestTFAppOAuthWeb(t *testing.T) {
	tfSuite(t, func(t *testing.T, ts *testServer) {
		// Another app whose label sorts first: limit=1&q=… must not find it.
		ts.oidcApp(t, "Another web app", "web", "client_secret_basic", []string{"authorization_code"}, []string{"code"}, nil)
		body := tfAppBody(t, "Team web", nil, map[string]any{
			"application_type": "web", "grant_types": []string{"authorization_code"}, "response_types": []string{"code"},
			"redirect_uris": []string{"https://example.com/callback"}, "frontchannel_logout_uri": "https://example.com/logout",
			"participate_slo": true, "network": map[string]any{"connection": "ANYWHERE"},
		})
		idToken := `{"valueType":"GROUPS","groupFilterType":"REGEX","issuerMode":"ORG_URL","name":"groups","value":".*"}`
		tfReplay(t, ts, nil, tfAppLife(body, idToken,
			tfStep{name: "data source search", method: "GET", path: "/api/v1/apps?filter=status+eq+%22ACTIVE%22&limit=1&q=Team", status: 200,
				want: map[string]any{"0.id": "{{app}}", "0.label": "Team web", "1": nil}},
			tfStep{name: "data source secrets", method: "GET", path: "/api/v1/apps/{{app}}/credentials/secrets", status: 200,
				want: map[string]any{"0.status": "ACTIVE", "0.client_secret": nil, "1": nil}},
		))
	})
}

// TestTFAppOAuthService replays okta_app_oauth service apps with a key set:
// an RSA signing key and an EC key without crv, both as the provider's
// jwks block sends them (no use, no alg, no crv).
func TestTFAppOAuthService(t *testing.T) {
	tfSuite(t, func(t *testing.T, ts *testServer) {
		rsaKey := generatedJWK(t, "RS256", "bot-rsa")
		ecKey := generatedJWK(t, "ES256", "bot-ec")
		for _, k := range []map[string]any{
			{"e": rsaKey["e"], "kid": "bot-rsa", "kty": "RSA", "n": rsaKey["n"], "status": "ACTIVE"},
			{"kid": "bot-ec", "kty": "EC", "status": "ACTIVE", "x": ecKey["x"], "y": ecKey["y"]},
		} {
			body := tfAppBody(t, "Bot "+k["kty"].(string), map[string]any{"token_endpoint_auth_method": "private_key_jwt"}, map[string]any{
				"application_type": "service", "grant_types": []string{"client_credentials"}, "response_types": []string{"token"},
				"jwks": map[string]any{"keys": []any{k}},
			})
			tfReplay(t, ts, nil, tfAppLife(body, `{"issuerMode":"ORG_URL"}`,
				tfStep{name: "key bookkeeping", method: "GET", path: "/api/v1/apps/{{app}}", status: 200,
					want: map[string]any{"settings.oauthClient.jwks.keys.0.status": "ACTIVE", "credentials.oauthClient.client_secret": nil}},
			))
		}
	})
}

// generatedJWK is the public JWK of a key made as `sesame keys generate`
// makes it.
func generatedJWK(t *testing.T, alg, kid string) map[string]any {
	t.Helper()
	g, err := keys.GenerateSet(keys.GenerateOptions{KID: kid, Alg: alg, Size: 2048, Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	return generatedPublic(t, g.PublicJWKS)
}

// TestTFAppOAuthAcceptedAsOkta replays app settings the recordings show Okta
// accepting and keeping: a browser app with client_secret_basic, implicit
// only and wildcard redirect and front-channel logout URIs, and a service
// app with implicit beside client_credentials.
func TestTFAppOAuthAcceptedAsOkta(t *testing.T) {
	tfSuite(t, func(t *testing.T, ts *testServer) {
		spa := tfAppBody(t, "Wildcard SPA", map[string]any{"pkce_required": true}, map[string]any{
			"application_type": "browser", "grant_types": []string{"implicit"}, "response_types": []string{"token", "id_token"},
			"redirect_uris": []string{"https://*.example.com/callback"}, "wildcard_redirect": "SUBDOMAIN",
			"frontchannel_logout_uri": "https://*.example.com/logout", "frontchannel_logout_session_required": true,
			"participate_slo": true, "network": map[string]any{"connection": "ANYWHERE"},
		})
		tfReplay(t, ts, nil, tfAppLife(spa, `{"issuerMode":"ORG_URL"}`))
		svc := tfAppBody(t, "Service with implicit", nil, map[string]any{
			"application_type": "service", "grant_types": []string{"implicit", "client_credentials"}, "response_types": []string{"token"},
			"redirect_uris": []string{"http://test.com"},
		})
		tfReplay(t, ts, nil, tfAppLife(svc, `{"issuerMode":"ORG_URL"}`))
		// What Okta refuses stays refused: a wildcard without SUBDOMAIN.
		bad := strings.Replace(spa, `"wildcard_redirect":"SUBDOMAIN"`, `"wildcard_redirect":"DISABLED"`, 1)
		tfReplay(t, ts, nil, []tfStep{{name: "wildcard without SUBDOMAIN", method: "POST", path: "/api/v1/apps", body: bad, status: 400, errorCode: "E0000001"}})
	})
}
