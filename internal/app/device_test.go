package app

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// TestDeviceAuthorizationOrgServer runs the device flow on the org server:
// scopes are required there, and the ID token is the org's.
func TestDeviceAuthorizationOrgServer(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		tv, _, tvApp := ts.oidcApp(t, "TV", "native", "none", []string{"authorization_code", grantDevice}, []string{"code"}, nil)
		ts.assign(t, tvApp, user.ID)
		start := func(v url.Values) answer { return ts.form(t, "/oauth2/v1/device/authorize", "", v) }

		wantOAuth(t, "org server without scope", start(url.Values{"client_id": {tv}}), 400, "invalid_scope", "No scopes were requested.")
		wantOAuth(t, "org server, a custom scope", start(url.Values{"client_id": {tv}, "scope": {"openid tv:watch"}}), 400, "invalid_scope",
			"One or more scopes are not configured for the authorization server resource.")
		wantOAuth(t, "unknown client", start(url.Values{"client_id": {"0oanosuch"}, "scope": {"openid"}}), 401, "invalid_client",
			"Invalid value for 'client_id' parameter.")

		a := start(url.Values{"client_id": {tv}, "scope": {"openid email"}})
		if a.status != 200 || a.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("device/authorize: %d %v %s", a.status, a.header, a.body)
		}
		d := a.json(t)
		b := signedInBrowser(t, ts, "ada@example.com", "Correct-Horse-42")
		// Typed by hand: lower case with a dash in the middle still counts.
		uc := d["user_code"].(string)
		p := b.post(t, ts.Addr+"/activate", url.Values{"csrf": {field(t, csrfField, b.get(t, ts.Addr+"/activate").body)},
			"user_code": {strings.ToLower(uc[:4] + "-" + uc[4:])}, "decision": {"next"}})
		if p.status != 200 || !strings.Contains(p.body, `id="device-approve"`) || !strings.Contains(p.body, "<li>email</li>") {
			t.Fatalf("confirmation page: %d %s", p.status, p.body)
		}
		p = b.post(t, ts.Addr+"/activate", url.Values{"csrf": {field(t, csrfField, p.body)}, "user_code": {uc}, "decision": {"approve"}})
		if p.status != 200 || !strings.Contains(p.body, `id="device-done"`) {
			t.Fatalf("approve: %d %s", p.status, p.body)
		}
		tok := ts.form(t, "/oauth2/v1/token", "", url.Values{"grant_type": {grantDevice}, "client_id": {tv}, "device_code": {d["device_code"].(string)}})
		if tok.status != 200 {
			t.Fatalf("poll: %d %s", tok.status, tok.body)
		}
		m := tok.json(t)
		ctx := oidc.ClientContext(context.Background(), ts.HTTP)
		provider, err := oidc.NewProvider(ctx, ts.URL)
		if err != nil {
			t.Fatal(err)
		}
		idt, err := provider.Verifier(&oidc.Config{ClientID: tv}).Verify(ctx, m["id_token"].(string))
		if err != nil || idt.Subject != user.ID || m["scope"] != "openid email" || m["refresh_token"] != nil {
			t.Fatalf("org device tokens: %v %v", err, m)
		}
		var claims struct {
			Email string `json:"email"`
		}
		if err := idt.Claims(&claims); err != nil || claims.Email != "ada@example.com" {
			t.Fatalf("ID token email %q: %v", claims.Email, err)
		}
		if c := decodeClaims(t, m["access_token"].(string)); c["iss"] != ts.URL || c["uid"] != user.ID || c["cid"] != tv {
			t.Fatalf("org access token %v", c)
		}
	})
}

