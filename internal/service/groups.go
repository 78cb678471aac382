package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// Group types (§4.8). Sesame creates OKTA_GROUP groups; the one BUILT_IN
// group, Everyone, is made by Initialize.
const (
	GroupTypeOkta    = "OKTA_GROUP"
	GroupTypeBuiltIn = "BUILT_IN"
	EveryoneName     = "Everyone"
)

// Okta's limits on a group profile.
const (
	maxGroupName        = 255
	maxGroupDescription = 1024
)

var errGroupNameTaken = oktaerr.Validation("name", "name: An object with this field already exists")

// errBuiltIn refuses changes to Everyone: it is defined by the org, not by
// an administrator, and holds every user without storing them.
func errBuiltIn(what string) *oktaerr.Error {
	return oktaerr.Forbidden("type: " + what + " is not allowed on a group of type BUILT_IN")
}

func groupTarget(g *store.Group) audit.Target {
	return audit.Target{ID: g.ID, Type: "UserGroup", AlternateID: g.Name, DisplayName: g.Name}
}

// ValidateGroup checks the administrator-supplied part of a group.
func ValidateGroup(g *store.Group) *oktaerr.Error {
	var causes []string
	switch {
	case strings.TrimSpace(g.Name) == "":
		causes = append(causes, "name: The field cannot be left blank")
	case utf8.RuneCountInString(g.Name) > maxGroupName:
		causes = append(causes, "name: The field is too long (at most 255 characters)")
	}
	if utf8.RuneCountInString(g.Description) > maxGroupDescription {
		causes = append(causes, "description: The field is too long (at most 1024 characters)")
	}
	causes = append(causes, groupProfileProblems(g.Profile)...)
	if len(causes) > 0 {
		return oktaerr.Validation(strings.SplitN(causes[0], ":", 2)[0], causes...)
	}
	return nil
}

// Limits on custom group attributes (Okta's group schema holds at most a few
// hundred; these bound what one group may store).
const (
	maxGroupAttrs     = 100
	maxGroupAttrName  = 100
	maxGroupAttrBytes = 4096
)

// groupProfileProblems checks custom group attributes: at most
// maxGroupAttrs, each a string, number, boolean, null or an array of
// those, as the group schema's types are.
func groupProfileProblems(p map[string]any) []string {
	if len(p) > maxGroupAttrs {
		return []string{fmt.Sprintf("profile: A group can have at most %d custom attributes.", maxGroupAttrs)}
	}
	var causes []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		if k == "" || len(k) > maxGroupAttrName {
			causes = append(causes, fmt.Sprintf("profile: Attribute names must be 1 to %d characters long.", maxGroupAttrName))
			continue
		}
		scalar := func(v any) bool {
			switch v.(type) {
			case nil, string, bool, float64, json.Number:
				return true
			}
			return false
		}
		ok := scalar(p[k])
		if arr, isArr := p[k].([]any); isArr {
			ok = !slices.ContainsFunc(arr, func(v any) bool { return !scalar(v) })
		}
		b, _ := json.Marshal(p[k])
		switch {
		case !ok:
			causes = append(causes, "profile."+k+": The value must be a string, number, boolean or an array of them.")
		case len(b) > maxGroupAttrBytes:
			causes = append(causes, fmt.Sprintf("profile.%s: The value is longer than %d bytes.", k, maxGroupAttrBytes))
		}
	}
	return causes
}

// loadGroup reads a group through st, answering E0000007 when it does not
// exist.
func loadGroup(ctx context.Context, st store.Store, id string) (*store.Group, error) {
	g, err := st.Groups().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(id, "UserGroup")
	}
	return g, err
}

// GetGroup returns a group by id.
func (s *Service) GetGroup(ctx context.Context, id string) (*store.Group, error) {
	return loadGroup(ctx, s.Store, id)
}

// ListGroups lists groups in id order.
func (s *Service) ListGroups(ctx context.Context, p store.Page) ([]*store.Group, error) {
	return s.Store.Groups().List(ctx, p)
}

// GroupsNamed lists the groups whose name starts with prefix, ignoring
// case, by folded name then id, after the cursor (store.Groups.Named).
func (s *Service) GroupsNamed(ctx context.Context, prefix string, after store.GroupCursor, limit int) ([]*store.Group, error) {
	return s.Store.Groups().Named(ctx, prefix, after, limit)
}

// CreateGroup stores a new OKTA_GROUP group from g's name and description.
func (s *Service) CreateGroup(ctx context.Context, c Context, g *store.Group) error {
	if err := ValidateGroup(g); err != nil {
		return err
	}
	now := s.now()
	g.ID, g.Type, g.Created, g.LastUpdated, g.LastMembershipUpdated = secret.NewID("00g"), GroupTypeOkta, now, now, now
	return s.Store.InTx(ctx, func(tx store.Store) error {
		if err := tx.Groups().Create(ctx, g); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errGroupNameTaken
			}
			return err
		}
		return s.record(ctx, tx, c, "group.lifecycle.create", "Create Okta group", groupTarget(g))
	})
}

