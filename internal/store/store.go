// Package store defines Sesame's persistent records and the storage
// interfaces every backend implements. Records are plain data: validation and
// Okta's JSON shapes live in the service and API layers.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrUnavailable is returned when the database cannot be reached or went
// away mid-request (a restart, a network cut): trying again shortly may
// succeed. Nothing was written by the failed call's transaction.
var ErrUnavailable = errors.New("store: database unavailable")

// ErrConflict is returned when a write violates a uniqueness rule (a duplicate
// id, login, client id or a replayed assertion jti).
var ErrConflict = errors.New("store: conflict")

// Store is the whole persistence layer. Each aggregate has its own small
// interface; InTx runs fn against a Store bound to one transaction so that a
// change and the audit event recording it commit together.
type Store interface {
	Orgs() Orgs
	Users() Users
	Groups() Groups
	Apps() Apps
	AuthServers() AuthServers
	Keys() Keys
	APITokens() APITokens
	AdminRoles() AdminRoles
	TrustedOrigins() TrustedOrigins
	Replays() Replays
	Revocations() Revocations
	Sessions() Sessions
	Codes() Codes
	RefreshTokens() RefreshTokens
	UserGrants() UserGrants
	Factors() Factors
	UserSchema() UserSchema
	GroupRules() GroupRules
	OrgPolicies() OrgPolicies
	RecoveryCodes() RecoveryCodes
	Audit() Audit
	Config() ConfigVersion

	// InTx runs fn in one transaction. fn must use only the Store it is given.
	// An error from fn rolls the transaction back and is returned unchanged.
	InTx(ctx context.Context, fn func(tx Store) error) error
	// Close releases the database.
	Close() error
	// Backend names the storage ("sqlite" or "postgres") for logs.
	Backend() string
	// Exclusive runs fn unless another replica is running work under the
	// same name, and reports whether it ran: scheduled work runs on one
	// replica at a time. On SQLite, whose database one process owns, the
	// lock is the process's.
	Exclusive(ctx context.Context, name string, fn func(ctx context.Context) error) (ran bool, err error)
}

// Checker is implemented by stores that can say whether they are ready to
// serve: the database answers and its schema is the one this binary expects.
type Checker interface {
	Ready(ctx context.Context) error
}

// Notifier is implemented by stores that tell every replica about changes
// as they commit (PostgreSQL's LISTEN/NOTIFY): new config versions and
// revoked token ids.
type Notifier interface {
	// Listen delivers notices to on until ctx ends, reconnecting when its
	// connection drops. connected is called with true each time it starts
	// listening, after which nothing committed is missed — the caller
	// catches up on what it may have missed before — and with false when
	// it loses the connection.
	Listen(ctx context.Context, on func(Notice), connected func(up bool))
}

// Notice is one committed change: a config version (Version > 0), or a
// revoked token id (JTI with its expiry).
type Notice struct {
	Version   int64
	JTI       string
	ExpiresAt time.Time
}

// Page asks for a slice of a list ordered by id: at most Limit records with
// id greater than After.
type Page struct {
	After string
	Limit int
}

// Org is the single organization an install serves.
type Org struct {
	ID      string // 00o…
	Name    string
	Created time.Time
	// SetupTokenHash is the SHA-256 of the one-time first-administrator link
	// token; empty once used or when the org was initialized by `sesame init`.
	SetupTokenHash    []byte
	SetupTokenExpires time.Time
	LastUpdated       time.Time
}

type Orgs interface {
	// Get returns the org or ErrNotFound before initialization.
	Get(ctx context.Context) (*Org, error)
	// Create stores the org; ErrConflict when one exists already.
	Create(ctx context.Context, o *Org) error
	Update(ctx context.Context, o *Org) error
}

// User is a person (or the first super administrator).
type User struct {
	ID              string // 00u…
	Status          string // STAGED, PROVISIONED, ACTIVE, RECOVERY, LOCKED_OUT, PASSWORD_EXPIRED, SUSPENDED, DEPROVISIONED
	Login           string // unique, case-insensitive (stored lowercased in LoginKey)
	Profile         map[string]any
	PasswordHash    string // argon2id PHC string; empty when no password is set
	SuperAdmin      bool
	Created         time.Time
	Activated       time.Time
	StatusChanged   time.Time
	LastLogin       time.Time
	LastUpdated     time.Time
	PasswordChanged time.Time
	// FailedLogins counts sign-in failures since the last success; reaching
	// the lockout threshold moves an ACTIVE user to LOCKED_OUT.
	FailedLogins int
	// RecoveryQuestion is the question of credentials.recovery_question;
	// RecoveryAnswerHash its answer's argon2id hash (the answer is
	// write-only, as Okta's is). Only Get and GetByLogin fill them, and
	// only SetRecovery writes them.
	RecoveryQuestion   string
	RecoveryAnswerHash string
}

