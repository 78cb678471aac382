package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/token"
)

// TestAuthorizeErrors is the table of refused authorize and token requests:
// each answer is the reference's error, delivered where Okta delivers it.
func TestAuthorizeErrors(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		ts.newUser(t, "eve@example.com") // not assigned
		spa, _, spaApp := ts.oidcApp(t, "SPA", "browser", "none", []string{"authorization_code", "implicit"}, []string{"code", "token", "id_token"}, nil)
		ts.assign(t, spaApp, user.ID)
		base := ts.Addr + "/oauth2/default"
		_, challenge := pkce()
		good := func(mod func(url.Values)) url.Values {
			q := url.Values{"client_id": {spa}, "redirect_uri": {"http://app.test/callback"}, "response_type": {"code"},
				"scope": {"openid email"}, "state": {"st"}, "nonce": {"nn"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
			if mod != nil {
				mod(q)
			}
			return q
		}
		signed := signedInBrowser(t, ts, "ada@example.com", "Correct-Horse-42")

		pageCases := []struct {
			name string
			q    url.Values
			text string
		}{
			{"unknown client", good(func(q url.Values) { q.Set("client_id", "0oanope") }), "Invalid value for &#39;client_id&#39; parameter."},
			{"unregistered redirect", good(func(q url.Values) { q.Set("redirect_uri", "http://app.test/callback/") }),
				"The &#39;redirect_uri&#39; parameter must be a Login redirect URI in the client app settings."},
			{"redirect by prefix", good(func(q url.Values) { q.Set("redirect_uri", "http://app.test/callbackx") }), "Login redirect URI"},
			{"no redirect", good(func(q url.Values) { q.Del("redirect_uri") }), "The &#39;redirect_uri&#39; parameter is required."},
		}
		for _, c := range pageCases {
			p := signed.get(t, base+"/v1/authorize?"+c.q.Encode())
			if p.status != 400 || p.location != nil || !strings.Contains(p.body, c.text) {
				t.Errorf("%s: want an error page with %q, got %d %v %s", c.name, c.text, p.status, p.location, p.body)
			}
		}

		redirectCases := []struct {
			name, code, desc string
			q                url.Values
			b                *browser
			fragment         bool
		}{
			{"PKCE missing for a public client", "invalid_request", "PKCE code challenge is required by the application.",
				good(func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }), signed, false},
			{"PKCE plain", "invalid_request", "PKCE code challenge method is not supported. Valid values: [S256]",
				good(func(q url.Values) { q.Set("code_challenge_method", "plain") }), signed, false},
			{"PKCE illegal characters", "invalid_request", "PKCE code challenge contains illegal characters.",
				good(func(q url.Values) { q.Set("code_challenge", strings.Repeat("*", 43)) }), signed, false},
			{"nonce missing for implicit", "invalid_request", "The 'nonce' parameter is required for authorize requests with either the 'id_token' or 'token' response types.",
				good(func(q url.Values) { q.Set("response_type", "id_token token"); q.Del("nonce") }), signed, true},
			{"query mode with tokens", "unsupported_response_mode", "'query' response mode cannot be used with either the 'id_token' or 'token' response types.",
				good(func(q url.Values) { q.Set("response_type", "token"); q.Set("response_mode", "query") }), signed, true},
			{"unknown response mode", "unsupported_response_mode", "The response mode is not supported by the authorization server. Valid response modes: [query, fragment, form_post, okta_post_message].",
				good(func(q url.Values) { q.Set("response_mode", "web_message") }), signed, false},
			{"unknown response type", "unsupported_response_type", "The response type is not supported by the authorization server. Configured response types: [code, token, id_token].",
				good(func(q url.Values) { q.Set("response_type", "code device") }), signed, false},
			{"prompt=none without a session", "login_required", "The client specified not to prompt, but the user is not logged in.",
				good(func(q url.Values) { q.Set("prompt", "none") }), newBrowser(t, ts), false},
			{"max_age out of range", "invalid_request", "Invalid value for 'max_age' parameter. It should be within range 0 - 2^31-1.",
				good(func(q url.Values) { q.Set("max_age", "-1") }), signed, false},
			{"unknown idp", "invalid_request", "Identity provider is not valid.", good(func(q url.Values) { q.Set("idp", "0oa-unknown") }), signed, false},
			{"unknown scope", "invalid_scope", "One or more scopes are not configured for the authorization server resource.",
				good(func(q url.Values) { q.Set("scope", "openid launch:rockets") }), signed, false},
			{"id_token without openid", "invalid_scope", "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope.",
				good(func(q url.Values) { q.Set("response_type", "id_token"); q.Set("scope", "email") }), signed, true},
		}
		for _, c := range redirectCases {
			p := c.b.follow(t, c.b.get(t, base+"/v1/authorize?"+c.q.Encode()))
			if p.location == nil || p.location.Host != "app.test" {
				t.Errorf("%s: want a redirect to the app, got %d %s", c.name, p.status, p.body)
				continue
			}
			v := p.location.Query()
			if c.fragment {
				var err error
				if v, err = url.ParseQuery(p.location.Fragment); err != nil {
					t.Errorf("%s: fragment %q: %v", c.name, p.location.Fragment, err)
					continue
				}
			}
			if v.Get("error") != c.code || v.Get("error_description") != c.desc || v.Get("state") != "st" {
				t.Errorf("%s: got %v, want %s %q", c.name, v, c.code, c.desc)
			}
		}

		// An unassigned user signs in and is sent back with access_denied.
		p := newBrowser(t, ts).authorize(t, base, good(nil), "eve@example.com", "Correct-Horse-42")
		if p.location == nil || p.location.Query().Get("error") != "access_denied" ||
			p.location.Query().Get("error_description") != "User is not assigned to the client application." {
			t.Errorf("unassigned user: %d %v %s", p.status, p.location, p.body)
		}
	})
}

