package store

import (
	"context"
	"strings"
	"time"
)

// Group is an Okta group. Type is OKTA_GROUP, APP_GROUP or BUILT_IN.
type Group struct {
	ID          string // 00g…
	Type        string
	Name        string
	Description string
	// Profile holds the custom profile attributes, every member of the
	// group's profile besides name and description; nil for none.
	Profile               map[string]any
	Created               time.Time
	LastUpdated           time.Time
	LastMembershipUpdated time.Time
}

type Groups interface {
	Create(ctx context.Context, g *Group) error
	Get(ctx context.Context, id string) (*Group, error)
	GetByName(ctx context.Context, name string) (*Group, error)
	Update(ctx context.Context, g *Group) error
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, p Page) ([]*Group, error)
	// Named lists the groups whose name starts with prefix, ignoring case
	// (GroupNameKey folds both), ordered by GroupNameKey(name) then id,
	// after the cursor (the zero GroupCursor: from the start).
	Named(ctx context.Context, prefix string, after GroupCursor, limit int) ([]*Group, error)
	AddMember(ctx context.Context, groupID, userID string) error // idempotent
	RemoveMember(ctx context.Context, groupID, userID string) error
	ListMembers(ctx context.Context, groupID string, p Page) ([]string, error)
	// GroupsOf returns the ids of the groups a user belongs to explicitly
	// (the built-in Everyone group is implicit and not stored per user).
	GroupsOf(ctx context.Context, userID string) ([]string, error)
	// Of returns the groups a user belongs to, the built-in Everyone group
	// first, then the others by id, in one query (token requests).
	Of(ctx context.Context, userID string) ([]*Group, error)
}

// GroupRule is an Okta group rule: the people whose profile makes
// Expression true are put in the groups GroupIDs while the rule is ACTIVE,
// except the users ExcludeUserIDs.
type GroupRule struct {
	ID             string // 0pr…
	Name           string
	Status         string // ACTIVE, INACTIVE
	Expression     string // Okta expression language, urn:okta:expression:1.0
	GroupIDs       []string
	ExcludeUserIDs []string
	Created        time.Time
	LastUpdated    time.Time
}

// RuleMembership is one membership a group rule made: the rule's record of
// it, so that the membership goes when the person stops matching or the rule
// is deleted with removeUsers, and a membership an administrator made is
// never taken away by a rule.
type RuleMembership struct {
	RuleID, GroupID, UserID string
}

type GroupRules interface {
	Create(ctx context.Context, r *GroupRule) error
	// Get answers ErrNotFound for an unknown id.
	Get(ctx context.Context, id string) (*GroupRule, error)
	// Update replaces the rule r.ID; ErrNotFound when there is none.
	Update(ctx context.Context, r *GroupRule) error
	// Delete removes the rule with its records (not the memberships).
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, p Page) ([]*GroupRule, error)
	// Active lists the ACTIVE rules by id: every user write evaluates them.
	Active(ctx context.Context) ([]*GroupRule, error)
	// Record notes that a rule made a membership (idempotent).
	Record(ctx context.Context, m RuleMembership) error
	// Forget drops the record of one membership (idempotent).
	Forget(ctx context.Context, m RuleMembership) error
	// Made lists the memberships a rule made; MadeFor those made for a user.
	Made(ctx context.Context, ruleID string) ([]RuleMembership, error)
	MadeFor(ctx context.Context, userID string) ([]RuleMembership, error)
}

// GroupCursor is a position in the order of Groups.Named.
type GroupCursor struct{ Key, ID string }

// GroupNameKey is a group name folded for q, the case-insensitive prefix
// search of groups; the store keeps it beside the name.
func GroupNameKey(name string) string { return strings.ToLower(name) }
