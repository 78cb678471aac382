package store

import (
	"context"
	"time"
)

// UserSchemaProperty is one custom property of the default user profile
// schema (/api/v1/meta/schemas/user/default, definitions.custom). Definition
// is its JSON in Okta's shape; the service owns that shape.
type UserSchemaProperty struct {
	Name        string
	Definition  []byte
	Created     time.Time
	LastUpdated time.Time
}

type UserSchema interface {
	// List returns the custom properties by name.
	List(ctx context.Context) ([]*UserSchemaProperty, error)
	// Put adds a property or replaces the one of that name (its Created
	// is kept).
	Put(ctx context.Context, p *UserSchemaProperty) error
	// Delete removes a property; ErrNotFound when there is none.
	Delete(ctx context.Context, name string) error
}
