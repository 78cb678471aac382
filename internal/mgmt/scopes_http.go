package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

// ScopeJSON is an authorization server scope (§4.3).
type ScopeJSON struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	DisplayName     string         `json:"displayName"`
	Description     string         `json:"description"`
	System          bool           `json:"system"`
	Default         bool           `json:"default"`
	Consent         string         `json:"consent"`
	Optional        bool           `json:"optional"`
	MetadataPublish string         `json:"metadataPublish"`
	APIResourceID   *string        `json:"apiResourceId"`
	Links           map[string]any `json:"_links"`
}

func (h *Handler) scopeToJSON(serverID string, sc *store.Scope) ScopeJSON {
	self := h.orgURL + "/api/v1/authorizationServers/" + serverID + "/scopes/" + sc.ID
	return ScopeJSON{ID: sc.ID, Name: sc.Name, DisplayName: sc.DisplayName, Description: sc.Description, System: sc.System,
		Default: sc.Default, Consent: sc.Consent, Optional: sc.Optional, MetadataPublish: sc.MetadataPublish,
		Links: map[string]any{"self": map[string]any{"href": self, "hints": map[string]any{"allow": []string{"GET", "PUT", "DELETE"}}}}}
}

// scopeFromRequest decodes a scope; unknown members are ignored as Okta does.
func scopeFromRequest(body []byte) (*store.Scope, *oktaerr.Error) {
	var in struct {
		Name            string `json:"name"`
		DisplayName     string `json:"displayName"`
		Description     string `json:"description"`
		Default         bool   `json:"default"`
		Consent         string `json:"consent"`
		Optional        bool   `json:"optional"`
		MetadataPublish string `json:"metadataPublish"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, oktaerr.MalformedBody()
	}
	return &store.Scope{Name: in.Name, DisplayName: in.DisplayName, Description: in.Description, Default: in.Default,
		Consent: in.Consent, Optional: in.Optional, MetadataPublish: in.MetadataPublish}, nil
}

// scopesOf renders the scopes of one authorization server.
func (h *Handler) scopesOf(serverID string) func(*store.Scope) ScopeJSON {
	return func(sc *store.Scope) ScopeJSON { return h.scopeToJSON(serverID, sc) }
}

func (h *Handler) listScopes(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("as")
	scopes, err := h.svc.ListScopes(r.Context(), id)
	writeList(h, w, r, scopes, err, h.scopesOf(id))
}

func (h *Handler) createScope(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("as")
	save(h, w, r, http.StatusCreated, scopeFromRequest, func(sc *store.Scope) error {
		return h.svc.CreateScope(r.Context(), serviceContext(r, p), id, sc)
	}, h.scopesOf(id))
}

func (h *Handler) getScope(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("as")
	sc, err := h.svc.GetScope(r.Context(), id, r.PathValue("scopeId"))
	writeOne(h, w, r, sc, err, h.scopesOf(id))
}

func (h *Handler) replaceScope(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("as")
	save(h, w, r, http.StatusOK, scopeFromRequest, func(sc *store.Scope) error {
		sc.ID = r.PathValue("scopeId")
		return h.svc.UpdateScope(r.Context(), serviceContext(r, p), id, sc)
	}, h.scopesOf(id))
}

func (h *Handler) deleteScope(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.DeleteScope(r.Context(), serviceContext(r, p), r.PathValue("as"), r.PathValue("scopeId")))
}