// TestTokenErrors covers code and refresh misuse: PKCE, code reuse (which
// revokes what the first use issued), refresh reuse within and after the
// leeway (the family is revoked), scope narrowing.
func TestTokenErrors(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		clock := &fakeClock{t: time.Now()}
		ts := startServerWith(t, open(t), WithClock(clock.now))
		user := ts.newUser(t, "ada@example.com")
		spa, _, spaApp := ts.oidcApp(t, "SPA", "browser", "none", []string{"authorization_code", "refresh_token"}, []string{"code"},
			map[string]any{"refresh_token": map[string]any{"rotation_type": "ROTATE", "leeway": 0}})
		ts.assign(t, spaApp, user.ID)
		b := signedInBrowser(t, ts, "ada@example.com", "Correct-Horse-42")
		code := func(redirect string) (string, string) {
			v, c := pkce()
			p := b.follow(t, b.get(t, ts.Addr+"/oauth2/default/v1/authorize?"+url.Values{"client_id": {spa}, "redirect_uri": {redirect},
				"response_type": {"code"}, "scope": {"openid offline_access"}, "state": {"s"}, "code_challenge": {c}, "code_challenge_method": {"S256"}}.Encode()))
			if p.location == nil || p.location.Query().Get("code") == "" {
				t.Fatalf("authorize: %d %v %s", p.status, p.location, p.body)
			}
			return p.location.Query().Get("code"), v
		}
		cb := "http://app.test/callback"

		c, v := code(cb)
		wantOAuth(t, "wrong verifier", exchange(t, ts, spa, c, v+"x", cb), 400, "invalid_grant", "PKCE verification failed.")
		wantOAuth(t, "code after a failed use", exchange(t, ts, spa, c, v, cb), 400, "invalid_grant", "The authorization code is invalid or has expired.")

		c, _ = code(cb)
		wantOAuth(t, "no verifier", exchange(t, ts, spa, c, "", cb), 400, "invalid_request", "PKCE code verifier is required by the application.")
		c, v = code(cb)
		wantOAuth(t, "other redirect", exchange(t, ts, spa, c, v, "http://app.test/silent-callback"), 400, "invalid_grant",
			"The 'redirect_uri' does not match the redirection URI used in the authorization request.")
		wantOAuth(t, "unknown code", exchange(t, ts, spa, "nope", v, cb), 400, "invalid_grant", "The authorization code is invalid or has expired.")

		// Reuse: the second redemption fails and revokes the first one's tokens.
		c, v = code(cb)
		first := exchange(t, ts, spa, c, v, cb)
		if first.status != 200 {
			t.Fatalf("exchange: %d %s", first.status, first.body)
		}
		fm := first.json(t)
		at, rt := fm["access_token"].(string), fm["refresh_token"].(string)
		if !introspectActive(t, ts, spa, at) || !introspectActive(t, ts, spa, rt) {
			t.Fatal("fresh tokens are not active")
		}
		wantOAuth(t, "code reuse", exchange(t, ts, spa, c, v, cb), 400, "invalid_grant", "The authorization code is invalid or has expired.")
		if introspectActive(t, ts, spa, at) || introspectActive(t, ts, spa, rt) {
			t.Error("tokens of a reused code are still active")
		}

		refresh := func(tok, scope string) answer {
			v := url.Values{"grant_type": {"refresh_token"}, "client_id": {spa}, "refresh_token": {tok}}
			if scope != "" {
				v.Set("scope", scope)
			}
			return ts.form(t, "/oauth2/default/v1/token", "", v)
		}
		c, v = code(cb)
		fm = exchange(t, ts, spa, c, v, cb).json(t)
		rt1 := fm["refresh_token"].(string)
		wantOAuth(t, "wider scope", refresh(rt1, "openid offline_access email"), 400, "access_denied",
			"Some of the scopes requested for the refresh request were not granted in the original authorize request. Denied scopes: [email].")
		narrow := refresh(rt1, "openid")
		if narrow.status != 200 || narrow.json(t)["scope"] != "openid" {
			t.Fatalf("narrowed refresh: %d %s", narrow.status, narrow.body)
		}
		rt2 := narrow.json(t)["refresh_token"].(string)
		at2 := narrow.json(t)["access_token"].(string)
		// The successor keeps the whole grant.
		if a := refresh(rt2, "openid offline_access"); a.status != 200 {
			t.Fatalf("refresh of the successor: %d %s", a.status, a.body)
		} else {
			rt2 = a.json(t)["refresh_token"].(string)
		}
		clock.add(time.Second)
		// rt1 was rotated and its leeway (0 s) is over: presenting it again
		// is reuse, and the whole family goes.
		wantOAuth(t, "reuse after leeway", refresh(rt1, ""), 400, "invalid_grant", "The refresh token is invalid or expired.")
		wantOAuth(t, "family revoked", refresh(rt2, ""), 400, "invalid_grant", "The refresh token is invalid or expired.")
		if introspectActive(t, ts, spa, at2) {
			t.Error("an access token of a revoked family is still active")
		}
		if eventTypes(t, ts)["app.oauth2.as.token.detect_reuse"] == 0 {
			t.Error("no detect_reuse event in the System Log")
		}
		wantOAuth(t, "garbage refresh token", refresh("not-a-token", ""), 400, "invalid_grant", "The refresh token is invalid or expired.")
	})
}

