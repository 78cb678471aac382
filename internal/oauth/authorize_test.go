package oauth

import (
	"net/url"
	"strings"
	"testing"
)

// TestAuthorizeValidation runs /authorize's parse step over a table
// (docs/okta-api.md §2.1): until the client and its redirect URI are known
// the error is a page, never a redirect; after that it goes back to the
// registered URI.
func TestAuthorizeValidation(t *testing.T) {
	f := newFixture(t)
	snap := f.cache.Current()
	srv := snap.Servers["default"]
	challenge := strings.Repeat("c", 43)
	// spa-client is public: PKCE is required for code.
	spa := func(kv ...string) string {
		v := url.Values{"client_id": {spaClient}, "redirect_uri": {"https://spa-client.test/cb"}, "state": {"s"}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v.Encode()
	}
	for _, c := range []struct {
		name  string
		query string
		page  bool
		code  string
		desc  string // "" when valid
	}{
		{"code with PKCE", spa("response_type", "code", "code_challenge", challenge, "code_challenge_method", "S256"), false, "", ""},
		{"implicit with nonce", spa("response_type", "id_token token", "scope", "openid", "nonce", "n"), false, "", ""},

		{"no client", spa("client_id", "", "response_type", "code"), true, "invalid_request", "The 'client_id' parameter is required."},
		{"unknown client", spa("client_id", "nobody", "response_type", "code"), true, "invalid_request", "Invalid value for 'client_id' parameter."},
		{"deactivated client", spa("client_id", offClient, "response_type", "code"), true, "invalid_request", "Invalid value for 'client_id' parameter."},
		{"no redirect URI", spa("redirect_uri", "", "response_type", "code"), true, "invalid_request", "The 'redirect_uri' parameter is required."},
		{"redirect URI not registered (trailing slash)", spa("redirect_uri", "https://spa-client.test/cb/", "response_type", "code"), true, "invalid_request",
			"The 'redirect_uri' parameter must be a Login redirect URI in the client app settings."},

		{"no response type", spa(), false, "invalid_request", "The 'response_type' parameter is required."},
		{"unknown response type", spa("response_type", "code magic"), false, "unsupported_response_type",
			"The response type is not supported by the authorization server. Configured response types: [code, token, id_token]."},
		{"unknown response mode", spa("response_type", "code", "response_mode", "email"), false, "unsupported_response_mode",
			"The response mode is not supported by the authorization server. Valid response modes: [query, fragment, form_post, okta_post_message]."},
		{"query mode with tokens", spa("response_type", "token", "response_mode", "query", "nonce", "n"), false, "unsupported_response_mode",
			"'query' response mode cannot be used with either the 'id_token' or 'token' response types."},
		{"grant not configured", "client_id=" + webClient + "&redirect_uri=https%3A%2F%2Fweb-client.test%2Fcb&response_type=token&nonce=n", false, "unauthorized_client",
			"The client is not authorized to use the provided grant type. Configured grant types: [authorization_code, refresh_token, password, client_credentials]."},
		{"ID token without openid", spa("response_type", "id_token", "scope", "profile", "nonce", "n"), false, "invalid_scope",
			"Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope."},
		{"scope over 1024 characters", spa("response_type", "code", "code_challenge", challenge, "code_challenge_method", "S256", "scope", strings.Repeat("s", 1025)), false, "invalid_scope",
			"The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner."},
		{"implicit without nonce", spa("response_type", "id_token", "scope", "openid"), false, "invalid_request",
			"The 'nonce' parameter is required for authorize requests with either the 'id_token' or 'token' response types."},
		{"unknown prompt", spa("response_type", "code", "code_challenge", challenge, "code_challenge_method", "S256", "prompt", "maybe"), false, "invalid_request", "The 'prompt' parameter is invalid."},
		{"max_age negative", spa("response_type", "code", "code_challenge", challenge, "code_challenge_method", "S256", "max_age", "-1"), false, "invalid_request",
			"Invalid value for 'max_age' parameter. It should be within range 0 - 2^31-1."},
		{"max_age past 2^31-1", spa("response_type", "code", "code_challenge", challenge, "code_challenge_method", "S256", "max_age", "2147483648"), false, "invalid_request",
			"Invalid value for 'max_age' parameter. It should be within range 0 - 2^31-1."},
		{"unknown identity provider", spa("response_type", "code", "code_challenge", challenge, "code_challenge_method", "S256", "idp", "0oanothere"), false, "invalid_request",
			"Identity provider is not valid."},
		{"challenge method plain", spa("response_type", "code", "code_challenge", challenge, "code_challenge_method", "plain"), false, "invalid_request",
			"PKCE code challenge method is not supported. Valid values: [S256]"},
		{"challenge with illegal characters", spa("response_type", "code", "code_challenge", strings.Repeat("+", 43), "code_challenge_method", "S256"), false, "invalid_request",
			"PKCE code challenge contains illegal characters."},
		{"public client without PKCE", spa("response_type", "code"), false, "invalid_request", "PKCE code challenge is required by the application."},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, perr := authorizeQuery(c.query)
			if perr != nil {
				t.Fatalf("query: %v", perr)
			}
			a, aerr := f.s.parseAuthorize(snap, srv, p)
			if c.desc == "" {
				if aerr != nil {
					t.Fatalf("refused: %+v", aerr.err)
				}
				return
			}
			if aerr == nil {
				t.Fatal("accepted")
			}
			if aerr.page != c.page || aerr.err.Code != c.code || aerr.err.Description != c.desc {
				t.Errorf("got page=%v %s %q, want page=%v %s %q", aerr.page, aerr.err.Code, aerr.err.Description, c.page, c.code, c.desc)
			}
			// An error that is not a page goes to the registered URI only.
			if !aerr.page && (a == nil || a.redirectURI != "https://"+a.app.ClientID+".test/cb") {
				t.Errorf("a redirected error without the registered redirect URI: %+v", a)
			}
		})
	}
	// Defaults: query for code, fragment once a token is in the response.
	for q, want := range map[string]string{
		spa("response_type", "code", "code_challenge", challenge, "code_challenge_method", "S256"):                        "query",
		spa("response_type", "code id_token", "code_challenge", challenge, "code_challenge_method", "S256", "nonce", "n"): "fragment",
	} {
		p, perr := authorizeQuery(q)
		if perr != nil {
			t.Fatal(perr)
		}
		if a, aerr := f.s.parseAuthorize(snap, srv, p); aerr != nil || a.responseMode != want {
			t.Errorf("%s: %+v, want response mode %s", q, aerr, want)
		}
	}
}
