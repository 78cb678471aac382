package store

import (
	"context"
	"time"
)

// TrustedOrigin is an origin allowed to call Sesame from a browser (CORS),
// to be redirected to (REDIRECT) or to embed its pages (IFRAME_EMBED).
type TrustedOrigin struct {
	ID            string // tos…
	Name          string
	Origin        string // scheme://host[:port], unique
	Scopes        []OriginScope
	Status        string // ACTIVE, INACTIVE
	Created       time.Time
	CreatedBy     string
	LastUpdated   time.Time
	LastUpdatedBy string
}

// OriginScope is one use a trusted origin is allowed.
type OriginScope struct {
	Type            string   `json:"type"` // CORS, REDIRECT, IFRAME_EMBED
	AllowedOktaApps []string `json:"allowedOktaApps,omitempty"`
}

type TrustedOrigins interface {
	Create(ctx context.Context, o *TrustedOrigin) error // ErrConflict on duplicate id or origin
	Get(ctx context.Context, id string) (*TrustedOrigin, error)
	Update(ctx context.Context, o *TrustedOrigin) error // ErrConflict on a taken origin
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, p Page) ([]*TrustedOrigin, error)
	// ListAll returns every trusted origin; used to build the configuration cache.
	ListAll(ctx context.Context) ([]*TrustedOrigin, error)
}