type Users interface {
	Create(ctx context.Context, u *User) error // ErrConflict on duplicate id or login
	Get(ctx context.Context, id string) (*User, error)
	GetByLogin(ctx context.Context, login string) (*User, error) // case-insensitive
	Update(ctx context.Context, u *User) error
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, p Page) ([]*User, error)
	// Search is List narrowed by where (see UserWhere), in id order.
	Search(ctx context.Context, where UserWhere, p Page) ([]*User, error)
	// InGroup lists the members of a group, in id order, in one query.
	InGroup(ctx context.Context, groupID string, p Page) ([]*User, error)
	Count(ctx context.Context) (int, error)
	// RecordLoginFailure adds one failure in a single statement, so that
	// concurrent attempts on several replicas all count, and locks an ACTIVE
	// user out (status LOCKED_OUT, StatusChanged = at) when the count
	// reaches lockAfter (0: never). It returns the user as updated.
	RecordLoginFailure(ctx context.Context, id string, lockAfter int, at time.Time) (*User, error)
	// SetRecovery sets a user's recovery question and answer hash.
	SetRecovery(ctx context.Context, id, question, answerHash string) error
	// RecordLogin resets the failure count and sets LastLogin.
	RecordLogin(ctx context.Context, id string, at time.Time) error
	// DropAttribute removes a profile attribute from every user who has
	// it (a custom schema property was removed) and reports how many.
	DropAttribute(ctx context.Context, name string) (int64, error)
}

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

// App is an application (OIDC client). Settings, Credentials and the other
// JSON documents are kept in Okta's shapes (see the types in app.go).
type App struct {
	ID          string // 0oa…; also the default client_id
	Name        string // "oidc_client"
	Label       string
	Status      string // ACTIVE, INACTIVE
	SignOnMode  string // OPENID_CONNECT
	ClientID    string // unique
	Credentials AppCredentials
	Settings    AppSettings
	Profile     map[string]any
	// Secrets are the client secrets, at most two: any ACTIVE one
	// authenticates the client, so a secret can be replaced without
	// downtime. Apps whose method needs no secret have none.
	Secrets []AppSecret
	// GroupsClaim is the groups claim of the app's ID tokens from the org
	// authorization server; nil for none.
	GroupsClaim *AppGroupsClaim
	// CreatedByDCR marks clients registered through /oauth2/v1/clients.
	CreatedByDCR bool
	Created      time.Time
	LastUpdated  time.Time
}

type Apps interface {
	Create(ctx context.Context, a *App) error // ErrConflict on duplicate id or client id
	Get(ctx context.Context, id string) (*App, error)
	GetByClientID(ctx context.Context, clientID string) (*App, error)
	Update(ctx context.Context, a *App) error
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, p Page) ([]*App, error)
	// ListAll returns every app; used to build the configuration cache.
	ListAll(ctx context.Context) ([]*App, error)

	CreateGrant(ctx context.Context, g *AppGrant) error // ErrConflict on duplicate (app, issuer, scope)
	GetGrant(ctx context.Context, appID, grantID string) (*AppGrant, error)
	ListGrants(ctx context.Context, appID string) ([]*AppGrant, error)
	DeleteGrant(ctx context.Context, appID, grantID string) error
	// ListAllGrants returns every grant of every app (configuration cache).
	ListAllGrants(ctx context.Context) ([]*AppGrant, error)

	// Assignments of users and groups to an app.
	AssignUser(ctx context.Context, a *AppUser) error // ErrConflict when assigned already
	GetUserAssignment(ctx context.Context, appID, userID string) (*AppUser, error)
	UnassignUser(ctx context.Context, appID, userID string) error
	ListUserAssignments(ctx context.Context, appID string, p Page) ([]*AppUser, error)
	AssignGroup(ctx context.Context, a *AppGroup) error // replaces an existing assignment
	GetGroupAssignment(ctx context.Context, appID, groupID string) (*AppGroup, error)
	UnassignGroup(ctx context.Context, appID, groupID string) error
	ListGroupAssignments(ctx context.Context, appID string, p Page) ([]*AppGroup, error)
	// AssignedTo reports in one query whether the app is assigned to the
	// user directly or to any of the given groups.
	AssignedTo(ctx context.Context, appID, userID string, groupIDs []string) (bool, error)
}

