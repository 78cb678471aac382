package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sesame-idp/sesame/internal/secret"
)

// AppCredentials is the app's credentials document in Okta's shape, without
// the client secret (which is never stored in clear).
type AppCredentials struct {
	UserNameTemplate *UserNameTemplate `json:"userNameTemplate,omitempty"`
	Signing          *AppSigning       `json:"signing,omitempty"`
	OAuthClient      OAuthClientCreds  `json:"oauthClient"`
}

type UserNameTemplate struct {
	Template string `json:"template"`
	Type     string `json:"type"`
}

type AppSigning struct {
	KID string `json:"kid,omitempty"`
}

// OAuthClientCreds is credentials.oauthClient.
type OAuthClientCreds struct {
	ClientID                string `json:"client_id"`
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method"`
	AutoKeyRotation         bool   `json:"autoKeyRotation"`
	PKCERequired            bool   `json:"pkce_required"`
}

// AppSettings is the app's settings document; OAuthClient is
// settings.oauthClient. Extra keeps settings members Sesame does not
// interpret (app, notifications, notes…) so that they round-trip.
type AppSettings struct {
	OAuthClient OAuthClientSettings        `json:"oauthClient"`
	Extra       map[string]json.RawMessage `json:"-"`
}

// OAuthClientSettings is settings.oauthClient in Okta's shape.
type OAuthClientSettings struct {
	ApplicationType                   string                     `json:"application_type"`
	ClientURI                         *string                    `json:"client_uri"`
	LogoURI                           *string                    `json:"logo_uri"`
	PolicyURI                         *string                    `json:"policy_uri,omitempty"`
	TosURI                            *string                    `json:"tos_uri,omitempty"`
	RedirectURIs                      []string                   `json:"redirect_uris"`
	PostLogoutRedirectURIs            []string                   `json:"post_logout_redirect_uris,omitempty"`
	ResponseTypes                     []string                   `json:"response_types"`
	GrantTypes                        []string                   `json:"grant_types"`
	InitiateLoginURI                  string                     `json:"initiate_login_uri,omitempty"`
	ConsentMethod                     string                     `json:"consent_method,omitempty"`
	IssuerMode                        string                     `json:"issuer_mode,omitempty"`
	WildcardRedirect                  string                     `json:"wildcard_redirect,omitempty"`
	IDPInitiatedLogin                 *IDPInitiatedLogin         `json:"idp_initiated_login,omitempty"`
	RefreshToken                      *RefreshTokenSettings      `json:"refresh_token,omitempty"`
	JWKS                              *AppJWKS                   `json:"jwks,omitempty"`
	JWKSURI                           string                     `json:"jwks_uri,omitempty"`
	DPoPBoundAccessTokens             bool                       `json:"dpop_bound_access_tokens"`
	RequestObjectSigningAlg           string                     `json:"request_object_signing_alg,omitempty"`
	FrontchannelLogoutURI             string                     `json:"frontchannel_logout_uri,omitempty"`
	FrontchannelLogoutSessionRequired *bool                      `json:"frontchannel_logout_session_required,omitempty"`
	ParticipateSLO                    *bool                      `json:"participate_slo,omitempty"`
	Network                           map[string]any             `json:"network,omitempty"`
	Extra                             map[string]json.RawMessage `json:"-"`
}

type IDPInitiatedLogin struct {
	Mode         string   `json:"mode"`
	DefaultScope []string `json:"default_scope"`
}

type RefreshTokenSettings struct {
	RotationType string `json:"rotation_type"`
	Leeway       int    `json:"leeway"`
}

// AppJWKS is settings.oauthClient.jwks: the client's public keys. Each key is
// the public JWK as sent, plus Okta's bookkeeping members.
type AppJWKS struct {
	Keys []AppJWK `json:"keys"`
}

// AppJWK is one client key. JWK holds the key members (kty, kid, use, alg,
// n, e, crv, x, y); the rest is Okta's bookkeeping.
type AppJWK struct {
	ID          string          `json:"id,omitempty"` // pks…
	Status      string          `json:"status,omitempty"`
	Created     string          `json:"created,omitempty"`
	LastUpdated string          `json:"lastUpdated,omitempty"`
	JWK         json.RawMessage `json:"-"`
}

// ClientAuthMethod is how the app authenticates at the token endpoint. A
// browser app is a public client whatever method its record names: Okta
// accepts client_secret_basic (the Terraform provider's default) for one and
// keeps it as sent, and the app still signs in with PKCE and no secret.
func (a *App) ClientAuthMethod() string {
	if a.Settings.OAuthClient.ApplicationType == "browser" {
		return "none"
	}
	return a.Credentials.OAuthClient.TokenEndpointAuthMethod
}

// AppSecret is one client secret of an app. Only its SHA-256 is kept, and,
// for client_secret_jwt (whose HMAC key is the secret itself), the secret
// sealed under the master key.
type AppSecret struct {
	ID          string // ocs…
	Status      string // ACTIVE, INACTIVE
	Hash        []byte
	Sealed      []byte
	Created     time.Time
	LastUpdated time.Time
}

// ActiveSecrets are the secrets the client may authenticate with.
func (a *App) ActiveSecrets() []AppSecret {
	var out []AppSecret
	for _, s := range a.Secrets {
		if s.Status == StatusActive {
			out = append(out, s)
		}
	}
	return out
}

// SecretMatches reports whether clear is one of the app's active client
// secrets. Each is compared in constant time, and all are compared, so the
// time taken says nothing about which matched.
func (a *App) SecretMatches(clear string) bool {
	var hashes [][]byte
	for _, s := range a.ActiveSecrets() {
		hashes = append(hashes, s.Hash)
	}
	return secret.MatchesAny(clear, hashes)
}

// AppGroupsClaim is the groups claim that the ID tokens the org
// authorization server issues to the app carry (Okta's internal
// /api/v1/internal/apps/{id}/settings/oauth/idToken).
type AppGroupsClaim struct {
	Name            string `json:"name"`
	ValueType       string `json:"valueType"` // GROUPS or EXPRESSION
	Value           string `json:"value"`
	GroupFilterType string `json:"groupFilterType,omitempty"` // STARTS_WITH, EQUALS, CONTAINS, REGEX (GROUPS)
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
