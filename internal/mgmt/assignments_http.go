package mgmt

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// Page sizes (§4.0): app users 50 (at most 500), app groups 20 (at most 200).
const (
	appUsersDefaultLimit  = 50
	appUsersMaxLimit      = 500
	appGroupsDefaultLimit = 20
	appGroupsMaxLimit     = 200
)

func (h *Handler) registerAssignments(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/apps/{id}/users", h.auth("okta.apps.read", h.listAppUsers))
	mux.Handle("POST /api/v1/apps/{id}/users", h.auth("okta.apps.manage", h.assignUserToApp))
	mux.Handle("GET /api/v1/apps/{id}/users/{userId}", h.auth("okta.apps.read", h.getAppUser))
	mux.Handle("POST /api/v1/apps/{id}/users/{userId}", h.auth("okta.apps.manage", h.updateAppUser))
	mux.Handle("DELETE /api/v1/apps/{id}/users/{userId}", h.auth("okta.apps.manage", h.unassignUserFromApp))
	mux.Handle("GET /api/v1/apps/{id}/groups", h.auth("okta.apps.read", h.listAppGroups))
	mux.Handle("GET /api/v1/apps/{id}/groups/{groupId}", h.auth("okta.apps.read", h.getAppGroup))
	mux.Handle("PUT /api/v1/apps/{id}/groups/{groupId}", h.auth("okta.apps.manage", h.assignGroupToApp))
	mux.Handle("DELETE /api/v1/apps/{id}/groups/{groupId}", h.auth("okta.apps.manage", h.unassignGroupFromApp))
}

// AppUserJSON is an app assignment of a user (§4.1.2). Sesame provisions
// nothing into apps, so sync is DISABLED and the status is ACTIVE.
type AppUserJSON struct {
	ID              string             `json:"id"`
	ExternalID      *string            `json:"externalId"`
	Created         Time               `json:"created"`
	LastUpdated     Time               `json:"lastUpdated"`
	Scope           string             `json:"scope"`
	Status          string             `json:"status"`
	StatusChanged   Time               `json:"statusChanged"`
	PasswordChanged Time               `json:"passwordChanged"`
	SyncState       string             `json:"syncState"`
	Credentials     AppUserCredentials `json:"credentials"`
	Profile         map[string]any     `json:"profile"`
	Links           map[string]any     `json:"_links"`
	Embedded        map[string]any     `json:"_embedded,omitempty"`
}

// AppUserCredentials holds the user name the app knows the user by.
type AppUserCredentials struct {
	UserName string `json:"userName"`
}

func (h *Handler) appUserToJSON(au *store.AppUser) AppUserJSON {
	profile := au.Profile
	if profile == nil {
		profile = map[string]any{}
	}
	app := h.orgURL + "/api/v1/apps/" + url.PathEscape(au.AppID)
	return AppUserJSON{ID: au.UserID, Created: Time{au.Created}, LastUpdated: Time{au.LastUpdated}, Scope: au.Scope,
		Status: store.StatusActive, StatusChanged: Time{au.Created}, SyncState: "DISABLED",
		Credentials: AppUserCredentials{UserName: au.UserName}, Profile: profile,
		Links: map[string]any{
			"app":  Link{Href: app},
			"user": Link{Href: h.orgURL + "/api/v1/users/" + url.PathEscape(au.UserID)},
		}}
}

// AppGroupJSON is an app assignment of a group (§4.1.2).
type AppGroupJSON struct {
	ID          string         `json:"id"`
	LastUpdated Time           `json:"lastUpdated"`
	Priority    int            `json:"priority"`
	Profile     map[string]any `json:"profile"`
	Links       map[string]any `json:"_links"`
}

func (h *Handler) appGroupToJSON(ag *store.AppGroup) AppGroupJSON {
	profile := ag.Profile
	if profile == nil {
		profile = map[string]any{}
	}
	app := h.orgURL + "/api/v1/apps/" + url.PathEscape(ag.AppID)
	return AppGroupJSON{ID: ag.GroupID, LastUpdated: Time{ag.LastUpdated}, Priority: ag.Priority, Profile: profile,
		Links: map[string]any{
			"app":   Link{Href: app},
			"self":  Link{Href: app + "/groups/" + url.PathEscape(ag.GroupID)},
			"group": Link{Href: h.orgURL + "/api/v1/groups/" + url.PathEscape(ag.GroupID)},
		}}
}

// appUserRequest is what POST …/users and …/users/{userId} accept.
type appUserRequest struct {
	ID          string `json:"id"`
	Scope       string `json:"scope"`
	Credentials *struct {
		UserName string `json:"userName"`
	} `json:"credentials"`
	Profile map[string]any `json:"profile"`
}

