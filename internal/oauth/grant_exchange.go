package oauth

import (
	"context"
	"slices"
	"time"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/policy"
	"github.com/sesame-idp/sesame/internal/token"
)

const tokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"

var errExchangePublic = oerr(401, "invalid_client", "Token exchange requires a confidential client.")

// tokenExchange (RFC 8693, §2.2): a confidential client trades a user's
// access token from a server this one trusts (its associated servers) for
// an access token of this server, on behalf of the same user, when a rule of
// this server allows token-exchange for that client and user. Only custom
// servers offer it, to confidential clients (the grant table).
func (s *Server) tokenExchange(ctx context.Context, req *tokenRequest, c *authenticatedClient, now time.Time) (*TokenResponse, *Error) {
	subjectToken, subjectType := req.params.get("subject_token"), req.params.get("subject_token_type")
	if subjectToken == "" {
		return nil, oerr(400, "invalid_request", "The 'subject_token' parameter is required.")
	}
	if subjectType != tokenTypeAccessToken {
		return nil, oerr(400, "invalid_request", "The 'subject_token_type' parameter must be "+tokenTypeAccessToken+".")
	}
	// The audience names the server whose token the client wants; a client
	// that names another one is talking to the wrong server.
	switch a := req.params.get("audience"); {
	case a == "":
		return nil, oerr(400, "invalid_request", "The 'audience' parameter is required.")
	case !slices.Contains(req.server.Audiences, a):
		return nil, oerr(400, "invalid_target", "The 'audience' parameter does not name this authorization server's audience.")
	}
	claims := s.subjectAccessToken(req.snap, req.server, subjectToken, now)
	if claims == nil || claims.Uid == "" {
		return nil, oerr(400, "invalid_grant", "The 'subject_token' is invalid or expired.")
	}
	// The user acts through the service app, which people are not assigned
	// to: the user must still be active, and the policy decides the rest.
	sub, err := s.loadSubject(ctx, claims.Uid)
	if err != nil || !sub.user.CanSignIn() {
		return nil, oerr(400, "invalid_grant", "The 'subject_token' is invalid or expired.")
	}
	res, denial := policy.Evaluate(req.server, policy.Request{ClientID: c.app.ClientID, GrantType: grantTokenExchange,
		Scopes: policy.ParseScopes(req.params.get("scope")), UserID: sub.user.ID, UserGroups: sub.groupIDs})
	if denial != nil {
		return nil, oerr(denial.Status, denial.Code, denial.Description)
	}
	authTime := time.Unix(claims.AuthTime, 0)
	if claims.AuthTime == 0 {
		authTime = time.Time{}
	}
	g := &userGrant{srv: req.server, snap: req.snap, origin: req.origin, reqOrigin: req.reqOrigin, app: c.app, sub: sub, scopes: res.Scopes, authTime: authTime}
	g.rule = lifetimesOf(res)
	m, terr := s.mintUserTokens(g, true, false, false, "", now)
	if terr != nil {
		return nil, terr
	}
	m.resp.IssuedTokenType = tokenTypeAccessToken
	return m.resp, nil
}

// subjectAccessToken checks an access token against the servers this one
// trusts (its associated servers, and itself) and returns its claims.
func (s *Server) subjectAccessToken(snap *cache.Snapshot, self *cache.Server, tok string, now time.Time) *token.AccessClaims {
	for _, id := range append([]string{self.ID}, self.TrustedServers...) {
		srv := snap.Servers[id]
		if !srv.Serving() || srv.IsOrg() {
			continue
		}
		if c := s.activeAccessToken(snap, srv, tok, now); c != nil {
			return c
		}
	}
	return nil
}
