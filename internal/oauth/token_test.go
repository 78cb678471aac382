package oauth

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// TestTokenRequestValidation runs token requests that must be refused
// through the endpoint's steps (client authentication, the grant table's
// dispatch, each grant's own checks) without HTTP. Texts are Okta's
// (docs/okta-api.md §2.2, §2.3, §5.1–5.3) where the reference gives them.
func TestTokenRequestValidation(t *testing.T) {
	f := newFixture(t)
	if err := f.svc.CreateScope(f.ctx, service.SystemContext, "default", &store.Scope{Name: "api:read"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CreateScope(f.ctx, service.SystemContext, "default", &store.Scope{Name: "api:admin", Consent: "REQUIRED"}); err != nil {
		t.Fatal(err)
	}
	now := f.clock.now()
	later := now.Add(time.Minute)
	verifier := strings.Repeat("v", 43)
	challenge := "7w_YNF9DSfIdPf_pRjSq646_kPr-2-o9NAl16JGghdM" // S256 of verifier
	f.code(t, "code-other-client", codeData{ServerID: "default", ClientID: spaClient, RedirectURI: "https://web-client.test/cb"}, later, false)
	f.code(t, "code-other-server", codeData{ServerID: store.OrgServerID, ClientID: webClient, RedirectURI: "https://web-client.test/cb"}, later, false)
	f.code(t, "code-expired", codeData{ServerID: "default", ClientID: webClient, RedirectURI: "https://web-client.test/cb"}, now, false)
	f.code(t, "code-used", codeData{ServerID: "default", ClientID: webClient, RedirectURI: "https://web-client.test/cb"}, later, true)
	f.code(t, "code-redirect", codeData{ServerID: "default", ClientID: webClient, RedirectURI: "https://web-client.test/cb"}, later, false)
	for _, c := range []string{"code-pkce-missing", "code-pkce-short", "code-pkce-wrong"} {
		f.code(t, c, codeData{ServerID: "default", ClientID: webClient, RedirectURI: "https://web-client.test/cb", Challenge: challenge}, later, false)
	}
	f.code(t, "code-public-no-pkce", codeData{ServerID: "default", ClientID: spaClient, RedirectURI: "https://spa-client.test/cb"}, later, false)
	f.refresh(t, "rt-other-client", func(rt *store.RefreshToken) { rt.ClientID = spaClient })
	f.refresh(t, "rt-other-server", func(rt *store.RefreshToken) { rt.ServerID = store.OrgServerID })
	f.refresh(t, "rt-revoked", func(rt *store.RefreshToken) { rt.RevokedAt = now })
	f.refresh(t, "rt-expired", func(rt *store.RefreshToken) { rt.ExpiresAt = now })
	f.refresh(t, "rt-idle", func(rt *store.RefreshToken) { rt.IdleExpiresAt = now })
	f.refresh(t, "rt-broader", nil)

	web := func(form ...string) []string {
		return append([]string{"client_id", webClient, "client_secret", webSecret}, form...)
	}
	svcAuth := basic(svcClient, svcSecret)
	const (
		refreshInvalid = "The refresh token is invalid or expired."
		codeInvalid    = "The authorization code is invalid or has expired."
	)
	for _, c := range []struct {
		name   string
		server string
		auth   string
		form   []string
		want   *Error
	}{
		// The dispatch (§2.2).
		{"no grant type", "default", "", web(), oerr(400, "invalid_request",
			"The token request must specify a 'grant_type'. Valid values: [authorization_code, client_credentials, implicit, password, refresh_token, urn:ietf:params:oauth:grant-type:device_code, urn:ietf:params:oauth:grant-type:token-exchange]")},
		{"unknown grant type", "default", "", web("grant_type", "urn:example:magic"), oerr(400, "unsupported_grant_type",
			"The authorization grant type is not supported by the authorization server. Configured grant types: [authorization_code, client_credentials, implicit, password, refresh_token, urn:ietf:params:oauth:grant-type:device_code, urn:ietf:params:oauth:grant-type:token-exchange].")},
		{"implicit is not redeemed here", "default", "", []string{"client_id", spaClient, "grant_type", "implicit"}, oerr(400, "unsupported_grant_type",
			"The authorization grant type is not supported by the authorization server. Configured grant types: [authorization_code, client_credentials, implicit, password, refresh_token, urn:ietf:params:oauth:grant-type:device_code, urn:ietf:params:oauth:grant-type:token-exchange].")},
		{"grant not configured for the app", "default", "", web("grant_type", grantDeviceCode), oerr(400, "unauthorized_client",
			"The client is not authorized to use the provided grant type. Configured grant types: [authorization_code, refresh_token, password, client_credentials].")},
		{"token exchange on the org server", store.OrgServerID, svcAuth, []string{"grant_type", grantTokenExchange}, oerr(400, "unsupported_grant_type",
			"The authorization grant type is not supported by the authorization server. Configured grant types: [authorization_code, client_credentials, password, refresh_token, urn:ietf:params:oauth:grant-type:device_code].")},

		// Client authentication (§2.3).
		{"no credentials", "default", "", []string{"grant_type", grantClientCredentials}, oerr(401, "invalid_client", "No client credentials found.")},
		{"unknown client", "default", "", []string{"client_id", "nobody", "client_secret", "x", "grant_type", grantClientCredentials},
			oerr(401, "invalid_client", "Invalid value for 'client_id' parameter.")},
		{"deactivated client", "default", "", []string{"client_id", offClient, "client_secret", webSecret, "grant_type", grantClientCredentials},
			oerr(401, "invalid_client", "Invalid value for 'client_id' parameter.")},
		{"wrong secret", "default", "", []string{"client_id", webClient, "client_secret", "wrong", "grant_type", grantClientCredentials},
			oerr(401, "invalid_client", "The client secret supplied for a confidential client is invalid.")},
		{"secret by a method the app does not use", "default", basic(webClient, webSecret), []string{"grant_type", grantClientCredentials},
			oerr(401, "invalid_client", "Client authentication failed. Either the client or the client credentials are invalid.")},
		{"two mechanisms", "default", svcAuth, []string{"client_id", svcClient, "client_secret", svcSecret, "grant_type", grantClientCredentials},
			oerr(401, "invalid_request", "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.")},
		{"assertion type", "default", "", []string{"client_assertion_type", "urn:example", "client_assertion", "a.b.c", "grant_type", grantClientCredentials},
			oerr(400, "invalid_request", "The client_assertion_type is invalid.")},
		{"public client claims a confidential one", "default", "", []string{"client_id", webClient, "grant_type", grantClientCredentials},
			oerr(401, "invalid_client", "Client authentication failed. Either the client or the client credentials are invalid.")},

		// client_credentials (§2.2, §5.1–5.3).
		{"client credentials, public client", "default", "", []string{"client_id", pubClient, "grant_type", grantClientCredentials}, oerr(400, "unauthorized_client",
			"The client is not authorized to use the provided grant type. Configured grant types: [client_credentials, urn:ietf:params:oauth:grant-type:token-exchange].")},
		{"client credentials, openid", "default", svcAuth, []string{"grant_type", grantClientCredentials, "scope", "api:read openid"},
			oerr(400, "invalid_scope", "Cannot request 'openid' scopes using client credentials.")},
		{"client credentials, a .self scope", "default", svcAuth, []string{"grant_type", grantClientCredentials, "scope", "okta.users.read.self"},
			oerr(400, "client_credentials_self_scope_requested", "The 'client_credentials' grant type may not request .self scopes.")},
		{"client credentials, no scope and no default scope", "default", svcAuth, []string{"grant_type", grantClientCredentials},
			oerr(400, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided.")},
		{"client credentials, unknown scope", "default", svcAuth, []string{"grant_type", grantClientCredentials, "scope", "api:read api:nothere"},
			oerr(400, "invalid_scope", "One or more scopes are not configured for the authorization server resource.")},
		{"client credentials, consent required", "default", svcAuth, []string{"grant_type", grantClientCredentials, "scope", "api:read api:admin"},
			oerr(400, "consent_required", "The following scopes require user consent and cannot be granted for the client credentials grant type: [api:admin].")},
		{"org client credentials, not a service app", store.OrgServerID, "", web("grant_type", grantClientCredentials, "scope", "okta.users.read"),
			oerr(401, "invalid_client", "Only clients with 'application_type' of 'service' may use the client_credentials 'grant_type' with the Org Authorization Server.")},
		{"org client credentials, a secret", store.OrgServerID, svcAuth, []string{"grant_type", grantClientCredentials, "scope", "okta.users.read"},
			oerr(401, "invalid_client", "Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.")},

		// authorization_code (§2.2).
		{"code missing", "default", "", web("grant_type", grantAuthorizationCode), oerr(400, "invalid_request", "The 'code' parameter is required.")},
		{"code unknown", "default", "", web("grant_type", grantAuthorizationCode, "code", "nope"), oerr(400, "invalid_grant", codeInvalid)},
		{"code of another client", "default", "", web("grant_type", grantAuthorizationCode, "code", "code-other-client", "redirect_uri", "https://web-client.test/cb"),
			oerr(400, "invalid_grant", "The grant was issued to another client. Please make sure the 'client_id' matches the one used at the authorize request.")},
		{"code of another server", "default", "", web("grant_type", grantAuthorizationCode, "code", "code-other-server", "redirect_uri", "https://web-client.test/cb"),
			oerr(400, "invalid_grant", codeInvalid)},
		{"code expired", "default", "", web("grant_type", grantAuthorizationCode, "code", "code-expired", "redirect_uri", "https://web-client.test/cb"),
			oerr(400, "invalid_grant", codeInvalid)},
		{"code used", "default", "", web("grant_type", grantAuthorizationCode, "code", "code-used", "redirect_uri", "https://web-client.test/cb"),
			oerr(400, "invalid_grant", codeInvalid)},
		{"code, redirect URI differs", "default", "", web("grant_type", grantAuthorizationCode, "code", "code-redirect", "redirect_uri", "https://web-client.test/cb/"),
			oerr(400, "invalid_grant", "The 'redirect_uri' does not match the redirection URI used in the authorization request.")},
		{"code, verifier missing", "default", "", web("grant_type", grantAuthorizationCode, "code", "code-pkce-missing", "redirect_uri", "https://web-client.test/cb"),
			oerr(400, "invalid_request", "PKCE code verifier is required by the application.")},
		{"code, verifier too short", "default", "", web("grant_type", grantAuthorizationCode, "code", "code-pkce-short", "redirect_uri", "https://web-client.test/cb", "code_verifier", "short"),
			oerr(400, "invalid_grant", "PKCE verification failed.")},
		{"code, verifier wrong", "default", "", web("grant_type", grantAuthorizationCode, "code", "code-pkce-wrong", "redirect_uri", "https://web-client.test/cb", "code_verifier", strings.Repeat("w", 43)),
			oerr(400, "invalid_grant", "PKCE verification failed.")},
		{"code, public client without PKCE", "default", "", []string{"client_id", spaClient, "grant_type", grantAuthorizationCode, "code", "code-public-no-pkce", "redirect_uri", "https://spa-client.test/cb"},
			oerr(400, "invalid_request", "PKCE code verifier is required by the application.")},

		// refresh_token (§2.2, §3.5): one exact text for every invalid token.
		{"refresh token missing", "default", "", web("grant_type", grantRefreshToken), oerr(400, "invalid_request", "The 'refresh_token' parameter is required.")},
		{"refresh token too long", "default", "", web("grant_type", grantRefreshToken, "refresh_token", strings.Repeat("r", 201)), oerr(400, "invalid_grant", refreshInvalid)},
		{"refresh token unknown", "default", "", web("grant_type", grantRefreshToken, "refresh_token", "nope"), oerr(400, "invalid_grant", refreshInvalid)},
		{"refresh token of another client", "default", "", web("grant_type", grantRefreshToken, "refresh_token", "rt-other-client"), oerr(400, "invalid_grant", refreshInvalid)},
		{"refresh token of another server", "default", "", web("grant_type", grantRefreshToken, "refresh_token", "rt-other-server"), oerr(400, "invalid_grant", refreshInvalid)},
		{"refresh token revoked", "default", "", web("grant_type", grantRefreshToken, "refresh_token", "rt-revoked"), oerr(400, "invalid_grant", refreshInvalid)},
		{"refresh token expired", "default", "", web("grant_type", grantRefreshToken, "refresh_token", "rt-expired"), oerr(400, "invalid_grant", refreshInvalid)},
		{"refresh token idle too long", "default", "", web("grant_type", grantRefreshToken, "refresh_token", "rt-idle"), oerr(400, "invalid_grant", refreshInvalid)},
		{"refresh asks for more scopes", "default", "", web("grant_type", grantRefreshToken, "refresh_token", "rt-broader", "scope", "openid profile email"), oerr(400, "access_denied",
			"Some of the scopes requested for the refresh request were not granted in the original authorize request. Denied scopes: [profile, email].")},

		// password (§2.2).
		{"password, no username", "default", "", web("grant_type", grantPassword, "password", "x"),
			oerr(400, "invalid_request", "The 'username' and 'password' parameters are required.")},
		{"password, no password", "default", "", web("grant_type", grantPassword, "username", "ada@example.com"),
			oerr(400, "invalid_request", "The 'username' and 'password' parameters are required.")},
		{"password, unknown user", "default", "", web("grant_type", grantPassword, "username", "nobody@example.com", "password", "Secret123"),
			oerr(400, "invalid_grant", "The credentials provided were invalid.")},

		// device_code (§2.2, §2.9).
		{"device code missing", "default", svcAuth, []string{"grant_type", grantDeviceCode}, oerr(400, "invalid_grant", "The device code is invalid or has expired.")},
		{"device code unknown", "default", svcAuth, []string{"grant_type", grantDeviceCode, "device_code", "nope"}, oerr(400, "invalid_grant", "The device code is invalid or has expired.")},

		// token exchange (RFC 8693; custom servers, confidential clients).
		{"exchange, public client", "default", "", []string{"client_id", pubClient, "grant_type", grantTokenExchange}, errExchangePublic},
		{"exchange, no subject token", "default", svcAuth, []string{"grant_type", grantTokenExchange}, oerr(400, "invalid_request", "The 'subject_token' parameter is required.")},
		{"exchange, subject token type", "default", svcAuth, []string{"grant_type", grantTokenExchange, "subject_token", "x", "subject_token_type", "urn:ietf:params:oauth:token-type:id_token"},
			oerr(400, "invalid_request", "The 'subject_token_type' parameter must be urn:ietf:params:oauth:token-type:access_token.")},
		{"exchange, no audience", "default", svcAuth, []string{"grant_type", grantTokenExchange, "subject_token", "x", "subject_token_type", tokenTypeAccessToken},
			oerr(400, "invalid_request", "The 'audience' parameter is required.")},
		{"exchange, another audience", "default", svcAuth, []string{"grant_type", grantTokenExchange, "subject_token", "x", "subject_token_type", tokenTypeAccessToken, "audience", "api://other"},
			oerr(400, "invalid_target", "The 'audience' parameter does not name this authorization server's audience.")},
		{"exchange, subject token not a token", "default", svcAuth, []string{"grant_type", grantTokenExchange, "subject_token", "x", "subject_token_type", tokenTypeAccessToken, "audience", "api://default"},
			oerr(400, "invalid_grant", "The 'subject_token' is invalid or expired.")},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, _, err := f.s.token(f.ctx, f.request(c.server, c.auth, c.form...))
			if resp != nil || !sameError(err, c.want) {
				t.Errorf("got %v %v, want %v", resp, err, c.want)
			}
		})
	}
	// A refused redemption uses the code up (a code is used once), even
	// when the next attempt would have been right.
	resp, _, err := f.s.token(f.ctx, f.request("default", "", web("grant_type", grantAuthorizationCode, "code", "code-pkce-wrong",
		"redirect_uri", "https://web-client.test/cb", "code_verifier", verifier)...))
	if resp != nil || !sameError(err, oerr(400, "invalid_grant", codeInvalid)) {
		t.Errorf("second try of a refused code: %v %v", resp, err)
	}
}

// TestCodeRedemption: the checks above let a right request through; a code
// for a user no longer assigned to the app is refused with Okta's text
// (§5.1), and a code redeems once (§2.1: single use).
func TestCodeRedemption(t *testing.T) {
	f := newFixture(t)
	login := "ada@example.com"
	u, err := f.svc.CreateUser(f.ctx, service.SystemContext, service.NewUser{Hash: secret.DummyHash,
		Profile: map[string]any{"login": login, "email": login, "firstName": "Ada", "lastName": "Lovelace"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AssignUserToApp(f.ctx, service.SystemContext, &store.AppUser{AppID: "0oa" + webClient, UserID: u.ID}); err != nil {
		t.Fatal(err)
	}
	verifier := strings.Repeat("v", 43)
	d := codeData{ServerID: "default", ClientID: webClient, RedirectURI: "https://web-client.test/cb", UserID: u.ID, Scopes: []string{"openid"},
		Challenge: "7w_YNF9DSfIdPf_pRjSq646_kPr-2-o9NAl16JGghdM", AuthTime: f.clock.now(), AMR: []string{"pwd"}, FamilyID: secret.NewID("fam")}
	f.code(t, "good", d, f.clock.now().Add(time.Minute), false)
	redeem := func(code string) (*TokenResponse, *Error) {
		resp, _, err := f.s.token(f.ctx, f.request("default", "", "client_id", webClient, "client_secret", webSecret, "grant_type", grantAuthorizationCode,
			"code", code, "redirect_uri", "https://web-client.test/cb", "code_verifier", verifier))
		return resp, err
	}
	resp, terr := redeem("good")
	if terr != nil || resp.AccessToken == "" || resp.IDToken == "" || resp.Scope != "openid" || resp.TokenType != "Bearer" {
		t.Fatalf("redemption: %+v %v", resp, terr)
	}
	if resp, terr := redeem("good"); resp != nil || !sameError(terr, oerr(400, "invalid_grant", "The authorization code is invalid or has expired.")) {
		t.Errorf("second redemption: %v %v", resp, terr)
	}
	if err := f.svc.UnassignUserFromApp(f.ctx, service.SystemContext, "0oa"+webClient, u.ID); err != nil {
		t.Fatal(err)
	}
	d.FamilyID = secret.NewID("fam")
	f.code(t, "unassigned", d, f.clock.now().Add(time.Minute), false)
	if resp, terr := redeem("unassigned"); resp != nil || !sameError(terr, oerr(400, "access_denied", "User is not assigned to the client application.")) {
		t.Errorf("code of an unassigned user: %v %v", resp, terr)
	}
}

// TestDevicePolling: RFC 8628 §3.5 with the injected clock — pending while
// nobody decided, slow_down (and a longer interval) when polled faster
// than the interval, expired_token after the code's 600 s (§3.4).
func TestDevicePolling(t *testing.T) {
	f := newFixture(t)
	if err := f.svc.CreateScope(f.ctx, service.SystemContext, "default", &store.Scope{Name: "tv", Default: true}); err != nil {
		t.Fatal(err)
	}
	auth := basic(svcClient, svcSecret)
	for _, c := range []struct {
		name, server, scope string
		want                *Error
	}{
		{"org server without scope", store.OrgServerID, "", oerr(400, "invalid_scope", "No scopes were requested.")},
		{"org server, a custom scope", store.OrgServerID, "tv", oerr(400, "invalid_scope", "One or more scopes are not configured for the authorization server resource.")},
		{"unknown scope", "default", "tv radio", oerr(400, "invalid_scope", "One or more scopes are not configured for the authorization server resource.")},
	} {
		if res, err := f.s.DeviceAuthorize(f.ctx, f.request(c.server, auth, "scope", c.scope)); res != nil || !sameError(err, c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, res, err, c.want)
		}
	}
	if res, err := f.s.DeviceAuthorize(f.ctx, f.request("default", "", "client_id", webClient, "client_secret", webSecret)); res != nil || err == nil || err.Code != "unauthorized_client" {
		t.Errorf("device authorization for an app without the grant: %v %v", res, err)
	}

	res, derr := f.s.DeviceAuthorize(f.ctx, f.request("default", auth))
	if derr != nil {
		t.Fatal(derr)
	}
	if res.ExpiresIn != 600 || res.Interval != 5 || len(res.UserCode) != 8 || res.VerificationURI != testOrgURL+"/activate" {
		t.Errorf("device authorization: %+v", res)
	}
	poll := func() *Error {
		t.Helper()
		resp, _, err := f.s.token(f.ctx, f.request("default", auth, "grant_type", grantDeviceCode, "device_code", res.DeviceCode))
		if resp != nil {
			t.Fatalf("tokens before anyone approved: %+v", resp)
		}
		return err
	}
	if err := poll(); err == nil || err.Code != "authorization_pending" {
		t.Fatalf("first poll: %v", err)
	}
	f.clock.add(4 * time.Second)
	if err := poll(); err == nil || err.Code != "slow_down" {
		t.Fatalf("poll after 4 s of a 5 s interval: %v", err)
	}
	// The interval is now 10 s: 6 s later is still too fast.
	f.clock.add(6 * time.Second)
	if err := poll(); err == nil || err.Code != "slow_down" {
		t.Fatalf("poll after 6 s of a 10 s interval: %v", err)
	}
	f.clock.add(16 * time.Second)
	if err := poll(); err == nil || err.Code != "authorization_pending" {
		t.Fatalf("poll after 16 s of a 15 s interval: %v", err)
	}
	f.clock.add(600 * time.Second)
	if err := poll(); !sameError(err, oerr(400, "expired_token", "The device code has expired.")) {
		t.Fatalf("poll after expiry: %v", err)
	}
}
