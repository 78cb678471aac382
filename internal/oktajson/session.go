// Package oktajson holds the Okta JSON objects that more than one HTTP
// package answers: today the Session object, which the Sessions API
// (internal/mgmt, /api/v1/sessions/{id}) and the sign-in
// (internal/signin, /api/v1/sessions/me) both return. The management API's
// other objects stay in mgmt; an object comes here only when a package
// below mgmt must answer it too, so that neither has to import the other.
// Like oktaerr, it knows Okta's shapes and nothing of HTTP.
package oktajson

import (
	"slices"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// Session is the Session object of §4.11; me selects the links of
// /api/v1/sessions/me rather than those of /api/v1/sessions/{id}.
func Session(s *store.Session, u *store.User, orgURL, orgID string, me bool) map[string]any {
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	login, name := "", ""
	if u != nil {
		login, name = u.Login, u.DisplayName()
	}
	self, refresh, user := orgURL+"/api/v1/sessions/"+s.ID, orgURL+"/api/v1/sessions/"+s.ID+"/lifecycle/refresh", orgURL+"/api/v1/users/"+s.UserID
	if me {
		self, refresh, user = orgURL+"/api/v1/sessions/me", orgURL+"/api/v1/sessions/me/lifecycle/refresh", orgURL+"/api/v1/users/me"
	}
	// A session that began with a second factor (the factor step starts
	// it) verified the factor when it began.
	mfa := sessionHasFactor(s)
	var lastFactor any
	if mfa {
		lastFactor = ts(s.Created)
	}
	return map[string]any{
		"id": s.ID, "login": login, "userId": s.UserID, "status": "ACTIVE",
		"createdAt": ts(s.Created), "expiresAt": ts(s.IdleExpiresAt),
		"lastPasswordVerification": ts(s.LastPasswordVerification), "lastFactorVerification": lastFactor,
		"amr": s.AMR, "idp": map[string]any{"id": orgID, "type": "OKTA"}, "mfaActive": mfa,
		"_links": map[string]any{
			"refresh": map[string]any{"href": refresh, "hints": map[string]any{"allow": []string{"POST"}}},
			"self":    map[string]any{"href": self, "hints": map[string]any{"allow": []string{"GET", "DELETE"}}},
			"user":    map[string]any{"name": name, "href": user, "hints": map[string]any{"allow": []string{"GET"}}},
		},
	}
}

// sessionHasFactor says whether a session's sign-in included a second
// factor.
func sessionHasFactor(s *store.Session) bool { return slices.Contains(s.AMR, "mfa") }
