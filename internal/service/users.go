package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// Lifecycle operations, named as in their URLs.
const (
	OpActivate       = "activate"
	OpDeactivate     = "deactivate"
	OpSuspend        = "suspend"
	OpUnsuspend      = "unsuspend"
	OpUnlock         = "unlock"
	OpReactivate     = "reactivate"
	OpExpirePassword = "expire_password"
	OpResetPassword  = "reset_password"
)

// activated stands for "ACTIVE with a password, PROVISIONED without" in
// userTransitions: activation needs a password to be complete.
const activated = "(activated)"

// userTransitions is Okta's user status machine: operation → current status
// → new status. A status missing from an operation's row is refused with
// E0000038 (E0000016 for activating an ACTIVE user).
//
// From Okta's Users API docs (docs/okta-api.md §4.7 and the retired users page):
// activate only from STAGED or DEPROVISIONED; deactivate from any status
// but DEPROVISIONED; suspend only ACTIVE; unsuspend only SUSPENDED; unlock
// LOCKED_OUT (and ACTIVE, which Okta documents as allowed: it clears a
// device block, a no-op here); reactivate only PROVISIONED or RECOVERY
// (restarts activation); expire_password and reset_password need a user
// who can sign in.
//
// Where the reference is silent Sesame decides: deactivating a DEPROVISIONED
// user is refused (DELETE is how a deprovisioned user is removed);
// reactivate leaves the user PROVISIONED; expire_password is allowed from
// ACTIVE, PASSWORD_EXPIRED, LOCKED_OUT and RECOVERY (it only forces a new
// password at the next sign-in); reset_password is allowed from ACTIVE,
// PASSWORD_EXPIRED, LOCKED_OUT and RECOVERY and moves to RECOVERY.
var userTransitions = map[string]map[string]string{
	OpActivate: {store.UserStaged: activated, store.UserDeprovisioned: activated},
	OpDeactivate: {store.UserStaged: store.UserDeprovisioned, store.UserProvisioned: store.UserDeprovisioned, store.UserActive: store.UserDeprovisioned,
		store.UserRecovery: store.UserDeprovisioned, store.UserLockedOut: store.UserDeprovisioned, store.UserPasswordExpired: store.UserDeprovisioned,
		store.UserSuspended: store.UserDeprovisioned},
	OpSuspend:    {store.UserActive: store.UserSuspended},
	OpUnsuspend:  {store.UserSuspended: store.UserActive},
	OpUnlock:     {store.UserLockedOut: store.UserActive, store.UserActive: store.UserActive},
	OpReactivate: {store.UserProvisioned: store.UserProvisioned, store.UserRecovery: store.UserProvisioned},
	OpExpirePassword: {store.UserActive: store.UserPasswordExpired, store.UserPasswordExpired: store.UserPasswordExpired,
		store.UserLockedOut: store.UserPasswordExpired, store.UserRecovery: store.UserPasswordExpired},
	OpResetPassword: {store.UserActive: store.UserRecovery, store.UserPasswordExpired: store.UserRecovery, store.UserLockedOut: store.UserRecovery,
		store.UserRecovery: store.UserRecovery},
}

// userEvents names the System Log event of each operation.
var userEvents = map[string][2]string{
	OpActivate:       {"user.lifecycle.activate", "Activate Okta user"},
	OpDeactivate:     {"user.lifecycle.deactivate", "Deactivate Okta user"},
	OpSuspend:        {"user.lifecycle.suspend", "Suspend Okta user"},
	OpUnsuspend:      {"user.lifecycle.unsuspend", "Unsuspend Okta user"},
	OpUnlock:         {"user.account.unlock", "Unlock user account"},
	OpReactivate:     {"user.lifecycle.reactivate", "Reactivate Okta user"},
	OpExpirePassword: {"user.account.expire_password", "Expire user password"},
	OpResetPassword:  {"user.account.reset_password", "Reset user password"},
}

