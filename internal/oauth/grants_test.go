package oauth

import (
	"slices"
	"testing"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/store"
)

// TestGrantTable: what the grant table says about each grant, read the way
// the token endpoint's errors and discovery read it (Okta's lists: grant
// types sorted in error messages; client credentials and token exchange only
// in a custom server's OAuth metadata; no token exchange on the org server).
func TestGrantTable(t *testing.T) {
	if want := []string{grantAuthorizationCode, grantClientCredentials, grantImplicit, grantPassword, grantRefreshToken, grantDeviceCode, grantTokenExchange}; !slices.Equal(serverGrantTypes, want) {
		t.Errorf("server grant types %v, want %v", serverGrantTypes, want)
	}
	if want := []string{grantAuthorizationCode, grantClientCredentials, grantPassword, grantRefreshToken, grantDeviceCode}; !slices.Equal(orgTokenGrantTypes, want) {
		t.Errorf("org token grant types %v, want %v", orgTokenGrantTypes, want)
	}
	org := &cache.Server{ID: store.OrgServerID}
	custom := &cache.Server{ID: "default", AuthServer: &store.AuthServer{ID: "default"}}
	base := []string{grantAuthorizationCode, grantImplicit, grantRefreshToken, grantPassword, grantDeviceCode}
	for _, c := range []struct {
		name string
		srv  *cache.Server
		oidc bool
		want []string
	}{
		{"org openid-configuration", org, true, base},
		{"org oauth-authorization-server", org, false, base},
		{"custom openid-configuration", custom, true, base},
		{"custom oauth-authorization-server", custom, false,
			[]string{grantAuthorizationCode, grantImplicit, grantRefreshToken, grantPassword, grantClientCredentials, grantDeviceCode, grantTokenExchange}},
	} {
		if got := discoveryGrantTypes(c.srv, c.oidc); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if g := grantTypeNamed(grantImplicit); g == nil || g.token != nil {
		t.Error("implicit must be known but not redeemable at the token endpoint")
	}
	if grantTypeNamed("urn:example:unknown") != nil {
		t.Error("unknown grant found")
	}
	pub := &authenticatedClient{app: &cache.App{GrantTypes: []string{grantClientCredentials}}, method: methodNone}
	for _, c := range []struct {
		grant string
		want  *Error // for a public client; nil: allowed
	}{
		{grantAuthorizationCode, nil},
		{grantRefreshToken, nil},
		{grantPassword, nil},
		{grantDeviceCode, nil},
		{grantClientCredentials, unauthorizedClient([]string{grantClientCredentials})},
		{grantTokenExchange, errExchangePublic},
	} {
		g := grantTypeNamed(c.grant)
		var got *Error
		if g.publicRefused != nil {
			got = g.publicRefused(pub)
		}
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("%s for a public client: %v, want %v", c.grant, got, c.want)
		}
	}
}

// TestClientCredentialsScopes: client credentials has no user, so no
// OpenID scope and no .self scope.
func TestClientCredentialsScopes(t *testing.T) {
	for _, c := range []struct {
		scope string
		want  *Error
	}{
		{"openid", errOpenIDClientCreds},
		{"profile", errOpenIDClientCreds},
		{"offline_access", errOpenIDClientCreds},
		{"device_sso", errOpenIDClientCreds},
		{"okta.users.read.self", errSelfScopeClientCreds},
		{"api.self", errSelfScopeClientCreds},
		{"api", nil},
		{"okta.users.read", nil},
		{"selfish", nil},
	} {
		if got := clientCredentialsScopeRefused(c.scope); got != c.want {
			t.Errorf("%q: %v, want %v", c.scope, got, c.want)
		}
	}
	for _, g := range grantTypes {
		if g.scopeRefused != nil && g.name != grantClientCredentials {
			t.Errorf("%s refuses scopes; only client credentials should", g.name)
		}
	}
}
