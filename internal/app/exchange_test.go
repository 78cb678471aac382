package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

const grantExchange = "urn:ietf:params:oauth:grant-type:token-exchange"

// TestTokenExchangeRefusals covers what TestTokenExchange leaves out: the
// parameters a request must carry, subject tokens that are not a trusted
// server's live user token (the org server's, expired ones, a deactivated
// user's), public clients, the org server, and a policy whose rule does not
// name the grant.
func TestTokenExchangeRefusals(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		// Codes and tokens age on the app's clock, moved by hand.
		clock := &fakeClock{t: time.Now()}
		ts := startServerWith(t, open(t), WithClock(clock.now))
		age := clock.add
		ada, eve := ts.newUser(t, "ada@example.com"), ts.newUser(t, "eve@example.com")
		native, _, nativeApp := ts.oidcApp(t, "CLI", "native", "none", []string{"authorization_code", "password"}, []string{"code"}, nil)
		ts.assign(t, nativeApp, ada.ID)
		ts.assign(t, nativeApp, eve.ID)
		userToken := func(base, login string) string {
			t.Helper()
			a := ts.form(t, base+"/v1/token", "", url.Values{"grant_type": {"password"}, "client_id": {native},
				"username": {login}, "password": {"Correct-Horse-42"}, "scope": {"openid"}})
			if a.status != 200 {
				t.Fatalf("password grant at %s: %d %s", base, a.status, a.body)
			}
			return a.json(t)["access_token"].(string)
		}

		srv := ts.create(t, "/api/v1/authorizationServers", map[string]any{"name": "Reports API", "audiences": []string{"api://reports"}, "issuerMode": "ORG_URL"})
		sid := srv["id"].(string)
		ts.createScope(t, sid, "reports:read", true)
		ts.createScope(t, sid, "reports:write", false)
		if r := ts.mgmt(t, http.MethodPost, "/api/v1/authorizationServers/"+sid+"/associatedServers", map[string]any{"trusted": []string{"default"}}); r.status != 201 {
			t.Fatalf("associate: %d %s", r.status, r.body)
		}
		svc, sec, _ := ts.oidcApp(t, "Gateway", "service", "client_secret_basic", []string{"client_credentials", grantExchange}, []string{"token"}, nil)
		pol := ts.create(t, "/api/v1/authorizationServers/"+sid+"/policies", map[string]any{"type": "OAUTH_AUTHORIZATION_POLICY", "name": "Gateway",
			"priority": 1, "conditions": map[string]any{"clients": map[string]any{"include": []string{"ALL_CLIENTS"}}}})
		rules := "/api/v1/authorizationServers/" + sid + "/policies/" + pol["id"].(string) + "/rules"
		rule := func(grants ...string) map[string]any {
			return map[string]any{"type": "RESOURCE_ACCESS", "name": "Exchange", "priority": 1,
				"conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{"EVERYONE"}}},
					"grantTypes": map[string]any{"include": grants}, "scopes": map[string]any{"include": []string{"reports:read"}}},
				"actions": map[string]any{"token": map[string]any{"accessTokenLifetimeMinutes": 30}}}
		}
		r := ts.create(t, rules, rule(grantExchange))

		auth := "Basic " + basicSecret(svc, sec)
		subject := userToken("/oauth2/default", "ada@example.com")
		good := func(mod func(url.Values)) url.Values {
			v := url.Values{"grant_type": {grantExchange}, "subject_token": {subject}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
				"audience": {"api://reports"}}
			if mod != nil {
				mod(v)
			}
			return v
		}
		exchange := func(auth string, v url.Values) answer { return ts.form(t, "/oauth2/"+sid+"/v1/token", auth, v) }

		// Without scope: the server's default scopes, as far as the rule allows.
		a := exchange(auth, good(nil))
		if a.status != 200 {
			t.Fatalf("exchange: %d %s", a.status, a.body)
		}
		m := a.json(t)
		c := decodeClaims(t, m["access_token"].(string))
		if m["scope"] != "reports:read" || m["expires_in"] != float64(1800) || m["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" ||
			m["id_token"] != nil || m["refresh_token"] != nil || c["uid"] != ada.ID || c["sub"] != "ada@example.com" || c["cid"] != svc {
			t.Fatalf("exchanged %v, claims %v", m, c)
		}
		// The exchanged token is one of this server's: introspection says so.
		in := ts.form(t, "/oauth2/"+sid+"/v1/introspect", auth, url.Values{"token": {m["access_token"].(string)}})
		if in.status != 200 || in.json(t)["active"] != true || in.json(t)["uid"] != ada.ID {
			t.Fatalf("introspect exchanged token: %d %s", in.status, in.body)
		}

		cases := []struct {
			name       string
			v          url.Values
			status     int
			code, desc string
		}{
			{"no subject_token", good(func(v url.Values) { v.Del("subject_token") }), 400, "invalid_request", "The 'subject_token' parameter is required."},
			{"id_token as subject type", good(func(v url.Values) { v.Set("subject_token_type", "urn:ietf:params:oauth:token-type:id_token") }), 400, "invalid_request",
				"The 'subject_token_type' parameter must be urn:ietf:params:oauth:token-type:access_token."},
			{"no audience", good(func(v url.Values) { v.Del("audience") }), 400, "invalid_request", "The 'audience' parameter is required."},
			{"the trusted server's audience", good(func(v url.Values) { v.Set("audience", "api://default") }), 400, "invalid_target",
				"The 'audience' parameter does not name this authorization server's audience."},
			{"a scope the rule does not allow", good(func(v url.Values) { v.Set("scope", "reports:write") }), 401, "access_denied",
				"Policy evaluation failed for this request, please check the policy configurations."},
			{"an unknown scope", good(func(v url.Values) { v.Set("scope", "reports:delete") }), 400, "invalid_scope",
				"One or more scopes are not configured for the authorization server resource."},
			{"the org server's token", good(func(v url.Values) { v.Set("subject_token", userToken("/oauth2", "ada@example.com")) }), 400, "invalid_grant",
				"The 'subject_token' is invalid or expired."},
			{"an ID token", good(func(v url.Values) {
				a := ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"password"}, "client_id": {native},
					"username": {"ada@example.com"}, "password": {"Correct-Horse-42"}, "scope": {"openid"}})
				v.Set("subject_token", a.json(t)["id_token"].(string))
			}), 400, "invalid_grant", "The 'subject_token' is invalid or expired."},
		}
		for _, tc := range cases {
			wantOAuth(t, tc.name, exchange(auth, tc.v), tc.status, tc.code, tc.desc)
		}

		// The org server has no token exchange.
		wantOAuth(t, "at the org server", ts.form(t, "/oauth2/v1/token", auth, good(nil)), 400, "unsupported_grant_type",
			"The authorization grant type is not supported by the authorization server. Configured grant types: [authorization_code, client_credentials, password, refresh_token, urn:ietf:params:oauth:grant-type:device_code].")
		// A public client may hold the grant but cannot exchange.
		pub, _, _ := ts.oidcApp(t, "Public", "native", "none", []string{"authorization_code", grantExchange}, []string{"code"}, nil)
		wantOAuth(t, "public client", exchange("", good(func(v url.Values) { v.Set("client_id", pub) })), 401, "invalid_client",
			"Token exchange requires a confidential client.")

		// A rule that does not name token exchange.
		if u := ts.mgmt(t, http.MethodPut, rules+"/"+r["id"].(string), rule("client_credentials")); u.status != 200 {
			t.Fatalf("replace rule: %d %s", u.status, u.body)
		}
		wantOAuth(t, "rule without token exchange", exchange(auth, good(nil)), 401, "access_denied",
			"Policy evaluation failed for this request, please check the policy configurations.")
		if u := ts.mgmt(t, http.MethodPut, rules+"/"+r["id"].(string), rule(grantExchange)); u.status != 200 {
			t.Fatalf("replace rule: %d %s", u.status, u.body)
		}

		// A deactivated user's token does not stand for them any more.
		eveToken := userToken("/oauth2/default", "eve@example.com")
		if a := exchange(auth, good(func(v url.Values) { v.Set("subject_token", eveToken) })); a.status != 200 {
			t.Fatalf("exchange for eve: %d %s", a.status, a.body)
		}
		if d := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+eve.ID+"/lifecycle/deactivate", nil); d.status != 200 {
			t.Fatalf("deactivate: %d %s", d.status, d.body)
		}
		wantOAuth(t, "deactivated user", exchange(auth, good(func(v url.Values) { v.Set("subject_token", eveToken) })), 400, "invalid_grant",
			"The 'subject_token' is invalid or expired.")

		// Expired: the default server's tokens live an hour.
		age(61 * time.Minute)
		wantOAuth(t, "expired subject", exchange(auth, good(nil)), 400, "invalid_grant", "The 'subject_token' is invalid or expired.")
	})
}

