package mgmt

import (
	"net/http"
	"net/url"

	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

func (h *Handler) registerClientTokens(mux *http.ServeMux) {
	const base = "/api/v1/authorizationServers/{as}/clients"
	mux.Handle("GET "+base, h.auth("okta.authorizationServers.read", h.listServerClients))
	mux.Handle("GET "+base+"/{clientId}/tokens", h.auth("okta.authorizationServers.read", h.listClientTokens))
	mux.Handle("DELETE "+base+"/{clientId}/tokens", h.auth("okta.authorizationServers.manage", h.revokeClientTokens))
	mux.Handle("GET "+base+"/{clientId}/tokens/{tokenId}", h.auth("okta.authorizationServers.read", h.getClientToken))
	mux.Handle("DELETE "+base+"/{clientId}/tokens/{tokenId}", h.auth("okta.authorizationServers.manage", h.revokeClientTokens))
}

// ServerClientJSON is a client that holds tokens of a server.
type ServerClientJSON struct {
	ClientID   string          `json:"client_id"`
	ClientName string          `json:"client_name"`
	ClientURI  *string         `json:"client_uri"`
	LogoURI    *string         `json:"logo_uri"`
	Links      map[string]Link `json:"_links"`
}

// RefreshTokenJSON is Okta's OAuth2RefreshToken: what is known about a
// refresh token, never the token itself.
type RefreshTokenJSON struct {
	ID          string          `json:"id"`
	Status      string          `json:"status"`
	Created     Time            `json:"created"`
	LastUpdated Time            `json:"lastUpdated"`
	ExpiresAt   *Time           `json:"expiresAt"`
	Issuer      string          `json:"issuer"`
	ClientID    string          `json:"clientId"`
	UserID      string          `json:"userId"`
	Scopes      []string        `json:"scopes"`
	Links       map[string]Link `json:"_links"`
}

func (h *Handler) clientsBase(serverID string) string {
	return h.orgURL + "/api/v1/authorizationServers/" + url.PathEscape(serverID) + "/clients"
}

func (h *Handler) refreshTokenToJSON(serverID string, t *store.RefreshToken) RefreshTokenJSON {
	self := h.clientsBase(serverID) + "/" + url.PathEscape(t.ClientID) + "/tokens/" + url.PathEscape(t.ID)
	j := RefreshTokenJSON{ID: t.ID, Status: "ACTIVE", Created: Time{t.Created}, LastUpdated: Time{t.Created},
		Issuer: h.orgURL + "/oauth2/" + serverID, ClientID: t.ClientID, UserID: t.UserID, Scopes: nonNil(t.Scopes),
		Links: map[string]Link{
			"self":                {Href: self, Hints: &Hints{Allow: []string{"GET", "DELETE"}}},
			"revoke":              {Href: self, Hints: &Hints{Allow: []string{"DELETE"}}},
			"authorizationServer": {Href: h.orgURL + "/api/v1/authorizationServers/" + url.PathEscape(serverID)},
			"user":                {Href: h.orgURL + "/api/v1/users/" + url.PathEscape(t.UserID)},
		}}
	// The end of its life: the absolute end when there is one, else the
	// idle expiry if it is not used again.
	end := t.IdleExpiresAt
	if !t.ExpiresAt.IsZero() && t.ExpiresAt.Before(end) {
		end = t.ExpiresAt
	}
	if !end.IsZero() {
		j.ExpiresAt = &Time{end}
	}
	return j
}

func (h *Handler) listServerClients(w http.ResponseWriter, r *http.Request, p *principal) {
	serverID := r.PathValue("as")
	apps, err := h.svc.ServerClients(r.Context(), serverID)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]ServerClientJSON, 0, len(apps))
	for _, a := range apps {
		s := a.Settings.OAuthClient
		out = append(out, ServerClientJSON{ClientID: a.ClientID, ClientName: a.Label, ClientURI: s.ClientURI, LogoURI: s.LogoURI,
			Links: map[string]Link{"tokens": {Href: h.clientsBase(serverID) + "/" + url.PathEscape(a.ClientID) + "/tokens",
				Hints: &Hints{Allow: []string{"GET", "DELETE"}}}}})
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) listClientTokens(w http.ResponseWriter, r *http.Request, p *principal) {
	serverID := r.PathValue("as")
	tokens, err := h.svc.ClientTokens(r.Context(), serverID, r.PathValue("clientId"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]RefreshTokenJSON, 0, len(tokens))
	for _, t := range tokens {
		out = append(out, h.refreshTokenToJSON(serverID, t))
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) getClientToken(w http.ResponseWriter, r *http.Request, p *principal) {
	serverID := r.PathValue("as")
	t, err := h.svc.ClientToken(r.Context(), serverID, r.PathValue("clientId"), r.PathValue("tokenId"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, h.refreshTokenToJSON(serverID, t))
}

// revokeClientTokens revokes one token (…/tokens/{tokenId}) or all of a
// client's tokens on the server (…/tokens).
func (h *Handler) revokeClientTokens(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.RevokeClientTokens(r.Context(), serviceContext(r, p), r.PathValue("as"), r.PathValue("clientId"), r.PathValue("tokenId")))
}
