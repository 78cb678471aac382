package sesametest_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/sesame-idp/sesame/pkg/sesametest"
)

// An application's test: Sesame stands in for Okta in three lines.
func ExampleNew() {
	var t *testing.T // the test's own t: func TestSignIn(t *testing.T) { … }

	srv := sesametest.New(t, sesametest.WithOrgFile("testdata/org.yaml"))
	provider, err := oidc.NewProvider(context.Background(), srv.Issuer("default"))
	if err != nil {
		t.Fatal(err)
	}
	tok := srv.UserToken(t, sesametest.UserTokenRequest{Issuer: srv.Issuer("default"), ClientID: "my-spa",
		Login: "ada@example.com", Password: "Correct-Horse-42"})
	_, _ = provider.Verifier(&oidc.Config{ClientID: "my-spa", Now: srv.Now}).Verify(context.Background(), tok.Extra("id_token").(string))
}

// TestApplicationTests is what an application's own tests do with
// sesametest: discover the issuer with go-oidc, get a service token with
// x/oauth2's client credentials, sign a person in and check the ID token,
// call the management API with the API token.
func TestApplicationTests(t *testing.T) {
	t.Parallel()
	srv := sesametest.New(t, sesametest.WithOrgFile("testdata/org.yaml"))
	ctx := context.Background()
	issuer := srv.Issuer("default")

	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}

	// The service's token, the way a backend gets it with x/oauth2.
	cc := clientcredentials.Config{ClientID: "reporting", ClientSecret: "reporting-secret-0123456789",
		TokenURL: provider.Endpoint().TokenURL, Scopes: []string{"reports.read"}}
	svcTok, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// An API verifies it against the key set, as a resource server does.
	keySet := oidc.NewRemoteKeySet(ctx, issuer+"/v1/keys")
	payload, err := keySet.VerifySignature(ctx, svcTok.AccessToken)
	if err != nil {
		t.Fatalf("access token does not verify: %v", err)
	}
	if !strings.Contains(string(payload), `"reports.read"`) || !strings.Contains(string(payload), `"cid":"reporting"`) {
		t.Fatalf("access token claims: %s", payload)
	}

	// A person, through the SPA's authorization code flow with PKCE.
	tok := srv.UserToken(t, sesametest.UserTokenRequest{Issuer: issuer, ClientID: "my-spa",
		Login: "ada@example.com", Password: "Correct-Horse-42", Scopes: []string{"openid", "email", "offline_access"}})
	idt, err := provider.Verifier(&oidc.Config{ClientID: "my-spa", Now: srv.Now}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Email string `json:"email"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Email != "ada@example.com" || tok.RefreshToken == "" {
		t.Fatalf("ID token email %q, refresh token %q", claims.Email, tok.RefreshToken)
	}

	// The userinfo endpoint with x/oauth2's token source.
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Email != "ada@example.com" {
		t.Fatalf("userinfo: %v %+v", err, info)
	}

	// A browser session, as the hosted sign-in page leaves it.
	browser := &http.Client{Jar: srv.SignIn(t, "ada@example.com", "Correct-Horse-42")}
	resp, err := browser.Get(srv.URL + "/api/v1/sessions/me")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("session: %v %v", err, resp.Status)
	}
	resp.Body.Close()

	// The management API, with the API token.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/users?q=ada", nil)
	req.Header.Set("Authorization", "SSWS "+srv.APIToken())
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("management API: %v %v", err, resp.Status)
	}
	resp.Body.Close()
}

// TestTokenExpiry moves the server's clock instead of sleeping: an access
// token that has lived its hour fails verification, and a rotated refresh
// token used a second time is refused.
func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	srv := sesametest.New(t, sesametest.WithOrgFile("testdata/org.yaml"))
	ctx := context.Background()
	issuer := srv.Issuer("default")
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: "my-spa", Now: srv.Now})

	tok := srv.UserToken(t, sesametest.UserTokenRequest{Issuer: issuer, ClientID: "my-spa",
		Login: "ada@example.com", Password: "Correct-Horse-42", Scopes: []string{"openid", "offline_access"}})
	rawID := tok.Extra("id_token").(string)
	if _, err := verifier.Verify(ctx, rawID); err != nil {
		t.Fatal(err)
	}

	srv.Advance(61 * time.Minute)
	var expired *oidc.TokenExpiredError
	if _, err := verifier.Verify(ctx, rawID); !errors.As(err, &expired) {
		t.Fatalf("an hour later the ID token verifies: %v", err)
	}
	if active := introspect(t, srv, issuer, tok.AccessToken); active {
		t.Fatal("an hour later the access token is active")
	}

	// Refresh rotation: the new pair works, the old refresh token is spent.
	fresh, err := srv.TryToken(ctx, issuer, "my-spa", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	if err != nil {
		t.Fatal(err)
	}
	if fresh.RefreshToken == tok.RefreshToken || !introspect(t, srv, issuer, fresh.AccessToken) {
		t.Fatal("the refreshed tokens are not new and active")
	}
	_, err = srv.TryToken(ctx, issuer, "my-spa", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	var te *sesametest.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" {
		t.Fatalf("a rotated refresh token used again: %v", err)
	}
	// Reuse revoked the family: the token just issued is dead too.
	if introspect(t, srv, issuer, fresh.AccessToken) {
		t.Fatal("after reuse the family's access token is still active")
	}
}

func introspect(t *testing.T, srv *sesametest.Server, issuer, token string) bool {
	t.Helper()
	resp, err := http.PostForm(issuer+"/v1/introspect", url.Values{"token": {token}, "client_id": {"my-spa"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Active bool `json:"active"`
	}
	if resp.StatusCode != 200 {
		t.Fatalf("introspect: %s", resp.Status)
	}
	jsonDecode(t, resp, &out)
	return out.Active
}
