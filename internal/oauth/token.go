package oauth

import (
	"context"
	"net/http"
	"slices"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/jsonenc"
	"github.com/sesame-idp/sesame/internal/metrics"
	"github.com/sesame-idp/sesame/internal/policy"
	"github.com/sesame-idp/sesame/internal/web"
)

// TokenResponse is the token endpoint's success answer (§2.2).
type TokenResponse struct {
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
	AccessToken     string `json:"access_token"`
	Scope           string `json:"scope"`
	RefreshToken    string `json:"refresh_token,omitempty"`
	IDToken         string `json:"id_token,omitempty"`
	IssuedTokenType string `json:"issued_token_type,omitempty"`

	jti string // of the access token, for the System Log
}

// tokenRequest is a parsed request to one of the token endpoints (token,
// introspect, revoke, device/authorize).
type tokenRequest struct {
	server *cache.Server
	snap   *cache.Snapshot
	origin string // the issuer's origin for this request
	// reqOrigin is the origin the request came in under.
	reqOrigin string
	endpoint  string
	params    params
	creds     clientCredentials
	req       audit.Request
}

// parseTokenRequest reads a request to the token endpoint named name
// (token, introspect, revoke, device/authorize); a failure is answered.
func (s *Server) parseTokenRequest(w http.ResponseWriter, r *http.Request, name string) (*tokenRequest, bool) {
	snap, srv, ok := s.serverFor(w, r)
	if !ok {
		return nil, false
	}
	p, perr := readParams(w, r)
	if perr != nil {
		s.writeError(w, r, perr)
		return nil, false
	}
	reqOrigin := s.requestOrigin(r)
	return &tokenRequest{server: srv, snap: snap, origin: s.originFor(srv, r), reqOrigin: reqOrigin, endpoint: s.baseAt(reqOrigin, srv) + "/v1/" + name,
		params: p, creds: credentialsFrom(r.Header.Get("Authorization"), p), req: audit.RequestFrom(r)}, true
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	req, ok := s.parseTokenRequest(w, r, "token")
	if !ok {
		return
	}
	resp, err := s.Token(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	web.WriteEncodedJSON(w, http.StatusOK, resp.appendJSON(make([]byte, 0, 1024)))
}

// appendJSON writes what json.Marshal would of the struct's tags, and the
// newline web.WriteJSON ends with, without reflection.
func (r *TokenResponse) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = jsonenc.Member(b, "token_type", r.TokenType)
	b = jsonenc.Int(b, "expires_in", r.ExpiresIn)
	b = jsonenc.Member(b, "access_token", r.AccessToken)
	b = jsonenc.Member(b, "scope", r.Scope)
	if r.RefreshToken != "" {
		b = jsonenc.Member(b, "refresh_token", r.RefreshToken)
	}
	if r.IDToken != "" {
		b = jsonenc.Member(b, "id_token", r.IDToken)
	}
	if r.IssuedTokenType != "" {
		b = jsonenc.Member(b, "issued_token_type", r.IssuedTokenType)
	}
	return append(b, "}\n"...)
}

// Token runs a token request and records its outcome in the System Log.
func (s *Server) Token(ctx context.Context, req *tokenRequest) (*TokenResponse, *Error) {
	resp, client, err := s.token(ctx, req)
	if err == nil {
		metrics.TokensIssued.WithLabelValues(grantLabel(req.params.get("grant_type")), req.server.ID).Inc()
	} else {
		metrics.TokenRefusals.WithLabelValues(err.Code).Inc()
	}
	if s.audit == nil {
		return resp, err
	}
	actor := audit.ClientActor(claimedClientID(req.creds), "")
	if client != nil {
		actor = audit.ClientActor(client.app.ClientID, client.app.Label)
	}
	prefix := eventPrefix(req.server)
	serverTarget := audit.Target{ID: req.server.ID, Type: "AuthorizationServer"}
	switch {
	case err == nil:
		s.audit.Event(req.req, prefix+".token.grant.access_token", "OAuth2 access token is granted", actor, "SUCCESS", "",
			audit.Target{ID: resp.jti, Type: "access_token", DisplayName: "Access Token"}, serverTarget)
	case err.Code == "invalid_client":
		s.audit.Event(req.req, "app.oauth2.invalid_client_credentials", "OAuth2 client authentication failed", actor, "FAILURE", err.Description, serverTarget)
	default:
		s.audit.Event(req.req, prefix+".token.grant", "OAuth2 token request refused", actor, "FAILURE", err.Description, serverTarget)
	}
	return resp, err
}

// token checks the client and the grant against the grant table and runs
// the grant.
func (s *Server) token(ctx context.Context, req *tokenRequest) (*TokenResponse, *authenticatedClient, *Error) {
	now := s.now()
	name := req.params.get("grant_type")
	if name == "" {
		return nil, nil, missingGrantType(serverGrantTypes)
	}
	client, err := s.authenticateClient(ctx, req.snap, req.creds, req.endpoint, now)
	if err != nil {
		return nil, nil, err
	}
	g := grantTypeNamed(name)
	if g == nil || g.token == nil {
		return nil, client, unsupportedGrantType(serverGrantTypes)
	}
	if appGrants := client.app.GrantTypes; !slices.Contains(appGrants, name) {
		return nil, client, unauthorizedClient(appGrants)
	}
	if req.server.IsOrg() && !g.org {
		return nil, client, unsupportedGrantType(orgTokenGrantTypes)
	}
	if g.publicRefused != nil && client.method == methodNone {
		return nil, client, g.publicRefused(client)
	}
	if g.scopeRefused != nil {
		for _, sc := range policy.ParseScopes(req.params.get("scope")) {
			if e := g.scopeRefused(sc); e != nil {
				return nil, client, e
			}
		}
	}
	resp, err := g.token(s, ctx, req, client, now)
	return resp, client, err
}

// grantLabel bounds the grant_type label to the grants the endpoint knows
// (only successes are labelled with it, but the table is the authority).
func grantLabel(grant string) string {
	if grantTypeNamed(grant) != nil {
		return grant
	}
	return "other"
}
