package store

import (
	"context"
	"time"
)

// RefreshToken is one refresh token of a grant. Tokens rotated from one
// another share a FamilyID; the access tokens issued in a family are
// recorded so that the family can be revoked as a whole.
type RefreshToken struct {
	ID       string // oar…
	Hash     []byte // SHA-256 of the token, unique
	FamilyID string
	ServerID string
	ClientID string
	UserID   string
	Scopes   []string
	// Data is the grant's details (authentication time, methods, the
	// lifetimes of the policy rule that allowed it) as JSON.
	Data          []byte
	Created       time.Time
	ExpiresAt     time.Time // absolute end, inherited by successors; zero = none
	IdleExpiresAt time.Time
	RotatedAt     time.Time // when a successor was issued
	RevokedAt     time.Time
}

// FamilyAccessToken is an access token issued in a refresh-token family.
type FamilyAccessToken struct {
	FamilyID  string
	JTI       string
	UserID    string
	ClientID  string
	ExpiresAt time.Time
}

type RefreshTokens interface {
	Create(ctx context.Context, t *RefreshToken) error
	GetByHash(ctx context.Context, hash []byte) (*RefreshToken, error)
	// MarkRotated sets RotatedAt if it is unset, in one statement; false
	// when another request rotated the token first.
	MarkRotated(ctx context.Context, id string, at time.Time) (bool, error)
	// Slide moves a token's idle expiry (a STATIC token used again).
	Slide(ctx context.Context, id string, idleExpiresAt time.Time) error
	// RevokeFamily revokes every refresh token of a family.
	RevokeFamily(ctx context.Context, familyID string, at time.Time) error
	// RevokeByUser and RevokeByClient revoke every refresh token of a user or
	// client (optionally only those of one client for the user).
	RevokeByUser(ctx context.Context, userID, clientID string, at time.Time) error
	RevokeByClient(ctx context.Context, clientID string, at time.Time) error
	// Live lists the refresh tokens of a server that can still be used
	// (not revoked, rotated or expired at now), of one client or of all
	// when clientID is empty, by id.
	Live(ctx context.Context, serverID, clientID string, now time.Time) ([]*RefreshToken, error)
	RecordAccessToken(ctx context.Context, a *FamilyAccessToken) error
	// AccessTokens lists the unexpired access tokens of a family, or of a
	// user when familyID is empty (optionally of one client).
	AccessTokens(ctx context.Context, familyID, userID, clientID string, now time.Time) ([]*FamilyAccessToken, error)
	// Purge deletes tokens that expired (absolute or idle) or were revoked
	// before now, and expired access-token records.
	Purge(ctx context.Context, now time.Time) (int64, error)
}
