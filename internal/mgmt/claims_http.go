package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

// registerClaims adds /api/v1/authorizationServers/{as}/claims (§4.4).
func (h *Handler) registerClaims(mux *http.ServeMux) {
	const claims = "/api/v1/authorizationServers/{as}/claims"
	mux.Handle("GET "+claims, h.auth("okta.authorizationServers.read", h.listClaims))
	mux.Handle("POST "+claims, h.auth("okta.authorizationServers.manage", h.createClaim))
	mux.Handle("GET "+claims+"/{claimId}", h.auth("okta.authorizationServers.read", h.getClaim))
	mux.Handle("PUT "+claims+"/{claimId}", h.auth("okta.authorizationServers.manage", h.replaceClaim))
	mux.Handle("DELETE "+claims+"/{claimId}", h.auth("okta.authorizationServers.manage", h.deleteClaim))
}

// ClaimConditions are the scopes a claim is emitted for.
type ClaimConditions struct {
	Scopes []string `json:"scopes"`
}

// ClaimJSON is an authorization server claim (§4.4).
type ClaimJSON struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	Status               string          `json:"status"`
	ClaimType            string          `json:"claimType"`
	ValueType            string          `json:"valueType"`
	Value                string          `json:"value"`
	GroupFilterType      string          `json:"group_filter_type,omitempty"`
	AlwaysIncludeInToken bool            `json:"alwaysIncludeInToken"`
	Conditions           ClaimConditions `json:"conditions"`
	System               bool            `json:"system"`
	APIResourceID        *string         `json:"apiResourceId"`
	Links                map[string]any  `json:"_links"`
}

func (h *Handler) claimToJSON(serverID string, c *store.Claim) ClaimJSON {
	self := h.orgURL + "/api/v1/authorizationServers/" + serverID + "/claims/" + c.ID
	scopes := c.ConditionScopes
	if scopes == nil {
		scopes = []string{}
	}
	return ClaimJSON{ID: c.ID, Name: c.Name, Status: c.Status, ClaimType: c.ClaimType, ValueType: c.ValueType, Value: c.Value,
		GroupFilterType: c.GroupFilterType, AlwaysIncludeInToken: c.AlwaysIncludeInToken, Conditions: ClaimConditions{Scopes: scopes},
		System: c.System, Links: map[string]any{"self": map[string]any{"href": self, "hints": map[string]any{"allow": []string{"GET", "PUT", "DELETE"}}}}}
}

// claimFromRequest decodes a claim; unknown members are ignored as Okta does.
func claimFromRequest(body []byte) (*store.Claim, *oktaerr.Error) {
	var in struct {
		Name                 string           `json:"name"`
		Status               string           `json:"status"`
		ClaimType            string           `json:"claimType"`
		ValueType            string           `json:"valueType"`
		Value                string           `json:"value"`
		GroupFilterType      string           `json:"group_filter_type"`
		AlwaysIncludeInToken bool             `json:"alwaysIncludeInToken"`
		Conditions           *ClaimConditions `json:"conditions"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, oktaerr.MalformedBody()
	}
	c := &store.Claim{Name: in.Name, Status: in.Status, ClaimType: in.ClaimType, ValueType: in.ValueType, Value: in.Value,
		GroupFilterType: in.GroupFilterType, AlwaysIncludeInToken: in.AlwaysIncludeInToken, ConditionScopes: []string{}}
	if in.Conditions != nil && in.Conditions.Scopes != nil {
		c.ConditionScopes = in.Conditions.Scopes
	}
	return c, nil
}

// claimsOf renders the claims of one authorization server.
func (h *Handler) claimsOf(serverID string) func(*store.Claim) ClaimJSON {
	return func(c *store.Claim) ClaimJSON { return h.claimToJSON(serverID, c) }
}

func (h *Handler) listClaims(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("as")
	claims, err := h.svc.ListClaims(r.Context(), id)
	writeList(h, w, r, claims, err, h.claimsOf(id))
}

func (h *Handler) createClaim(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("as")
	save(h, w, r, http.StatusCreated, claimFromRequest, func(c *store.Claim) error {
		return h.svc.CreateClaim(r.Context(), serviceContext(r, p), id, c)
	}, h.claimsOf(id))
}

func (h *Handler) getClaim(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("as")
	c, err := h.svc.GetClaim(r.Context(), id, r.PathValue("claimId"))
	writeOne(h, w, r, c, err, h.claimsOf(id))
}

func (h *Handler) replaceClaim(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("as")
	save(h, w, r, http.StatusOK, claimFromRequest, func(c *store.Claim) error {
		c.ID = r.PathValue("claimId")
		return h.svc.UpdateClaim(r.Context(), serviceContext(r, p), id, c)
	}, h.claimsOf(id))
}

func (h *Handler) deleteClaim(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.DeleteClaim(r.Context(), serviceContext(r, p), r.PathValue("as"), r.PathValue("claimId")))
}