// UserOpAllowed reports whether op may run on a user in status; the user
// JSON's lifecycle links come from the same table.
func UserOpAllowed(op, status string) bool {
	_, ok := userTransitions[op][status]
	return ok
}

// IsUserOp reports whether op names a lifecycle operation.
func IsUserOp(op string) bool {
	_, ok := userTransitions[op]
	return ok
}

// ErrUserStatus is E0000038.
func ErrUserStatus() *oktaerr.Error {
	return oktaerr.New(http.StatusForbidden, "E0000038", "This operation is not allowed in the user's current status.")
}

func userTarget(u *store.User) audit.Target {
	return audit.Target{ID: u.ID, Type: "User", AlternateID: u.Login, DisplayName: u.DisplayName()}
}

// NewUser is a user to create.
type NewUser struct {
	Profile  map[string]any
	Password *string // nil: no password
	GroupIDs []string
	Recovery *RecoveryQuestion // nil: none
	// Hash is an imported password hash (credentials.password.hash),
	// stored as secret.StoredImportedHash makes it; it stands for a
	// password, so the user is activated as with one.
	Hash string
}

// requiredProfile are the attributes Okta's default profile schema requires.
var requiredProfile = []string{"login", "email", "firstName", "lastName"}

// standardProfile are Okta's base UserProfile attributes, all strings.
var standardProfile = map[string]bool{}

func init() {
	for _, a := range strings.Fields(`login email secondEmail firstName lastName middleName honorificPrefix
		honorificSuffix title displayName nickName profileUrl primaryPhone mobilePhone streetAddress city state
		zipCode countryCode postalAddress preferredLanguage locale timezone userType employeeNumber costCenter
		organization division department managerId manager`) {
		standardProfile[a] = true
	}
}

// maxAttrLen bounds a standard attribute's length (Okta's schema allows
// 100 for login and names and at most 1024 elsewhere).
const maxAttrLen = 1024

// validateProfile checks a complete profile against the default schema
// (the base attributes and custom, the org's custom properties) and drops
// null members (an unset attribute). One cause per problem. An attribute
// the schema does not declare is refused as Okta refuses it, unless before
// (the stored profile) holds it with the same value: data written before
// the schema existed stays, and updates that do not touch it pass.
func validateProfile(p map[string]any, custom map[string]*SchemaAttribute, before map[string]any) error {
	var causes []string
	var fields []string
	bad := func(field, text string) {
		causes = append(causes, field+": "+text)
		fields = append(fields, field)
	}
	for k, v := range p {
		if v == nil {
			delete(p, k)
			continue
		}
		if !standardProfile[k] {
			if a := custom[k]; a != nil {
				if cause := checkCustomValue(k, a, v); cause != "" {
					causes = append(causes, cause)
					fields = append(fields, k)
				}
			} else if old, kept := before[k]; !kept || !reflect.DeepEqual(old, v) {
				causes = append(causes, "Property name '"+k+"' is not defined in profile")
				fields = append(fields, k)
			}
			continue
		}
		s, ok := v.(string)
		switch {
		case !ok:
			bad(k, "The field must be a string.")
		case len(s) > maxAttrLen || (k == "login" || k == "firstName" || k == "lastName") && len([]rune(s)) > 100:
			bad(k, "The field is too long.")
		}
	}
	for k, a := range custom {
		if _, present := p[k]; a.Required && !present {
			bad(k, "The field cannot be left blank")
		}
	}
	for _, k := range requiredProfile {
		if s, ok := p[k].(string); !ok || strings.TrimSpace(s) == "" {
			if _, present := p[k]; !present || ok {
				bad(k, "The field cannot be left blank")
			}
		}
	}
	if login, ok := p["login"].(string); ok && login != "" && !emailLike(login) {
		bad("login", "Username must be in the form of an email address")
	}
	for _, k := range []string{"email", "secondEmail"} {
		if e, ok := p[k].(string); ok && e != "" && !emailLike(e) {
			bad(k, "Does not match required pattern")
		}
	}
	if len(causes) == 0 {
		return nil
	}
	sort.Strings(causes)
	sort.Strings(fields)
	return oktaerr.Validation(strings.Join(dedupe(fields), ", "), causes...)
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func emailLike(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s, "@")
}

