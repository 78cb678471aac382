package store

import (
	"context"
	"time"
)

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
