package store

import "context"

// Subject is what a token grant reads of its user before it signs: the
// user, their groups (Everyone first, as Groups.Of orders them) and whether
// they are assigned to the app, directly or through a group.
//
// A Subject may be shared with other requests: callers must not change it.
type Subject struct {
	User       *User
	GroupIDs   []string
	GroupNames []string
	Assigned   bool
}

// Subjects serves a grant's subject from a short-lived cache, dropped entry
// by entry as users, group memberships, groups and app assignments change,
// on every replica (change notifications): the code exchange and the
// refresh read it on every request.
type Subjects interface {
	// Subject reads userID's subject for appID; ErrNotFound when the user
	// does not exist.
	Subject(ctx context.Context, userID, appID string) (*Subject, error)
}
