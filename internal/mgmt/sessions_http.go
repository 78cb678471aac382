package mgmt

import (
	"net/http"
	"time"

	"github.com/sesame-idp/sesame/internal/oktajson"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// registerSessions adds the admin Sessions API (§4.11) and users' consent
// grants (§5.3).
func (h *Handler) registerSessions(mux *http.ServeMux) {
	mux.Handle("DELETE /api/v1/users/{id}/sessions", h.auth("okta.users.manage", h.clearUserSessions))
	mux.Handle("GET /api/v1/sessions/{sessionId}", h.auth("okta.sessions.read", h.getSession))
	mux.Handle("DELETE /api/v1/sessions/{sessionId}", h.auth("okta.sessions.manage", h.deleteSession))
	mux.Handle("GET /api/v1/users/{id}/grants", h.auth("okta.users.read", h.listUserGrants))
	mux.Handle("GET /api/v1/users/{id}/grants/{grantId}", h.auth("okta.users.read", h.getUserGrant))
	mux.Handle("DELETE /api/v1/users/{id}/grants/{grantId}", h.auth("okta.users.manage", h.revokeUserGrant))
	mux.Handle("GET /api/v1/users/{id}/clients/{clientId}/grants", h.auth("okta.users.read", h.listUserGrants))
	mux.Handle("DELETE /api/v1/users/{id}/clients/{clientId}/grants", h.auth("okta.users.manage", h.revokeUserGrant))
}

func (h *Handler) clearUserSessions(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	h.writeNoContent(w, r, h.svc.ClearUserSessions(r.Context(), serviceContext(r, p), id, r.URL.Query().Get("oauthTokens") == "true"))
}

func (h *Handler) getSession(w http.ResponseWriter, r *http.Request, p *principal) {
	x, err := h.svc.GetSession(r.Context(), r.PathValue("sessionId"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	u, _ := h.svc.GetUser(r.Context(), x.UserID)
	orgID := ""
	if org := h.svc.Cache.Current().Org; org != nil {
		orgID = org.ID
	}
	web.WriteJSON(w, http.StatusOK, oktajson.Session(x, u, h.orgURL, orgID, false))
}

func (h *Handler) deleteSession(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.EndSession(r.Context(), serviceContext(r, p), r.PathValue("sessionId")))
}

func (h *Handler) userGrantJSON(g *store.UserGrant) map[string]any {
	ts := g.Created.UTC().Format(time.RFC3339Nano)
	issuer := h.orgURL + "/oauth2/" + g.ServerID
	self := h.orgURL + "/api/v1/users/" + g.UserID + "/grants/" + g.ID
	return map[string]any{
		"id": g.ID, "status": g.Status, "created": ts, "lastUpdated": g.LastUpdated.UTC().Format(time.RFC3339Nano),
		"issuer": issuer, "clientId": g.ClientID, "userId": g.UserID, "scopeId": g.Scope, "source": g.Source,
		"createdBy": map[string]any{"id": g.UserID, "type": "User"},
		"_links": map[string]any{
			"self":   map[string]any{"href": self, "hints": map[string]any{"allow": []string{"GET", "DELETE"}}},
			"client": map[string]any{"href": h.orgURL + "/oauth2/v1/clients/" + g.ClientID},
			"user":   map[string]any{"href": h.orgURL + "/api/v1/users/" + g.UserID},
			"issuer": map[string]any{"href": h.orgURL + "/api/v1/authorizationServers/" + g.ServerID},
		},
	}
}

func (h *Handler) listUserGrants(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	gs, err := h.svc.ListUserGrants(r.Context(), id, r.PathValue("clientId"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(gs))
	for _, g := range gs {
		out = append(out, h.userGrantJSON(g))
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) getUserGrant(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	g, err := h.svc.GetUserGrant(r.Context(), id, r.PathValue("grantId"))
	writeOne(h, w, r, g, err, h.userGrantJSON)
}

func (h *Handler) revokeUserGrant(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	h.writeNoContent(w, r, h.svc.RevokeUserGrants(r.Context(), serviceContext(r, p), id, r.PathValue("grantId"), r.PathValue("clientId")))
}