// AppGrant is an Okta API scope granted to an app (admin consent).
type AppGrant struct {
	ID          string // oag…
	AppID       string
	Issuer      string
	ScopeID     string // e.g. okta.users.read
	Status      string // ACTIVE, REVOKED
	Source      string // ADMIN, END_USER
	CreatedBy   string // user id
	Created     time.Time
	LastUpdated time.Time
}

// AppUser is a direct user assignment.
type AppUser struct {
	AppID       string
	UserID      string
	Scope       string // USER or GROUP
	UserName    string
	Profile     map[string]any
	Created     time.Time
	LastUpdated time.Time
}

// AppGroup is a group assignment.
type AppGroup struct {
	AppID       string
	GroupID     string
	Priority    int
	Profile     map[string]any
	LastUpdated time.Time
}

// AuthServer is a custom authorization server ("default" or aus…). The org
// authorization server is built in and has no record; its keys use the
// server id OrgServerID.
type AuthServer struct {
	ID           string
	Name         string
	Description  string
	Audiences    []string
	IssuerMode   string // ORG_URL, DYNAMIC, CUSTOM_URL
	Status       string // ACTIVE, INACTIVE
	Default      bool
	RotationMode string // AUTO, MANUAL
	// TrustedServers are the servers whose access tokens this one accepts
	// as token-exchange subjects (Okta's associated servers).
	TrustedServers []string
	LastRotated    time.Time
	NextRotation   time.Time
	Created        time.Time
	LastUpdated    time.Time
}

// OrgServerID is the key-set id of the org authorization server.
const OrgServerID = "org"

// Scope of a custom authorization server.
type Scope struct {
	ID              string // scp…
	ServerID        string
	Name            string
	DisplayName     string
	Description     string
	System          bool
	Default         bool
	Consent         string // IMPLICIT, REQUIRED, FLEXIBLE
	Optional        bool
	MetadataPublish string // NO_CLIENTS, ALL_CLIENTS
	Created         time.Time
	LastUpdated     time.Time
}

// Claim of a custom authorization server.
type Claim struct {
	ID                   string // ocl…
	ServerID             string
	Name                 string
	Status               string // ACTIVE, INACTIVE
	ClaimType            string // RESOURCE, IDENTITY
	ValueType            string // EXPRESSION, GROUPS, SYSTEM
	Value                string
	GroupFilterType      string // STARTS_WITH, EQUALS, CONTAINS, REGEX (GROUPS only)
	AlwaysIncludeInToken bool
	ConditionScopes      []string
	System               bool
	Created              time.Time
	LastUpdated          time.Time
}

// Policy is an access policy of a custom authorization server.
type Policy struct {
	ID             string // 00p…
	ServerID       string
	Name           string
	Description    string
	Status         string // ACTIVE, INACTIVE
	Priority       int    // 1-based
	System         bool
	ClientsInclude []string // client ids or ALL_CLIENTS
	Created        time.Time
	LastUpdated    time.Time
}

// PolicyRule is a rule of an access policy.
type PolicyRule struct {
	ID                          string // 0pr…
	PolicyID                    string
	ServerID                    string
	Name                        string
	Type                        string // RESOURCE_ACCESS
	Status                      string
	Priority                    int
	System                      bool
	UsersInclude                []string
	UsersExclude                []string
	GroupsInclude               []string // group ids or EVERYONE
	GroupsExclude               []string
	GrantTypes                  []string
	Scopes                      []string // names or "*"
	AccessTokenLifetimeMinutes  int
	RefreshTokenLifetimeMinutes int
	RefreshTokenWindowMinutes   int
	Created                     time.Time
	LastUpdated                 time.Time
}

