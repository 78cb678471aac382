package service

import (
	"context"
	"errors"
	"strings"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// What `sesame apply` does on a local database that the management API has
// no request for: a password given as Sesame's own hash, and API tokens with
// a value chosen in advance (tests hard-code them).

// ImportPasswordHash sets a user's password to an argon2id hash made
// elsewhere (an org file, an export with secrets). Like a password set by an
// administrator it completes a pending activation.
func (s *Service) ImportPasswordHash(ctx context.Context, c Context, userID, phc string) (*store.User, error) {
	if err := secret.CheckHash(phc); errors.Is(err, secret.ErrBadHash) {
		return nil, oktaerr.Validation("passwordHash", "passwordHash: Not an argon2id hash ($argon2id$v=19$m=…,t=…,p=…$salt$hash).")
	}
	var out *store.User
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := loadUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if u.Status == store.UserDeprovisioned {
			return ErrUserStatus()
		}
		now := s.now()
		u.PasswordHash, u.PasswordChanged, u.LastUpdated = phc, now, now
		if u.Status == store.UserProvisioned {
			u.Status, u.Activated, u.StatusChanged = store.UserActive, now, now
		}
		if err := tx.Users().Update(ctx, u); err != nil {
			return err
		}
		out = u
		return s.record(ctx, tx, c, "user.account.update_password", "Update user password", userTarget(u))
	})
	return out, err
}

// MinAPITokenLength is the shortest API token value ImportAPIToken accepts.
const MinAPITokenLength = 20

// ImportAPIToken creates an API token for a super administrator who can
// sign in, with a value chosen in advance, or a new one when value is empty,
// and returns the value.
func (s *Service) ImportAPIToken(ctx context.Context, ownerID, name, value string) (string, error) {
	if value != "" && len(value) < MinAPITokenLength || len(value) > 200 || strings.ContainsFunc(value, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return "", oktaerr.Validation("value", "value: An API token is 20 to 200 printable ASCII characters without spaces.")
	}
	var tok string
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := loadUser(ctx, tx, ownerID)
		if err != nil {
			return err
		}
		if !u.SuperAdmin || u.Status != store.UserActive {
			return oktaerr.Validation("owner", "owner: An API token's owner must be an active super administrator.")
		}
		if value != "" {
			if _, err := tx.APITokens().GetByHash(ctx, secret.Hash(value)); err == nil {
				return oktaerr.Validation("value", "value: Another API token has this value.")
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		// The event names the owner as its actor, as for a token made in
		// the console.
		tok, _, err = s.createAPIToken(ctx, tx, u, name, value)
		return err
	})
	return tok, err
}
