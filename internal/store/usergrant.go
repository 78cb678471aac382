package store

import (
	"context"
	"time"
)

// UserGrant is a scope a user consented to for a client (§5.3).
type UserGrant struct {
	ID          string // oag…
	UserID      string
	ClientID    string
	ServerID    string
	Scope       string
	Status      string // ACTIVE
	Source      string // END_USER
	Created     time.Time
	LastUpdated time.Time
}

type UserGrants interface {
	// Create stores a grant; ErrConflict when the user already granted that
	// scope to that client on that server.
	Create(ctx context.Context, g *UserGrant) error
	Get(ctx context.Context, userID, id string) (*UserGrant, error)
	// List returns a user's grants, all or those of one client, by id.
	List(ctx context.Context, userID, clientID string) ([]*UserGrant, error)
	Delete(ctx context.Context, userID, id string) error
	// DeleteForClient revokes every grant of a user to one client.
	DeleteForClient(ctx context.Context, userID, clientID string) error
}
