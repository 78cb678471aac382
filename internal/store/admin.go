package store

import (
	"context"
	"time"
)

// APIToken is an SSWS token. Only its SHA-256 is stored.
type APIToken struct {
	ID          string // 00T…
	Name        string
	UserID      string
	ClientName  string
	TokenHash   []byte // unique
	Created     time.Time
	LastUsed    time.Time
	ExpiresAt   time.Time
	LastUpdated time.Time
}

type APITokens interface {
	Create(ctx context.Context, t *APIToken) error
	Get(ctx context.Context, id string) (*APIToken, error)
	GetByHash(ctx context.Context, hash []byte) (*APIToken, error)
	// Touch records a use and slides the expiry.
	Touch(ctx context.Context, id string, usedAt, expiresAt time.Time) error
	Delete(ctx context.Context, id string) error
	DeleteByUser(ctx context.Context, userID string) error
	List(ctx context.Context, p Page) ([]*APIToken, error)
}

// AdminRole is a standard administrator role held by a user.
type AdminRole struct {
	UserID      string
	Type        string // SUPER_ADMIN, ORG_ADMIN, APP_ADMIN, …
	Created     time.Time
	LastUpdated time.Time
}

type AdminRoles interface {
	Assign(ctx context.Context, r *AdminRole) error // ErrConflict when the user holds it
	Unassign(ctx context.Context, userID, typ string) error
	// Of lists the roles of a user by type.
	Of(ctx context.Context, userID string) ([]*AdminRole, error)
	// Holders counts the users of a status who hold a role.
	Holders(ctx context.Context, typ, userStatus string) (int, error)
}
