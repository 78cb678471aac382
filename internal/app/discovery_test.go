package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

func TestDiscoveryAndKeys(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		org, def := ts.URL, ts.URL+"/oauth2/default"
		docs := []struct {
			path, issuer, base string
			oidc               bool
		}{
			{"/.well-known/openid-configuration", org, org + "/oauth2", true},
			{"/.well-known/oauth-authorization-server", org, org + "/oauth2", false},
			{"/oauth2/default/.well-known/openid-configuration", def, def, true},
			{"/oauth2/default/.well-known/oauth-authorization-server", def, def, false},
			{"/.well-known/oauth-authorization-server/oauth2/default", def, def, false},
		}
		for _, d := range docs {
			a := ts.do(t, http.MethodGet, d.path, "", "", nil)
			if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
				t.Fatalf("%s: %d %s", d.path, a.status, a.header.Get("Content-Type"))
			}
			m := a.json(t)
			want := map[string]string{
				"issuer": d.issuer, "authorization_endpoint": d.base + "/v1/authorize", "token_endpoint": d.base + "/v1/token",
				"jwks_uri": d.base + "/v1/keys", "introspection_endpoint": d.base + "/v1/introspect",
				"revocation_endpoint": d.base + "/v1/revoke", "end_session_endpoint": d.base + "/v1/logout",
				"registration_endpoint": org + "/oauth2/v1/clients",
			}
			if d.oidc {
				want["userinfo_endpoint"] = d.base + "/v1/userinfo"
			}
			for k, v := range want {
				if m[k] != v {
					t.Errorf("%s: %s = %v, want %s", d.path, k, m[k], v)
				}
			}
			if !hasAll(m["code_challenge_methods_supported"], "S256") || !hasAll(m["token_endpoint_auth_methods_supported"],
				"client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none") {
				t.Errorf("%s: methods %v %v", d.path, m["code_challenge_methods_supported"], m["token_endpoint_auth_methods_supported"])
			}
			if d.oidc && !hasAll(m["scopes_supported"], "openid", "profile", "email", "offline_access") {
				t.Errorf("%s: scopes %v", d.path, m["scopes_supported"])
			}
			if d.oidc && !hasAll(m["id_token_signing_alg_values_supported"], "RS256") {
				t.Errorf("%s: id token algs %v", d.path, m["id_token_signing_alg_values_supported"])
			}
		}
		// The custom server's OAuth document lists client_credentials.
		if m := ts.do(t, http.MethodGet, "/oauth2/default/.well-known/oauth-authorization-server", "", "", nil).json(t); !hasAll(m["grant_types_supported"], "client_credentials") {
			t.Errorf("grant types %v", m["grant_types_supported"])
		}

		// Unknown servers and clients.
		a := ts.do(t, http.MethodGet, "/oauth2/ausNOPE/.well-known/openid-configuration", "", "", nil)
		if m := a.json(t); a.status != 404 || m["errorCode"] != "E0000007" || m["errorSummary"] != "Not found: Resource not found: ausNOPE (AuthorizationServer)" {
			t.Errorf("unknown server: %d %s", a.status, a.body)
		}
		a = ts.do(t, http.MethodGet, "/oauth2/ausNOPE/v1/keys", "", "", nil)
		if a.status != 404 || a.json(t)["errorCode"] != "E0000007" {
			t.Errorf("keys of unknown server: %d %s", a.status, a.body)
		}
		a = ts.do(t, http.MethodGet, "/oauth2/default/.well-known/openid-configuration?client_id=nobody", "", "", nil)
		if m := a.json(t); a.status != 400 || m["errorCode"] != "invalid_client" || m["errorSummary"] != "Invalid value for 'client_id' parameter" {
			t.Errorf("unknown client_id: %d %s", a.status, a.body)
		}
		clientID, _, _ := ts.serviceApp(t, "disc")
		if a := ts.do(t, http.MethodGet, "/oauth2/default/.well-known/openid-configuration?client_id="+clientID, "", "", nil); a.status != 200 {
			t.Errorf("known client_id: %d %s", a.status, a.body)
		}

		// Key sets: every key has kid, alg RS256, use sig; org and default
		// servers have keys of their own.
		kids := map[string]string{}
		for _, p := range []string{"/oauth2/v1/keys", "/oauth2/default/v1/keys"} {
			a := ts.do(t, http.MethodGet, p, "", "", nil)
			var set struct {
				Keys []map[string]any `json:"keys"`
			}
			if err := json.Unmarshal(a.body, &set); err != nil || a.status != 200 || len(set.Keys) == 0 {
				t.Fatalf("%s: %d %s", p, a.status, a.body)
			}
			for _, k := range set.Keys {
				if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || k["kid"] == nil || k["n"] == nil || k["e"] != "AQAB" || k["d"] != nil {
					t.Errorf("%s: key %v", p, k)
				}
				if other, seen := kids[k["kid"].(string)]; seen {
					t.Errorf("kid %v served by %s and %s", k["kid"], other, p)
				}
				kids[k["kid"].(string)] = p
			}
		}

		// CORS for okta-auth-js, which preflights even discovery.
		req, _ := http.NewRequest(http.MethodOptions, ts.URL+"/oauth2/default/.well-known/openid-configuration", nil)
		req.Header.Set("Origin", "http://app.example.com")
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "x-okta-user-agent-extended, content-type")
		resp, err := ts.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "x-okta-user-agent-extended") {
			t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
		}
	})
}
