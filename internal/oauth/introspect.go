package oauth

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/jsonenc"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/token"
	"github.com/sesame-idp/sesame/internal/web"
)

// Introspection is the answer of /v1/introspect (§2.6). An inactive token
// is exactly {"active":false}.
type Introspection struct {
	Active    bool   `json:"active"`
	TokenType string `json:"token_type,omitempty"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Username  string `json:"username,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Aud       string `json:"aud,omitempty"`
	Iss       string `json:"iss,omitempty"`
	JTI       string `json:"jti,omitempty"`
	UID       string `json:"uid,omitempty"`
}

func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	req, ok := s.parseTokenRequest(w, r, "introspect")
	if !ok {
		return
	}
	res, err := s.Introspect(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteEncodedJSON(w, http.StatusOK, res.appendJSON(make([]byte, 0, 512)))
}

// appendJSON writes what json.Marshal would of the struct's tags, and the
// newline web.WriteJSON ends with, without reflection.
func (in *Introspection) appendJSON(b []byte) []byte {
	b = append(b, `{"active":`...)
	b = strconv.AppendBool(b, in.Active)
	for _, m := range [...]struct{ name, v string }{{"token_type", in.TokenType}, {"scope", in.Scope}, {"client_id", in.ClientID}, {"username", in.Username}} {
		if m.v != "" {
			b = jsonenc.Member(b, m.name, m.v)
		}
	}
	if in.Exp != 0 {
		b = jsonenc.Int(b, "exp", in.Exp)
	}
	if in.Iat != 0 {
		b = jsonenc.Int(b, "iat", in.Iat)
	}
	for _, m := range [...]struct{ name, v string }{{"sub", in.Sub}, {"aud", in.Aud}, {"iss", in.Iss}, {"jti", in.JTI}, {"uid", in.UID}} {
		if m.v != "" {
			b = jsonenc.Member(b, m.name, m.v)
		}
	}
	return append(b, "}\n"...)
}

// Introspect reports whether a token of this server is active.
func (s *Server) Introspect(ctx context.Context, req *tokenRequest) (*Introspection, *Error) {
	now := s.now()
	if _, err := s.authenticateClient(ctx, req.snap, req.creds, req.endpoint, now); err != nil {
		return nil, err
	}
	tok := req.params.get("token")
	if tok == "" {
		return nil, errTokenRequired
	}
	c := s.activeAccessToken(req.snap, req.server, tok, now)
	if c == nil {
		return s.introspectRefresh(ctx, req, tok, now), nil
	}
	return &Introspection{
		Active: true, TokenType: "Bearer", Scope: strings.Join(c.Scp, " "), ClientID: c.Cid,
		Username: c.Sub, Exp: c.Exp, Iat: c.Iat, Sub: c.Sub, Aud: c.Aud, Iss: c.Iss, JTI: c.JTI, UID: c.Uid,
	}, nil
}

// activeAccessToken returns the claims of an access token this server issued
// that is unexpired, unrevoked and whose client is still active; else nil.
func (s *Server) activeAccessToken(snap *cache.Snapshot, srv *cache.Server, tok string, now time.Time) *token.AccessClaims {
	c, err := s.verified.parseAccess(srv.ID, tok, srv.PublicKey, now)
	if err != nil || !s.validIssuer(srv, c.Iss) || now.Unix() >= c.Exp || s.cache.IsRevoked(c.JTI) {
		return nil
	}
	if activeApp(snap, c.Cid) == nil {
		return nil
	}
	return c
}

// VerifyAccessToken checks a bearer access token of the given server; the
// management API uses it for org-server tokens.
func (s *Server) VerifyAccessToken(serverID, tok string) *token.AccessClaims {
	snap := s.cache.Current()
	srv := snap.Servers[serverID]
	if srv == nil {
		return nil
	}
	return s.activeAccessToken(snap, srv, tok, s.now())
}

// introspectRefresh reports on a refresh token of this server.
func (s *Server) introspectRefresh(ctx context.Context, req *tokenRequest, tok string, now time.Time) *Introspection {
	inactive := &Introspection{Active: false}
	if len(tok) > 200 {
		return inactive
	}
	rt, err := s.store.RefreshTokens().GetByHash(ctx, secret.Hash(tok))
	if err != nil || rt.ServerID != req.server.ID || !rt.RevokedAt.IsZero() || !now.Before(rt.IdleExpiresAt) ||
		(!rt.ExpiresAt.IsZero() && !now.Before(rt.ExpiresAt)) || activeApp(req.snap, rt.ClientID) == nil {
		return inactive
	}
	u, err := s.store.Users().Get(ctx, rt.UserID)
	if err != nil || !u.CanSignIn() {
		return inactive
	}
	aud := s.orgURL
	if !req.server.IsOrg() && len(req.server.Audiences) > 0 {
		aud = req.server.Audiences[0]
	}
	exp := rt.IdleExpiresAt
	if !rt.ExpiresAt.IsZero() && rt.ExpiresAt.Before(exp) {
		exp = rt.ExpiresAt
	}
	return &Introspection{Active: true, TokenType: "refresh_token", Scope: strings.Join(rt.Scopes, " "), ClientID: rt.ClientID,
		Username: u.Login, Exp: exp.Unix(), Iat: rt.Created.Unix(), Sub: u.Login, Aud: aud, Iss: s.issuerAt(req.origin, req.server), JTI: rt.ID, UID: u.ID}
}
