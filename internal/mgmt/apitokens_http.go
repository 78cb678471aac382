package mgmt

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// API tokens list: Okta documents no default; 20 and 200 as for the other
// small lists.
const (
	apiTokensDefaultLimit = 20
	apiTokensMaxLimit     = 200
)

func (h *Handler) registerAPITokens(mux *http.ServeMux) {
	const base = "/api/v1/api-tokens"
	mux.Handle("GET "+base, h.auth("okta.apiTokens.read", h.listAPITokens))
	mux.Handle("GET "+base+"/{id}", h.auth("okta.apiTokens.read", h.getAPIToken))
	mux.Handle("DELETE "+base+"/{id}", h.auth("okta.apiTokens.manage", h.revokeAPIToken))
	mux.Handle("DELETE "+base+"/current", h.auth("okta.apiTokens.manage", h.revokeCurrentAPIToken))
}

// APITokenJSON is an API token's metadata (§4.10); the token value is
// shown once, at creation, and never here.
type APITokenJSON struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	UserID      string            `json:"userId"`
	ClientName  string            `json:"clientName"`
	TokenWindow string            `json:"tokenWindow"`
	Network     map[string]string `json:"network"`
	ExpiresAt   string            `json:"expiresAt"`
	Created     string            `json:"created"`
	LastUpdated string            `json:"lastUpdated"`
	Links       map[string]any    `json:"_links"`
}

// apiTokenWindow is service.APITokenWindow as an ISO 8601 duration ("P30D").
var apiTokenWindow = "P" + strconv.Itoa(int(service.APITokenWindow/(24*time.Hour))) + "D"

func (h *Handler) apiTokenToJSON(t *store.APIToken) APITokenJSON {
	return APITokenJSON{ID: t.ID, Name: t.Name, UserID: t.UserID, ClientName: t.ClientName, TokenWindow: apiTokenWindow,
		Network: map[string]string{"connection": "ANYWHERE"}, ExpiresAt: FormatTime(t.ExpiresAt),
		Created: FormatTime(t.Created), LastUpdated: FormatTime(t.LastUpdated),
		Links: map[string]any{
			"self": map[string]any{"href": h.orgURL + "/api/v1/api-tokens/" + t.ID, "hints": map[string]any{"allow": []string{"GET", "DELETE"}}},
			"user": map[string]any{"href": h.orgURL + "/api/v1/users/" + t.UserID, "hints": map[string]any{"allow": []string{"GET"}}},
		}}
}

func (h *Handler) listAPITokens(w http.ResponseWriter, r *http.Request, p *principal) {
	limit, after, werr := web.PageParams(r, apiTokensDefaultLimit, apiTokensMaxLimit)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	toks, err := h.svc.ListAPITokens(r.Context(), store.Page{After: after, Limit: limit})
	writePage(h, w, r, limit, toks, err, func(t *store.APIToken) string { return t.ID }, h.apiTokenToJSON)
}

func (h *Handler) getAPIToken(w http.ResponseWriter, r *http.Request, p *principal) {
	t, err := h.svc.GetAPIToken(r.Context(), r.PathValue("id"))
	writeOne(h, w, r, t, err, h.apiTokenToJSON)
}

func (h *Handler) revokeAPIToken(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.RevokeAPIToken(r.Context(), serviceContext(r, p), r.PathValue("id")))
}

// revokeCurrentAPIToken revokes the SSWS token the request came with. An
// OAuth access token is not an API token, so there is none to revoke.
func (h *Handler) revokeCurrentAPIToken(w http.ResponseWriter, r *http.Request, p *principal) {
	if p.tokenID == "" {
		web.WriteError(w, oktaerr.NotFound("current", "ApiToken"))
		return
	}
	h.writeNoContent(w, r, h.svc.RevokeAPIToken(r.Context(), serviceContext(r, p), p.tokenID))
}
