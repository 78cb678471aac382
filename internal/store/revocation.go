package store

import (
	"context"
	"time"
)

// Replays records single-use identifiers (client-assertion jti, one-time
// setup and session tokens) until they expire, shared by every replica.
type Replays interface {
	// Record stores key; ErrConflict when it is already recorded and not expired.
	Record(ctx context.Context, key string, expiresAt time.Time) error
	// Purge deletes entries that expired before now.
	Purge(ctx context.Context, now time.Time) (int64, error)
}

// Revocations remembers the ids of revoked self-contained tokens until they
// expire.
type Revocations interface {
	Revoke(ctx context.Context, jti string, expiresAt time.Time) error // idempotent
	// IsRevoked reports whether jti was revoked by itself or with its
	// family: an access-token id carries its family's key (token.FamilyOf),
	// and one record, FamilyRevocationID, revokes the whole family. The
	// token endpoints ask the cache (cache.Cache.IsRevoked), which knows
	// both; this answers the same from the store alone.
	IsRevoked(ctx context.Context, jti string) (bool, error)
	// Since returns the ids revoked at or after the given time, for replicas'
	// in-memory revocation caches, with the time of the newest one.
	Since(ctx context.Context, t time.Time) ([]Revocation, error)
	Purge(ctx context.Context, now time.Time) (int64, error)
}

// Revocation is one revoked token id.
type Revocation struct {
	JTI       string
	ExpiresAt time.Time
	RevokedAt time.Time
}
