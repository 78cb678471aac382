package store

import (
	"context"
	"strings"
	"time"
)

// RefreshToken is one refresh token of a grant. Tokens rotated from one
// another share a FamilyID, and so do the access tokens issued with them:
// an access token's id carries its family (token.FamilyAccessJTI), so that
// the family is revoked as a whole with one revocation record.
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

// MaxAccessTokenLife is the longest an access token lives (a rule's
// maximum). A refresh token is kept that long after it expired, so that
// revoking its user's tokens still finds the family of the access tokens
// issued with it.
const MaxAccessTokenLife = 24 * time.Hour

// TokenFamily is a family without a refresh token (a grant without
// offline_access), recorded until its access token expires so that
// revoking its user's tokens finds it; families with a refresh token are
// found through their refresh tokens.
type TokenFamily struct {
	ID        string
	UserID    string
	ClientID  string
	ExpiresAt time.Time
}

// FamilyAccessToken is an access token issued in a refresh-token family
// before migration 1702, when each was recorded (RecordAccessToken). Their
// ids carry no family, so revoking a family revokes them one by one until
// the last has expired.
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
	// MarkRotated sets RotatedAt if it is unset and the token is not
	// revoked, in one statement; false when another request rotated or
	// revoked the token first.
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
	// CreateFamily records a family that has no refresh token, or moves
	// a recorded one's expiry later (a hybrid flow's code exchanged after
	// its implicit tokens).
	CreateFamily(ctx context.Context, f *TokenFamily) error
	// Families lists the ids of the families of a user (optionally of one
	// client) whose access tokens may be unexpired at now and that are not
	// revoked: those of unrevoked refresh tokens and recorded families.
	Families(ctx context.Context, userID, clientID string, now time.Time) ([]string, error)
	// RecordAccessToken records an access token in its family the way
	// tokens were before migration 1702; tests make such tokens with it.
	RecordAccessToken(ctx context.Context, a *FamilyAccessToken) error
	// AccessTokens lists the unexpired recorded access tokens (from before
	// migration 1702) of a family, or of a user when familyID is empty
	// (optionally of one client).
	AccessTokens(ctx context.Context, familyID, userID, clientID string, now time.Time) ([]*FamilyAccessToken, error)
	// Purge deletes tokens that were revoked before now or expired
	// (absolute or idle) MaxAccessTokenLife before now, families whose
	// access token expired, and expired access-token records.
	Purge(ctx context.Context, now time.Time) (int64, error)
}

// familyRevocation starts the id of a revocation record that revokes every
// access token of a family.
const familyRevocation = "F."

// FamilyRevocationID is the id of the revocation record of a family.
func FamilyRevocationID(familyID string) string { return familyRevocation + familyID }

// RevokedFamily returns the family a revocation record's id revokes; false
// for the id of one token.
func RevokedFamily(id string) (string, bool) { return strings.CutPrefix(id, familyRevocation) }

// RevokeFamilies revokes families in st (a transaction or not): their
// refresh tokens, their access tokens with one record each, which lasts as
// long as an access token can, and the access tokens recorded one by one
// before migration 1702. It returns the revocations recorded, for the
// caller's own cache; other replicas are told by the records.
func RevokeFamilies(ctx context.Context, st Store, familyIDs []string, now time.Time) ([]Revocation, error) {
	var out []Revocation
	for _, fam := range familyIDs {
		if err := st.RefreshTokens().RevokeFamily(ctx, fam, now); err != nil {
			return nil, err
		}
		r := Revocation{JTI: FamilyRevocationID(fam), ExpiresAt: now.Add(MaxAccessTokenLife)}
		if err := st.Revocations().Revoke(ctx, r.JTI, r.ExpiresAt); err != nil {
			return nil, err
		}
		out = append(out, r)
		legacy, err := st.RefreshTokens().AccessTokens(ctx, fam, "", "", now)
		if err != nil {
			return nil, err
		}
		for _, at := range legacy {
			if err := st.Revocations().Revoke(ctx, at.JTI, at.ExpiresAt); err != nil {
				return nil, err
			}
			out = append(out, Revocation{JTI: at.JTI, ExpiresAt: at.ExpiresAt})
		}
	}
	return out, nil
}