// TestRefreshConcurrency: 50 parallel refreshes of one rotating token
// within its leeway all succeed, each with its own successor, and every
// successor works; nothing is revoked.
func TestRefreshConcurrency(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		spa, _, spaApp := ts.oidcApp(t, "SPA", "browser", "none", []string{"authorization_code", "refresh_token"}, []string{"code"},
			map[string]any{"refresh_token": map[string]any{"rotation_type": "ROTATE", "leeway": 60}})
		ts.assign(t, spaApp, user.ID)
		b := signedInBrowser(t, ts, "ada@example.com", "Correct-Horse-42")
		v, c := pkce()
		p := b.follow(t, b.get(t, ts.Addr+"/oauth2/default/v1/authorize?"+url.Values{"client_id": {spa}, "redirect_uri": {"http://app.test/callback"},
			"response_type": {"code"}, "scope": {"openid offline_access"}, "state": {"s"}, "code_challenge": {c}, "code_challenge_method": {"S256"}}.Encode()))
		rt := exchange(t, ts, spa, p.location.Query().Get("code"), v, "http://app.test/callback").json(t)["refresh_token"].(string)

		const n = 50
		var wg sync.WaitGroup
		results := make([]answer, n)
		errs := make([]error, n)
		body := []byte(url.Values{"grant_type": {"refresh_token"}, "client_id": {spa}, "refresh_token": {rt}}.Encode())
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = ts.tryDo(http.MethodPost, "/oauth2/default/v1/token", "", "application/x-www-form-urlencoded", body)
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for i, r := range results {
			if errs[i] != nil {
				t.Fatalf("refresh %d: %v", i, errs[i])
			}
			if r.status != 200 {
				t.Fatalf("refresh %d: %d %s", i, r.status, r.body)
			}
			next := r.json(t)["refresh_token"].(string)
			if seen[next] || next == rt {
				t.Fatalf("refresh %d returned a token seen before", i)
			}
			seen[next] = true
		}
		for next := range seen {
			if a := ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"refresh_token"}, "client_id": {spa}, "refresh_token": {next}}); a.status != 200 {
				t.Fatalf("successor refresh: %d %s", a.status, a.body)
			}
		}
	})
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)" id="form_post">`)

