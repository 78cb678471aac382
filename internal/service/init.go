package service

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// SetupLinkLifetime bounds how long the first-start setup link works.
const SetupLinkLifetime = 24 * time.Hour

// Admin describes the first super administrator.
type Admin struct {
	Email    string
	Password string // empty: generate one
	// PasswordHash, when set, is stored as the password's argon2id hash
	// instead of hashing Password (development servers that start many
	// times a second).
	PasswordHash string
	FirstName    string
	LastName     string
}

// InitResult is what initialization created that the caller must show once.
type InitResult struct {
	Org      *store.Org
	Admin    *store.User
	Password string // set when generated
	APIToken string // set when asked for
}

// Initialize creates the org, its authorization servers, keys, the Everyone
// group and the first super administrator in one transaction (`sesame
// init`). It refuses an initialized store and then changes nothing.
func (s *Service) Initialize(ctx context.Context, orgName string, admin Admin, withAPIToken bool) (*InitResult, error) {
	res := &InitResult{}
	if err := validateAdmin(&admin); err != nil {
		return nil, err
	}
	hash := admin.PasswordHash
	if hash == "" {
		if admin.Password == "" {
			admin.Password = secret.GeneratePassword()
			res.Password = admin.Password
		}
		var err error
		if hash, err = secret.HashPassword(admin.Password); err != nil {
			return nil, err
		}
	}
	err := s.configChange(ctx, func(tx store.Store) error {
		org, err := s.provisionOrg(ctx, tx, orgName)
		if err != nil {
			return err
		}
		res.Org = org
		u, err := s.createAdmin(ctx, tx, admin, hash)
		if err != nil {
			return err
		}
		res.Admin = u
		if withAPIToken {
			tok, _, err := s.createAPIToken(ctx, tx, u, "sesame init", "")
			if err != nil {
				return err
			}
			res.APIToken = tok
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Bootstrap initializes an empty store without an administrator and returns
// the one-time token of the setup link where the first one is created. On a
// store that is initialized already it returns "" and no error.
func (s *Service) Bootstrap(ctx context.Context, orgName string) (string, error) {
	var tok string
	err := s.configChange(ctx, func(tx store.Store) error {
		if _, err := tx.Orgs().Get(ctx); err == nil {
			return errSkip
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		org, err := s.provisionOrg(ctx, tx, orgName)
		if err != nil {
			return err
		}
		tok = secret.Token("", 32)
		org.SetupTokenHash = secret.Hash(tok)
		org.SetupTokenExpires = s.now().Add(SetupLinkLifetime)
		return tx.Orgs().Update(ctx, org)
	})
	if errors.Is(err, errSkip) {
		return "", nil
	}
	return tok, err
}

var errSkip = errors.New("skip")

// SetupPending reports whether the org awaits its first administrator, and
// whether the setup link is still valid.
func (s *Service) SetupPending(ctx context.Context) (pending bool, err error) {
	org, err := s.Store.Orgs().Get(ctx)
	if err != nil {
		return false, err
	}
	return len(org.SetupTokenHash) > 0, nil
}

// RenewSetupLink replaces an expired or lost setup link while no
// administrator exists.
func (s *Service) RenewSetupLink(ctx context.Context) (string, error) {
	var tok string
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		org, err := tx.Orgs().Get(ctx)
		if err != nil {
			return err
		}
		if len(org.SetupTokenHash) == 0 {
			return errSkip
		}
		tok = secret.Token("", 32)
		org.SetupTokenHash = secret.Hash(tok)
		org.SetupTokenExpires = s.now().Add(SetupLinkLifetime)
		org.LastUpdated = s.now()
		return tx.Orgs().Update(ctx, org)
	})
	if errors.Is(err, errSkip) {
		return "", nil
	}
	return tok, err
}

// ErrSetupLinkInvalid is returned for a used, expired or wrong setup token.
var ErrSetupLinkInvalid = errors.New("this setup link is invalid or has expired")

// CheckSetupToken reports whether tok is the live setup token.
func (s *Service) CheckSetupToken(ctx context.Context, tok string) bool {
	org, err := s.Store.Orgs().Get(ctx)
	return err == nil && len(org.SetupTokenHash) > 0 && s.now().Before(org.SetupTokenExpires) && secret.Matches(tok, org.SetupTokenHash)
}

// CompleteSetup creates the first super administrator through the setup
// link, which it consumes.
func (s *Service) CompleteSetup(ctx context.Context, tok string, admin Admin) (*store.User, error) {
	if err := validateAdmin(&admin); err != nil {
		return nil, err
	}
	if err := checkPasswordStrength(admin.Password, admin.Email); err != nil {
		return nil, err
	}
	hash, err := secret.HashPassword(admin.Password)
	if err != nil {
		return nil, err
	}
	var u *store.User
	err = s.Store.InTx(ctx, func(tx store.Store) error {
		org, err := tx.Orgs().Get(ctx)
		if err != nil {
			return err
		}
		if len(org.SetupTokenHash) == 0 || !s.now().Before(org.SetupTokenExpires) || !secret.Matches(tok, org.SetupTokenHash) {
			return ErrSetupLinkInvalid
		}
		org.SetupTokenHash = nil
		org.SetupTokenExpires = time.Time{}
		org.LastUpdated = s.now()
		if err := tx.Orgs().Update(ctx, org); err != nil {
			return err
		}
		u, err = s.createAdmin(ctx, tx, admin, hash)
		return err
	})
	return u, err
}

func validateAdmin(a *Admin) error {
	a.Email = strings.TrimSpace(a.Email)
	addr, err := mail.ParseAddress(a.Email)
	if err != nil || addr.Address != a.Email {
		return oktaerr.Validation("login", "login: Username must be in the form of an email address")
	}
	if a.FirstName == "" {
		a.FirstName, _, _ = strings.Cut(a.Email, "@")
	}
	if a.LastName == "" {
		a.LastName = "Administrator"
	}
	if a.Password != "" {
		return checkPasswordStrength(a.Password, a.Email)
	}
	return nil
}

// checkPasswordStrength is the default password policy: at least 8
// characters with a lowercase letter, an uppercase letter and a digit, and
// not containing the username part of the login.
func checkPasswordStrength(pw, login string) error {
	var lower, upper, digit bool
	for _, r := range pw {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	user, _, _ := strings.Cut(strings.ToLower(login), "@")
	var causes []string
	if len([]rune(pw)) < 8 {
		causes = append(causes, "password: Password requirements were not met. Password requirements: at least 8 characters.")
	}
	if !lower || !upper || !digit {
		causes = append(causes, "password: Password requirements were not met. Password requirements: a lowercase letter, an uppercase letter, a number.")
	}
	if user != "" && strings.Contains(strings.ToLower(pw), user) {
		causes = append(causes, "password: Password requirements were not met. Password requirements: no parts of your username.")
	}
	if len(causes) > 0 {
		e := oktaerr.New(403, "E0000080", "The password does not meet the complexity requirements of the current password policy.", causes...)
		return e
	}
	return nil
}

func (s *Service) createAdmin(ctx context.Context, tx store.Store, a Admin, hash string) (*store.User, error) {
	now := s.now()
	u := &store.User{
		ID: secret.NewID("00u"), Status: store.UserActive, Login: a.Email, SuperAdmin: true,
		Profile:      map[string]any{"login": a.Email, "email": a.Email, "firstName": a.FirstName, "lastName": a.LastName},
		PasswordHash: hash, Created: now, Activated: now, StatusChanged: now, LastUpdated: now, PasswordChanged: now,
	}
	if err := tx.Users().Create(ctx, u); err != nil {
		return nil, fmt.Errorf("create administrator: %w", err)
	}
	if err := s.record(ctx, tx, SystemContext, "user.lifecycle.create", "Create okta user", userTarget(u)); err != nil {
		return nil, err
	}
	_, err := s.grantRole(ctx, tx, SystemContext, u, RoleSuperAdmin)
	return u, err
}

// provisionOrg creates everything an org has before anyone signs in.
func (s *Service) provisionOrg(ctx context.Context, tx store.Store, name string) (*store.Org, error) {
	if _, err := tx.Orgs().Get(ctx); err == nil {
		return nil, ErrAlreadyInitialized
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	now := s.now()
	if name == "" {
		name = "Sesame"
	}
	org := &store.Org{ID: secret.NewID("00o"), Name: name, Created: now, LastUpdated: now}
	if err := tx.Orgs().Create(ctx, org); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, ErrAlreadyInitialized
		}
		return nil, err
	}
	everyone := &store.Group{ID: secret.NewID("00g"), Type: "BUILT_IN", Name: "Everyone", Description: "All users in your organization",
		Created: now, LastUpdated: now, LastMembershipUpdated: now}
	if err := tx.Groups().Create(ctx, everyone); err != nil {
		return nil, fmt.Errorf("create Everyone: %w", err)
	}
	if err := s.provisionKeys(ctx, tx, store.OrgServerID, store.OrgServerID); err != nil {
		return nil, err
	}
	def := &store.AuthServer{ID: "default", Name: "default", Description: "Default Authorization Server for your Applications",
		Audiences: []string{"api://default"}, IssuerMode: "ORG_URL", Status: store.StatusActive, Default: true, RotationMode: "AUTO",
		LastRotated: now, NextRotation: now.Add(90 * 24 * time.Hour), Created: now, LastUpdated: now}
	if err := s.createServer(ctx, tx, def); err != nil {
		return nil, err
	}
	pol := &store.Policy{ID: secret.NewID("00p"), ServerID: def.ID, Name: "Default Policy",
		Description: "Default policy keeps everything working until you write your own", Status: store.StatusActive, Priority: 1, System: false,
		ClientsInclude: []string{"ALL_CLIENTS"}, Created: now, LastUpdated: now}
	if err := tx.AuthServers().CreatePolicy(ctx, pol); err != nil {
		return nil, fmt.Errorf("create default policy: %w", err)
	}
	rule := &store.PolicyRule{ID: secret.NewID("0pr"), PolicyID: pol.ID, ServerID: def.ID, Name: "Default Policy Rule",
		Type: "RESOURCE_ACCESS", Status: store.StatusActive, Priority: 1, System: false,
		UsersInclude: []string{}, UsersExclude: []string{}, GroupsInclude: []string{"EVERYONE"}, GroupsExclude: []string{},
		GrantTypes: []string{"authorization_code", "implicit", "password", "client_credentials",
			"urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange"},
		Scopes: []string{"*"}, AccessTokenLifetimeMinutes: 60, RefreshTokenLifetimeMinutes: 0, RefreshTokenWindowMinutes: 10080,
		Created: now, LastUpdated: now}
	if err := tx.AuthServers().CreateRule(ctx, rule); err != nil {
		return nil, fmt.Errorf("create default rule: %w", err)
	}
	if err := s.record(ctx, tx, SystemContext, "system.org.create", "Org initialized", audit.Target{ID: org.ID, Type: "Org", DisplayName: org.Name}); err != nil {
		return nil, err
	}
	return org, nil
}

// systemScopes are created on every custom authorization server (§4.2).
var systemScopes = []struct{ name, display, desc string }{
	{"openid", "openid", "Signals that a request is an OpenID request."},
	{"profile", "profile", "Allows this application to access your profile information."},
	{"email", "email", "Allows this application to access your email address."},
	{"address", "address", "Allows this application to access your address."},
	{"phone", "phone", "Allows this application to access your phone number."},
	{"offline_access", "offline_access", "Allows this application to access your information while you are signed out."},
	{"device_sso", "device_sso", "Allows this application to use native SSO."},
}

// systemClaims are created on every custom authorization server, as Okta
// has them (§4.2; the names Terraform's okta_auth_server_claim_default
// expects). Sesame computes their values itself; the value text documents
// where each comes from. email, email_verified, name and preferred_username
// are always put in ID tokens: OpenMetadata maps users from them.
var systemClaims = []struct {
	name, claimType, valueType, value, scope string
	always                                   bool
}{
	{"sub", "RESOURCE", "EXPRESSION", "(appuser != null) ? appuser.userName : app.clientId", "", true},
	{"address", "IDENTITY", "SYSTEM", "user.streetAddress", "address", false},
	{"birthdate", "IDENTITY", "SYSTEM", "user.birthdate", "profile", false},
	{"email", "IDENTITY", "SYSTEM", "user.email", "email", true},
	{"email_verified", "IDENTITY", "SYSTEM", "user.emailVerified", "email", true},
	{"family_name", "IDENTITY", "SYSTEM", "user.lastName", "profile", false},
	{"gender", "IDENTITY", "SYSTEM", "user.gender", "profile", false},
	{"given_name", "IDENTITY", "SYSTEM", "user.firstName", "profile", false},
	{"locale", "IDENTITY", "SYSTEM", "user.locale", "profile", false},
	{"middle_name", "IDENTITY", "SYSTEM", "user.middleName", "profile", false},
	{"name", "IDENTITY", "SYSTEM", "user.firstName + \" \" + user.lastName", "profile", true},
	{"nickname", "IDENTITY", "SYSTEM", "user.nickName", "profile", false},
	{"phone_number", "IDENTITY", "SYSTEM", "user.mobilePhone", "phone", false},
	{"picture", "IDENTITY", "SYSTEM", "user.picture", "profile", false},
	{"preferred_username", "IDENTITY", "SYSTEM", "user.login", "profile", true},
	{"profile", "IDENTITY", "SYSTEM", "user.profileUrl", "profile", false},
	{"updated_at", "IDENTITY", "SYSTEM", "user.lastUpdated", "profile", false},
	{"website", "IDENTITY", "SYSTEM", "user.website", "profile", false},
	{"zoneinfo", "IDENTITY", "SYSTEM", "user.timezone", "profile", false},
}

// createServer stores a custom authorization server with its system scopes,
// system claims and first signing key.
func (s *Service) createServer(ctx context.Context, tx store.Store, srv *store.AuthServer) error {
	if err := tx.AuthServers().Create(ctx, srv); err != nil {
		return fmt.Errorf("create authorization server: %w", err)
	}
	for _, sc := range systemScopes {
		consent := "IMPLICIT"
		if err := tx.AuthServers().CreateScope(ctx, &store.Scope{ID: secret.NewID("scp"), ServerID: srv.ID, Name: sc.name,
			DisplayName: sc.display, Description: sc.desc, System: true, Consent: consent, MetadataPublish: "ALL_CLIENTS",
			Created: srv.Created, LastUpdated: srv.Created}); err != nil {
			return fmt.Errorf("create scope %s: %w", sc.name, err)
		}
	}
	for _, c := range systemClaims {
		scopes := []string{}
		if c.scope != "" {
			scopes = []string{c.scope}
		}
		if err := tx.AuthServers().CreateClaim(ctx, &store.Claim{ID: secret.NewID("ocl"), ServerID: srv.ID, Name: c.name, Status: store.StatusActive,
			ClaimType: c.claimType, ValueType: c.valueType, Value: c.value, AlwaysIncludeInToken: c.always, ConditionScopes: scopes,
			System: true, Created: srv.Created, LastUpdated: srv.Created}); err != nil {
			return fmt.Errorf("create claim %s: %w", c.name, err)
		}
	}
	return s.provisionKeys(ctx, tx, srv.ID, srv.Name)
}
