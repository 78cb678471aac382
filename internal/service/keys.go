package service

import (
	"context"
	"crypto"
	"fmt"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/token"
)

// newSigningKey makes a fresh RS256 key for an authorization server, its
// private half sealed under the master key.
func (s *Service) newSigningKey(serverID, status string) (*store.SigningKey, error) {
	signer, err := keys.Generate(token.Alg, 2048)
	if err != nil {
		return nil, err
	}
	return s.signingKey(serverID, status, signer)
}

// signingKey seals signer as a key of the server.
func (s *Service) signingKey(serverID, status string, signer crypto.Signer) (*store.SigningKey, error) {
	kid := keys.NewKID(signer.Public())
	pub, err := keys.PublicJWK(signer.Public(), kid, token.Alg, "sig")
	if err != nil {
		return nil, err
	}
	sealed, err := keys.SealPrivateKey(s.Sealer, signer, kid)
	if err != nil {
		return nil, err
	}
	now := s.now()
	k := &store.SigningKey{KID: kid, ServerID: serverID, Alg: token.Alg, Use: "sig", Status: status,
		PublicJWK: pub, PrivateSealed: sealed, Created: now}
	if status == store.KeyActive {
		k.Activated = now
	}
	return k, nil
}

// provisionKeys gives a server its first active key: the fixed key named
// after the server when there is one (sesame dev, sesametest), else a new one.
func (s *Service) provisionKeys(ctx context.Context, tx store.Store, serverID, name string) error {
	var k *store.SigningKey
	var err error
	if signer := s.fixedKey(name); signer != nil {
		k, err = s.signingKey(serverID, store.KeyActive, signer)
	} else {
		k, err = s.newSigningKey(serverID, store.KeyActive)
	}
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	return tx.Keys().Create(ctx, k)
}

func (s *Service) fixedKey(server string) crypto.Signer {
	if s.FixedKeys == nil {
		return nil
	}
	return s.FixedKeys(server)
}