// TestTokenExchange: a service app exchanges a user's access token from
// another custom server of the org for one of this server, on behalf of
// the same user, when a rule allows token-exchange; refusals otherwise.
func TestTokenExchange(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		native, _, nativeApp := ts.oidcApp(t, "CLI", "native", "none", []string{"authorization_code", "password"}, []string{"code"}, nil)
		ts.assign(t, nativeApp, user.ID)
		subject := ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"password"}, "client_id": {native},
			"username": {"ada@example.com"}, "password": {"Correct-Horse-42"}, "scope": {"openid"}}).json(t)["access_token"].(string)

		// The downstream API's server, with a policy for the service app.
		srv := ts.create(t, "/api/v1/authorizationServers", map[string]any{"name": "Reports API", "audiences": []string{"api://reports"}, "issuerMode": "ORG_URL"})
		sid := srv["id"].(string)
		ts.create(t, "/api/v1/authorizationServers/"+sid+"/scopes", map[string]any{"name": "reports:read", "default": true})
		svc, sec, _ := ts.oidcApp(t, "Gateway", "service", "client_secret_basic", []string{"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"}, []string{"token"}, nil)
		pol := ts.create(t, "/api/v1/authorizationServers/"+sid+"/policies", map[string]any{"type": "OAUTH_AUTHORIZATION_POLICY", "name": "Gateway",
			"priority": 1, "conditions": map[string]any{"clients": map[string]any{"include": []string{svc}}}})
		ts.create(t, "/api/v1/authorizationServers/"+sid+"/policies/"+pol["id"].(string)+"/rules", map[string]any{"type": "RESOURCE_ACCESS", "name": "Exchange",
			"conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{"EVERYONE"}}},
				"grantTypes": map[string]any{"include": []string{"urn:ietf:params:oauth:grant-type:token-exchange"}}, "scopes": map[string]any{"include": []string{"*"}}},
			"actions": map[string]any{"token": map[string]any{"accessTokenLifetimeMinutes": 10}}})
		exchangeWith := func(tok, aud, auth string) answer {
			return ts.form(t, "/oauth2/"+sid+"/v1/token", auth, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"},
				"subject_token": {tok}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}, "audience": {aud}, "scope": {"reports:read"}})
		}
		// Until the default server is trusted, its tokens are not accepted.
		wantOAuth(t, "untrusted issuer", exchangeWith(subject, "api://reports", "Basic "+basicSecret(svc, sec)), 400, "invalid_grant",
			"The 'subject_token' is invalid or expired.")
		assoc := "/api/v1/authorizationServers/" + sid + "/associatedServers"
		if r := ts.mgmt(t, http.MethodPost, assoc, map[string]any{"trusted": []string{"default"}}); r.status != 201 || !strings.Contains(string(r.body), `"id":"default"`) {
			t.Fatalf("associate: %d %s", r.status, r.body)
		}
		wantError(t, "trust itself", ts.mgmt(t, http.MethodPost, assoc, map[string]any{"trusted": []string{sid}}), 400, "E0000001")
		wantError(t, "trust a missing server", ts.mgmt(t, http.MethodPost, assoc, map[string]any{"trusted": []string{"ausnope"}}), 400, "E0000001")
		if l := ts.mgmt(t, http.MethodGet, assoc+"?trusted=true", nil); l.status != 200 || len(l.list(t)) != 1 || l.list(t)[0]["id"] != "default" {
			t.Fatalf("associated servers: %d %s", l.status, l.body)
		}
		a := exchangeWith(subject, "api://reports", "Basic "+basicSecret(svc, sec))
		if a.status != 200 {
			t.Fatalf("exchange: %d %s", a.status, a.body)
		}
		m := a.json(t)
		c := decodeClaims(t, m["access_token"].(string))
		if m["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" || m["refresh_token"] != nil ||
			c["uid"] != user.ID || c["sub"] != "ada@example.com" || c["cid"] != svc || c["aud"] != "api://reports" ||
			c["iss"] != ts.URL+"/oauth2/"+sid || c["exp"].(float64)-c["iat"].(float64) != 600 {
			t.Fatalf("exchanged token %v %v", m, c)
		}

		wantOAuth(t, "wrong audience", exchangeWith(subject, "api://other", "Basic "+basicSecret(svc, sec)), 400, "invalid_target",
			"The 'audience' parameter does not name this authorization server's audience.")
		wantOAuth(t, "garbage subject", exchangeWith("not-a-token", "api://reports", "Basic "+basicSecret(svc, sec)), 400, "invalid_grant",
			"The 'subject_token' is invalid or expired.")
		// A client-credentials token has no user to act for.
		cc := ts.form(t, "/oauth2/"+sid+"/v1/token", "Basic "+basicSecret(svc, sec), url.Values{"grant_type": {"client_credentials"}})
		if cc.status == 200 {
			wantOAuth(t, "subject without a user", exchangeWith(cc.json(t)["access_token"].(string), "api://reports", "Basic "+basicSecret(svc, sec)),
				400, "invalid_grant", "The 'subject_token' is invalid or expired.")
		}
		// Dissociated: refused again; associated back for the rest.
		if r := ts.mgmt(t, http.MethodDelete, assoc+"/default", nil); r.status != 204 {
			t.Fatalf("dissociate: %d %s", r.status, r.body)
		}
		wantOAuth(t, "dissociated issuer", exchangeWith(subject, "api://reports", "Basic "+basicSecret(svc, sec)), 400, "invalid_grant",
			"The 'subject_token' is invalid or expired.")
		wantError(t, "dissociate twice", ts.mgmt(t, http.MethodDelete, assoc+"/default", nil), 404, "E0000007")
		ts.mgmt(t, http.MethodPost, assoc, map[string]any{"trusted": []string{"default"}})
		// Revoked subject tokens do not count.
		if r := ts.form(t, "/oauth2/default/v1/revoke", "", url.Values{"token": {subject}, "client_id": {native}}); r.status != 200 {
			t.Fatalf("revoke: %d", r.status)
		}
		wantOAuth(t, "revoked subject", exchangeWith(subject, "api://reports", "Basic "+basicSecret(svc, sec)), 400, "invalid_grant",
			"The 'subject_token' is invalid or expired.")
		// The default server's policy allows every grant, but this client
		// lacks a rule on a server whose policy names no token exchange.
		subject2 := ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"password"}, "client_id": {native},
			"username": {"ada@example.com"}, "password": {"Correct-Horse-42"}, "scope": {"openid"}}).json(t)["access_token"].(string)
		other, osec, _ := ts.oidcApp(t, "Other", "service", "client_secret_basic", []string{"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"}, []string{"token"}, nil)
		wantOAuth(t, "no matching rule", exchangeWith(subject2, "api://reports", "Basic "+basicSecret(other, osec)), 401, "access_denied",
			"Policy evaluation failed for this request, please check the policy configurations.")
		// A client without the grant.
		plain, psec, _ := ts.oidcApp(t, "Plain", "service", "client_secret_basic", []string{"client_credentials"}, []string{"token"}, nil)
		wantOAuth(t, "client without the grant", exchangeWith(subject2, "api://reports", "Basic "+basicSecret(plain, psec)), 400, "unauthorized_client",
			"The client is not authorized to use the provided grant type. Configured grant types: [client_credentials].")
	})
}
