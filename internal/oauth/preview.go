package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/sesame-idp/sesame/internal/policy"
	"github.com/sesame-idp/sesame/internal/store"
)

// PreviewRequest is a token request as the console's Token Preview poses
// it: a client, a grant type, a person (by id; none for client_credentials)
// and the scopes asked for.
type PreviewRequest struct {
	ServerID, ClientID, GrantType, UserID string
	Scopes                                []string
}

// Preview is what a token request would yield. Nothing is stored and no
// token leaves the server: the tokens are minted by the same code the
// token endpoint runs, and only their decoded claims are returned.
type Preview struct {
	// Result is the policy rule that allowed the request; nil when refused.
	Result *policy.Result
	// Code and Description are the OAuth error a refused request gets.
	Code, Description string
	// Access and ID are the claims of the access and ID tokens (ID is nil
	// when no ID token would be issued).
	Access, ID map[string]any
}

// PreviewTokens runs a custom authorization server's access policies and
// claims for req exactly as the token endpoint would (assignment, policy
// evaluation, consent for client_credentials, claim computation, minting),
// without storing anything. The error is for store failures; a refusal is
// in the Preview.
func (s *Server) PreviewTokens(ctx context.Context, req PreviewRequest) (*Preview, error) {
	snap := s.cache.Current()
	srv := snap.Servers[req.ServerID]
	if srv == nil || srv.IsOrg() {
		return nil, store.ErrNotFound
	}
	refused := func(e *Error) (*Preview, error) { return &Preview{Code: e.Code, Description: e.Description}, nil }
	app := snap.AppByClientID(req.ClientID)
	if app == nil || app.Status != store.StatusActive {
		return refused(oerr(401, "invalid_client", "The client is unknown or inactive."))
	}
	// The token endpoint's own checks of the grant against its table.
	gt := grantTypeNamed(req.GrantType)
	if gt == nil || gt.name == grantTokenExchange || gt.name == grantDeviceCode || gt.name == grantRefreshToken {
		return refused(unsupportedGrantType([]string{grantAuthorizationCode, grantClientCredentials, grantImplicit, grantPassword}))
	}
	if appGrants := app.GrantTypes; !slices.Contains(appGrants, req.GrantType) {
		return refused(unauthorizedClient(appGrants))
	}
	client := &authenticatedClient{app: app, method: app.ClientAuthMethod()}
	if gt.publicRefused != nil && client.method == methodNone {
		return refused(gt.publicRefused(client))
	}
	if gt.scopeRefused != nil {
		for _, sc := range req.Scopes {
			if e := gt.scopeRefused(sc); e != nil {
				return refused(e)
			}
		}
	}
	now := s.now()
	if req.GrantType == grantClientCredentials {
		tr := &tokenRequest{server: srv, snap: snap, origin: s.orgURL, reqOrigin: s.orgURL,
			params: params{values: map[string]string{"scope": strings.Join(req.Scopes, " ")}}}
		res, denial := policy.Evaluate(srv, policy.Request{ClientID: app.ClientID, GrantType: grantClientCredentials, Scopes: req.Scopes})
		resp, e := s.clientCredentials(ctx, tr, client, now)
		if denial != nil || e != nil {
			if e == nil {
				e = oerr(denial.Status, denial.Code, denial.Description)
			}
			return refused(e)
		}
		access, err := jwtClaims(resp.AccessToken)
		return &Preview{Result: res, Access: access}, err
	}
	if req.UserID == "" {
		return refused(oerr(400, "invalid_request", "A user grant needs a user."))
	}
	sub, e := s.userAllowed(ctx, req.UserID, app)
	if e != nil {
		if e.Status >= 500 {
			return nil, errors.New(e.Description)
		}
		return refused(e)
	}
	if sub == nil {
		return refused(errBadCredentials)
	}
	res, denial := policy.Evaluate(srv, policy.Request{ClientID: app.ClientID, GrantType: req.GrantType, Scopes: req.Scopes,
		UserID: sub.user.ID, UserGroups: sub.groupIDs})
	if denial != nil {
		return refused(oerr(denial.Status, denial.Code, denial.Description))
	}
	g := &userGrant{srv: srv, snap: snap, origin: s.orgURL, reqOrigin: s.orgURL, app: app, sub: sub, scopes: res.Scopes,
		authTime: now, amr: []string{"pwd"}, rule: lifetimesOf(res)}
	if req.GrantType == grantImplicit {
		// offline_access counts only with a code, as /authorize decides.
		g.scopes = slices.DeleteFunc(slices.Clone(g.scopes), func(sc string) bool { return sc == "offline_access" })
	}
	m, e := s.mintUserTokens(g, true, true, false, "", now)
	if e != nil {
		return refused(e)
	}
	p := &Preview{Result: res}
	var err error
	if p.Access, err = jwtClaims(m.resp.AccessToken); err == nil && m.resp.IDToken != "" {
		p.ID, err = jwtClaims(m.resp.IDToken)
	}
	return p, err
}

// jwtClaims decodes the payload of a JWT this server just signed.
func jwtClaims(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errors.New("preview: minted token is not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(raw, &out)
}
