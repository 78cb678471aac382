package oauth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/policy"
	"github.com/sesame-idp/sesame/internal/token"
)

// orgAccessTokenLifetime is fixed for the org authorization server (§3.4).
const orgAccessTokenLifetime = time.Hour

// oidcScopes may not be requested with client_credentials: there is no user
// for them to describe.
var oidcScopes = []string{"openid", "profile", "email", "address", "phone", "offline_access", "device_sso"}

// clientCredentials issues an access token to the client itself (§2.2).
func (s *Server) clientCredentials(ctx context.Context, req tokenRequest, c *authenticatedClient, now time.Time) (*TokenResponse, *Error) {
	app := c.app
	if c.method == methodNone {
		return nil, unauthorizedClient(app.Settings.OAuthClient.GrantTypes)
	}
	requested := policy.ParseScopes(req.params.get("scope"))
	for _, sc := range requested {
		if slices.Contains(oidcScopes, sc) {
			return nil, errOpenIDClientCreds
		}
		if strings.HasSuffix(sc, ".self") {
			return nil, errSelfScopeClientCreds
		}
	}

	srv := req.server
	if srv.IsOrg() {
		if app.Settings.OAuthClient.ApplicationType != "service" {
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

func (s *Server) mintClientToken(k *token.Key, iss, aud, clientID string, scopes []string, life time.Duration, extra map[string]any, now time.Time) (*TokenResponse, *Error) {
	if k == nil {
		return nil, serverError("no active signing key for issuer "+iss, nil)
	}
	at, claims, err := token.MintAccess(k, token.Access{
		Issuer: iss, Audience: aud, ClientID: clientID, Subject: clientID, Scopes: scopes, Lifetime: life, Extra: extra,
	}, now)
	if err != nil {
		return nil, serverError("minting access token", err)
	}
	return &TokenResponse{TokenType: "Bearer", ExpiresIn: expiresIn(life), AccessToken: at, Scope: scopeString(scopes), jti: claims.JTI}, nil
}