// TestResponseModes: a confidential web app with form_post and client
// secret (golang.org/x/oauth2), the implicit flow's fragment with at_hash,
// okta_post_message with a code for the silent-renew iframe, and a native
// app with the password grant.
func TestResponseModes(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ctx := oidc.ClientContext(context.Background(), ts.HTTP)
		user := ts.newUser(t, "ada@example.com")
		web, sec, webApp := ts.oidcApp(t, "Web", "web", "client_secret_basic", []string{"authorization_code", "implicit"}, []string{"code", "token", "id_token"}, nil)
		ts.assign(t, webApp, user.ID)
		b := signedInBrowser(t, ts, "ada@example.com", "Correct-Horse-42")
		provider, err := oidc.NewProvider(ctx, ts.URL+"/oauth2/default")
		if err != nil {
			t.Fatal(err)
		}

		// form_post: a self-submitting form to the redirect URI.
		p := b.get(t, ts.Addr+"/oauth2/default/v1/authorize?"+url.Values{"client_id": {web}, "redirect_uri": {"http://app.test/callback"},
			"response_type": {"code"}, "response_mode": {"form_post"}, "scope": {"openid profile"}, "state": {"fp"}}.Encode())
		if p.status != 200 || field(t, formAction, p.body) != "http://app.test/callback" {
			t.Fatalf("form_post: %d %s", p.status, p.body)
		}
		csp := p.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "form-action http://app.test/callback") || !strings.Contains(csp, "script-src 'nonce-") {
			t.Errorf("form_post CSP %q", csp)
		}
		code := field(t, regexp.MustCompile(`name="code" value="([^"]+)"`), p.body)
		if field(t, regexp.MustCompile(`name="state" value="([^"]+)"`), p.body) != "fp" {
			t.Error("form_post lost the state")
		}
		conf := oauth2.Config{ClientID: web, ClientSecret: sec, Endpoint: provider.Endpoint(), RedirectURL: "http://app.test/callback"}
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		tok, err := conf.Exchange(ctx, code)
		if err != nil {
			t.Fatalf("web exchange: %v", err)
		}
		if _, err := provider.Verifier(&oidc.Config{ClientID: web}).Verify(ctx, tok.Extra("id_token").(string)); err != nil {
			t.Fatalf("web ID token: %v", err)
		}
		if tok.RefreshToken != "" {
			t.Error("a refresh token without offline_access")
		}

		// Implicit: tokens in the fragment, at_hash binding them.
		p = b.get(t, ts.Addr+"/oauth2/default/v1/authorize?"+url.Values{"client_id": {web}, "redirect_uri": {"http://app.test/callback"},
			"response_type": {"id_token token"}, "scope": {"openid email"}, "state": {"im"}, "nonce": {"n-im"}}.Encode())
		frag, err := url.ParseQuery(p.location.Fragment)
		if err != nil {
			t.Fatal(err)
		}
		if p.location.RawQuery != "" || frag.Get("access_token") == "" || frag.Get("token_type") != "Bearer" || frag.Get("state") != "im" || frag.Get("expires_in") != "3600" {
			t.Fatalf("implicit: %v", p.location)
		}
		idt, err := provider.Verifier(&oidc.Config{ClientID: web}).Verify(ctx, frag.Get("id_token"))
		if err != nil || idt.Nonce != "n-im" || idt.VerifyAccessToken(frag.Get("access_token")) != nil {
			t.Fatalf("implicit ID token: %v %+v", err, idt)
		}

		// Hybrid: a code and an ID token in the fragment; c_hash binds the code.
		p = b.get(t, ts.Addr+"/oauth2/default/v1/authorize?"+url.Values{"client_id": {web}, "redirect_uri": {"http://app.test/callback"},
			"response_type": {"code id_token"}, "scope": {"openid"}, "state": {"hy"}, "nonce": {"n-hy"}}.Encode())
		if frag, err = url.ParseQuery(p.location.Fragment); err != nil {
			t.Fatal(err)
		}
		hy := decodeClaims(t, frag.Get("id_token"))
		if frag.Get("code") == "" || frag.Get("access_token") != "" || hy["c_hash"] != token.HalfHash(frag.Get("code")) || hy["at_hash"] != nil || hy["nonce"] != "n-hy" {
			t.Fatalf("hybrid: %v %v", frag, hy)
		}

		// okta_post_message with code: a page from the issuer's origin that
		// posts to the redirect URI's origin only; only that origin may frame it.
		p = b.get(t, ts.Addr+"/oauth2/default/v1/authorize?"+url.Values{"client_id": {web}, "redirect_uri": {"http://app.test/silent-callback"},
			"response_type": {"code"}, "response_mode": {"okta_post_message"}, "prompt": {"none"}, "scope": {"openid"}, "state": {"pm"}}.Encode())
		if p.status != 200 || !strings.Contains(p.body, `"http://app.test"`) || !strings.Contains(p.body, `"state":"pm"`) || !strings.Contains(p.body, `"code":"`) {
			t.Fatalf("okta_post_message: %d %s", p.status, p.body)
		}
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors http://app.test") {
			t.Errorf("okta_post_message CSP %q", csp)
		}

		// Password grant for a native app; refresh tokens need offline_access.
		native, _, nativeApp := ts.oidcApp(t, "CLI", "native", "none", []string{"authorization_code", "password", "refresh_token"}, []string{"code"}, nil)
		ts.assign(t, nativeApp, user.ID)
		pw := func(password string) answer {
			return ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"password"}, "client_id": {native},
				"username": {"ada@example.com"}, "password": {password}, "scope": {"openid offline_access"}})
		}
		a := pw("Correct-Horse-42")
		if a.status != 200 || a.json(t)["refresh_token"] == nil || a.json(t)["id_token"] == nil {
			t.Fatalf("password grant: %d %s", a.status, a.body)
		}
		// The app has no rotation setting: STATIC, the same token comes back.
		rt := a.json(t)["refresh_token"].(string)
		for range 2 {
			r := ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"refresh_token"}, "client_id": {native}, "refresh_token": {rt}})
			if r.status != 200 || r.json(t)["refresh_token"] != rt {
				t.Fatalf("STATIC refresh: %d %s", r.status, r.body)
			}
		}
		wantOAuth(t, "wrong password", pw("nope"), 400, "invalid_grant", "The credentials provided were invalid.")
	})
}

