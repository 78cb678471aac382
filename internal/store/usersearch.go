package store

import "strings"

// UserWhere narrows a list of users by attributes the store keeps indexed,
// so that a search or filter reads the users that can match instead of all
// of them. It is a necessary condition, not the whole filter: the caller
// still checks every user it gets against the full expression, so a
// backend may return more than the condition selects, never fewer.
//
// A UserWhere is one comparison (Attr set), a conjunction (And), a
// disjunction (Or) or, with Never, nothing at all. The zero value selects
// every user.
type UserWhere struct {
	Attr string // one of the UserAttr… names
	// Op is eq, gt, ge, lt or le; sw (starts with) for the profile
	// attributes; ne for status.
	Op string
	// Value is a string — lower-cased for the profile attributes, which
	// compare without regard to case as Okta's search does, exact for
	// status — or a time.Time for the time attributes (compared at
	// millisecond precision).
	Value any
	And   []UserWhere
	Or    []UserWhere
	Never bool
}

// The attributes a UserWhere may compare.
const (
	UserAttrStatus      = "status"
	UserAttrLogin       = "profile.login"
	UserAttrEmail       = "profile.email"
	UserAttrFirstName   = "profile.firstName"
	UserAttrLastName    = "profile.lastName"
	UserAttrCreated     = "created"
	UserAttrLastUpdated = "lastUpdated"
)

// IsTimeAttr reports whether a UserWhere attribute holds a time.
func IsTimeAttr(attr string) bool { return attr == UserAttrCreated || attr == UserAttrLastUpdated }

// Everyone reports whether w selects every user.
func (w UserWhere) Everyone() bool {
	return w.Attr == "" && !w.Never && len(w.Or) == 0 && len(w.And) == 0
}

// UserKey is how the profile attributes of a UserWhere are compared: the
// lower-cased string. Backends store it beside the profile; the search
// lower-cases its literals the same way.
func UserKey(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	return strings.ToLower(s), true
}