// UpdateGroup replaces the profile (name, description, custom attributes)
// of the group g.ID
// and returns the stored group.
func (s *Service) UpdateGroup(ctx context.Context, c Context, g *store.Group) (*store.Group, error) {
	if err := ValidateGroup(g); err != nil {
		return nil, err
	}
	var out *store.Group
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		old, err := loadGroup(ctx, tx, g.ID)
		if err != nil {
			return err
		}
		if old.Type != GroupTypeOkta {
			return errBuiltIn("Updating the profile")
		}
		old.Name, old.Description, old.Profile, old.LastUpdated = g.Name, g.Description, g.Profile, s.now()
		if err := tx.Groups().Update(ctx, old); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errGroupNameTaken
			}
			return err
		}
		out = old
		return s.record(ctx, tx, c, "group.profile.update", "Update group profile", groupTarget(old))
	})
	return out, err
}

// DeleteGroup removes an OKTA_GROUP group with its memberships and app
// assignments.
func (s *Service) DeleteGroup(ctx context.Context, c Context, id string) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		g, err := loadGroup(ctx, tx, id)
		if err != nil {
			return err
		}
		if g.Type != GroupTypeOkta {
			return errBuiltIn("Deletion")
		}
		if err := tx.Groups().Delete(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "group.lifecycle.delete", "Delete Okta group", groupTarget(g))
	})
}

// changeMembership adds or removes a user. It is idempotent as Okta's PUT
// and DELETE are: only an actual change is stored and logged.
func (s *Service) changeMembership(ctx context.Context, c Context, groupID, userID string, add bool) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		g, err := loadGroup(ctx, tx, groupID)
		if err != nil {
			return err
		}
		u, err := loadUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if g.Type != GroupTypeOkta {
			return errBuiltIn("Changing the membership")
		}
		of, err := tx.Groups().GroupsOf(ctx, u.ID)
		if err != nil {
			return err
		}
		if slices.Contains(of, g.ID) == add {
			return nil
		}
		ev, msg := "group.user_membership.add", "Add user to group membership"
		if add {
			err = tx.Groups().AddMember(ctx, g.ID, u.ID)
		} else {
			ev, msg = "group.user_membership.remove", "Remove user from group membership"
			err = tx.Groups().RemoveMember(ctx, g.ID, u.ID)
		}
		if err != nil {
			return err
		}
		g.LastMembershipUpdated = s.now()
		if err := tx.Groups().Update(ctx, g); err != nil {
			return err
		}
		return s.record(ctx, tx, c, ev, msg, userTarget(u), groupTarget(g))
	})
}

// AddGroupMember puts a user in an OKTA_GROUP group.
func (s *Service) AddGroupMember(ctx context.Context, c Context, groupID, userID string) error {
	return s.changeMembership(ctx, c, groupID, userID, true)
}

// RemoveGroupMember takes a user out of an OKTA_GROUP group.
func (s *Service) RemoveGroupMember(ctx context.Context, c Context, groupID, userID string) error {
	return s.changeMembership(ctx, c, groupID, userID, false)
}

// ListGroupMembers lists a group's users in id order. Everyone lists every
// user: its membership is implicit.
func (s *Service) ListGroupMembers(ctx context.Context, groupID string, p store.Page) ([]*store.User, error) {
	g, err := s.GetGroup(ctx, groupID)
	if err != nil {
		return nil, err
	}
	if g.Type == GroupTypeBuiltIn && g.Name == EveryoneName {
		return s.Store.Users().List(ctx, p)
	}
	return s.Store.Users().InGroup(ctx, groupID, p)
}

// Everyone returns the built-in group that holds every user.
func (s *Service) Everyone(ctx context.Context) (*store.Group, error) {
	return everyone(ctx, s.Store)
}

func everyone(ctx context.Context, st store.Store) (*store.Group, error) {
	g, err := st.Groups().GetByName(ctx, EveryoneName)
	if err != nil {
		return nil, err
	}
	if g.Type != GroupTypeBuiltIn {
		return nil, errors.New("the group named Everyone is not the built-in group")
	}
	return g, nil
}

// UserGroups returns the groups of a user (by id or login), Everyone first.
func (s *Service) UserGroups(ctx context.Context, userIDOrLogin string) ([]*store.Group, error) {
	u, err := loadUser(ctx, s.Store, userIDOrLogin)
	if err != nil {
		return nil, err
	}
	ev, err := s.Everyone(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := s.Store.Groups().GroupsOf(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	out := []*store.Group{ev}
	for _, id := range ids {
		g, err := s.Store.Groups().Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}
