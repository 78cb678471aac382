package service

import (
	"context"
	"errors"
	"net/http"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

// App assignment scopes (§4.1.2): a user assigned directly, or through one
// of the app's groups.
const (
	AssignmentScopeUser  = "USER"
	AssignmentScopeGroup = "GROUP"
)

// codeAlreadyAssigned is Okta's E0000062 (409).
const codeAlreadyAssigned = "E0000062"

func errAlreadyAssigned() *oktaerr.Error {
	return oktaerr.New(http.StatusConflict, codeAlreadyAssigned, "The specified user is already assigned to the application.")
}

// AssignUserToApp assigns a user to an app directly. au.AppID and au.UserID
// name them; an empty UserName becomes the user's login (the app's
// ${source.login} template) and an empty Scope USER.
func (s *Service) AssignUserToApp(ctx context.Context, c Context, au *store.AppUser) error {
	switch au.Scope {
	case "":
		au.Scope = AssignmentScopeUser
	case AssignmentScopeUser:
	default:
		return oktaerr.Validation("scope", "scope: A direct assignment has the scope USER")
	}
	if au.Profile == nil {
		au.Profile = map[string]any{}
	}
	return s.Store.InTx(ctx, func(tx store.Store) error {
		a, err := loadApp(ctx, tx, au.AppID)
		if err != nil {
			return err
		}
		u, err := loadUser(ctx, tx, au.UserID)
		if err != nil {
			return err
		}
		if au.UserName == "" {
			au.UserName = u.Login
		}
		now := s.now()
		au.Created, au.LastUpdated = now, now
		if err := tx.Apps().AssignUser(ctx, au); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errAlreadyAssigned()
			}
			return err
		}
		return s.record(ctx, tx, c, "application.user_membership.add", "Add user to application membership", userTarget(u), appTarget(a))
	})
}

// UpdateAppUser replaces the user name and profile of a direct assignment.
func (s *Service) UpdateAppUser(ctx context.Context, c Context, appID, userID, userName string, profile map[string]any) (*store.AppUser, error) {
	var out *store.AppUser
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		a, err := loadApp(ctx, tx, appID)
		if err != nil {
			return err
		}
		u, err := loadUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		au, err := tx.Apps().GetUserAssignment(ctx, appID, userID)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(userID, "AppUser")
		}
		if err != nil {
			return err
		}
		if userName != "" {
			au.UserName = userName
		}
		if profile != nil {
			au.Profile = profile
		}
		au.LastUpdated = s.now()
		// The store has no update for an assignment: replacing it in the
		// transaction keeps its creation time.
		if err := tx.Apps().UnassignUser(ctx, appID, userID); err != nil {
			return err
		}
		if err := tx.Apps().AssignUser(ctx, au); err != nil {
			return err
		}
		out = au
		return s.record(ctx, tx, c, "application.user_membership.change_username", "Update application user", userTarget(u), appTarget(a))
	})
	return out, err
}

// UnassignUserFromApp removes a direct assignment.
func (s *Service) UnassignUserFromApp(ctx context.Context, c Context, appID, userID string) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		a, err := loadApp(ctx, tx, appID)
		if err != nil {
			return err
		}
		u, err := loadUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := tx.Apps().UnassignUser(ctx, appID, userID); errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(userID, "AppUser")
		} else if err != nil {
			return err
		}
		return s.record(ctx, tx, c, "application.user_membership.remove", "Remove user from application membership", userTarget(u), appTarget(a))
	})
}

// GetAppUser returns a user's assignment to an app: the direct one, or one
// with scope GROUP when the user is assigned only through a group.
func (s *Service) GetAppUser(ctx context.Context, appID, userID string) (*store.AppUser, error) {
	if _, err := s.GetApp(ctx, appID); err != nil {
		return nil, err
	}
	u, err := loadUser(ctx, s.Store, userID)
	if err != nil {
		return nil, err
	}
	au, err := s.Store.Apps().GetUserAssignment(ctx, appID, userID)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return au, err
	}
	ag, err := s.groupAssignmentOf(ctx, appID, userID)
	if err != nil {
		return nil, err
	}
	if ag == nil {
		return nil, oktaerr.NotFound(userID, "AppUser")
	}
	return &store.AppUser{AppID: appID, UserID: u.ID, Scope: AssignmentScopeGroup, UserName: u.Login, Profile: map[string]any{},
		Created: ag.LastUpdated, LastUpdated: ag.LastUpdated}, nil
}

