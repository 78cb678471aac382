// Package store defines Sesame's persistent records and the storage
// interfaces every backend implements. Records are plain data: validation and
// Okta's JSON shapes live in the service and API layers.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrUnavailable is returned when the database cannot be reached or went
// away mid-request (a restart, a network cut): trying again shortly may
// succeed. Nothing was written by the failed call's transaction.
var ErrUnavailable = errors.New("store: database unavailable")

// ErrConflict is returned when a write violates a uniqueness rule (a duplicate
// id, login, client id or a replayed assertion jti).
var ErrConflict = errors.New("store: conflict")

// Store is the whole persistence layer. Each aggregate has its own small
// interface; InTx runs fn against a Store bound to one transaction so that a
// change and the audit event recording it commit together.
type Store interface {
	Orgs() Orgs
	Users() Users
	Groups() Groups
	Apps() Apps
	AuthServers() AuthServers
	Keys() Keys
	APITokens() APITokens
	AdminRoles() AdminRoles
	TrustedOrigins() TrustedOrigins
	Replays() Replays
	Revocations() Revocations
	Sessions() Sessions
	Codes() Codes
	RefreshTokens() RefreshTokens
	UserGrants() UserGrants
	Factors() Factors
	UserSchema() UserSchema
	GroupRules() GroupRules
	OrgPolicies() OrgPolicies
	RecoveryCodes() RecoveryCodes
	Audit() Audit
	Config() ConfigVersion
	Subjects

	// InTx runs fn in one transaction. fn must use only the Store it is given.
	// An error from fn rolls the transaction back and is returned unchanged.
	InTx(ctx context.Context, fn func(tx Store) error) error
	// Close releases the database.
	Close() error
	// Backend names the storage ("sqlite" or "postgres") for logs.
	Backend() string
	// Exclusive runs fn unless another replica is running work under the
	// same name, and reports whether it ran: scheduled work runs on one
	// replica at a time. On SQLite, whose database one process owns, the
	// lock is the process's.
	Exclusive(ctx context.Context, name string, fn func(ctx context.Context) error) (ran bool, err error)
}

// Checker is implemented by stores that can say whether they are ready to
// serve: the database answers and its schema is the one this binary expects.
type Checker interface {
	Ready(ctx context.Context) error
}

// Notifier is implemented by stores that tell every replica about changes
// as they commit (PostgreSQL's LISTEN/NOTIFY): new config versions and
// revoked token ids.
type Notifier interface {
	// Listen delivers notices to on until ctx ends, reconnecting when its
	// connection drops. connected is called with true each time it starts
	// listening, after which nothing committed is missed — the caller
	// catches up on what it may have missed before — and with false when
	// it loses the connection.
	Listen(ctx context.Context, on func(Notice), connected func(up bool))
}

// Notice is one committed change: a config version (Version > 0), or a
// revoked token id (JTI with its expiry).
type Notice struct {
	Version   int64
	JTI       string
	ExpiresAt time.Time
}

// Page asks for a slice of a list ordered by id: at most Limit records with
// id greater than After.
type Page struct {
	After string
	Limit int
}

// ConfigVersion is a counter bumped by every change to cached configuration
// (apps, grants, servers, scopes, claims, policies, rules, keys, trusted
// origins), so that
// every replica notices and reloads.
type ConfigVersion interface {
	Bump(ctx context.Context) error
	Get(ctx context.Context) (int64, error)
}