type AuthServers interface {
	Create(ctx context.Context, s *AuthServer) error
	Get(ctx context.Context, id string) (*AuthServer, error)
	Update(ctx context.Context, s *AuthServer) error
	Delete(ctx context.Context, id string) error // also deletes its scopes, claims, policies and rules
	List(ctx context.Context, p Page) ([]*AuthServer, error)
	ListAll(ctx context.Context) ([]*AuthServer, error)

	CreateScope(ctx context.Context, s *Scope) error // ErrConflict on duplicate (server, name)
	GetScope(ctx context.Context, serverID, id string) (*Scope, error)
	UpdateScope(ctx context.Context, s *Scope) error
	DeleteScope(ctx context.Context, serverID, id string) error
	ListScopes(ctx context.Context, serverID string) ([]*Scope, error) // ordered by name

	CreateClaim(ctx context.Context, c *Claim) error
	GetClaim(ctx context.Context, serverID, id string) (*Claim, error)
	UpdateClaim(ctx context.Context, c *Claim) error
	DeleteClaim(ctx context.Context, serverID, id string) error
	ListClaims(ctx context.Context, serverID string) ([]*Claim, error) // ordered by name

	CreatePolicy(ctx context.Context, p *Policy) error
	GetPolicy(ctx context.Context, serverID, id string) (*Policy, error)
	UpdatePolicy(ctx context.Context, p *Policy) error
	DeletePolicy(ctx context.Context, serverID, id string) error          // also deletes its rules
	ListPolicies(ctx context.Context, serverID string) ([]*Policy, error) // ordered by priority, then id

	CreateRule(ctx context.Context, r *PolicyRule) error
	GetRule(ctx context.Context, policyID, id string) (*PolicyRule, error)
	UpdateRule(ctx context.Context, r *PolicyRule) error
	DeleteRule(ctx context.Context, policyID, id string) error
	ListRules(ctx context.Context, policyID string) ([]*PolicyRule, error) // ordered by priority, then id
}

// SigningKey is one key pair of an authorization server's key set.
type SigningKey struct {
	KID       string // unique across the install
	ServerID  string // custom server id or OrgServerID
	Alg       string // RS256
	Use       string // sig
	Status    string // NEXT, ACTIVE, EXPIRED
	PublicJWK []byte // JSON of the public JWK
	// PrivateSealed is the private key (PKCS#8 DER) encrypted with AES-256-GCM
	// under the master key.
	PrivateSealed []byte
	Created       time.Time
	// Activated is when the key started signing; zero while NEXT.
	Activated time.Time
	// RetireAt is when an EXPIRED key may stop being published (every token it
	// signed has expired by then).
	RetireAt time.Time
}

type Keys interface {
	Create(ctx context.Context, k *SigningKey) error
	Update(ctx context.Context, k *SigningKey) error
	Delete(ctx context.Context, kid string) error
	List(ctx context.Context, serverID string) ([]*SigningKey, error) // ordered by creation
	ListAll(ctx context.Context) ([]*SigningKey, error)
}

// APIToken is an SSWS token. Only its SHA-256 is stored.
type APIToken struct {
	ID          string // 00T…
	Name        string
	UserID      string
	ClientName  string
	TokenHash   []byte // unique
	Created     time.Time
	LastUsed    time.Time
	ExpiresAt   time.Time
	LastUpdated time.Time
}

type APITokens interface {
	Create(ctx context.Context, t *APIToken) error
	Get(ctx context.Context, id string) (*APIToken, error)
	GetByHash(ctx context.Context, hash []byte) (*APIToken, error)
	// Touch records a use and slides the expiry.
	Touch(ctx context.Context, id string, usedAt, expiresAt time.Time) error
	Delete(ctx context.Context, id string) error
	DeleteByUser(ctx context.Context, userID string) error
	List(ctx context.Context, p Page) ([]*APIToken, error)
}

// AdminRole is a standard administrator role held by a user.
type AdminRole struct {
	UserID      string
	Type        string // SUPER_ADMIN, ORG_ADMIN, APP_ADMIN, …
	Created     time.Time
	LastUpdated time.Time
}

type AdminRoles interface {
	Assign(ctx context.Context, r *AdminRole) error // ErrConflict when the user holds it
	Unassign(ctx context.Context, userID, typ string) error
	// Of lists the roles of a user by type.
	Of(ctx context.Context, userID string) ([]*AdminRole, error)
	// Holders counts the users of a status who hold a role.
	Holders(ctx context.Context, typ, userStatus string) (int, error)
}

// TrustedOrigin is an origin allowed to call Sesame from a browser (CORS),
// to be redirected to (REDIRECT) or to embed its pages (IFRAME_EMBED).
type TrustedOrigin struct {
	ID            string // tos…
	Name          string
	Origin        string // scheme://host[:port], unique
	Scopes        []OriginScope
	Status        string // ACTIVE, INACTIVE
	Created       time.Time
	CreatedBy     string
	LastUpdated   time.Time
	LastUpdatedBy string
}