func duplicateLogin() *oktaerr.Error {
	return oktaerr.Validation("login", "login: An object with this field already exists in the current organization")
}

// CreateUser validates and stores a new user: STAGED unless activate, then
// ACTIVE with a password or PROVISIONED without one (§4.7).
func (s *Service) CreateUser(ctx context.Context, c Context, in NewUser, activate bool) (*store.User, error) {
	if in.Profile == nil {
		in.Profile = map[string]any{}
	}
	schema, err := s.GetUserSchema(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateProfile(in.Profile, schema.custom(), nil); err != nil {
		return nil, err
	}
	login := in.Profile["login"].(string)
	hash := in.Hash
	if in.Password != nil && in.Hash != "" {
		return nil, oktaerr.Validation("credentials.password", "credentials.password: Give either a value or a hash, not both.")
	}
	if in.Password != nil {
		if err := checkPasswordStrength(*in.Password, login); err != nil {
			return nil, err
		}
		var err error
		if hash, err = secret.HashPassword(*in.Password); err != nil {
			return nil, err
		}
	}
	answerHash, err := hashRecovery(in.Recovery)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &store.User{ID: secret.NewID("00u"), Status: store.UserStaged, Login: login, Profile: in.Profile, PasswordHash: hash,
		Created: now, StatusChanged: now, LastUpdated: now}
	if hash != "" {
		u.PasswordChanged = now
	}
	if activate {
		u.Status = store.UserProvisioned
		if hash != "" {
			u.Status = store.UserActive
			u.Activated = now
		}
	}
	err = s.Store.InTx(ctx, func(tx store.Store) error {
		if _, err := tx.Users().GetByLogin(ctx, login); err == nil {
			return duplicateLogin()
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.Users().Create(ctx, u); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return duplicateLogin()
			}
			return err
		}
		if err := s.setRecovery(ctx, tx, u, in.Recovery, answerHash); err != nil {
			return err
		}
		if err := s.record(ctx, tx, c, "user.lifecycle.create", "Create okta user", userTarget(u)); err != nil {
			return err
		}
		if activate {
			ev := userEvents[OpActivate]
			if err := s.record(ctx, tx, c, ev[0], ev[1], userTarget(u)); err != nil {
				return err
			}
		}
		if err := s.addToGroups(ctx, tx, c, u, in.GroupIDs); err != nil {
			return err
		}
		return s.applyGroupRules(ctx, tx, c, u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Service) addToGroups(ctx context.Context, tx store.Store, c Context, u *store.User, ids []string) error {
	for _, id := range ids {
		g, err := tx.Groups().Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.Validation("groupIds", "groupIds: Group "+id+" does not exist.")
		}
		if err != nil {
			return err
		}
		if g.Type != "OKTA_GROUP" {
			return oktaerr.Validation("groupIds", "groupIds: Group "+id+" does not accept members: only OKTA_GROUP groups do.")
		}
		if err := tx.Groups().AddMember(ctx, g.ID, u.ID); err != nil {
			return fmt.Errorf("add user to group: %w", err)
		}
		if err := s.record(ctx, tx, c, "group.user_membership.add", "Add user to group membership", userTarget(u),
			audit.Target{ID: g.ID, Type: "UserGroup", DisplayName: g.Name}); err != nil {
			return err
		}
	}
	return nil
}

// loadUser finds a user by id or, failing that, by login, answering
// E0000007 when neither matches.
func loadUser(ctx context.Context, st store.Store, idOrLogin string) (*store.User, error) {
	u, err := st.Users().Get(ctx, idOrLogin)
	if errors.Is(err, store.ErrNotFound) {
		u, err = st.Users().GetByLogin(ctx, idOrLogin)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(idOrLogin, "User")
	}
	return u, err
}

// GetUser returns a user by id or login.
func (s *Service) GetUser(ctx context.Context, idOrLogin string) (*store.User, error) {
	return loadUser(ctx, s.Store, idOrLogin)
}

// UserFilter selects users while listing.
type UserFilter func(u *store.User) bool

// ListUsers returns up to limit users after the cursor, in id order, that
// match. The store reads the users where selects (an index condition that
// may select more), and match decides in memory, so it reads store pages
// until the answer is full, the users run out or ScanBudget users have
// been read (Scan): a match on an attribute no index holds costs a bounded
// read per request, and the page may then hold fewer than limit users.
// next is the id the following page resumes after, "" at the end; the
// cursor stays an id, so a walk sees every user that exists throughout it
// exactly once.
func (s *Service) ListUsers(ctx context.Context, after string, limit int, where store.UserWhere, match UserFilter) (users []*store.User, next string, err error) {
	users, last, more, err := Scan(limit, limit, func(from **store.User, n int) ([]*store.User, error) {
		cursor := after
		if from != nil {
			cursor = (*from).ID
		}
		return s.Store.Users().Search(ctx, where, store.Page{After: cursor, Limit: n})
	}, match)
	if err != nil {
		return nil, "", err
	}
	if more {
		next = last.ID
	}
	if users == nil {
		users = []*store.User{}
	}
	return users, next, nil
}

// MaxSortedUsers bounds a sorted search: sorting happens in memory over
// every match, so a search with sortBy that matches more users than this is
// refused rather than using unbounded memory.
const MaxSortedUsers = 10000

// errTooManyToSort is returned when a sorted search matches more than
// MaxSortedUsers users.
func errTooManyToSort() *oktaerr.Error {
	return oktaerr.New(http.StatusBadRequest, oktaerr.CodeInvalidSearch, "Invalid search criteria.",
		fmt.Sprintf("sortBy: Sorting is limited to searches matching at most %d users.", MaxSortedUsers))
}

// SortedUsers returns every matching user ordered by less (ties by id).
func (s *Service) SortedUsers(ctx context.Context, where store.UserWhere, match UserFilter, less func(a, b *store.User) bool) ([]*store.User, error) {
	var all []*store.User
	cursor := ""
	const chunk = 500
	for {
		page, err := s.Store.Users().Search(ctx, where, store.Page{After: cursor, Limit: chunk})
		if err != nil {
			return nil, err
		}
		for _, u := range page {
			cursor = u.ID
			if match == nil || match(u) {
				all = append(all, u)
			}
		}
		if len(all) > MaxSortedUsers {
			return nil, errTooManyToSort()
		}
		if len(page) < chunk {
			break
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if less(all[i], all[j]) {
			return true
		}
		if less(all[j], all[i]) {
			return false
		}
		return all[i].ID < all[j].ID
	})
	return all, nil
}

// UserUpdate is a change to a user's profile and credentials.
type UserUpdate struct {
	Profile map[string]any
	// Replace makes Profile the whole new profile (PUT); otherwise its
	// members are merged into the stored one and null removes one (POST).
	// A nil Profile leaves the profile alone either way: Okta's PUT with
	// only credentials sets them and keeps the profile.
	Replace  bool
	Password *string
	Recovery *RecoveryQuestion
	// Hash is an imported password hash, accepted for a STAGED user only
	// (as Okta does).
	Hash string
}

// UpdateUser changes a user's profile and, when given, sets its password.
func (s *Service) UpdateUser(ctx context.Context, c Context, idOrLogin string, up UserUpdate) (*store.User, error) {
	var hash string
	if up.Password != nil {
		var err error
		if hash, err = secret.HashPassword(*up.Password); err != nil {
			return nil, err
		}
	}
	answerHash, err := hashRecovery(up.Recovery)
	if err != nil {
		return nil, err
	}
	var out *store.User
	err = s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := loadUser(ctx, tx, idOrLogin)
		if err != nil {
			return err
		}
		if u.Status == store.UserDeprovisioned {
			return ErrUserStatus()
		}
		profile := map[string]any{}
		if !up.Replace || up.Profile == nil {
			for k, v := range u.Profile {
				profile[k] = v
			}
		}
		for k, v := range up.Profile {
			profile[k] = v
		}
		schema, err := s.userSchema(ctx, tx)
		if err != nil {
			return err
		}
		if err := validateProfile(profile, schema.custom(), u.Profile); err != nil {
			return err
		}
		now := s.now()
		login := profile["login"].(string)
		if !strings.EqualFold(login, u.Login) {
			if other, err := tx.Users().GetByLogin(ctx, login); err == nil && other.ID != u.ID {
				return duplicateLogin()
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		u.Login, u.Profile, u.LastUpdated = login, profile, now
		if up.Password != nil {
			if err := s.setPassword(u, *up.Password, hash, now); err != nil {
				return err
			}
		}
		if up.Hash != "" {
			if u.Status != store.UserStaged {
				return oktaerr.Validation("credentials.password.hash", "credentials.password.hash: A hashed password can be set only on a STAGED user.")
			}
			u.PasswordHash, u.PasswordChanged = up.Hash, now
		}
		if err := tx.Users().Update(ctx, u); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return duplicateLogin()
			}
			return err
		}
		out = u
		if up.Profile != nil {
			if err := s.record(ctx, tx, c, "user.account.update_profile", "Update user profile for Okta", userTarget(u)); err != nil {
				return err
			}
			if err := s.applyGroupRules(ctx, tx, c, u); err != nil {
				return err
			}
		}
		if up.Recovery != nil {
			if err := s.setRecovery(ctx, tx, u, up.Recovery, answerHash); err != nil {
				return err
			}
			if err := s.record(ctx, tx, c, "user.account.update_credentials", "Update user credentials", userTarget(u)); err != nil {
				return err
			}
		}
		if up.Password != nil || up.Hash != "" {
			return s.record(ctx, tx, c, "user.account.update_password", "Update user password", userTarget(u))
		}
		return nil
	})
	return out, err
}

