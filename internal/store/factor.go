package store

import (
	"context"
	"time"
)

// Factor types and statuses, as Okta's factors API names them.
const (
	FactorTOTP     = "token:software:totp"
	FactorWebAuthn = "webauthn"

	FactorPending = "PENDING_ACTIVATION"
	FactorActive  = "ACTIVE"
)

// Factor is a second factor a user enrolled: a TOTP secret or a WebAuthn
// credential.
type Factor struct {
	ID       string // ost… (TOTP), fwf… (WebAuthn)
	UserID   string
	Type     string // FactorTOTP, FactorWebAuthn
	Provider string // OKTA, FIDO
	Status   string // FactorPending, FactorActive
	// Profile is the factor's public profile as JSON (credentialId,
	// authenticatorName, …).
	Profile []byte
	// SecretSealed is the TOTP secret or the WebAuthn credential, encrypted
	// with AES-256-GCM under the master key and bound to the factor id.
	SecretSealed []byte
	// Counter is the last TOTP time step accepted (a code is good once) or
	// the WebAuthn signature counter.
	Counter int64
	// FailedAttempts counts wrong codes in a row since LastFailure; a
	// factor with too many is locked for a while.
	FailedAttempts int
	LastFailure    time.Time
	LastVerified   time.Time
	Created        time.Time
	LastUpdated    time.Time
}

type Factors interface {
	Create(ctx context.Context, f *Factor) error // ErrConflict on a duplicate id
	Get(ctx context.Context, id string) (*Factor, error)
	// ListByUser returns a user's factors in creation order.
	ListByUser(ctx context.Context, userID string) ([]*Factor, error)
	// Update writes status, profile, sealed secret and last updated.
	Update(ctx context.Context, f *Factor) error
	// Advance records a successful verification at counter: it sets the
	// counter, clears the failures and sets LastVerified, only if counter
	// is greater than the stored one, in one statement. False means a code
	// of that step (or a later one) was used already — by a concurrent
	// request on any replica, too.
	Advance(ctx context.Context, id string, counter int64, at time.Time) (bool, error)
	// Fail counts a wrong code at the given time and returns the new count;
	// a count whose last failure is older than window starts again at 1.
	Fail(ctx context.Context, id string, at time.Time, window time.Duration) (int, error)
	Delete(ctx context.Context, id string) error
	// DeleteByUser removes every factor of a user and says how many there were.
	DeleteByUser(ctx context.Context, userID string) (int64, error)
}

// RecoveryCodes stores the hashes of users' one-time recovery codes.
type RecoveryCodes interface {
	// Replace removes a user's codes and stores new ones.
	Replace(ctx context.Context, userID string, hashes [][]byte, at time.Time) error
	// Use marks an unused code used at at, in one statement: false when
	// the code is not the user's or was used already (by a concurrent
	// request on any replica, too).
	Use(ctx context.Context, userID string, hash []byte, at time.Time) (bool, error)
	// Remaining counts a user's unused codes.
	Remaining(ctx context.Context, userID string) (int, error)
	DeleteByUser(ctx context.Context, userID string) error
}
