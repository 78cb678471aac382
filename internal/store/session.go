package store

import (
	"context"
	"time"
)

// Session is a browser single sign-on session. The cookie carries a random
// token; only its SHA-256 is stored.
type Session struct {
	ID                       string // 102…, what the Sessions API shows
	TokenHash                []byte // unique
	UserID                   string
	AMR                      []string
	Created                  time.Time // when the user authenticated
	LastPasswordVerification time.Time
	LastActive               time.Time
	// IdleExpiresAt slides with use; ExpiresAt is the absolute end.
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
}

type Sessions interface {
	Create(ctx context.Context, s *Session) error
	Get(ctx context.Context, id string) (*Session, error)
	GetByTokenHash(ctx context.Context, hash []byte) (*Session, error)
	// Touch records activity and moves the idle expiry.
	Touch(ctx context.Context, id string, lastActive, idleExpiresAt time.Time) error
	Delete(ctx context.Context, id string) error
	// DeleteByUser ends every session of a user and says how many there were.
	DeleteByUser(ctx context.Context, userID string) (int64, error)
	ListByUser(ctx context.Context, userID string) ([]*Session, error)
	Purge(ctx context.Context, now time.Time) (int64, error)
}