// TestAuthnAndSessions covers POST /api/v1/authn, redeeming its
// sessionToken at /authorize and at /login/sessionCookieRedirect, and the
// current-session API with CORS from a trusted origin.
func TestAuthnAndSessions(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		spa, _, spaApp := ts.oidcApp(t, "SPA", "browser", "none", []string{"authorization_code"}, []string{"code"}, nil)
		ts.assign(t, spaApp, user.ID)
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/trustedOrigins", map[string]any{"name": "SPA", "origin": "http://app.test",
			"scopes": []map[string]any{{"type": "CORS"}, {"type": "REDIRECT"}}}); a.status != 200 {
			t.Fatalf("trusted origin: %d %s", a.status, a.body)
		}
		b := newBrowser(t, ts)
		authn := func(pw string) page {
			req, _ := http.NewRequest(http.MethodPost, ts.Addr+"/api/v1/authn", strings.NewReader(`{"username":"ada@example.com","password":"`+pw+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", "http://app.test")
			return b.do(t, req)
		}
		if p := authn("wrong"); p.status != 401 || !strings.Contains(p.body, `"errorCode":"E0000004"`) || !strings.Contains(p.body, "Authentication failed") {
			t.Fatalf("authn wrong password: %d %s", p.status, p.body)
		}
		p := authn("Correct-Horse-42")
		var res map[string]any
		if err := json.Unmarshal([]byte(p.body), &res); err != nil {
			t.Fatal(err)
		}
		if p.status != 200 || res["status"] != "SUCCESS" || res["sessionToken"] == nil || p.header.Get("Access-Control-Allow-Origin") != "http://app.test" ||
			p.header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("authn: %d %v %s", p.status, p.header, p.body)
		}
		st := res["sessionToken"].(string)

		// The session token starts a session at /authorize, once.
		v, c := pkce()
		_ = v
		q := url.Values{"client_id": {spa}, "redirect_uri": {"http://app.test/callback"}, "response_type": {"code"}, "scope": {"openid"},
			"state": {"s"}, "code_challenge": {c}, "code_challenge_method": {"S256"}, "sessionToken": {st}, "prompt": {"none"}}
		p = b.get(t, ts.Addr+"/oauth2/default/v1/authorize?"+q.Encode())
		if p.location == nil || p.location.Query().Get("code") == "" {
			t.Fatalf("authorize with sessionToken: %d %v %s", p.status, p.location, p.body)
		}
		fresh := newBrowser(t, ts)
		p = fresh.get(t, ts.Addr+"/oauth2/default/v1/authorize?"+q.Encode())
		if p.location == nil || p.location.Query().Get("error") != "login_required" {
			t.Fatalf("a used sessionToken: %d %v", p.status, p.location)
		}

		me := func(br *browser, method, path string) page {
			req, _ := http.NewRequest(method, ts.Addr+path, nil)
			req.Header.Set("Origin", "http://app.test")
			return br.do(t, req)
		}
		if p := me(b, http.MethodGet, "/api/v1/sessions/me"); p.status != 200 || !strings.Contains(p.body, `"userId":"`+user.ID+`"`) || !strings.Contains(p.body, `"amr":["pwd"]`) {
			t.Fatalf("sessions/me: %d %s", p.status, p.body)
		}
		if p := me(b, http.MethodPost, "/api/v1/sessions/me/lifecycle/refresh"); p.status != 200 {
			t.Fatalf("sessions/me refresh: %d %s", p.status, p.body)
		}
		if p := me(fresh, http.MethodGet, "/api/v1/sessions/me"); p.status != 404 || !strings.Contains(p.body, "E0000007") {
			t.Fatalf("sessions/me without a session: %d %s", p.status, p.body)
		}
		if p := me(b, http.MethodDelete, "/api/v1/sessions/me"); p.status != 204 {
			t.Fatalf("delete sessions/me: %d %s", p.status, p.body)
		}
		if p := me(b, http.MethodGet, "/api/v1/sessions/me"); p.status != 404 {
			t.Fatalf("sessions/me after delete: %d %s", p.status, p.body)
		}

		// Preflight from an untrusted origin gets no CORS answer.
		req, _ := http.NewRequest(http.MethodOptions, ts.Addr+"/api/v1/authn", nil)
		req.Header.Set("Origin", "http://evil.test")
		req.Header.Set("Access-Control-Request-Method", "POST")
		if p := b.do(t, req); p.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("untrusted preflight allowed: %v", p.header)
		}
		// The token endpoint answers a preflight from a redirect-URI origin
		// with okta-auth-js's headers.
		req, _ = http.NewRequest(http.MethodOptions, ts.Addr+"/oauth2/default/v1/token", nil)
		req.Header.Set("Origin", "http://app.test")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-okta-user-agent-extended")
		if p := b.do(t, req); p.status != 204 || p.header.Get("Access-Control-Allow-Origin") != "http://app.test" ||
			!strings.Contains(p.header.Get("Access-Control-Allow-Headers"), "x-okta-user-agent-extended") {
			t.Errorf("token preflight: %d %v", p.status, p.header)
		}

		// sessionCookieRedirect: to a trusted origin only.
		st2 := authn("Correct-Horse-42")
		if err := json.Unmarshal([]byte(st2.body), &res); err != nil {
			t.Fatal(err)
		}
		p = fresh.get(t, ts.Addr+"/login/sessionCookieRedirect?"+url.Values{"token": {res["sessionToken"].(string)}, "redirectUrl": {"http://evil.test/"}}.Encode())
		if p.status != 400 || p.location != nil {
			t.Fatalf("sessionCookieRedirect to an untrusted origin: %d %v", p.status, p.location)
		}
		p = fresh.get(t, ts.Addr+"/login/sessionCookieRedirect?"+url.Values{"token": {res["sessionToken"].(string)}, "redirectUrl": {"http://app.test/home"}}.Encode())
		if p.status != 302 || p.location.String() != "http://app.test/home" {
			t.Fatalf("sessionCookieRedirect: %d %v %s", p.status, p.location, p.body)
		}
		if p := me(fresh, http.MethodGet, "/api/v1/sessions/me"); p.status != 200 {
			t.Fatalf("session from sessionCookieRedirect: %d %s", p.status, p.body)
		}
	})
}