// ListAppUsers lists an app's direct user assignments in user id order.
func (s *Service) ListAppUsers(ctx context.Context, appID string, p store.Page) ([]*store.AppUser, error) {
	if _, err := s.GetApp(ctx, appID); err != nil {
		return nil, err
	}
	return s.Store.Apps().ListUserAssignments(ctx, appID, p)
}

// AssignGroupToApp creates or replaces a group's assignment to an app. A
// nil priority keeps the existing one (0 for a new assignment); a nil
// profile keeps the existing one ({} for a new assignment).
func (s *Service) AssignGroupToApp(ctx context.Context, c Context, appID, groupID string, priority *int, profile map[string]any) (*store.AppGroup, error) {
	if priority != nil && *priority < 0 {
		return nil, oktaerr.Validation("priority", "priority: The priority must be zero or more")
	}
	var out *store.AppGroup
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		a, err := loadApp(ctx, tx, appID)
		if err != nil {
			return err
		}
		g, err := loadGroup(ctx, tx, groupID)
		if err != nil {
			return err
		}
		ag, err := tx.Apps().GetGroupAssignment(ctx, appID, groupID)
		ev, msg := "group.application_assignment.update", "Update app assignment for group"
		if errors.Is(err, store.ErrNotFound) {
			ag = &store.AppGroup{AppID: appID, GroupID: groupID, Profile: map[string]any{}}
			ev, msg = "group.application_assignment.add", "Add assigned application to group"
		} else if err != nil {
			return err
		}
		if priority != nil {
			ag.Priority = *priority
		}
		if profile != nil {
			ag.Profile = profile
		}
		ag.LastUpdated = s.now()
		if err := tx.Apps().AssignGroup(ctx, ag); err != nil {
			return err
		}
		out = ag
		return s.record(ctx, tx, c, ev, msg, groupTarget(g), appTarget(a))
	})
	return out, err
}

// GetAppGroup returns a group's assignment to an app.
func (s *Service) GetAppGroup(ctx context.Context, appID, groupID string) (*store.AppGroup, error) {
	if _, err := s.GetApp(ctx, appID); err != nil {
		return nil, err
	}
	ag, err := s.Store.Apps().GetGroupAssignment(ctx, appID, groupID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(groupID, "ApplicationGroupAssignment")
	}
	return ag, err
}

// ListAppGroups lists an app's group assignments in group id order.
func (s *Service) ListAppGroups(ctx context.Context, appID string, p store.Page) ([]*store.AppGroup, error) {
	if _, err := s.GetApp(ctx, appID); err != nil {
		return nil, err
	}
	return s.Store.Apps().ListGroupAssignments(ctx, appID, p)
}

// UnassignGroupFromApp removes a group's assignment to an app.
func (s *Service) UnassignGroupFromApp(ctx context.Context, c Context, appID, groupID string) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		a, err := loadApp(ctx, tx, appID)
		if err != nil {
			return err
		}
		g, err := loadGroup(ctx, tx, groupID)
		if err != nil {
			return err
		}
		if err := tx.Apps().UnassignGroup(ctx, appID, groupID); errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(groupID, "ApplicationGroupAssignment")
		} else if err != nil {
			return err
		}
		return s.record(ctx, tx, c, "group.application_assignment.remove", "Remove assigned application from group", groupTarget(g), appTarget(a))
	})
}

// IsAssigned tells whether a user may use an app: assigned directly, or
// through any group the app is assigned to, Everyone included.
func (s *Service) IsAssigned(ctx context.Context, appID, userID string) (bool, error) {
	groups, err := s.Store.Groups().Of(ctx, userID)
	if err != nil {
		return false, err
	}
	if _, err := s.Store.Users().Get(ctx, userID); errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	ids := make([]string, len(groups))
	for i, g := range groups {
		ids[i] = g.ID
	}
	return s.Store.Apps().AssignedTo(ctx, appID, userID, ids)
}

// groupAssignmentOf returns the assignment through which a group gives the
// user the app, Everyone's first, or nil when there is none.
func (s *Service) groupAssignmentOf(ctx context.Context, appID, userID string) (*store.AppGroup, error) {
	ev, err := s.Everyone(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := s.Store.Groups().GroupsOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, gid := range append([]string{ev.ID}, ids...) {
		ag, err := s.Store.Apps().GetGroupAssignment(ctx, appID, gid)
		if err == nil {
			return ag, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return nil, nil
}
