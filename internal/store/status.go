package store

import "strings"

// Statuses of configuration records: apps and their grants, authorization
// servers, policies, rules, claims, trusted origins and user grants.
const (
	StatusActive   = "ACTIVE"
	StatusInactive = "INACTIVE"
)

// User statuses, Okta's user lifecycle.
const (
	UserStaged          = "STAGED"
	UserProvisioned     = "PROVISIONED"
	UserActive          = "ACTIVE"
	UserRecovery        = "RECOVERY"
	UserLockedOut       = "LOCKED_OUT"
	UserPasswordExpired = "PASSWORD_EXPIRED"
	UserSuspended       = "SUSPENDED"
	UserDeprovisioned   = "DEPROVISIONED"
)

// UserStatuses lists every user status.
var UserStatuses = []string{UserStaged, UserProvisioned, UserActive, UserRecovery, UserLockedOut, UserPasswordExpired, UserSuspended, UserDeprovisioned}

// Signing-key statuses: a key is published as NEXT before it signs, signs
// while ACTIVE, and stays published while EXPIRED until it retires.
const (
	KeyNext    = "NEXT"
	KeyActive  = "ACTIVE"
	KeyExpired = "EXPIRED"
)

// Kinds of one-time codes (Code.Kind).
const (
	CodeAuthorization = "code"          // an authorization code
	CodePending       = "authorize"     // an authorize request waiting for sign-in or consent
	CodeSessionToken  = "session_token" // a one-time session token of the Authentication API
	CodeDevice        = "device_code"   // a device code (RFC 8628)
	CodeUser          = "user_code"     // the user code a person types for a device code
)

// CanSignIn reports whether the user may authenticate and use tokens:
// active, or active with an expired password (which only forces a new one).
func (u *User) CanSignIn() bool {
	return u.Status == UserActive || u.Status == UserPasswordExpired
}

// DisplayName is how the user is named to people (the System Log, session
// links): first and last name, or the login when the profile has neither.
func (u *User) DisplayName() string {
	first, _ := u.Profile["firstName"].(string)
	last, _ := u.Profile["lastName"].(string)
	if n := strings.TrimSpace(first + " " + last); n != "" {
		return n
	}
	return u.Login
}
