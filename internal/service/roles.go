package service

import (
	"context"
	"encoding/base32"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

// Standard administrator roles, by Okta's type names.
const (
	RoleSuperAdmin          = "SUPER_ADMIN"
	RoleOrgAdmin            = "ORG_ADMIN"
	RoleAppAdmin            = "APP_ADMIN"
	RoleUserAdmin           = "USER_ADMIN" // Okta's "Group Administrator"
	RoleHelpDeskAdmin       = "HELP_DESK_ADMIN"
	RoleGroupMembershipAdm  = "GROUP_MEMBERSHIP_ADMIN"
	RoleReadOnlyAdmin       = "READ_ONLY_ADMIN"
	RoleAPIAccessManagement = "API_ACCESS_MANAGEMENT_ADMIN"
	RoleReportAdmin         = "REPORT_ADMIN"
)

// roleLabels are Okta's labels of the roles Sesame knows; a type not here
// is refused.
var roleLabels = map[string]string{
	RoleSuperAdmin:          "Super Administrator",
	RoleOrgAdmin:            "Organizational Administrator",
	RoleAppAdmin:            "Application Administrator",
	RoleUserAdmin:           "Group Administrator",
	RoleHelpDeskAdmin:       "Help Desk Administrator",
	RoleGroupMembershipAdm:  "Group Membership Administrator",
	RoleReadOnlyAdmin:       "Read-only Administrator",
	RoleAPIAccessManagement: "API Access Management Administrator",
	RoleReportAdmin:         "Report Administrator",
}

// RoleLabel is the label Okta shows for a role type.
func RoleLabel(typ string) string { return roleLabels[typ] }

// RoleTypes lists the role types Sesame knows, sorted.
func RoleTypes() []string {
	out := make([]string, 0, len(roleLabels))
	for t := range roleLabels {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Okta's standard role assignment ids are the type in unpadded base32
// ("APP_ADMIN" is IFIFAX2BIRGUSTQ); the provider reads them back as is.
var roleIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// RoleID is the assignment id of a standard role.
func RoleID(typ string) string { return roleIDEncoding.EncodeToString([]byte(typ)) }

// roleType is the type of an assignment id, or "" for none Sesame knows.
func roleType(id string) string {
	b, err := roleIDEncoding.DecodeString(id)
	if err != nil || roleLabels[string(b)] == "" {
		return ""
	}
	return string(b)
}

// roleActions is what each role may do, as the okta.* scopes of the
// management API ("….manage" implies "….read"). SUPER_ADMIN may do
// everything and is not listed.
var roleActions = map[string][]string{
	// Everything except handing out roles and the authorization servers,
	// which Okta keeps for super and API access management administrators.
	RoleOrgAdmin: {"okta.apps.manage", "okta.appGrants.manage", "okta.clients.manage", "okta.users.manage",
		"okta.groups.manage", "okta.trustedOrigins.manage", "okta.apiTokens.manage", "okta.logs.read",
		"okta.sessions.manage", "okta.roles.read", "okta.authorizationServers.read", "okta.policies.manage", "okta.schemas.manage", "okta.userTypes.read"},
	RoleAppAdmin: {"okta.apps.manage", "okta.appGrants.manage", "okta.clients.manage",
		"okta.users.read", "okta.groups.read"},
	RoleUserAdmin:          {"okta.users.manage", "okta.groups.manage", "okta.sessions.manage", "okta.apps.read"},
	RoleHelpDeskAdmin:      {"okta.users.read", "okta.groups.read", "okta.sessions.manage", "okta.apps.read"},
	RoleGroupMembershipAdm: {"okta.users.read", "okta.groups.read"},
	RoleAPIAccessManagement: {"okta.authorizationServers.manage", "okta.apps.manage", "okta.appGrants.manage",
		"okta.clients.manage", "okta.trustedOrigins.read", "okta.users.read", "okta.groups.read"},
	RoleReportAdmin: {"okta.logs.read"},
}

// RolesAllow reports whether holding roles permits action, an okta.* scope
// name ("okta.users.manage"). It is the one decision the management API and
// the console make about an administrator. A READ_ONLY_ADMIN may read
// everything and change nothing.
func RolesAllow(roles []string, action string) bool {
	for _, r := range roles {
		switch r {
		case RoleSuperAdmin:
			return true
		case RoleReadOnlyAdmin:
			if strings.HasSuffix(action, ".read") {
				return true
			}
		}
		if ScopeAllows(roleActions[r], action) {
			return true
		}
	}
	return false
}

// ScopeAllows implements Okta's implication between okta.* scopes:
// okta.x.manage covers okta.x.read, and okta.clients.manage covers
// okta.clients.register.
func ScopeAllows(granted []string, need string) bool {
	for _, g := range granted {
		if g == need {
			return true
		}
		if base, ok := strings.CutSuffix(g, ".manage"); ok {
			if need == base+".read" || (base == "okta.clients" && need == "okta.clients.register") {
				return true
			}
		}
	}
	return false
}

// UserRoles lists the role types a user holds.
func (s *Service) UserRoles(ctx context.Context, userID string) ([]string, error) {
	rs, err := s.Store.AdminRoles().Of(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Type
	}
	return out, nil
}

// Authorize returns nil when the user may take action (an okta.* scope
// name) with the roles they hold, and E0000006 otherwise. A user who is
// not active holds no rights.
func (s *Service) Authorize(ctx context.Context, u *store.User, action string) error {
	if u == nil || u.Status != store.UserActive {
		return oktaerr.Forbidden()
	}
	roles, err := s.UserRoles(ctx, u.ID)
	if err != nil {
		return err
	}
	if !RolesAllow(roles, action) {
		return oktaerr.Forbidden()
	}
	return nil
}

// IsAdmin reports whether the user holds any administrator role: only
// administrators use the management API or the console.
func (s *Service) IsAdmin(ctx context.Context, userID string) (bool, error) {
	roles, err := s.UserRoles(ctx, userID)
	return len(roles) > 0, err
}

// ListUserRoles lists the role assignments of a user.
func (s *Service) ListUserRoles(ctx context.Context, userID string) ([]*store.AdminRole, error) {
	u, err := loadUser(ctx, s.Store, userID)
	if err != nil {
		return nil, err
	}
	return s.Store.AdminRoles().Of(ctx, u.ID)
}

// GetUserRole returns one role assignment of a user by its id.
func (s *Service) GetUserRole(ctx context.Context, userID, roleID string) (*store.AdminRole, error) {
	rs, err := s.ListUserRoles(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if RoleID(r.Type) == roleID {
			return r, nil
		}
	}
	return nil, oktaerr.NotFound(roleID, "Role")
}

func errDuplicateRole() *oktaerr.Error {
	return oktaerr.New(http.StatusConflict, "E0000090", "Duplicate role assignment exception.",
		"The role specified is already assigned to the user.")
}

func errLastSuperAdmin() *oktaerr.Error {
	return oktaerr.Forbidden("The last super administrator's SUPER_ADMIN role cannot be removed.")
}

// AssignUserRole gives a user a standard role.
func (s *Service) AssignUserRole(ctx context.Context, c Context, userID, typ string) (*store.AdminRole, error) {
	if roleLabels[typ] == "" {
		return nil, oktaerr.Validation("type", "type: Invalid value "+quoteCut(typ)+"; one of "+strings.Join(RoleTypes(), ", ")+".")
	}
	var out *store.AdminRole
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := loadUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		out, err = s.grantRole(ctx, tx, c, u, typ)
		return err
	})
	return out, err
}

// grantRole is AssignUserRole in a transaction; the first administrator
// made at setup gets SUPER_ADMIN through it too.
func (s *Service) grantRole(ctx context.Context, tx store.Store, c Context, u *store.User, typ string) (*store.AdminRole, error) {
	now := s.now()
	r := &store.AdminRole{UserID: u.ID, Type: typ, Created: now, LastUpdated: now}
	if err := tx.AdminRoles().Assign(ctx, r); errors.Is(err, store.ErrConflict) {
		return nil, errDuplicateRole()
	} else if err != nil {
		return nil, err
	}
	if typ == RoleSuperAdmin && !u.SuperAdmin {
		u.SuperAdmin = true
		if err := tx.Users().Update(ctx, u); err != nil {
			return nil, err
		}
	}
	err := s.record(ctx, tx, c, "user.account.privilege.grant", "Grant user privilege",
		userTarget(u), audit.Target{ID: RoleID(typ), Type: "ROLE", AlternateID: typ, DisplayName: roleLabels[typ]})
	return r, err
}

// UnassignUserRole takes a role from a user. The last active super
// administrator keeps SUPER_ADMIN: without one nobody could hand out roles.
func (s *Service) UnassignUserRole(ctx context.Context, c Context, userID, roleID string) error {
	typ := roleType(roleID)
	return s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := loadUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if typ == "" {
			return oktaerr.NotFound(roleID, "Role")
		}
		if typ == RoleSuperAdmin && u.Status == store.UserActive {
			n, err := tx.AdminRoles().Holders(ctx, RoleSuperAdmin, store.UserActive)
			if err != nil {
				return err
			}
			if n <= 1 {
				return errLastSuperAdmin()
			}
		}
		if err := tx.AdminRoles().Unassign(ctx, u.ID, typ); errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(roleID, "Role")
		} else if err != nil {
			return err
		}
		if typ == RoleSuperAdmin && u.SuperAdmin {
			u.SuperAdmin = false
			if err := tx.Users().Update(ctx, u); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, c, "user.account.privilege.revoke", "Revoke user privilege",
			userTarget(u), audit.Target{ID: roleID, Type: "ROLE", AlternateID: typ, DisplayName: roleLabels[typ]})
	})
}

// quoteCut quotes a value from a request for an error, cut short.
func quoteCut(v string) string {
	if len(v) > 60 {
		v = v[:60] + "…"
	}
	return `"` + v + `"`
}