// TestDeviceAuthorizationRefusals: codes that expired, belong to another
// client or server, decisions without CSRF or made twice, scopes and
// policies that do not allow the request.
func TestDeviceAuthorizationRefusals(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		// Codes and tokens age on the app's clock, moved by hand.
		clock := &fakeClock{t: time.Now()}
		ts := startServerWith(t, open(t), WithClock(clock.now))
		age := clock.add
		user := ts.newUser(t, "ada@example.com")
		tv, _, tvApp := ts.oidcApp(t, "TV", "native", "none", []string{"authorization_code", grantDevice}, []string{"code"}, nil)
		ts.assign(t, tvApp, user.ID)
		box, boxSecret, boxApp := ts.oidcApp(t, "Set-top box", "web", "client_secret_basic", []string{"authorization_code", grantDevice}, []string{"code"}, nil)
		ts.assign(t, boxApp, user.ID)
		start := func(server, auth string, v url.Values) map[string]any {
			t.Helper()
			a := ts.form(t, "/oauth2/"+server+"/v1/device/authorize", auth, v)
			if a.status != 200 {
				t.Fatalf("device/authorize: %d %s", a.status, a.body)
			}
			return a.json(t)
		}
		poll := func(server, client, code string) answer {
			return ts.form(t, "/oauth2/"+server+"/v1/token", "", url.Values{"grant_type": {grantDevice}, "client_id": {client}, "device_code": {code}})
		}
		b := signedInBrowser(t, ts, "ada@example.com", "Correct-Horse-42")
		decide := func(userCode, decision string) page {
			t.Helper()
			p := b.get(t, ts.Addr+"/activate?user_code="+userCode)
			return b.post(t, ts.Addr+"/activate", url.Values{"csrf": {field(t, csrfField, p.body)}, "user_code": {userCode}, "decision": {decision}})
		}

		// Scopes: the default server has no default scopes until one is made.
		a := ts.form(t, "/oauth2/default/v1/device/authorize", "", url.Values{"client_id": {tv}})
		wantOAuth(t, "no scope, no default scopes", a, 400, "invalid_scope",
			"The authorization server resource does not have any configured default scopes, 'scope' must be provided.")
		a = ts.form(t, "/oauth2/default/v1/device/authorize", "", url.Values{"client_id": {tv}, "scope": {"openid tv:watch"}})
		wantOAuth(t, "unknown scope", a, 400, "invalid_scope", "One or more scopes are not configured for the authorization server resource.")
		a = ts.form(t, "/oauth2/default/v1/device/authorize", "Basic "+basicSecret(box, "wrong"), url.Values{"scope": {"openid"}})
		wantOAuth(t, "confidential client, wrong secret", a, 401, "invalid_client", "The client secret supplied for a confidential client is invalid.")

		// A confidential client authenticates when it polls too.
		d := start("default", "Basic "+basicSecret(box, boxSecret), url.Values{"scope": {"openid"}})
		wantOAuth(t, "confidential poll without the secret", poll("default", box, d["device_code"].(string)), 401, "invalid_client",
			"Client authentication failed. Either the client or the client credentials are invalid.")
		a = ts.form(t, "/oauth2/default/v1/token", "Basic "+basicSecret(box, boxSecret), url.Values{"grant_type": {grantDevice}, "device_code": {d["device_code"].(string)}})
		wantOAuth(t, "confidential poll", a, 400, "authorization_pending", "The device authorization is pending. Please try again later.")
		wantOAuth(t, "poll by another client", poll("default", tv, d["device_code"].(string)), 400, "invalid_grant",
			"The device code is invalid or has expired.")

		// Without the CSRF token nothing is decided.
		d = start("default", "", url.Values{"client_id": {tv}, "scope": {"openid"}})
		device, userCode := d["device_code"].(string), d["user_code"].(string)
		p := b.post(t, ts.Addr+"/activate", url.Values{"user_code": {userCode}, "decision": {"approve"}})
		if p.status != 403 {
			t.Fatalf("approval without CSRF: %d %s", p.status, p.body)
		}
		wantOAuth(t, "after a forged approval", poll("default", tv, device), 400, "authorization_pending",
			"The device authorization is pending. Please try again later.")
		// Another server's token endpoint does not know the code.
		wantOAuth(t, "poll at the org server", poll("", tv, device), 400, "invalid_grant", "The device code is invalid or has expired.")
		// A decision is made once.
		if p := decide(userCode, "deny"); p.status != 200 || !strings.Contains(p.body, "You denied") {
			t.Fatalf("deny: %d %s", p.status, p.body)
		}
		p = b.post(t, ts.Addr+"/activate", url.Values{"csrf": {field(t, csrfField, p.body)}, "user_code": {userCode}, "decision": {"approve"}})
		if p.status != 400 || !strings.Contains(p.body, "not valid") {
			t.Fatalf("approval after a denial: %d %s", p.status, p.body)
		}
		wantOAuth(t, "denied", poll("default", tv, device), 400, "access_denied", "The resource owner denied the request.")
		wantOAuth(t, "after the denial was told", poll("default", tv, device), 400, "invalid_grant", "The device code is invalid or has expired.")

		// Expired: the device hears expired_token, the page refuses the code.
		d = start("default", "", url.Values{"client_id": {tv}, "scope": {"openid"}})
		age(601 * time.Second)
		wantOAuth(t, "expired", poll("default", tv, d["device_code"].(string)), 400, "expired_token", "The device code has expired.")
		if p := b.get(t, ts.Addr+"/activate?user_code="+d["user_code"].(string)); p.status != 400 || !strings.Contains(p.body, "not valid") {
			t.Fatalf("expired user code on the page: %d %s", p.status, p.body)
		}
		wantOAuth(t, "garbage device code", poll("default", tv, strings.Repeat("x", 300)), 400, "invalid_grant", "The device code is invalid or has expired.")

		// A server whose rule does not allow the device grant: the person
		// is told at approval and the device keeps waiting; once the rule
		// allows it, its lifetime and the server's default scope apply.
		srv := ts.create(t, "/api/v1/authorizationServers", map[string]any{"name": "Living room", "audiences": []string{"api://tv"}, "issuerMode": "ORG_URL"})
		sid := srv["id"].(string)
		ts.createScope(t, sid, "tv:watch", true)
		pol := ts.create(t, "/api/v1/authorizationServers/"+sid+"/policies", map[string]any{"type": "OAUTH_AUTHORIZATION_POLICY", "name": "TV",
			"priority": 1, "conditions": map[string]any{"clients": map[string]any{"include": []string{"ALL_CLIENTS"}}}})
		rules := "/api/v1/authorizationServers/" + sid + "/policies/" + pol["id"].(string) + "/rules"
		rule := func(grants ...string) map[string]any {
			return map[string]any{"type": "RESOURCE_ACCESS", "name": "Watch", "priority": 1,
				"conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{"EVERYONE"}}},
					"grantTypes": map[string]any{"include": grants}, "scopes": map[string]any{"include": []string{"*"}}},
				"actions": map[string]any{"token": map[string]any{"accessTokenLifetimeMinutes": 15}}}
		}
		r := ts.create(t, rules, rule("authorization_code"))
		d = start(sid, "", url.Values{"client_id": {tv}})
		if p := decide(d["user_code"].(string), "approve"); p.status != 403 || !strings.Contains(p.body, "Policy evaluation failed") {
			t.Fatalf("approval the policy refuses: %d %s", p.status, p.body)
		}
		age(10 * time.Second) // past the polling interval
		wantOAuth(t, "after a refused approval", poll(sid, tv, d["device_code"].(string)), 400, "authorization_pending",
			"The device authorization is pending. Please try again later.")
		if u := ts.mgmt(t, http.MethodPut, rules+"/"+r["id"].(string), rule("authorization_code", grantDevice)); u.status != 200 {
			t.Fatalf("replace rule: %d %s", u.status, u.body)
		}
		if p := decide(d["user_code"].(string), "approve"); p.status != 200 || !strings.Contains(p.body, `id="device-done"`) {
			t.Fatalf("approval: %d %s", p.status, p.body)
		}
		tok := poll(sid, tv, d["device_code"].(string))
		if tok.status != 200 {
			t.Fatalf("poll: %d %s", tok.status, tok.body)
		}
		m := tok.json(t)
		c := decodeClaims(t, m["access_token"].(string))
		if m["scope"] != "tv:watch" || m["id_token"] != nil || m["expires_in"] != float64(900) || c["aud"] != "api://tv" || c["uid"] != user.ID {
			t.Fatalf("tokens %v, claims %v", m, c)
		}

		// Approved, then unassigned before the device came back.
		d = start(sid, "", url.Values{"client_id": {tv}})
		if p := decide(d["user_code"].(string), "approve"); p.status != 200 {
			t.Fatalf("approval: %d %s", p.status, p.body)
		}
		if u := ts.mgmt(t, http.MethodDelete, "/api/v1/apps/"+tvApp+"/users/"+user.ID, nil); u.status != 204 {
			t.Fatalf("unassign: %d %s", u.status, u.body)
		}
		wantOAuth(t, "unassigned after approval", poll(sid, tv, d["device_code"].(string)), 400, "access_denied",
			"User is not assigned to the client application.")
	})
}

