package store

import (
	"context"
	"time"
)

// SigningKey is one key pair of an authorization server's key set.
type SigningKey struct {
	KID       string // unique across the install
	ServerID  string // custom server id or OrgServerID
	Alg       string // RS256
	Use       string // sig
	Status    string // NEXT, ACTIVE, EXPIRED
	PublicJWK []byte // JSON of the public JWK
	// PrivateSealed is the private key (PKCS#8 DER) encrypted with AES-256-GCM
	// under the master key.
	PrivateSealed []byte
	Created       time.Time
	// Activated is when the key started signing; zero while NEXT.
	Activated time.Time
	// RetireAt is when an EXPIRED key may stop being published (every token it
	// signed has expired by then).
	RetireAt time.Time
}

type Keys interface {
	Create(ctx context.Context, k *SigningKey) error
	Update(ctx context.Context, k *SigningKey) error
	Delete(ctx context.Context, kid string) error
	List(ctx context.Context, serverID string) ([]*SigningKey, error) // ordered by creation
	ListAll(ctx context.Context) ([]*SigningKey, error)
}
