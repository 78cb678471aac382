// Package oauth serves the OAuth 2.0 and OpenID Connect endpoints of the org
// authorization server (/oauth2/v1/…) and of custom authorization servers
// (/oauth2/{id}/v1/…). Each endpoint parses its request into plain values,
// calls a method that knows nothing of HTTP, and writes the answer.
//
// Where things are: the token endpoint's dispatch is token.go and reads the
// grant table below; each grant is one file, grant_<name>.go (its
// validation and its handler); mint.go signs and stores what a grant issues,
// with userclaims.go deciding what a token says about its user and
// issuer.go under which URL. /authorize is authorize.go (with consent.go for
// the consent page), /logout logout.go, client authentication clientauth.go
// and assertion.go, errors and their writer errors.go.
//
// Section references such as §2.2 in comments are sections of docs/okta-api.md,
// the Okta API reference the code follows.
package oauth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/cache"
)

// Grant type values.
const (
	grantAuthorizationCode = "authorization_code"
	grantClientCredentials = "client_credentials"
	grantRefreshToken      = "refresh_token"
	grantPassword          = "password"
	grantImplicit          = "implicit"
	grantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	grantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// grantType describes one grant: who may use it, where, with which scopes,
// and the token endpoint's handler for it.
type grantType struct {
	name string
	// token redeems the grant at the token endpoint; nil for a grant
	// served only by /authorize (implicit).
	token func(s *Server, ctx context.Context, req *tokenRequest, c *authenticatedClient, now time.Time) (*TokenResponse, *Error)
	// publicRefused is the answer to a public client (auth method none);
	// nil when public clients may use the grant.
	publicRefused func(c *authenticatedClient) *Error
	// org: the org authorization server offers it too (custom servers
	// offer every grant).
	org bool
	// oidcListed: listed in OpenID discovery and in the org server's
	// documents; Okta lists the others only in a custom server's OAuth
	// metadata.
	oidcListed bool
	// scopeRefused, when set, refuses a requested scope the grant may
	// never ask for.
	scopeRefused func(scope string) *Error
}

// grantTypes is the grant table, in the order discovery lists them.
var grantTypes = []grantType{
	{name: grantAuthorizationCode, token: (*Server).authorizationCode, org: true, oidcListed: true},
	{name: grantImplicit, org: true, oidcListed: true},
	{name: grantRefreshToken, token: (*Server).refreshToken, org: true, oidcListed: true},
	{name: grantPassword, token: (*Server).password, org: true, oidcListed: true},
	{name: grantClientCredentials, token: (*Server).clientCredentials, org: true,
		publicRefused: func(c *authenticatedClient) *Error { return unauthorizedClient(c.app.GrantTypes) },
		scopeRefused:  clientCredentialsScopeRefused},
	{name: grantDeviceCode, token: (*Server).deviceCode, org: true, oidcListed: true},
	{name: grantTokenExchange, token: (*Server).tokenExchange,
		publicRefused: func(*authenticatedClient) *Error { return errExchangePublic }},
}

// grantTypeNamed is the table's entry for name, or nil.
func grantTypeNamed(name string) *grantType {
	for i := range grantTypes {
		if grantTypes[i].name == name {
			return &grantTypes[i]
		}
	}
	return nil
}

// grantNames lists the grants keep selects, sorted as error messages list
// them.
func grantNames(keep func(g *grantType) bool) []string {
	var names []string
	for i := range grantTypes {
		if keep(&grantTypes[i]) {
			names = append(names, grantTypes[i].name)
		}
	}
	slices.Sort(names)
	return names
}

// discoveryGrantTypes are the grants a server's discovery document lists.
func discoveryGrantTypes(srv *cache.Server, oidc bool) []string {
	var names []string
	for _, g := range grantTypes {
		if g.oidcListed || !oidc && !srv.IsOrg() {
			names = append(names, g.name)
		}
	}
	return names
}

var (
	// serverGrantTypes are the grant types the token endpoint knows, as
	// error messages list them.
	serverGrantTypes = grantNames(func(*grantType) bool { return true })
	// orgTokenGrantTypes are the token endpoint's grant types on the org
	// server.
	orgTokenGrantTypes = grantNames(func(g *grantType) bool { return g.token != nil && g.org })
)

func scopeString(scopes []string) string { return strings.Join(scopes, " ") }

func expiresIn(d time.Duration) int64 { return int64(d / time.Second) }