// OriginScope is one use a trusted origin is allowed.
type OriginScope struct {
	Type            string   `json:"type"` // CORS, REDIRECT, IFRAME_EMBED
	AllowedOktaApps []string `json:"allowedOktaApps,omitempty"`
}

type TrustedOrigins interface {
	Create(ctx context.Context, o *TrustedOrigin) error // ErrConflict on duplicate id or origin
	Get(ctx context.Context, id string) (*TrustedOrigin, error)
	Update(ctx context.Context, o *TrustedOrigin) error // ErrConflict on a taken origin
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, p Page) ([]*TrustedOrigin, error)
	// ListAll returns every trusted origin; used to build the configuration cache.
	ListAll(ctx context.Context) ([]*TrustedOrigin, error)
}

// Replays records single-use identifiers (client-assertion jti, one-time
// setup and session tokens) until they expire, shared by every replica.
type Replays interface {
	// Record stores key; ErrConflict when it is already recorded and not expired.
	Record(ctx context.Context, key string, expiresAt time.Time) error
	// Purge deletes entries that expired before now.
	Purge(ctx context.Context, now time.Time) (int64, error)
}

// Revocations remembers the ids of revoked self-contained tokens until they
// expire.
type Revocations interface {
	Revoke(ctx context.Context, jti string, expiresAt time.Time) error // idempotent
	IsRevoked(ctx context.Context, jti string) (bool, error)
	// Since returns the ids revoked at or after the given time, for replicas'
	// in-memory revocation caches, with the time of the newest one.
	Since(ctx context.Context, t time.Time) ([]Revocation, error)
	Purge(ctx context.Context, now time.Time) (int64, error)
}

// Revocation is one revoked token id.
type Revocation struct {
	JTI       string
	ExpiresAt time.Time
	RevokedAt time.Time
}

// AuditEvent is one System Log event. Data holds the full LogEvent JSON;
// the other fields are indexed copies.
type AuditEvent struct {
	UUID      string
	Published time.Time
	EventType string
	Severity  string
	ActorID   string
	Data      []byte
	// Position is where the event stands in commit order; set by the store.
	Position AuditPosition
}

// AuditPosition orders events as they were committed: by Tx (the writing
// transaction on PostgreSQL, 0 on SQLite), then Seq (a sequence taken at
// insert). It is not a timestamp: two events published in one order can
// commit in the other.
type AuditPosition struct {
	Tx, Seq int64
}

// Less orders positions.
func (p AuditPosition) Less(q AuditPosition) bool {
	return p.Tx < q.Tx || (p.Tx == q.Tx && p.Seq < q.Seq)
}

type Audit interface {
	Append(ctx context.Context, e *AuditEvent) error
	// List returns events published in [since, until) ordered by (published,
	// uuid), ascending or descending, starting after the cursor.
	List(ctx context.Context, q AuditQuery) ([]*AuditEvent, error)
	// Poll returns up to q.Limit events after q.After in position order,
	// only among positions no transaction still in flight can come before,
	// so a later call can never find an event before one already returned.
	// resume is where the next call starts when every returned event was
	// consumed: the last event's position, or past every position this call
	// ruled out when it found fewer than q.Limit.
	Poll(ctx context.Context, q AuditPoll) (events []*AuditEvent, resume AuditPosition, err error)
	// Purge deletes the events published before before (the retention
	// period's start) and returns how many it deleted.
	Purge(ctx context.Context, before time.Time) (int64, error)
}

// AuditPoll selects the System Log events a poller has not seen yet.
type AuditPoll struct {
	// Since keeps events published at or after it (zero: all).
	Since time.Time
	After AuditPosition
	Limit int
}

// AuditQuery selects System Log events.
type AuditQuery struct {
	Since, Until time.Time
	EventType    string // exact match when set
	Descending   bool
	// After is the (published, uuid) cursor of the last event already seen.
	AfterPublished time.Time
	AfterUUID      string
	Limit          int
}

// ConfigVersion is a counter bumped by every change to cached configuration
// (apps, grants, servers, scopes, claims, policies, rules, keys, trusted
// origins), so that
// every replica notices and reloads.
type ConfigVersion interface {
	Bump(ctx context.Context) error
	Get(ctx context.Context) (int64, error)
}

