package app

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestSignInSinglePageApp is the OpenMetadata UI's path without a browser
// engine: authorize with PKCE → hosted sign-in → code → token exchange with
// golang.org/x/oauth2 → ID token verified by go-oidc through discovery →
// userinfo → rotating refresh → logout.
func TestSignInSinglePageApp(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ctx := oidc.ClientContext(context.Background(), ts.HTTP)
		user := ts.newUser(t, "grace@example.com")
		clientID, _, appID := ts.oidcApp(t, "Metadata UI", "browser", "none",
			[]string{"authorization_code", "refresh_token"}, []string{"code"},
			map[string]any{"refresh_token": map[string]any{"rotation_type": "ROTATE", "leeway": 30}})
		ts.assign(t, appID, user.ID)
		issuer := ts.URL + "/oauth2/default"

		provider, err := oidc.NewProvider(ctx, issuer)
		if err != nil {
			t.Fatal(err)
		}
		conf := oauth2.Config{ClientID: clientID, Endpoint: provider.Endpoint(), RedirectURL: "http://app.test/callback",
			Scopes: []string{"openid", "profile", "email", "offline_access"}}
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		verifier := oauth2.GenerateVerifier()
		authURL, err := url.Parse(conf.AuthCodeURL("state-123", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-456")))
		if err != nil {
			t.Fatal(err)
		}

		b := newBrowser(t, ts)
		p := b.follow(t, b.get(t, ts.Addr+authURL.RequestURI()))
		if p.status != 200 || !strings.Contains(p.body, "Test Org") {
			t.Fatalf("sign-in page: %d %s", p.status, p.body)
		}
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("sign-in page CSP %q", csp)
		}
		// A wrong password keeps the user on the page with a message that
		// does not say whether the username exists.
		bad := b.submitLogin(t, p, "grace@example.com", "wrong-password")
		if bad.status != 401 || field(t, alertText, bad.body) != field(t, alertText, b.submitLogin(t, p, "nobody@example.com", "wrong-password").body) {
			t.Fatalf("wrong password: %d %s", bad.status, bad.body)
		}
		back := b.follow(t, b.submitLogin(t, bad, "grace@example.com", "Correct-Horse-42"))
		if back.location == nil || back.location.Host != "app.test" || back.location.Path != "/callback" {
			t.Fatalf("after sign-in: %d %v %s", back.status, back.location, back.body)
		}
		if back.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("redirect Referrer-Policy %q", back.header.Get("Referrer-Policy"))
		}
		q := back.location.Query()
		if q.Get("state") != "state-123" || q.Get("code") == "" {
			t.Fatalf("callback query %v", q)
		}

		tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		rawID, _ := tok.Extra("id_token").(string)
		idt, err := provider.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, rawID)
		if err != nil {
			t.Fatalf("verify ID token: %v", err)
		}
		var claims map[string]any
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]any{"sub": user.ID, "nonce": "nonce-456", "email": "grace@example.com", "email_verified": true,
			"preferred_username": "grace@example.com", "name": "Grace Hopper", "aud": clientID, "ver": float64(1)} {
			if claims[k] != want {
				t.Errorf("ID token %s = %v, want %v", k, claims[k], want)
			}
		}
		for _, k := range []string{"isBot", "tokenType"} {
			if _, ok := claims[k]; ok {
				t.Errorf("ID token carries %s", k)
			}
		}
		if claims["at_hash"] == nil || claims["auth_time"] == nil || !strings.HasPrefix(claims["jti"].(string), "ID.") {
			t.Errorf("ID token claims %v", claims)
		}
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			t.Errorf("at_hash: %v", err)
		}
		at := decodeClaims(t, tok.AccessToken)
		if at["uid"] != user.ID || at["sub"] != "grace@example.com" || at["cid"] != clientID || at["aud"] != "api://default" {
			t.Errorf("access token claims %v", at)
		}
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token with offline_access")
		}

		// userinfo: the same subject as the ID token.
		ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		if ui.Subject != user.ID || ui.Email != "grace@example.com" || !ui.EmailVerified {
			t.Errorf("userinfo %+v", ui)
		}

		// Rotating refresh: a new refresh token, and a new ID token.
		r := ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"refresh_token"}, "client_id": {clientID},
			"refresh_token": {tok.RefreshToken}, "scope": {"openid profile email offline_access"}})
		if r.status != 200 {
			t.Fatalf("refresh: %d %s", r.status, r.body)
		}
		rm := r.json(t)
		if rm["refresh_token"] == tok.RefreshToken || rm["refresh_token"] == "" || rm["id_token"] == nil || rm["scope"] != "openid profile email offline_access" {
			t.Errorf("refresh answer %v", rm)
		}

		// Logout with the ID token ends the session: prompt=none then needs
		// a sign-in.
		out := b.get(t, issuer+"/v1/logout?"+url.Values{"id_token_hint": {rawID}, "post_logout_redirect_uri": {"http://app.test/"}, "state": {"bye"}}.Encode())
		if out.status != 302 || out.location.String() != "http://app.test/?state=bye" {
			t.Fatalf("logout: %d %v %s", out.status, out.location, out.body)
		}
		v2, c2 := pkce()
		_ = v2
		after := b.authorize(t, ts.Addr+"/oauth2/default", url.Values{"client_id": {clientID}, "redirect_uri": {"http://app.test/silent-callback"},
			"response_type": {"code"}, "scope": {"openid"}, "state": {"s2"}, "nonce": {"n2"}, "prompt": {"none"},
			"response_mode": {"query"}, "code_challenge": {c2}, "code_challenge_method": {"S256"}}, "", "")
		if after.location == nil || after.location.Query().Get("error") != "login_required" {
			t.Fatalf("prompt=none after logout: %d %v %s", after.status, after.location, after.body)
		}
	})
}