// setPassword applies the password policy and stores the new hash. A
// password set by an administrator completes a pending activation or
// recovery (the emails Sesame does not send exist only to choose one).
// hash is pw's argon2id hash, computed before the transaction began so
// that the slow hash does not hold the database's write lock.
func (s *Service) setPassword(u *store.User, pw, hash string, now time.Time) error {
	if err := checkPasswordStrength(pw, u.Login); err != nil {
		return err
	}
	u.PasswordHash, u.PasswordChanged = hash, now
	switch u.Status {
	case store.UserProvisioned:
		u.Status, u.Activated, u.StatusChanged = store.UserActive, now, now
	case store.UserRecovery, store.UserPasswordExpired:
		u.Status, u.StatusChanged = store.UserActive, now
	}
	return nil
}

// UserLifecycle runs a lifecycle operation (§4.7). Deactivation deletes the
// user's API tokens in the same transaction: API tokens die with their
// creator's deactivation.
func (s *Service) UserLifecycle(ctx context.Context, c Context, idOrLogin, op string) (*store.User, error) {
	var out *store.User
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := loadUser(ctx, tx, idOrLogin)
		if err != nil {
			return err
		}
		if err := s.transition(ctx, tx, c, u, op); err != nil {
			return err
		}
		out = u
		return nil
	})
	if err == nil {
		s.syncRevocations(ctx)
	}
	return out, err
}