// Session is a browser single sign-on session. The cookie carries a random
// token; only its SHA-256 is stored.
type Session struct {
	ID                       string // 102…, what the Sessions API shows
	TokenHash                []byte // unique
	UserID                   string
	AMR                      []string
	Created                  time.Time // when the user authenticated
	LastPasswordVerification time.Time
	LastActive               time.Time
	// IdleExpiresAt slides with use; ExpiresAt is the absolute end.
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
}

type Sessions interface {
	Create(ctx context.Context, s *Session) error
	Get(ctx context.Context, id string) (*Session, error)
	GetByTokenHash(ctx context.Context, hash []byte) (*Session, error)
	// Touch records activity and moves the idle expiry.
	Touch(ctx context.Context, id string, lastActive, idleExpiresAt time.Time) error
	Delete(ctx context.Context, id string) error
	// DeleteByUser ends every session of a user and says how many there were.
	DeleteByUser(ctx context.Context, userID string) (int64, error)
	ListByUser(ctx context.Context, userID string) ([]*Session, error)
	Purge(ctx context.Context, now time.Time) (int64, error)
}

// Code is a short-lived single-use secret (authorization code, session
// token, device code): only its SHA-256 is stored, with what it stands for
// as an opaque JSON document.
type Code struct {
	Kind      string // "code", "session_token", "device_code", …
	Hash      []byte
	Data      []byte
	Created   time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
}

type Codes interface {
	Create(ctx context.Context, c *Code) error // ErrConflict on a duplicate
	// Use marks an unexpired, unused code used at now and returns it. An
	// unknown or expired code is ErrNotFound; one used before is returned
	// with ErrConflict, so that the caller can undo what the first use did.
	// Exactly one of any number of concurrent callers succeeds.
	Use(ctx context.Context, kind string, hash []byte, now time.Time) (*Code, error)
	// Get returns a code whatever its state.
	Get(ctx context.Context, kind string, hash []byte) (*Code, error)
	// SetData replaces the document of an unused code (a device code being
	// approved).
	SetData(ctx context.Context, kind string, hash []byte, data []byte) error
	Purge(ctx context.Context, now time.Time) (int64, error)
}

// RefreshToken is one refresh token of a grant. Tokens rotated from one
// another share a FamilyID; the access tokens issued in a family are
// recorded so that the family can be revoked as a whole.
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

// FamilyAccessToken is an access token issued in a refresh-token family.
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
	// MarkRotated sets RotatedAt if it is unset, in one statement; false
	// when another request rotated the token first.
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
	RecordAccessToken(ctx context.Context, a *FamilyAccessToken) error
	// AccessTokens lists the unexpired access tokens of a family, or of a
	// user when familyID is empty (optionally of one client).
	AccessTokens(ctx context.Context, familyID, userID, clientID string, now time.Time) ([]*FamilyAccessToken, error)
	// Purge deletes tokens that expired (absolute or idle) or were revoked
	// before now, and expired access-token records.
	Purge(ctx context.Context, now time.Time) (int64, error)
}

// UserGrant is a scope a user consented to for a client (§5.3).
type UserGrant struct {
	ID          string // oag…
	UserID      string
	ClientID    string
	ServerID    string
	Scope       string
	Status      string // ACTIVE
	Source      string // END_USER
	Created     time.Time
	LastUpdated time.Time
}

type UserGrants interface {
	// Create stores a grant; ErrConflict when the user already granted that
	// scope to that client on that server.
	Create(ctx context.Context, g *UserGrant) error
	Get(ctx context.Context, userID, id string) (*UserGrant, error)
	// List returns a user's grants, all or those of one client, by id.
	List(ctx context.Context, userID, clientID string) ([]*UserGrant, error)
	Delete(ctx context.Context, userID, id string) error
	// DeleteForClient revokes every grant of a user to one client.
	DeleteForClient(ctx context.Context, userID, clientID string) error
}

// UserSchemaProperty is one custom property of the default user profile
// schema (/api/v1/meta/schemas/user/default, definitions.custom). Definition
// is its JSON in Okta's shape; the service owns that shape.
type UserSchemaProperty struct {
	Name        string
	Definition  []byte
	Created     time.Time
	LastUpdated time.Time
}

type UserSchema interface {
	// List returns the custom properties by name.
	List(ctx context.Context) ([]*UserSchemaProperty, error)
	// Put adds a property or replaces the one of that name (its Created
	// is kept).
	Put(ctx context.Context, p *UserSchemaProperty) error
	// Delete removes a property; ErrNotFound when there is none.
	Delete(ctx context.Context, name string) error
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
