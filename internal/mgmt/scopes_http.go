package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
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

func (h *Handler) listScopes(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("as")
	scopes, err := h.svc.ListScopes(r.Context(), id)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]ScopeJSON, 0, len(scopes))
	for _, sc := range scopes {
		out = append(out, h.scopeToJSON(id, sc))
	}
	web.WriteJSON(w, http.StatusOK, out)
}

// readScope decodes a scope from the request body, answering the error
// itself when it cannot.
func readScope(w http.ResponseWriter, r *http.Request) (*store.Scope, bool) {
	body, werr := readBody(w, r)
	if werr == nil {
		var sc *store.Scope
		if sc, werr = scopeFromRequest(body); werr == nil {
			return sc, true
		}
	}
	web.WriteError(w, werr)
	return nil, false
}

func (h *Handler) createScope(w http.ResponseWriter, r *http.Request, p *principal) {
	sc, ok := readScope(w, r)
	if !ok {
		return
	}
	id := r.PathValue("as")
	if err := h.svc.CreateScope(r.Context(), serviceContext(r, p), id, sc); err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, h.scopeToJSON(id, sc))
}

func (h *Handler) getScope(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("as")
	sc, err := h.svc.GetScope(r.Context(), id, r.PathValue("scopeId"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, h.scopeToJSON(id, sc))
}

func (h *Handler) replaceScope(w http.ResponseWriter, r *http.Request, p *principal) {
	sc, ok := readScope(w, r)
	if !ok {
		return
	}
	id := r.PathValue("as")
	sc.ID = r.PathValue("scopeId")
	if err := h.svc.UpdateScope(r.Context(), serviceContext(r, p), id, sc); err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, h.scopeToJSON(id, sc))
}

func (h *Handler) deleteScope(w http.ResponseWriter, r *http.Request, p *principal) {
	if err := h.svc.DeleteScope(r.Context(), serviceContext(r, p), r.PathValue("as"), r.PathValue("scopeId")); err != nil {
		h.writeErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
