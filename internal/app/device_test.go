package app

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/sesame-idp/sesame/internal/store"
)

const grantDevice = "urn:ietf:params:oauth:grant-type:device_code"

// TestDeviceAuthorization drives RFC 8628 end to end: a device asks for a
// code, polls (pending, then slow_down when too fast), a person signs in on
// the verification page, enters the code and approves; the next poll gets
// tokens (the ID token verified by go-oidc), once. A denied code is
// access_denied; unknown codes and unassigned people are refused.
func TestDeviceAuthorization(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		ts.newUser(t, "eve@example.com")
		tv, _, tvApp := ts.oidcApp(t, "TV", "native", "none", []string{"authorization_code", grantDevice, "refresh_token"}, []string{"code"}, nil)
		ts.assign(t, tvApp, user.ID)
		start := func() map[string]any {
			a := ts.form(t, "/oauth2/default/v1/device/authorize", "", url.Values{"client_id": {tv}, "scope": {"openid profile offline_access"}})
			if a.status != 200 {
				t.Fatalf("device/authorize: %d %s", a.status, a.body)
			}
			return a.json(t)
		}
		poll := func(code string) answer {
			return ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {grantDevice}, "client_id": {tv}, "device_code": {code}})
		}
		d := start()
		userCode := d["user_code"].(string)
		if !regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{8}$`).MatchString(userCode) || d["verification_uri"] != ts.URL+"/activate" ||
			d["verification_uri_complete"] != ts.URL+"/activate?user_code="+userCode || d["expires_in"] != float64(600) || d["interval"] != float64(5) {
			t.Fatalf("device/authorize answer %v", d)
		}
		device := d["device_code"].(string)
		wantOAuth(t, "first poll", poll(device), 400, "authorization_pending", "The device authorization is pending. Please try again later.")
		wantOAuth(t, "poll too fast", poll(device), 400, "slow_down", "The client is polling too frequently; slow down.")

		// The person: not signed in → the sign-in page, then the code.
		b := newBrowser(t, ts)
		p := b.follow(t, b.get(t, ts.Addr+"/activate?user_code="+strings.ToLower(userCode)))
		p = b.follow(t, b.submitLogin(t, p, "ada@example.com", "Correct-Horse-42"))
		if p.status != 200 || !strings.Contains(p.body, "TV") || !strings.Contains(p.body, `id="device-approve"`) {
			t.Fatalf("activation page: %d %s", p.status, p.body)
		}
		p = b.post(t, ts.Addr+"/activate", url.Values{"csrf": {field(t, csrfField, p.body)}, "user_code": {userCode}, "decision": {"approve"}})
		if p.status != 200 || !strings.Contains(p.body, `id="device-done"`) {
			t.Fatalf("approve: %d %s", p.status, p.body)
		}
		a := poll(device)
		if a.status != 200 {
			t.Fatalf("poll after approval: %d %s", a.status, a.body)
		}
		tok := a.json(t)
		ctx := oidc.ClientContext(context.Background(), ts.HTTP)
		provider, err := oidc.NewProvider(ctx, ts.URL+"/oauth2/default")
		if err != nil {
			t.Fatal(err)
		}
		idt, err := provider.Verifier(&oidc.Config{ClientID: tv}).Verify(ctx, tok["id_token"].(string))
		if err != nil || idt.Subject != user.ID || tok["refresh_token"] == nil || tok["scope"] != "openid profile offline_access" {
			t.Fatalf("device tokens: %v %v", err, tok)
		}
		wantOAuth(t, "second redemption", poll(device), 400, "invalid_grant", "The device code is invalid or has expired.")
		// The code is spent on the page too.
		p = b.get(t, ts.Addr+"/activate?user_code="+userCode)
		if p.status != 400 || !strings.Contains(p.body, "not valid") {
			t.Fatalf("a used user code: %d", p.status)
		}

		// Denied.
		d = start()
		p = b.get(t, ts.Addr+"/activate?user_code="+d["user_code"].(string))
		b.post(t, ts.Addr+"/activate", url.Values{"csrf": {field(t, csrfField, p.body)}, "user_code": {d["user_code"].(string)}, "decision": {"deny"}})
		wantOAuth(t, "denied", poll(d["device_code"].(string)), 400, "access_denied", "The resource owner denied the request.")

		// An unassigned person cannot approve.
		d = start()
		eve := newBrowser(t, ts)
		p = eve.follow(t, eve.get(t, ts.Addr+"/activate?user_code="+d["user_code"].(string)))
		p = eve.follow(t, eve.submitLogin(t, p, "eve@example.com", "Correct-Horse-42"))
		p = eve.post(t, ts.Addr+"/activate", url.Values{"csrf": {field(t, csrfField, p.body)}, "user_code": {d["user_code"].(string)}, "decision": {"approve"}})
		if p.status != 403 || !strings.Contains(p.body, "not assigned") {
			t.Fatalf("unassigned approval: %d %s", p.status, p.body)
		}
		// The code's first poll: still pending, the refusal recorded nothing.
		wantOAuth(t, "poll after a refused approval", poll(d["device_code"].(string)), 400, "authorization_pending",
			"The device authorization is pending. Please try again later.")

		wantOAuth(t, "unknown device code", poll("nope"), 400, "invalid_grant", "The device code is invalid or has expired.")
		p = b.get(t, ts.Addr+"/activate?user_code=BCDFGHJK")
		if p.status != 400 {
			t.Fatalf("unknown user code: %d", p.status)
		}
		// A client without the grant cannot start one.
		web, sec, _ := ts.oidcApp(t, "Web", "web", "client_secret_basic", []string{"authorization_code"}, []string{"code"}, nil)
		a = ts.form(t, "/oauth2/default/v1/device/authorize", "Basic "+basicSecret(web, sec), url.Values{"scope": {"openid"}})
		wantOAuth(t, "no device grant", a, 400, "unauthorized_client", "The client is not authorized to use the provided grant type. Configured grant types: [authorization_code].")
	})
}

func basicSecret(id, secret string) string { return basic(id + ":" + secret) }

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
