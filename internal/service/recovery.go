package service

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// Recovery codes: ten one-time codes a person saves when they enrol their
// first factor, each good once for the factor step when the factor is
// lost. They are 80-bit random strings, so a SHA-256 hash is all that is
// stored (as for client secrets); a new set replaces the old one, and
// resetting a person's factors removes them.

// RecoveryCodeCount is how many codes a set has.
const RecoveryCodeCount = 10

var recoveryEncoding = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// normalizeRecoveryCode drops what people add when they type a code
// (spaces, dashes, capitals).
func normalizeRecoveryCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, strings.TrimSpace(code))
}

// NewRecoveryCodes makes a user's set of recovery codes and returns them,
// the only time they are shown.
func (s *Service) NewRecoveryCodes(ctx context.Context, c Context, u *store.User) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	hashes := make([][]byte, RecoveryCodeCount)
	for i := range codes {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		raw := recoveryEncoding.EncodeToString(b) // 16 characters
		codes[i] = raw[0:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:16]
		hashes[i] = secret.Hash(raw)
	}
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		if err := tx.RecoveryCodes().Replace(ctx, u.ID, hashes, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, c.Request, "user.mfa.factor.update", "Generate recovery codes", c.Actor, "SUCCESS", userTarget(u))
	})
	return codes, err
}

// RemainingRecoveryCodes counts a user's unused codes.
func (s *Service) RemainingRecoveryCodes(ctx context.Context, userID string) (int, error) {
	return s.Store.RecoveryCodes().Remaining(ctx, userID)
}

// UseRecoveryCode spends one of a user's codes in place of a factor.
func (s *Service) UseRecoveryCode(ctx context.Context, c Context, u *store.User, code string) error {
	norm := normalizeRecoveryCode(code)
	ok := false
	if len(norm) == 16 {
		var err error
		if ok, err = s.Store.RecoveryCodes().Use(ctx, u.ID, secret.Hash(norm), s.now()); err != nil {
			return err
		}
	}
	result, reason := "SUCCESS", ""
	if !ok {
		result, reason = "FAILURE", "INVALID_RECOVERY_CODE"
	}
	ev, err := audit.New(c.Request, "user.authentication.auth_via_mfa", "Authentication of user via MFA (recovery code)", c.Actor, result, reason, userTarget(u))
	if err == nil {
		err = s.Store.Audit().Append(ctx, ev)
	}
	if err != nil {
		return err
	}
	if !ok {
		return errInvalidPasscode()
	}
	return nil
}