func (s *Service) transition(ctx context.Context, tx store.Store, c Context, u *store.User, op string) error {
	row, known := userTransitions[op]
	if !known {
		return oktaerr.PathNotFound()
	}
	to, ok := row[u.Status]
	if !ok {
		if op == OpActivate && u.Status == store.UserActive {
			return oktaerr.New(http.StatusForbidden, "E0000016", "Activation failed because the user is already active")
		}
		return ErrUserStatus()
	}
	now := s.now()
	if to == activated {
		to = store.UserProvisioned
		if u.PasswordHash != "" {
			to = store.UserActive
			u.Activated = now
		}
	}
	if to != u.Status {
		u.Status, u.StatusChanged = to, now
	}
	u.LastUpdated = now
	if err := tx.Users().Update(ctx, u); err != nil {
		return err
	}
	if op == OpDeactivate {
		if err := tx.APITokens().DeleteByUser(ctx, u.ID); err != nil {
			return fmt.Errorf("delete API tokens of %s: %w", u.ID, err)
		}
	}
	// A user who may no longer sign in keeps no session and no token.
	if to != store.UserActive && to != store.UserPasswordExpired && to != store.UserRecovery {
		if _, err := tx.Sessions().DeleteByUser(ctx, u.ID); err != nil {
			return fmt.Errorf("end sessions of %s: %w", u.ID, err)
		}
		if err := s.revokeUserTokens(ctx, tx, u.ID, ""); err != nil {
			return fmt.Errorf("revoke tokens of %s: %w", u.ID, err)
		}
	}
	ev := userEvents[op]
	return s.record(ctx, tx, c, ev[0], ev[1], userTarget(u))
}

