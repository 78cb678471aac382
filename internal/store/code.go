package store

import (
	"context"
	"time"
)

// Code is a short-lived single-use secret (authorization code, session
// token, device code): only its SHA-256 is stored, with what it stands for
// as an opaque JSON document.
type Code struct {
	Kind      string // "code", "session_token", "device_code", …
	Hash      []byte
	Data      []byte
	Created   time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
}

type Codes interface {
	Create(ctx context.Context, c *Code) error // ErrConflict on a duplicate
	// Use marks an unexpired, unused code used at now and returns it. An
	// unknown or expired code is ErrNotFound; one used before is returned
	// with ErrConflict, so that the caller can undo what the first use did.
	// Exactly one of any number of concurrent callers succeeds.
	Use(ctx context.Context, kind string, hash []byte, now time.Time) (*Code, error)
	// Get returns a code whatever its state.
	Get(ctx context.Context, kind string, hash []byte) (*Code, error)
	// SetData replaces the document of an unused code (a device code being
	// approved).
	SetData(ctx context.Context, kind string, hash []byte, data []byte) error
	Purge(ctx context.Context, now time.Time) (int64, error)
}
