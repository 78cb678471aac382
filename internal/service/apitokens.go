package service

import (
	"context"
	"errors"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// APITokenWindow is how long an API token lives after its last use.
const APITokenWindow = 30 * 24 * time.Hour

// apiTokenTouchEvery limits the writes that sliding the expiry costs.
const apiTokenTouchEvery = time.Minute

// createAPIToken makes an SSWS token for a user, with the given value or a
// new one when tok is empty; the clear token is returned once and only its
// hash is stored.
func (s *Service) createAPIToken(ctx context.Context, tx store.Store, u *store.User, name, tok string) (string, *store.APIToken, error) {
	if tok == "" {
		tok = secret.Token("00", 30)
	}
	now := s.now()
	t := &store.APIToken{ID: secret.NewID("00T"), Name: name, UserID: u.ID, ClientName: "Okta API",
		TokenHash: secret.Hash(tok), Created: now, LastUsed: now, ExpiresAt: now.Add(APITokenWindow), LastUpdated: now}
	if err := tx.APITokens().Create(ctx, t); err != nil {
		return "", nil, err
	}
	err := s.record(ctx, tx, Context{Actor: audit.UserActor(u)}, "system.api_token.create", "Create API token",
		audit.Target{ID: t.ID, Type: "Token", DisplayName: name})
	return tok, t, err
}

// CreateAPIToken makes an SSWS token for a user.
func (s *Service) CreateAPIToken(ctx context.Context, userID, name string) (string, *store.APIToken, error) {
	var tok string
	var rec *store.APIToken
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := tx.Users().Get(ctx, userID)
		if err != nil {
			return err
		}
		tok, rec, err = s.createAPIToken(ctx, tx, u, name, "")
		return err
	})
	return tok, rec, err
}

// ErrInvalidAPIToken covers unknown, expired and orphaned tokens alike.
var ErrInvalidAPIToken = errors.New("invalid API token")

// AuthenticateAPIToken resolves an SSWS token to its record and user. A
// token of a user who is no longer active is invalid.
func (s *Service) AuthenticateAPIToken(ctx context.Context, tok string) (*store.APIToken, *store.User, error) {
	t, err := s.Store.APITokens().GetByHash(ctx, secret.Hash(tok))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrInvalidAPIToken
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if !now.Before(t.ExpiresAt) {
		return nil, nil, ErrInvalidAPIToken
	}
	u, err := s.Store.Users().Get(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrInvalidAPIToken
	}
	if err != nil {
		return nil, nil, err
	}
	if u.Status != store.UserActive {
		return nil, nil, ErrInvalidAPIToken
	}
	if now.Sub(t.LastUsed) > apiTokenTouchEvery {
		if err := s.Store.APITokens().Touch(ctx, t.ID, now, now.Add(APITokenWindow)); err != nil {
			s.Log.Warn("recording API token use failed", "token", t.ID, "err", err)
		}
	}
	return t, u, nil
}

// GetAPIToken returns a token's record (never its value, which is not kept).
func (s *Service) GetAPIToken(ctx context.Context, id string) (*store.APIToken, error) {
	t, err := s.Store.APITokens().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(id, "ApiToken")
	}
	return t, err
}

// ListAPITokens lists tokens in id order.
func (s *Service) ListAPITokens(ctx context.Context, p store.Page) ([]*store.APIToken, error) {
	return s.Store.APITokens().List(ctx, p)
}

// RevokeAPIToken deletes a token; it stops authenticating at once, on every
// replica, since tokens are looked up in the store on each request.
func (s *Service) RevokeAPIToken(ctx context.Context, c Context, id string) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		t, err := tx.APITokens().Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(id, "ApiToken")
		}
		if err != nil {
			return err
		}
		if err := tx.APITokens().Delete(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "system.api_token.revoke", "Revoke API token",
			audit.Target{ID: t.ID, Type: "Token", DisplayName: t.Name})
	})
}
