package oauth

import (
	"context"
	"net/http"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/token"
)

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	req, ok := s.parseTokenRequest(w, r, "revoke")
	if !ok {
		return
	}
	if err := s.Revoke(r.Context(), req); err != nil {
		s.writeError(w, r, err)
		return
	}
	// 200 with an empty body, whatever the token was (RFC 7009 §2.2).
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// Revoke revokes an access token the authenticated client holds. Unknown,
// expired or foreign tokens are ignored without an error, so that the answer
// tells a caller nothing about tokens that are not its own.
func (s *Server) Revoke(ctx context.Context, req *tokenRequest) *Error {
	now := s.now()
	client, err := s.authenticateClient(ctx, req.snap, req.creds, req.endpoint, now)
	if err != nil {
		return err
	}
	tok := req.params.get("token")
	if tok == "" {
		return errTokenRequired
	}
	c, perr := token.ParseAccess(tok, req.server.PublicKey)
	if perr != nil {
		return s.revokeRefresh(ctx, req, client, tok, now)
	}
	if !s.validIssuer(req.server, c.Iss) || c.Cid != client.app.ClientID || now.Unix() >= c.Exp {
		return nil
	}
	exp := time.Unix(c.Exp, 0)
	if err := s.store.Revocations().Revoke(ctx, c.JTI, exp); err != nil {
		return serverError("recording revocation", err)
	}
	s.cache.Revoke(c.JTI, exp)
	if s.audit != nil {
		s.audit.Event(req.req, eventPrefix(req.server)+".token.revoke", "OAuth2 token revocation request", audit.ClientActor(client.app.ClientID, client.app.Label), "SUCCESS", "",
			audit.Target{ID: c.JTI, Type: "access_token", DisplayName: "Access Token"})
	}
	return nil
}

// revokeRefresh revokes a refresh token of the client and, with it, its
// whole family: the access tokens issued from it and its successors.
func (s *Server) revokeRefresh(ctx context.Context, req *tokenRequest, client *authenticatedClient, tok string, now time.Time) *Error {
	if len(tok) > 200 {
		return nil
	}
	rt, err := s.store.RefreshTokens().GetByHash(ctx, secret.Hash(tok))
	if err != nil || rt.ServerID != req.server.ID || rt.ClientID != client.app.ClientID || !rt.RevokedAt.IsZero() {
		return nil
	}
	if err := s.revokeFamily(ctx, rt.FamilyID, now); err != nil {
		return serverError("revoking refresh token", err)
	}
	if s.audit != nil {
		s.audit.Event(req.req, eventPrefix(req.server)+".token.revoke", "OAuth2 token revocation request", audit.ClientActor(client.app.ClientID, client.app.Label), "SUCCESS", "",
			audit.Target{ID: rt.ID, Type: "refresh_token", DisplayName: "Refresh Token"})
	}
	return nil
}

// revokeFamily revokes every refresh token of a family and every access
// token issued in it, on every replica.
func (s *Server) revokeFamily(ctx context.Context, familyID string, now time.Time) error {
	var revs []store.Revocation
	err := s.store.InTx(ctx, func(tx store.Store) (err error) {
		revs, err = store.RevokeFamilies(ctx, tx, []string{familyID}, now)
		return err
	})
	if err != nil {
		return err
	}
	for _, r := range revs {
		s.cache.Revoke(r.JTI, r.ExpiresAt)
	}
	return nil
}
