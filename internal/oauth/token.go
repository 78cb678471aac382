package oauth

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/metrics"
	"github.com/sesame-idp/sesame/internal/web"
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

// serverGrantTypes are the grant types the token endpoint knows, in the
// order error messages list them.
var serverGrantTypes = []string{grantAuthorizationCode, grantClientCredentials, grantImplicit, grantPassword, grantRefreshToken, grantDeviceCode, grantTokenExchange}

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

// tokenRequest is a parsed token request.
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

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	snap, srv, ok := s.serverFor(w, r)
	if !ok {
		return
	}
	p, perr := readParams(w, r)
	if perr != nil {
		s.writeError(w, r, perr)
		return
	}
	resp, err := s.Token(r.Context(), tokenRequest{
		server: srv, snap: snap, origin: s.originFor(srv, r), reqOrigin: s.requestOrigin(r), endpoint: s.baseAt(s.requestOrigin(r), srv) + "/v1/token", params: p,
		creds: credentialsFrom(r.Header.Get("Authorization"), p), req: audit.RequestFrom(r),
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	web.WriteJSON(w, http.StatusOK, resp)
}

// Token runs a token request and records its outcome in the System Log.
func (s *Server) Token(ctx context.Context, req tokenRequest) (*TokenResponse, *Error) {
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

func (s *Server) token(ctx context.Context, req tokenRequest) (*TokenResponse, *authenticatedClient, *Error) {
	now := s.now()
	grant := req.params.get("grant_type")
	if grant == "" {
		return nil, nil, missingGrantType(serverGrantTypes)
	}
	client, err := s.authenticateClient(ctx, req.snap, req.creds, req.endpoint, now)
	if err != nil {
		return nil, nil, err
	}
	appGrants := client.app.Settings.OAuthClient.GrantTypes
	if !slices.Contains(serverGrantTypes, grant) || grant == grantImplicit {
		return nil, client, unsupportedGrantType(serverGrantTypes)
	}
	if !slices.Contains(appGrants, grant) {
		return nil, client, unauthorizedClient(appGrants)
	}
	var resp *TokenResponse
	switch grant {
	case grantClientCredentials:
		resp, err = s.clientCredentials(ctx, req, client, now)
	case grantAuthorizationCode:
		resp, err = s.authorizationCode(ctx, req, client, now)
	case grantRefreshToken:
		resp, err = s.refreshToken(ctx, req, client, now)
	case grantPassword:
		resp, err = s.password(ctx, req, client, now)
	case grantDeviceCode:
		resp, err = s.deviceCode(ctx, req, client, now)
	case grantTokenExchange:
		resp, err = s.tokenExchange(ctx, req, client, now)
	default:
		return nil, client, unsupportedGrantType(implementedGrantTypes)
	}
	return resp, client, err
}

// grantLabel bounds the grant_type label to the grants the endpoint knows
// (a refused request's grant_type is whatever the client sent, but only
// successes are labelled with it).
func grantLabel(grant string) string {
	if slices.Contains(implementedGrantTypes, grant) {
		return grant
	}
	return "other"
}

// implementedGrantTypes is what the token endpoint can issue today.
var implementedGrantTypes = []string{grantAuthorizationCode, grantClientCredentials, grantPassword, grantRefreshToken, grantDeviceCode, grantTokenExchange}

func scopeString(scopes []string) string { return strings.Join(scopes, " ") }

func expiresIn(d time.Duration) int64 { return int64(d / time.Second) }