// TestLockout: failures in a row lock the user out (LOCKED_OUT, logged);
// the right password then gets the lockout message, an admin unlocks.
func TestLockout(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		sealer, err := keys.NewSealer(secret.RawBytes(32))
		if err != nil {
			t.Fatal(err)
		}
		ts := serveReplica(t, open(t), sealer, "", true, func(c *config.Config) { c.LockoutAttempts = 3 })
		user := ts.newUser(t, "ada@example.com")
		b := newBrowser(t, ts)
		login := b.get(t, ts.Addr+"/login/login.htm")
		for i := 0; i < 3; i++ {
			if p := b.submitLogin(t, login, "ada@example.com", "wrong"); p.status != 401 {
				t.Fatalf("failure %d: %d", i, p.status)
			}
		}
		if u := ts.mgmt(t, http.MethodGet, "/api/v1/users/"+user.ID, nil).json(t); u["status"] != "LOCKED_OUT" {
			t.Fatalf("status after 3 failures: %v", u["status"])
		}
		p := b.submitLogin(t, login, "ada@example.com", "Correct-Horse-42")
		if p.status != 401 || !strings.Contains(field(t, alertText, p.body), "locked") {
			t.Fatalf("locked user with the right password: %d %s", p.status, p.body)
		}
		if eventTypes(t, ts)["user.account.lock"] != 1 {
			t.Errorf("events %v", eventTypes(t, ts))
		}
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+user.ID+"/lifecycle/unlock", nil); a.status != 200 {
			t.Fatalf("unlock: %d %s", a.status, a.body)
		}
		if p := b.submitLogin(t, login, "ada@example.com", "Correct-Horse-42"); p.status != 200 {
			t.Fatalf("after unlock: %d %s", p.status, p.body)
		}
	})
}

