package oauth

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/expr"
	"github.com/sesame-idp/sesame/internal/store"
)

// subject is a user as tokens describe them.
type subject struct {
	user       *store.User
	groupIDs   []string
	groupNames []string
}

// loadSubject reads a user and the groups they belong to, Everyone
// included (policy rules and group claims see it like any group).
func (s *Server) loadSubject(ctx context.Context, userID string) (*subject, error) {
	u, err := s.store.Users().Get(ctx, userID)
	if err != nil {
		return nil, err
	}
	groups, err := s.store.Groups().Of(ctx, userID)
	if err != nil {
		return nil, err
	}
	sub := &subject{user: u}
	for _, g := range groups {
		sub.groupIDs, sub.groupNames = append(sub.groupIDs, g.ID), append(sub.groupNames, g.Name)
	}
	return sub, nil
}

func profileString(p map[string]any, k string) (string, bool) {
	v, ok := p[k].(string)
	return v, ok && v != ""
}

// scopeClaims are the standard claims the granted OIDC scopes release
// (§2.5, §3.3). full adds every profile claim; without it (an ID token
// issued with an access token) only the ones OpenMetadata and most apps
// map users from: name, preferred_username, email, email_verified.
func scopeClaims(u *store.User, scopes []string, full bool) map[string]any {
	out := map[string]any{}
	p := u.Profile
	if slices.Contains(scopes, "profile") {
		first, _ := profileString(p, "firstName")
		last, _ := profileString(p, "lastName")
		name := strings.TrimSpace(first + " " + last)
		if dn, ok := profileString(p, "displayName"); ok && name == "" {
			name = dn
		}
		if name != "" {
			out["name"] = name
		}
		out["preferred_username"] = u.Login
		if full {
			for claim, attr := range map[string]string{"given_name": "firstName", "family_name": "lastName", "middle_name": "middleName",
				"nickname": "nickName", "profile": "profileUrl", "locale": "locale", "zoneinfo": "timeZone"} {
				if v, ok := profileString(p, attr); ok {
					out[claim] = v
				}
			}
			if !u.LastUpdated.IsZero() {
				out["updated_at"] = u.LastUpdated.Unix()
			}
		}
	}
	if slices.Contains(scopes, "email") {
		if e, ok := profileString(p, "email"); ok {
			out["email"] = e
			// Okta verifies an address by activation: an active user's
			// primary email counts as verified.
			out["email_verified"] = u.CanSignIn()
		}
	}
	if full && slices.Contains(scopes, "phone") {
		if v, ok := profileString(p, "mobilePhone"); ok {
			out["phone_number"] = v
		} else if v, ok := profileString(p, "primaryPhone"); ok {
			out["phone_number"] = v
		}
	}
	if full && slices.Contains(scopes, "address") {
		addr := map[string]any{}
		for claim, attr := range map[string]string{"street_address": "streetAddress", "locality": "city", "region": "state",
			"postal_code": "zipCode", "country": "countryCode"} {
			if v, ok := profileString(p, attr); ok {
				addr[claim] = v
			}
		}
		if len(addr) > 0 {
			out["address"] = addr
		}
	}
	return out
}

// maxGroupsInClaim is Okta's limit on a groups claim.
const maxGroupsInClaim = 100

var errTooManyGroups = oerr(500, "server_error", "The groups claim matched too many groups and must be configured to match fewer groups.")

