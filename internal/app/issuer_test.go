package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// TestIssuerModes: ORG_URL servers always issue under the org URL; DYNAMIC
// ones under the URL the request came in by (the org URL or a configured
// alias; an unknown Host falls back to the org URL); CUSTOM_URL ones under
// the first alias. Tokens issued under an alias verify at either name.
func TestIssuerModes(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		sealer, err := keys.NewSealer(secret.RawBytes(32))
		if err != nil {
			t.Fatal(err)
		}
		const alias = "https://idp.alias.test"
		ts := serveReplica(t, open(t), sealer, "", true, func(c *config.Config) { c.URLAliases = []string{alias + "/"} })
		get := func(host, path string) map[string]any {
			t.Helper()
			req, _ := http.NewRequest(http.MethodGet, ts.Addr+path, nil)
			req.Host = host
			resp, err := ts.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &m); err != nil || resp.StatusCode != 200 {
				t.Fatalf("GET %s (Host %s): %d %s", path, host, resp.StatusCode, b)
			}
			return m
		}
		orgHost := strings.TrimPrefix(ts.URL, "http://")
		setMode := func(mode string) {
			t.Helper()
			a := ts.mgmt(t, http.MethodPut, "/api/v1/authorizationServers/default", map[string]any{"name": "default",
				"description": "Default Authorization Server", "audiences": []string{"api://default"}, "issuerMode": mode})
			if a.status != 200 {
				t.Fatalf("set %s: %d %s", mode, a.status, a.body)
			}
		}
		disco := "/oauth2/default/.well-known/openid-configuration"

		if iss := get("idp.alias.test", disco)["issuer"]; iss != ts.URL+"/oauth2/default" {
			t.Errorf("ORG_URL under the alias: issuer %v", iss)
		}
		setMode("DYNAMIC")
		m := get("idp.alias.test", disco)
		if m["issuer"] != alias+"/oauth2/default" || m["token_endpoint"] != alias+"/oauth2/default/v1/token" {
			t.Errorf("DYNAMIC under the alias: %v %v", m["issuer"], m["token_endpoint"])
		}
		if iss := get(orgHost, disco)["issuer"]; iss != ts.URL+"/oauth2/default" {
			t.Errorf("DYNAMIC under the org URL: issuer %v", iss)
		}
		if iss := get("evil.test", disco)["issuer"]; iss != ts.URL+"/oauth2/default" {
			t.Errorf("DYNAMIC under an unknown host: issuer %v", iss)
		}
		if iss := get(orgHost, "/.well-known/openid-configuration")["issuer"]; iss != ts.URL {
			t.Errorf("org server: issuer %v", iss)
		}

		// A token asked for under the alias carries the alias issuer and is
		// accepted by introspection under the org URL.
		ts.createScope(t, "default", "reports", true)
		clientID, key, kid := ts.serviceApp(t, "dyn-bot")
		v := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion": {ts.assertion(t, clientID, key, kid, alias+"/oauth2/default/v1/token")}}
		req, _ := http.NewRequest(http.MethodPost, ts.Addr+"/oauth2/default/v1/token", strings.NewReader(v.Encode()))
		req.Host = "idp.alias.test"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := ts.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var tok map[string]any
		if err := json.Unmarshal(b, &tok); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("token under the alias: %d %s", resp.StatusCode, b)
		}
		at := tok["access_token"].(string)
		if iss := decodeClaims(t, at)["iss"]; iss != alias+"/oauth2/default" {
			t.Errorf("token issued under the alias: iss %v", iss)
		}
		in := ts.form(t, "/oauth2/default/v1/introspect", "", url.Values{"token": {at}, "client_id": {clientID},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {ts.assertion(t, clientID, key, kid, ts.URL+"/oauth2/default/v1/introspect")}})
		if in.status != 200 || in.json(t)["active"] != true {
			t.Errorf("introspect an alias-issued token under the org URL: %d %s", in.status, in.body)
		}

		setMode("CUSTOM_URL")
		if iss := get(orgHost, disco)["issuer"]; iss != alias+"/oauth2/default" {
			t.Errorf("CUSTOM_URL: issuer %v", iss)
		}
		setMode("ORG_URL")
		in = ts.form(t, "/oauth2/default/v1/introspect", "", url.Values{"token": {at}, "client_id": {clientID},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {ts.assertion(t, clientID, key, kid, ts.URL+"/oauth2/default/v1/introspect")}})
		if in.status != 200 || in.json(t)["active"] != false {
			t.Errorf("an alias-issued token after switching to ORG_URL: %d %s", in.status, in.body)
		}
	})
}
