package oauth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/policy"
)

// orgAccessTokenLifetime is fixed for the org authorization server (§3.4).
const orgAccessTokenLifetime = time.Hour

// oidcScopes may not be requested with client_credentials: there is no user
// for them to describe.
var oidcScopes = []string{"openid", "profile", "email", "address", "phone", "offline_access", "device_sso"}

// clientCredentialsScopeRefused: there is no user for OpenID scopes to
// describe, nor for a .self scope to act as.
func clientCredentialsScopeRefused(sc string) *Error {
	if slices.Contains(oidcScopes, sc) {
		return errOpenIDClientCreds
	}
	if strings.HasSuffix(sc, ".self") {
		return errSelfScopeClientCreds
	}
	return nil
}

// clientCredentials issues an access token to the client itself (§2.2).
// The dispatch has refused public clients and the scopes above.
func (s *Server) clientCredentials(ctx context.Context, req *tokenRequest, c *authenticatedClient, now time.Time) (*TokenResponse, *Error) {
	app := c.app
	requested := policy.ParseScopes(req.params.get("scope"))

	srv := req.server
	if srv.IsOrg() {
		if app.ApplicationType != "service" {
			return nil, errOrgCCAppType
		}
		if c.method != methodKeyJWT {
			return nil, errOrgCCAuthMethod
		}
		if len(requested) == 0 {
			return nil, errMissingScopes
		}
		var granted []string
		for _, sc := range requested {
			if !strings.HasPrefix(sc, "okta.") {
				return nil, errInvalidScope
			}
			if app.OrgScopes[sc] {
				granted = append(granted, sc)
			}
		}
		if len(granted) == 0 {
			return nil, errNoOrgScopesGranted
		}
		return s.mintClientToken(srv.Active, s.issuerAt(req.origin, srv), s.orgURL, app.ClientID, granted, orgAccessTokenLifetime, nil, now)
	}

	res, denial := policy.Evaluate(srv, policy.Request{ClientID: app.ClientID, GrantType: grantClientCredentials, Scopes: requested})
	if denial != nil {
		return nil, oerr(denial.Status, denial.Code, denial.Description)
	}
	var needConsent []string
	for _, sc := range res.Scopes {
		if s := srv.ScopesByName[sc]; s != nil && s.Consent == "REQUIRED" {
			needConsent = append(needConsent, sc)
		}
	}
	if len(needConsent) > 0 {
		return nil, oerr(400, "consent_required", "The following scopes require user consent and cannot be granted for the client credentials grant type: "+list(needConsent)+".")
	}
	aud := ""
	if len(srv.Audiences) > 0 {
		aud = srv.Audiences[0]
	}
	extra, cerr := s.customClaims(req.snap, srv, app, res.Scopes, nil, "RESOURCE", false)
	if cerr != nil {
		return nil, cerr
	}
	return s.mintClientToken(srv.Active, s.issuerAt(req.origin, srv), aud, app.ClientID, res.Scopes, time.Duration(res.AccessTokenLifetimeMinutes)*time.Minute, extra, now)
}
