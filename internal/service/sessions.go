package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

// revokeUserTokens revokes a user's refresh tokens and the access tokens
// issued with them (all clients, or one), in tx; replicas pick the
// revocations up with their next sync.
func (s *Service) revokeUserTokens(ctx context.Context, tx store.Store, userID, clientID string) error {
	now := s.now()
	fams, err := tx.RefreshTokens().Families(ctx, userID, clientID, now)
	if err != nil {
		return err
	}
	if _, err := store.RevokeFamilies(ctx, tx, fams, now); err != nil {
		return err
	}
	if err := tx.RefreshTokens().RevokeByUser(ctx, userID, clientID, now); err != nil {
		return err
	}
	// Access tokens recorded one by one before migration 1702, whose
	// families may have no refresh token left.
	ats, err := tx.RefreshTokens().AccessTokens(ctx, "", userID, clientID, now)
	if err != nil {
		return err
	}
	for _, at := range ats {
		if err := tx.Revocations().Revoke(ctx, at.JTI, at.ExpiresAt); err != nil {
			return err
		}
	}
	return nil
}

// syncRevocations brings this replica's revocation cache up to date at once.
func (s *Service) syncRevocations(ctx context.Context) {
	if s.Cache != nil {
		if err := s.Cache.SyncRevocations(ctx); err != nil {
			s.Log.Warn("syncing revocations failed", "err", err)
		}
	}
}

// ClearUserSessions ends every session of a user and, with oauthTokens,
// revokes the user's refresh and access tokens too
// (DELETE /api/v1/users/{id}/sessions).
func (s *Service) ClearUserSessions(ctx context.Context, c Context, idOrLogin string, oauthTokens bool) error {
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := loadUser(ctx, tx, idOrLogin)
		if err != nil {
			return err
		}
		if _, err := tx.Sessions().DeleteByUser(ctx, u.ID); err != nil {
			return err
		}
		if oauthTokens {
			if err := s.revokeUserTokens(ctx, tx, u.ID, ""); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, c, "user.session.clear", "Clear user session", userTarget(u))
	})
	if err == nil && oauthTokens {
		s.syncRevocations(ctx)
	}
	return err
}

// GetSession returns a session by id; E0000007 when there is none.
func (s *Service) GetSession(ctx context.Context, id string) (*store.Session, error) {
	x, err := s.Store.Sessions().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(id, "Session")
	}
	if err == nil && !s.now().Before(x.IdleExpiresAt) {
		return nil, oktaerr.NotFound(id, "Session")
	}
	return x, err
}

// EndSession deletes one session (DELETE /api/v1/sessions/{id}).
func (s *Service) EndSession(ctx context.Context, c Context, id string) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		err := tx.Sessions().Delete(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(id, "Session")
		}
		if err != nil {
			return err
		}
		return s.record(ctx, tx, c, "user.session.end", "User logout from Okta", audit.Target{ID: id, Type: "Session"})
	})
}

// ListUserGrants lists the scopes a user consented to, for all clients or
// one (GET /api/v1/users/{id}/grants, …/clients/{clientId}/grants).
func (s *Service) ListUserGrants(ctx context.Context, idOrLogin, clientID string) ([]*store.UserGrant, error) {
	u, err := loadUser(ctx, s.Store, idOrLogin)
	if err != nil {
		return nil, err
	}
	return s.Store.UserGrants().List(ctx, u.ID, clientID)
}

// GetUserGrant returns one consent grant of a user.
func (s *Service) GetUserGrant(ctx context.Context, idOrLogin, grantID string) (*store.UserGrant, error) {
	u, err := loadUser(ctx, s.Store, idOrLogin)
	if err != nil {
		return nil, err
	}
	g, err := s.Store.UserGrants().Get(ctx, u.ID, grantID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(grantID, "OAuth2ScopeConsentGrant")
	}
	return g, err
}

// RevokeUserGrants revokes one consent grant (grantID) or every grant of a
// user to one client (clientID). The next sign-in asks again.
func (s *Service) RevokeUserGrants(ctx context.Context, c Context, idOrLogin, grantID, clientID string) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := loadUser(ctx, tx, idOrLogin)
		if err != nil {
			return err
		}
		target := audit.Target{ID: grantID, Type: "OAuth2ScopeConsentGrant"}
		if grantID != "" {
			err = tx.UserGrants().Delete(ctx, u.ID, grantID)
			if errors.Is(err, store.ErrNotFound) {
				return oktaerr.NotFound(grantID, "OAuth2ScopeConsentGrant")
			}
		} else {
			target = audit.Target{ID: clientID, Type: "PublicClientApp"}
			err = tx.UserGrants().DeleteForClient(ctx, u.ID, clientID)
		}
		if err != nil {
			return fmt.Errorf("revoke grants of %s: %w", u.ID, err)
		}
		return s.record(ctx, tx, c, "app.oauth2.as.consent.revoke", "User consent revoked", userTarget(u), target)
	})
}
