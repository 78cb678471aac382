package oauth

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/sesame-idp/sesame/internal/policy"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/signin"
)

// password is the resource owner password grant.
func (s *Server) password(ctx context.Context, req *tokenRequest, c *authenticatedClient, now time.Time) (*TokenResponse, *Error) {
	username, pw := req.params.get("username"), req.params.get("password")
	if username == "" || !req.params.has("password") {
		return nil, oerr(400, "invalid_request", "The 'username' and 'password' parameters are required.")
	}
	if s.passwords == nil {
		return nil, serverError("password grant without a password checker", nil)
	}
	u, err := s.passwords.Check(ctx, req.req, username, pw)
	switch {
	case errors.Is(err, signin.ErrInvalidCredentials), errors.Is(err, signin.ErrLockedOut), errors.Is(err, signin.ErrThrottled):
		return nil, errBadCredentials
	case err != nil:
		return nil, serverError("password check", err)
	}
	sub, aerr := s.userAllowed(ctx, u.ID, c.app)
	if aerr != nil {
		return nil, aerr
	}
	if sub == nil {
		return nil, errBadCredentials
	}
	scopes := policy.ParseScopes(req.params.get("scope"))
	g := &userGrant{srv: req.server, snap: req.snap, origin: req.origin, reqOrigin: req.reqOrigin, app: c.app, sub: sub, authTime: now, amr: []string{"pwd"}, familyID: secret.NewID("fam")}
	if req.server.IsOrg() {
		if len(scopes) == 0 {
			return nil, errMissingScopes
		}
		for _, sc := range scopes {
			if !slices.Contains(orgScopes, sc) {
				return nil, errInvalidScope
			}
		}
		g.scopes = scopes
	} else {
		res, denial := policy.Evaluate(req.server, policy.Request{ClientID: c.app.ClientID, GrantType: grantPassword, Scopes: scopes,
			UserID: sub.user.ID, UserGroups: sub.groupIDs})
		if denial != nil {
			return nil, oerr(denial.Status, denial.Code, denial.Description)
		}
		g.scopes = res.Scopes
		g.rule = lifetimesOf(res)
		if need := s.consentDue(ctx, req.server, c.app, sub, g.scopes, false); len(need) > 0 {
			return nil, oerr(400, "consent_required", "The following scopes require user consent: "+list(need)+". Set the app's consent method to TRUSTED to use the password grant.")
		}
	}
	return s.issueUserTokens(ctx, g, true, true, true, "", now)
}

var errBadCredentials = oerr(400, "invalid_grant", "The credentials provided were invalid.")
