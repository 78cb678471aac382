package service

import (
	"context"
	"errors"
	"sort"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

// The refresh tokens an authorization server has issued, by client
// (/api/v1/authorizationServers/{id}/clients): the live ones only — not
// revoked, not yet replaced by rotation, not expired.

// ServerClients returns the apps that hold live refresh tokens of a server,
// by client id.
func (s *Service) ServerClients(ctx context.Context, serverID string) ([]*store.App, error) {
	if _, err := s.GetAuthServer(ctx, serverID); err != nil {
		return nil, err
	}
	live, err := s.Store.RefreshTokens().Live(ctx, serverID, "", s.now())
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []*store.App
	for _, t := range live {
		if seen[t.ClientID] {
			continue
		}
		seen[t.ClientID] = true
		a, err := s.Store.Apps().GetByClientID(ctx, t.ClientID)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since; its tokens no longer work
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ClientID < out[j].ClientID })
	return out, nil
}

// ClientTokens lists the live refresh tokens of one client on a server.
func (s *Service) ClientTokens(ctx context.Context, serverID, clientID string) ([]*store.RefreshToken, error) {
	if _, err := s.GetAuthServer(ctx, serverID); err != nil {
		return nil, err
	}
	if _, err := s.Store.Apps().GetByClientID(ctx, clientID); errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(clientID, "Client")
	} else if err != nil {
		return nil, err
	}
	return s.Store.RefreshTokens().Live(ctx, serverID, clientID, s.now())
}

// ClientToken returns one live refresh token of a client on a server.
func (s *Service) ClientToken(ctx context.Context, serverID, clientID, tokenID string) (*store.RefreshToken, error) {
	tokens, err := s.ClientTokens(ctx, serverID, clientID)
	if err != nil {
		return nil, err
	}
	for _, t := range tokens {
		if t.ID == tokenID {
			return t, nil
		}
	}
	return nil, oktaerr.NotFound(tokenID, "RefreshToken")
}

// RevokeClientTokens revokes one live refresh token of a client on a server
// (tokenID), or all of them (tokenID empty): each with its family and the
// access tokens issued from it, seen by every replica.
func (s *Service) RevokeClientTokens(ctx context.Context, c Context, serverID, clientID, tokenID string) error {
	var tokens []*store.RefreshToken
	if tokenID != "" {
		t, err := s.ClientToken(ctx, serverID, clientID, tokenID)
		if err != nil {
			return err
		}
		tokens = []*store.RefreshToken{t}
	} else {
		var err error
		if tokens, err = s.ClientTokens(ctx, serverID, clientID); err != nil {
			return err
		}
	}
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		now := s.now()
		for _, t := range tokens {
			if _, err := store.RevokeFamilies(ctx, tx, []string{t.FamilyID}, now); err != nil {
				return err
			}
			if err := s.record(ctx, tx, c, "app.oauth2.as.token.revoke", "OAuth2 token revocation request",
				audit.Target{ID: t.ID, Type: "refresh_token", DisplayName: "Refresh Token"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.syncRevocations(ctx)
	}
	return err
}
