package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// codeData is what an authorization code stands for.
type codeData struct {
	ServerID    string        `json:"as"`
	ClientID    string        `json:"cid"`
	RedirectURI string        `json:"ru"`
	UserID      string        `json:"uid"`
	Scopes      []string      `json:"scp"`
	Nonce       string        `json:"nonce,omitempty"`
	Challenge   string        `json:"cc,omitempty"`
	AuthTime    time.Time     `json:"auth_time"`
	AMR         []string      `json:"amr"`
	ACR         string        `json:"acr,omitempty"`
	SessionID   string        `json:"sid,omitempty"`
	FamilyID    string        `json:"fam"`
	Rule        ruleLifetimes `json:"rule"`
}

// authorizationCode redeems a code (§2.2). A second use fails and revokes
// whatever the first use issued. The code is read, the tokens signed, and
// then one transaction claims the code and stores the grant's records: of
// two concurrent redemptions only one commits.
func (s *Server) authorizationCode(ctx context.Context, req *tokenRequest, c *authenticatedClient, now time.Time) (*TokenResponse, *Error) {
	code := req.params.get("code")
	if code == "" {
		return nil, oerr(400, "invalid_request", "The 'code' parameter is required.")
	}
	hash := secret.Hash(code)
	rec, err := s.store.Codes().Get(ctx, store.CodeAuthorization, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errCodeInvalid
	}
	if err != nil {
		return nil, serverError("reading code", err)
	}
	var d codeData
	if json.Unmarshal(rec.Data, &d) != nil {
		return nil, errCodeInvalid
	}
	if !rec.UsedAt.IsZero() {
		s.codeReused(ctx, req, c, d, now)
		return nil, errCodeInvalid
	}
	if !now.Before(rec.ExpiresAt) {
		return nil, errCodeInvalid
	}
	// Any refused redemption uses the code up, as a successful one would.
	refuse := func(e *Error) (*TokenResponse, *Error) {
		s.useCode(ctx, store.CodeAuthorization, hash, now)
		return nil, e
	}
	if d.ServerID != req.server.ID {
		return refuse(errCodeInvalid)
	}
	if d.ClientID != c.app.ClientID {
		return refuse(oerr(400, "invalid_grant", "The grant was issued to another client. Please make sure the 'client_id' matches the one used at the authorize request."))
	}
	if req.params.get("redirect_uri") != d.RedirectURI {
		return refuse(oerr(400, "invalid_grant", "The 'redirect_uri' does not match the redirection URI used in the authorization request."))
	}
	if d.Challenge != "" {
		v := req.params.get("code_verifier")
		if v == "" {
			return refuse(errVerifierMissing)
		}
		sum := sha256.Sum256([]byte(v))
		if len(v) < 43 || len(v) > 128 || subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(d.Challenge)) != 1 {
			return refuse(oerr(400, "invalid_grant", "PKCE verification failed."))
		}
	} else if c.method == methodNone {
		return refuse(errVerifierMissing)
	}
	sub, aerr := s.userAllowed(ctx, d.UserID, c.app)
	if aerr != nil {
		return refuse(aerr)
	}
	if sub == nil {
		return refuse(errCodeInvalid)
	}
	g := &userGrant{srv: req.server, snap: req.snap, origin: req.origin, reqOrigin: req.reqOrigin, app: c.app, sub: sub, scopes: d.Scopes, nonce: d.Nonce,
		authTime: d.AuthTime, amr: d.AMR, acr: d.ACR, sessionID: d.SessionID, familyID: d.FamilyID, rule: d.Rule}
	m, terr := s.mintUserTokens(g, true, true, true, "", now)
	if terr != nil {
		return refuse(terr)
	}
	err = s.store.InTx(ctx, func(tx store.Store) error {
		if _, err := tx.Codes().Use(ctx, store.CodeAuthorization, hash, now); err != nil {
			return err
		}
		return m.save(ctx, tx)
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		s.codeReused(ctx, req, c, d, now)
		return nil, errCodeInvalid
	case errors.Is(err, store.ErrNotFound):
		return nil, errCodeInvalid
	case err != nil:
		return nil, serverError("redeeming code", err)
	}
	return m.resp, nil
}

// codeReused revokes what the first redemption of a code issued.
func (s *Server) codeReused(ctx context.Context, req *tokenRequest, c *authenticatedClient, d codeData, now time.Time) {
	if d.FamilyID != "" {
		if err := s.revokeFamily(ctx, d.FamilyID, now); err != nil {
			s.logError(ctx, "revoking tokens of a reused code failed", err)
		}
	}
	s.auditReuse(req, c, "authorization code reused; its tokens are revoked")
}

var (
	errCodeInvalid     = oerr(400, "invalid_grant", "The authorization code is invalid or has expired.")
	errVerifierMissing = oerr(400, "invalid_request", "PKCE code verifier is required by the application.")
)
