package store

import (
	"context"
	"time"
)

// Org policy types of /api/v1/policies that Sesame evaluates.
const (
	// PolicyOktaSignOn is the classic org sign-on policy: its SIGN_ON
	// rules decide whether a second factor is asked at sign-in.
	PolicyOktaSignOn = "OKTA_SIGN_ON"
	// PolicyAccess is an app sign-on policy (Okta's ACCESS_POLICY): its
	// ACCESS_POLICY rules say whether the apps bound to it need two factors.
	PolicyAccess = "ACCESS_POLICY"

	RuleSignOn = "SIGN_ON"
	RuleAccess = "ACCESS_POLICY"
)

// OrgPolicy is a policy of /api/v1/policies.
type OrgPolicy struct {
	ID          string // 00p… (rst… for access policies)
	Type        string // PolicyOktaSignOn, PolicyAccess
	Name        string
	Description string
	Status      string // StatusActive, StatusInactive
	Priority    int    // 1 first
	System      bool   // the default policy: cannot be deleted
	Conditions  OrgPolicyConditions
	Created     time.Time
	LastUpdated time.Time
}

// OrgPolicyConditions is the part of a policy's conditions Sesame keeps.
type OrgPolicyConditions struct {
	GroupsInclude []string `json:"groupsInclude,omitempty"`
}

// OrgPolicyRule is a rule of an org policy.
type OrgPolicyRule struct {
	ID          string
	PolicyID    string
	Type        string // RuleSignOn, RuleAccess
	Name        string
	Status      string
	Priority    int
	System      bool // the default rule: last, cannot be deleted
	Conditions  OrgRuleConditions
	Actions     OrgRuleActions
	Created     time.Time
	LastUpdated time.Time
}

// OrgRuleConditions is who a rule applies to.
type OrgRuleConditions struct {
	UsersInclude  []string `json:"usersInclude,omitempty"`
	UsersExclude  []string `json:"usersExclude,omitempty"`
	GroupsInclude []string `json:"groupsInclude,omitempty"`
	GroupsExclude []string `json:"groupsExclude,omitempty"`
	// Network is ANYWHERE (the only connection Sesame evaluates).
	Network string `json:"network,omitempty"`
	// AuthType is ANY, the classic sign-on rule's authContext.
	AuthType string `json:"authType,omitempty"`
	// Kept for clients to read back, not evaluated: riskScore.level,
	// identityProvider.provider, risk.behaviors.
	RiskLevel        string   `json:"riskLevel,omitempty"`
	IdentityProvider string   `json:"identityProvider,omitempty"`
	Behaviors        []string `json:"behaviors,omitempty"`
}

// OrgRuleActions is what a rule decides.
type OrgRuleActions struct {
	// Access is ALLOW or DENY.
	Access string `json:"access"`
	// Classic sign-on rules (actions.signon).
	RequireFactor           bool   `json:"requireFactor,omitempty"`
	FactorPromptMode        string `json:"factorPromptMode,omitempty"` // ALWAYS, DEVICE, SESSION
	FactorLifetime          int    `json:"factorLifetime,omitempty"`   // minutes
	RememberDeviceByDefault bool   `json:"rememberDeviceByDefault,omitempty"`
	PrimaryFactor           string `json:"primaryFactor,omitempty"`
	MaxSessionIdleMinutes   int    `json:"maxSessionIdleMinutes,omitempty"`
	MaxSessionLifetime      int    `json:"maxSessionLifetimeMinutes,omitempty"`
	UsePersistentCookie     bool   `json:"usePersistentCookie,omitempty"`
	// Access policy rules (actions.appSignOn.verificationMethod).
	FactorMode       string `json:"factorMode,omitempty"`       // 1FA, 2FA
	VerificationType string `json:"verificationType,omitempty"` // ASSURANCE
	ReauthenticateIn string `json:"reauthenticateIn,omitempty"` // ISO 8601 duration
}

// OrgPolicies stores org policies, their rules and the access policy each
// app is bound to.
type OrgPolicies interface {
	Create(ctx context.Context, p *OrgPolicy) error // ErrConflict on a taken id
	Get(ctx context.Context, id string) (*OrgPolicy, error)
	// List returns the policies of a type (every type when empty) in
	// priority order.
	List(ctx context.Context, typ string) ([]*OrgPolicy, error)
	Update(ctx context.Context, p *OrgPolicy) error
	Delete(ctx context.Context, id string) error

	CreateRule(ctx context.Context, r *OrgPolicyRule) error
	GetRule(ctx context.Context, policyID, id string) (*OrgPolicyRule, error)
	ListRules(ctx context.Context, policyID string) ([]*OrgPolicyRule, error)
	UpdateRule(ctx context.Context, r *OrgPolicyRule) error
	DeleteRule(ctx context.Context, id string) error

	// SetAppPolicy binds an app to an access policy (replacing any other).
	SetAppPolicy(ctx context.Context, appID, policyID string) error
	// AppPolicy is the access policy an app is bound to; ErrNotFound when none.
	AppPolicy(ctx context.Context, appID string) (string, error)
}