// customClaims evaluates a custom server's claims of one type (RESOURCE for
// access tokens, IDENTITY for ID tokens and userinfo). forIDWithAccess
// limits IDENTITY claims to those marked alwaysIncludeInToken, as Okta does
// for an ID token issued together with an access token. A claim whose
// expression fails is left out and logged; the token is still issued.
func (s *Server) customClaims(snap *cache.Snapshot, srv *cache.Server, app *cache.App, granted []string, sub *subject, claimType string, forIDWithAccess bool) (map[string]any, *Error) {
	if srv.IsOrg() {
		return nil, nil
	}
	var out map[string]any
	env := expr.Env{App: &expr.App{ID: app.ID, ClientID: app.ClientID, Label: app.Label, Profile: app.Profile}}
	if snap != nil && snap.Org != nil {
		env.Org = expr.Org{ID: snap.Org.ID, Name: snap.Org.Name}
	}
	if sub != nil {
		env.User = &expr.User{ID: sub.user.ID, Profile: sub.user.Profile, GroupIDs: sub.groupIDs, GroupNames: sub.groupNames}
		env.AppUser = map[string]any{"userName": sub.user.Login}
	}
	for _, c := range srv.Claims {
		// System claims (sub and the standard identity claims) are computed
		// by the token code itself.
		if c.System || c.Status != store.StatusActive || c.ClaimType != claimType {
			continue
		}
		if forIDWithAccess && !c.AlwaysIncludeInToken {
			continue
		}
		if len(c.ConditionScopes) > 0 && !slices.ContainsFunc(c.ConditionScopes, func(sc string) bool { return slices.Contains(granted, sc) }) {
			continue
		}
		var v any
		switch c.ValueType {
		case "EXPRESSION":
			e, err := snap.ClaimExpr(c.Value)
			if err != nil {
				s.log.Warn("claim expression does not parse; claim left out", "server", srv.ID, "claim", c.ID, "err", err)
				continue
			}
			if v, err = e.Eval(env); err != nil {
				s.log.Warn("claim expression failed; claim left out", "server", srv.ID, "claim", c.ID, "err", err)
				continue
			}
		case "GROUPS":
			if sub == nil {
				continue
			}
			names, ok := s.matchGroups(snap, c, sub.groupNames)
			if !ok {
				return nil, errTooManyGroups
			}
			if len(names) == 0 {
				continue
			}
			v = names
		default:
			continue
		}
		if v == nil {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[c.Name] = v
	}
	return out, nil
}

// appGroupsClaim is the groups claim an app configured for its ID tokens
// from the org server (the internal idToken settings), released by the
// groups scope as Okta's org server does. GROUPS filters the user's group
// names like a custom server's GROUPS claim; EXPRESSION is evaluated, and
// left out (and logged) when it fails: Okta stores it unevaluated.
func (s *Server) appGroupsClaim(snap *cache.Snapshot, app *cache.App, scopes []string, sub *subject) (map[string]any, *Error) {
	gc := app.GroupsClaim
	if gc == nil || gc.Name == "" || sub == nil || !slices.Contains(scopes, "groups") {
		return nil, nil
	}
	var v any
	switch gc.ValueType {
	case "GROUPS":
		names, ok := s.matchGroups(snap, &store.Claim{ID: app.ID, Value: gc.Value, GroupFilterType: gc.GroupFilterType}, sub.groupNames)
		if !ok {
			return nil, errTooManyGroups
		}
		if len(names) == 0 {
			return nil, nil
		}
		v = names
	case "EXPRESSION":
		env := expr.Env{App: &expr.App{ID: app.ID, ClientID: app.ClientID, Label: app.Label, Profile: app.Profile},
			User: &expr.User{ID: sub.user.ID, Profile: sub.user.Profile, GroupIDs: sub.groupIDs, GroupNames: sub.groupNames}}
		if snap != nil && snap.Org != nil {
			env.Org = expr.Org{ID: snap.Org.ID, Name: snap.Org.Name}
		}
		e, err := snap.ClaimExpr(gc.Value)
		if err == nil {
			v, err = e.Eval(env)
		}
		if err != nil || v == nil {
			s.log.Warn("app groups claim expression failed; claim left out", "app", app.ID, "err", err)
			return nil, nil
		}
	default:
		return nil, nil
	}
	return map[string]any{gc.Name: v}, nil
}

// matchGroups applies a GROUPS claim's filter (a REGEX compiled once in the
// snapshot); false when more than Okta's limit match.
func (s *Server) matchGroups(snap *cache.Snapshot, c *store.Claim, names []string) ([]string, bool) {
	var re *regexp.Regexp
	if c.GroupFilterType == "REGEX" {
		var err error
		if re, err = snap.GroupRegex(c.Value); err != nil {
			s.log.Warn("groups claim regex does not compile; claim left out", "claim", c.ID, "err", err)
			return nil, true
		}
	}
	want := strings.ToLower(c.Value)
	out := []string{}
	for _, n := range names {
		ln := strings.ToLower(n)
		var ok bool
		switch c.GroupFilterType {
		case "STARTS_WITH":
			ok = strings.HasPrefix(ln, want)
		case "EQUALS":
			ok = ln == want
		case "CONTAINS":
			ok = strings.Contains(ln, want)
		case "REGEX":
			ok = re.MatchString(n)
		}
		if ok {
			out = append(out, n)
		}
	}
	if len(out) > maxGroupsInClaim {
		return nil, false
	}
	return out, true
}

// userAllowed reloads the user of a grant and checks they may still use
// the app.
func (s *Server) userAllowed(ctx context.Context, userID string, app *cache.App) (*subject, *Error) {
	// From the store's short-lived cache, which every replica drops entries
	// of as users, groups and assignments change.
	got, err := s.store.Subject(ctx, userID, app.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, serverError("loading user", err)
	}
	if !got.User.CanSignIn() {
		return nil, nil
	}
	if !got.Assigned {
		return nil, errNotAssigned
	}
	return &subject{user: got.User, groupIDs: got.GroupIDs, groupNames: got.GroupNames}, nil
}

var errNotAssigned = oerr(400, "access_denied", "User is not assigned to the client application.")