func decodeAppUser(w http.ResponseWriter, r *http.Request) (*appUserRequest, *oktaerr.Error) {
	body, werr := readBody(w, r)
	if werr != nil {
		return nil, werr
	}
	var in appUserRequest
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, oktaerr.MalformedBody()
		}
	}
	if in.Credentials == nil {
		in.Credentials = &struct {
			UserName string `json:"userName"`
		}{}
	}
	return &in, nil
}

func (h *Handler) listAppUsers(w http.ResponseWriter, r *http.Request, p *principal) {
	limit, after, werr := web.PageParams(r, appUsersDefaultLimit, appUsersMaxLimit)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	aus, err := h.svc.ListAppUsers(r.Context(), r.PathValue("id"), store.Page{After: after, Limit: limit})
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	// expand=user embeds each assigned user, as Okta does.
	expand := r.URL.Query().Get("expand")
	if expand != "" && expand != "user" {
		web.WriteError(w, oktaerr.New(http.StatusBadRequest, oktaerr.CodeInvalidSearch, "Invalid search criteria.",
			"expand: The only expansion of app users is 'user'."))
		return
	}
	out := make([]AppUserJSON, 0, len(aus))
	ids := make([]string, 0, len(aus))
	for _, au := range aus {
		j := h.appUserToJSON(au)
		if expand == "user" {
			u, err := h.svc.GetUser(r.Context(), au.UserID)
			if err != nil {
				h.writeErr(w, r, err)
				return
			}
			j.Embedded = map[string]any{"user": h.userToJSON(u)}
		}
		out = append(out, j)
		ids = append(ids, au.UserID)
	}
	web.SetLinks(w, r, h.orgURL, limit, web.NextCursor(ids, limit))
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) assignUserToApp(w http.ResponseWriter, r *http.Request, p *principal) {
	in, werr := decodeAppUser(w, r)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	if in.ID == "" {
		web.WriteError(w, oktaerr.Validation("id", "id: The field cannot be left blank"))
		return
	}
	au := &store.AppUser{AppID: r.PathValue("id"), UserID: in.ID, Scope: in.Scope, UserName: in.Credentials.UserName, Profile: in.Profile}
	if err := h.svc.AssignUserToApp(r.Context(), serviceContext(r, p), au); err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, h.appUserToJSON(au))
}

func (h *Handler) getAppUser(w http.ResponseWriter, r *http.Request, p *principal) {
	au, err := h.svc.GetAppUser(r.Context(), r.PathValue("id"), r.PathValue("userId"))
	writeOne(h, w, r, au, err, h.appUserToJSON)
}

func (h *Handler) updateAppUser(w http.ResponseWriter, r *http.Request, p *principal) {
	in, werr := decodeAppUser(w, r)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	au, err := h.svc.UpdateAppUser(r.Context(), serviceContext(r, p), r.PathValue("id"), r.PathValue("userId"), in.Credentials.UserName, in.Profile)
	writeOne(h, w, r, au, err, h.appUserToJSON)
}

func (h *Handler) unassignUserFromApp(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.UnassignUserFromApp(r.Context(), serviceContext(r, p), r.PathValue("id"), r.PathValue("userId")))
}

func (h *Handler) listAppGroups(w http.ResponseWriter, r *http.Request, p *principal) {
	limit, after, werr := web.PageParams(r, appGroupsDefaultLimit, appGroupsMaxLimit)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	ags, err := h.svc.ListAppGroups(r.Context(), r.PathValue("id"), store.Page{After: after, Limit: limit})
	writePage(h, w, r, limit, ags, err, func(ag *store.AppGroup) string { return ag.GroupID }, h.appGroupToJSON)
}

func (h *Handler) getAppGroup(w http.ResponseWriter, r *http.Request, p *principal) {
	ag, err := h.svc.GetAppGroup(r.Context(), r.PathValue("id"), r.PathValue("groupId"))
	writeOne(h, w, r, ag, err, h.appGroupToJSON)
}

// assignGroupToApp accepts {} (Terraform), {"priority":n} or
// {"priority":n,"profile":{…}}, and an empty body.
func (h *Handler) assignGroupToApp(w http.ResponseWriter, r *http.Request, p *principal) {
	body, werr := readBody(w, r)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	var in struct {
		Priority *int           `json:"priority"`
		Profile  map[string]any `json:"profile"`
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			web.WriteError(w, oktaerr.MalformedBody())
			return
		}
	}
	ag, err := h.svc.AssignGroupToApp(r.Context(), serviceContext(r, p), r.PathValue("id"), r.PathValue("groupId"), in.Priority, in.Profile)
	writeOne(h, w, r, ag, err, h.appGroupToJSON)
}

func (h *Handler) unassignGroupFromApp(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.UnassignGroupFromApp(r.Context(), serviceContext(r, p), r.PathValue("id"), r.PathValue("groupId")))
}
