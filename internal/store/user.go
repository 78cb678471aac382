package store

import (
	"context"
	"time"
)

// User is a person (or the first super administrator).
type User struct {
	ID              string // 00u…
	Status          string // STAGED, PROVISIONED, ACTIVE, RECOVERY, LOCKED_OUT, PASSWORD_EXPIRED, SUSPENDED, DEPROVISIONED
	Login           string // unique, case-insensitive (stored lowercased in LoginKey)
	Profile         map[string]any
	PasswordHash    string // argon2id PHC string; empty when no password is set
	SuperAdmin      bool
	Created         time.Time
	Activated       time.Time
	StatusChanged   time.Time
	LastLogin       time.Time
	LastUpdated     time.Time
	PasswordChanged time.Time
	// FailedLogins counts sign-in failures since the last success; reaching
	// the lockout threshold moves an ACTIVE user to LOCKED_OUT.
	FailedLogins int
	// RecoveryQuestion is the question of credentials.recovery_question;
	// RecoveryAnswerHash its answer's argon2id hash (the answer is
	// write-only, as Okta's is). Only Get and GetByLogin fill them, and
	// only SetRecovery writes them.
	RecoveryQuestion   string
	RecoveryAnswerHash string
}

type Users interface {
	Create(ctx context.Context, u *User) error // ErrConflict on duplicate id or login
	Get(ctx context.Context, id string) (*User, error)
	GetByLogin(ctx context.Context, login string) (*User, error) // case-insensitive
	Update(ctx context.Context, u *User) error
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, p Page) ([]*User, error)
	// Search is List narrowed by where (see UserWhere), in id order.
	Search(ctx context.Context, where UserWhere, p Page) ([]*User, error)
	// InGroup lists the members of a group, in id order, in one query.
	InGroup(ctx context.Context, groupID string, p Page) ([]*User, error)
	Count(ctx context.Context) (int, error)
	// RecordLoginFailure adds one failure in a single statement, so that
	// concurrent attempts on several replicas all count, and locks an ACTIVE
	// user out (status LOCKED_OUT, StatusChanged = at) when the count
	// reaches lockAfter (0: never). It returns the user as updated.
	RecordLoginFailure(ctx context.Context, id string, lockAfter int, at time.Time) (*User, error)
	// SetRecovery sets a user's recovery question and answer hash.
	SetRecovery(ctx context.Context, id, question, answerHash string) error
	// RecordLogin resets the failure count and sets LastLogin.
	RecordLogin(ctx context.Context, id string, at time.Time) error
	// DropAttribute removes a profile attribute from every user who has
	// it (a custom schema property was removed) and reports how many.
	DropAttribute(ctx context.Context, name string) (int64, error)
}
