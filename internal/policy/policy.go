// Package policy decides what a request to a custom authorization server may
// have: which scopes it gets (after default-scope expansion) and which access
// policy rule applies, following Okta's first-match evaluation (§5.1, §5.2).
package policy

import (
	"slices"
	"strings"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/store"
)

// Request is what evaluation looks at.
type Request struct {
	ClientID  string
	GrantType string
	// Scopes as requested; nil or empty means "the default scopes".
	Scopes []string
	// UserID and UserGroups are empty when no user takes part
	// (client_credentials).
	UserID     string
	UserGroups []string
}

// Result is a successful evaluation.
type Result struct {
	Scopes                      []string
	PolicyID, RuleID            string
	AccessTokenLifetimeMinutes  int
	RefreshTokenLifetimeMinutes int
	RefreshTokenWindowMinutes   int
}

// Denial is an OAuth error decided by evaluation, with Okta's texts.
type Denial struct {
	Status      int
	Code        string
	Description string
}

func (d *Denial) Error() string { return d.Code + ": " + d.Description }

var (
	errNoDefaultScopes = &Denial{400, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided."}
	errUnknownScope    = &Denial{400, "invalid_scope", "One or more scopes are not configured for the authorization server resource."}
	errNoPolicy        = &Denial{401, "access_denied", "Policy evaluation failed for this request, please check the policy configurations."}
)

// Evaluate applies srv's access policies to req.
func Evaluate(srv *cache.Server, req Request) (*Result, *Denial) {
	scopes := req.Scopes
	if len(scopes) == 0 {
		for _, s := range srv.Scopes {
			if s.Default {
				scopes = append(scopes, s.Name)
			}
		}
		if len(scopes) == 0 {
			return nil, errNoDefaultScopes
		}
	}
	for _, s := range scopes {
		if srv.ScopesByName[s] == nil {
			return nil, errUnknownScope
		}
	}
	for _, p := range srv.Policies {
		if p.Status != store.StatusActive || !includesClient(p.ClientsInclude, req.ClientID) {
			continue
		}
		for _, r := range p.Rules {
			if r.Status != store.StatusActive || !slices.Contains(r.GrantTypes, req.GrantType) ||
				!coversScopes(r.Scopes, scopes) || !peopleMatch(r.UsersInclude, r.UsersExclude, r.GroupsInclude, r.GroupsExclude, req) {
				continue
			}
			return &Result{
				Scopes: scopes, PolicyID: p.ID, RuleID: r.ID,
				AccessTokenLifetimeMinutes:  orDefault(r.AccessTokenLifetimeMinutes, 60),
				RefreshTokenLifetimeMinutes: r.RefreshTokenLifetimeMinutes,
				RefreshTokenWindowMinutes:   orDefault(r.RefreshTokenWindowMinutes, 10080),
			}, nil
		}
	}
	return nil, errNoPolicy
}

func includesClient(include []string, clientID string) bool {
	return slices.Contains(include, "ALL_CLIENTS") || slices.Contains(include, clientID)
}

func coversScopes(allowed, requested []string) bool {
	if slices.Contains(allowed, "*") {
		return true
	}
	for _, s := range requested {
		if !slices.Contains(allowed, s) {
			return false
		}
	}
	return true
}

// peopleMatch is the people condition. A request without a user
// (client_credentials) has no one to match, so the condition does not apply:
// the console offers "no user" for that grant.
func peopleMatch(usersIn, usersEx, groupsIn, groupsEx []string, req Request) bool {
	if req.UserID == "" {
		return true
	}
	if slices.Contains(usersEx, req.UserID) {
		return false
	}
	for _, g := range req.UserGroups {
		if slices.Contains(groupsEx, g) {
			return false
		}
	}
	if slices.Contains(usersIn, req.UserID) || slices.Contains(groupsIn, "EVERYONE") {
		return true
	}
	for _, g := range req.UserGroups {
		if slices.Contains(groupsIn, g) {
			return true
		}
	}
	return false
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// ParseScopes splits a scope parameter; duplicates are dropped keeping the
// first occurrence's order.
func ParseScopes(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
