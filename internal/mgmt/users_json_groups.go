package mgmt

import (
	"net/url"

	"github.com/sesame-idp/sesame/internal/store"
)

// userToJSON is the user object (§4.7) as group member lists show it.
// Stand-in until the users branch brings the one user encoder
// (users_http.go, same name and receiver): the
// integrator keeps that one and deletes this file.
func (h *Handler) userToJSON(u *store.User) map[string]any {
	creds := map[string]any{"provider": map[string]string{"type": "OKTA", "name": "OKTA"}}
	if u.PasswordHash != "" {
		// Passwords are write-only: a set one shows as an empty object.
		creds["password"] = map[string]any{}
	}
	profile := u.Profile
	if profile == nil {
		profile = map[string]any{}
	}
	return map[string]any{
		"id": u.ID, "status": u.Status,
		"created": Time{u.Created}, "activated": Time{u.Activated}, "statusChanged": Time{u.StatusChanged},
		"lastLogin": Time{u.LastLogin}, "lastUpdated": Time{u.LastUpdated}, "passwordChanged": Time{u.PasswordChanged},
		"profile": profile, "credentials": creds,
		"_links": map[string]any{"self": Link{Href: h.orgURL + "/api/v1/users/" + url.PathEscape(u.ID)}},
	}
}