// TestDeviceApprovalWhilePolling approves a device code while the device
// polls as fast as it can: the approval must not be lost to a poll that
// recorded its time in the same moment, and the tokens come out once.
func TestDeviceApprovalWhilePolling(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		tv, _, tvApp := ts.oidcApp(t, "TV", "native", "none", []string{"authorization_code", grantDevice}, []string{"code"}, nil)
		ts.assign(t, tvApp, user.ID)
		b := signedInBrowser(t, ts, "ada@example.com", "Correct-Horse-42")
		for round := 0; round < 8; round++ {
			d := ts.form(t, "/oauth2/default/v1/device/authorize", "", url.Values{"client_id": {tv}, "scope": {"openid"}}).json(t)
			userCode, device := d["user_code"].(string), d["device_code"].(string)
			p := b.get(t, ts.Addr+"/activate?user_code="+userCode)
			if p.status != 200 {
				t.Fatalf("activation page: %d %s", p.status, p.body)
			}
			body := url.Values{"grant_type": {grantDevice}, "client_id": {tv}, "device_code": {device}}.Encode()
			// The pollers count every answer and signal it on tick; the test
			// waits on answers, not on time.
			var granted, other, answered atomic.Int32
			tick := make(chan struct{}, 1)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() {
						select {
						case tick <- struct{}{}:
						default:
						}
					}()
					for {
						select {
						case <-stop:
							return
						default:
						}
						resp, err := ts.HTTP.Post(ts.Addr+"/oauth2/default/v1/token", "application/x-www-form-urlencoded", strings.NewReader(body))
						if err != nil {
							other.Add(1)
							return
						}
						resp.Body.Close()
						switch resp.StatusCode {
						case http.StatusOK:
							granted.Add(1)
						case http.StatusBadRequest:
						default:
							other.Add(1)
						}
						answered.Add(1)
						select {
						case tick <- struct{}{}:
						default:
						}
					}
				}()
			}
			halt := func() { close(stop); wg.Wait() }
			// until waits for cond, giving up (as a failure) after a generous
			// bound should the pollers stop answering.
			until := func(what string, cond func() bool) {
				t.Helper()
				giveUp := time.After(30 * time.Second)
				for !cond() {
					if other.Load() != 0 {
						halt()
						t.Fatalf("round %d, waiting for %s: %d polls failed", round, what, other.Load())
					}
					select {
					case <-tick:
					case <-giveUp:
						halt()
						t.Fatalf("round %d: no %s", round, what)
					}
				}
			}
			// Every poller has had an answer before the approval.
			until("first polls", func() bool { return answered.Load() >= 4 })
			p = b.post(t, ts.Addr+"/activate", url.Values{"csrf": {field(t, csrfField, p.body)}, "user_code": {userCode}, "decision": {"approve"}})
			if p.status != 200 || !strings.Contains(p.body, `id="device-done"`) {
				halt()
				t.Fatalf("approve: %d %s", p.status, p.body)
			}
			until("tokens", func() bool { return granted.Load() > 0 })
			// A dozen more answers after the tokens: none may carry tokens again.
			n := answered.Load()
			until("polls after the tokens", func() bool { return answered.Load() >= n+12 })
			halt()
			if granted.Load() != 1 || other.Load() != 0 {
				t.Fatalf("round %d: %d polls got tokens, %d failed otherwise; want exactly one with tokens", round, granted.Load(), other.Load())
			}
		}
	})
}
