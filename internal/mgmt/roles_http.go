package mgmt

import (
	"net/http"

	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

func (h *Handler) registerRoles(mux *http.ServeMux) {
	const roles = "/api/v1/users/{id}/roles"
	mux.Handle("GET "+roles, h.auth("okta.roles.read", h.listUserRoles))
	mux.Handle("POST "+roles, h.auth("okta.roles.manage", h.assignUserRole))
	mux.Handle("GET "+roles+"/{roleId}", h.auth("okta.roles.read", h.getUserRole))
	mux.Handle("DELETE "+roles+"/{roleId}", h.auth("okta.roles.manage", h.unassignUserRole))
}

// RoleJSON is a standard role assigned to a user.
type RoleJSON struct {
	ID             string         `json:"id"`
	Label          string         `json:"label"`
	Type           string         `json:"type"`
	Status         string         `json:"status"`
	Created        Time           `json:"created"`
	LastUpdated    Time           `json:"lastUpdated"`
	AssignmentType string         `json:"assignmentType"`
	Links          map[string]any `json:"_links"`
}

func (h *Handler) roleToJSON(r *store.AdminRole) RoleJSON {
	return RoleJSON{
		ID: service.RoleID(r.Type), Label: service.RoleLabel(r.Type), Type: r.Type, Status: store.StatusActive,
		Created: Time{r.Created}, LastUpdated: Time{r.LastUpdated}, AssignmentType: "USER",
		Links: map[string]any{"assignee": map[string]string{"href": h.orgURL + "/api/v1/users/" + r.UserID}},
	}
}

func (h *Handler) listUserRoles(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	rs, err := h.svc.ListUserRoles(r.Context(), id)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]RoleJSON, 0, len(rs))
	for _, role := range rs {
		out = append(out, h.roleToJSON(role))
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) getUserRole(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	role, err := h.svc.GetUserRole(r.Context(), id, r.PathValue("roleId"))
	writeOne(h, w, r, role, err, h.roleToJSON)
}

// assignUserRole takes {"type": "…"}; disableNotifications is accepted and
// has nothing to do, since Sesame sends administrators no role e-mail.
func (h *Handler) assignUserRole(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	var in struct {
		Type string `json:"type"`
	}
	if !readInto(w, r, &in) {
		return
	}
	role, err := h.svc.AssignUserRole(r.Context(), serviceContext(r, p), id, in.Type)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, h.roleToJSON(role))
}

func (h *Handler) unassignUserRole(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	h.writeNoContent(w, r, h.svc.UnassignUserRole(r.Context(), serviceContext(r, p), id, r.PathValue("roleId")))
}