// DeleteUser deactivates a user who is not DEPROVISIONED yet, and removes a
// DEPROVISIONED one (Okta's two-step delete). deleted reports which.
func (s *Service) DeleteUser(ctx context.Context, c Context, idOrLogin string) (deleted bool, err error) {
	err = s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := loadUser(ctx, tx, idOrLogin)
		if err != nil {
			return err
		}
		if u.Status != store.UserDeprovisioned {
			return s.transition(ctx, tx, c, u, OpDeactivate)
		}
		if err := tx.Users().Delete(ctx, u.ID); err != nil {
			return err
		}
		deleted = true
		return s.record(ctx, tx, c, "user.lifecycle.delete.completed", "Delete Okta user completed", userTarget(u))
	})
	return deleted, err
}

// ErrOldPassword is Okta's answer to a wrong old password.
func ErrOldPassword() *oktaerr.Error {
	return oktaerr.New(http.StatusForbidden, "E0000014", "Update of credentials failed", "oldPassword: Old Password is not correct")
}

// ChangePassword replaces a user's password after checking the old one.
func (s *Service) ChangePassword(ctx context.Context, c Context, idOrLogin, oldPw, newPw string) (*store.User, error) {
	var causes []string
	if oldPw == "" {
		causes = append(causes, "oldPassword: The field cannot be left blank")
	}
	if newPw == "" {
		causes = append(causes, "newPassword: The field cannot be left blank")
	}
	if len(causes) > 0 {
		return nil, oktaerr.Validation("password", causes...)
	}
	u, err := loadUser(ctx, s.Store, idOrLogin)
	if err != nil {
		return nil, err
	}
	if u.Status != store.UserActive && u.Status != store.UserPasswordExpired {
		return nil, ErrUserStatus()
	}
	// The argon2id check runs outside the transaction: it is slow on purpose.
	if u.PasswordHash == "" {
		return nil, ErrOldPassword()
	}
	if ok, err := secret.VerifyPassword(oldPw, u.PasswordHash); err != nil {
		return nil, err
	} else if !ok {
		return nil, ErrOldPassword()
	}
	hash, err := secret.HashPassword(newPw)
	if err != nil {
		return nil, err
	}
	var out *store.User
	err = s.Store.InTx(ctx, func(tx store.Store) error {
		cur, err := loadUser(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		// Someone else changed the password or status meanwhile: the old
		// password checked above may no longer be the current one.
		if cur.PasswordHash != u.PasswordHash || cur.Status != u.Status {
			return ErrOldPassword()
		}
		now := s.now()
		if err := s.setPassword(cur, newPw, hash, now); err != nil {
			return err
		}
		cur.LastUpdated = now
		if err := tx.Users().Update(ctx, cur); err != nil {
			return err
		}
		out = cur
		return s.record(ctx, tx, c, "user.account.update_password", "Update user password", userTarget(cur))
	})
	return out, err
}
