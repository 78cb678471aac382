package store

import (
	"context"
	"time"
)

// Org is the single organization an install serves.
type Org struct {
	ID      string // 00o…
	Name    string
	Created time.Time
	// SetupTokenHash is the SHA-256 of the one-time first-administrator link
	// token; empty once used or when the org was initialized by `sesame init`.
	SetupTokenHash    []byte
	SetupTokenExpires time.Time
	LastUpdated       time.Time
}

type Orgs interface {
	// Get returns the org or ErrNotFound before initialization.
	Get(ctx context.Context) (*Org, error)
	// Create stores the org; ErrConflict when one exists already.
	Create(ctx context.Context, o *Org) error
	Update(ctx context.Context, o *Org) error
}