// TestReauthentication: prompt=login and max_age ask for a sign-in newer
// than the request even with a session; login_hint fills the username;
// POST authorize takes its parameters from the form only.
func TestReauthentication(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		web, _, webApp := ts.oidcApp(t, "Web", "web", "client_secret_basic", []string{"authorization_code"}, []string{"code"}, nil)
		ts.assign(t, webApp, user.ID)
		b := signedInBrowser(t, ts, "ada@example.com", "Correct-Horse-42")
		q := func(extra ...string) url.Values {
			v := url.Values{"client_id": {web}, "redirect_uri": {"http://app.test/callback"}, "response_type": {"code"}, "scope": {"openid"}, "state": {"r"}}
			for i := 0; i+1 < len(extra); i += 2 {
				v.Set(extra[i], extra[i+1])
			}
			return v
		}
		// With the session, no page.
		if p := b.follow(t, b.get(t, ts.Addr+"/oauth2/default/v1/authorize?"+q().Encode())); p.location == nil || p.location.Query().Get("code") == "" {
			t.Fatalf("with a session: %d %v", p.status, p.location)
		}
		for _, extra := range [][]string{{"prompt", "login"}, {"max_age", "0"}} {
			p := b.follow(t, b.get(t, ts.Addr+"/oauth2/default/v1/authorize?"+q(append(extra, "login_hint", "ada@example.com")...).Encode()))
			if p.status != 200 || !strings.Contains(p.body, `value="ada@example.com"`) {
				t.Fatalf("%v: want the sign-in page with the hint, got %d %v", extra, p.status, p.location)
			}
			p = b.follow(t, b.submitLogin(t, p, "ada@example.com", "Correct-Horse-42"))
			if p.location == nil || p.location.Query().Get("code") == "" {
				t.Fatalf("%v after signing in again: %d %v %s", extra, p.status, p.location, p.body)
			}
		}
		// POST authorize: the form carries the parameters; a query is refused.
		p := b.follow(t, b.post(t, ts.Addr+"/oauth2/default/v1/authorize", q()))
		if p.location == nil || p.location.Query().Get("code") == "" || p.location.Query().Get("state") != "r" {
			t.Fatalf("POST authorize: %d %v %s", p.status, p.location, p.body)
		}
		p = b.post(t, ts.Addr+"/oauth2/default/v1/authorize?client_id="+web, q())
		if p.status != 400 || p.location != nil {
			t.Fatalf("POST authorize with a query: %d %v", p.status, p.location)
		}
	})
}
