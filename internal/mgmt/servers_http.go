package mgmt

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

func (h *Handler) registerServers(mux *http.ServeMux) {
	const base = "/api/v1/authorizationServers"
	mux.Handle("GET "+base, h.auth("okta.authorizationServers.read", h.listServers))
	mux.Handle("POST "+base, h.auth("okta.authorizationServers.manage", h.createServer))
	mux.Handle("GET "+base+"/{as}", h.auth("okta.authorizationServers.read", h.getServer))
	mux.Handle("PUT "+base+"/{as}", h.auth("okta.authorizationServers.manage", h.replaceServer))
	mux.Handle("DELETE "+base+"/{as}", h.auth("okta.authorizationServers.manage", h.deleteServer))
	mux.Handle("POST "+base+"/{as}/lifecycle/activate", h.auth("okta.authorizationServers.manage", h.serverLifecycle(store.StatusActive)))
	mux.Handle("POST "+base+"/{as}/lifecycle/deactivate", h.auth("okta.authorizationServers.manage", h.serverLifecycle(store.StatusInactive)))
	mux.Handle("GET "+base+"/{as}/credentials/keys", h.auth("okta.authorizationServers.read", h.listServerKeys))
	mux.Handle("GET "+base+"/{as}/credentials/keys/{kid}", h.auth("okta.authorizationServers.read", h.getServerKey))
	mux.Handle("POST "+base+"/{as}/credentials/lifecycle/keyRotate", h.auth("okta.authorizationServers.manage", h.rotateServerKeys))
	mux.Handle("GET "+base+"/{as}/associatedServers", h.auth("okta.authorizationServers.read", h.listAssociatedServers))
	mux.Handle("POST "+base+"/{as}/associatedServers", h.auth("okta.authorizationServers.manage", h.associateServers))
	mux.Handle("DELETE "+base+"/{as}/associatedServers/{other}", h.auth("okta.authorizationServers.manage", h.dissociateServer))
}

// listAssociatedServers lists the trusted servers (?trusted=true, the
// default); Sesame keeps no untrusted associations, so ?trusted=false is
// an empty list.
func (h *Handler) listAssociatedServers(w http.ResponseWriter, r *http.Request, p *principal) {
	servers, err := h.svc.ListAssociatedServers(r.Context(), r.PathValue("as"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := []ServerJSON{}
	if r.URL.Query().Get("trusted") != "false" {
		for _, s := range servers {
			out = append(out, h.serverToJSON(s, h.activeKID(s.ID)))
		}
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) associateServers(w http.ResponseWriter, r *http.Request, p *principal) {
	body, werr := readBody(w, r)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	var in struct {
		Trusted []string `json:"trusted"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		web.WriteError(w, oktaerr.MalformedBody())
		return
	}
	added, err := h.svc.AssociateServers(r.Context(), serviceContext(r, p), r.PathValue("as"), in.Trusted)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := []ServerJSON{}
	for _, s := range added {
		out = append(out, h.serverToJSON(s, h.activeKID(s.ID)))
	}
	web.WriteJSON(w, http.StatusCreated, out)
}

func (h *Handler) dissociateServer(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.DissociateServer(r.Context(), serviceContext(r, p), r.PathValue("as"), r.PathValue("other")))
}

// ServerJSON is an authorization server (§4.2).
type ServerJSON struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Audiences   []string       `json:"audiences"`
	Issuer      string         `json:"issuer"`
	IssuerMode  string         `json:"issuerMode"`
	Status      string         `json:"status"`
	Created     Time           `json:"created"`
	LastUpdated Time           `json:"lastUpdated"`
	Default     bool           `json:"default"`
	Credentials map[string]any `json:"credentials"`
	Links       map[string]any `json:"_links"`
}

func (h *Handler) serverToJSON(s *store.AuthServer, activeKID string) ServerJSON {
	self := h.orgURL + "/api/v1/authorizationServers/" + s.ID
	issuer := h.orgURL + "/oauth2/" + s.ID
	link := func(href string, methods ...string) map[string]any {
		return map[string]any{"href": href, "hints": map[string]any{"allow": methods}}
	}
	signing := map[string]any{"kid": activeKID, "rotationMode": s.RotationMode, "lastRotated": FormatTime(s.LastRotated), "use": "sig"}
	if s.RotationMode == "AUTO" && !s.NextRotation.IsZero() {
		signing["nextRotation"] = FormatTime(s.NextRotation)
	}
	links := map[string]any{
		"self":      link(self, "GET", "PUT", "DELETE"),
		"rotateKey": link(self+"/credentials/lifecycle/keyRotate", "POST"),
		"keys":      link(self+"/credentials/keys", "GET"),
		"claims":    link(self+"/claims", "GET", "POST"),
		"policies":  link(self+"/policies", "GET", "POST"),
		"scopes":    link(self+"/scopes", "GET", "POST"),
		"metadata": []any{
			map[string]any{"name": "oauth-authorization-server", "href": issuer + "/.well-known/oauth-authorization-server", "hints": map[string]any{"allow": []string{"GET"}}},
			map[string]any{"name": "openid-configuration", "href": issuer + "/.well-known/openid-configuration", "hints": map[string]any{"allow": []string{"GET"}}},
		},
	}
	if s.Status == store.StatusActive {
		links["deactivate"] = link(self+"/lifecycle/deactivate", "POST")
	} else {
		links["activate"] = link(self+"/lifecycle/activate", "POST")
	}
	return ServerJSON{ID: s.ID, Name: s.Name, Description: s.Description, Audiences: s.Audiences, Issuer: issuer,
		IssuerMode: s.IssuerMode, Status: s.Status, Created: Time{s.Created}, LastUpdated: Time{s.LastUpdated}, Default: s.Default,
		Credentials: map[string]any{"signing": signing}, Links: links}
}

// activeKID is the kid a server signs with, from the configuration cache.
func (h *Handler) activeKID(serverID string) string {
	if srv := h.svc.Cache.Current().Servers[serverID]; srv != nil && srv.Active != nil {
		return srv.Active.KID
	}
	return ""
}

// serverFromRequest decodes a server; unknown members are ignored.
func serverFromRequest(body []byte) (*store.AuthServer, *oktaerr.Error) {
	var in struct {
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Audiences   []string `json:"audiences"`
		IssuerMode  string   `json:"issuerMode"`
		Status      string   `json:"status"`
		Credentials struct {
			Signing struct {
				RotationMode string `json:"rotationMode"`
			} `json:"signing"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, oktaerr.MalformedBody()
	}
	if in.Status != "" && in.Status != store.StatusActive && in.Status != store.StatusInactive {
		return nil, oktaerr.Validation("status", "status: Must be one of ACTIVE, INACTIVE")
	}
	return &store.AuthServer{Name: in.Name, Description: in.Description, Audiences: in.Audiences, IssuerMode: in.IssuerMode,
		Status: in.Status, RotationMode: in.Credentials.Signing.RotationMode}, nil
}

func (h *Handler) listServers(w http.ResponseWriter, r *http.Request, p *principal) {
	limit, after, werr := web.PageParams(r, 200, 200)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	var match func(*store.AuthServer) bool
	if q := strings.ToLower(r.URL.Query().Get("q")); q != "" {
		// Okta's q matches the start of the name, ignoring case.
		match = func(s *store.AuthServer) bool { return strings.HasPrefix(strings.ToLower(s.Name), q) }
	}
	servers, err := h.svc.ListAuthServers(r.Context(), store.Page{After: after, Limit: limit}, match)
	writePage(h, w, r, limit, servers, err, func(s *store.AuthServer) string { return s.ID }, h.serverJSON)
}

// serverJSON renders a server with the kid of its active signing key.
func (h *Handler) serverJSON(s *store.AuthServer) ServerJSON {
	return h.serverToJSON(s, h.activeKID(s.ID))
}

func (h *Handler) createServer(w http.ResponseWriter, r *http.Request, p *principal) {
	save(h, w, r, http.StatusCreated, serverFromRequest, func(s *store.AuthServer) error {
		return h.svc.CreateAuthServer(r.Context(), serviceContext(r, p), s)
	}, h.serverJSON)
}

func (h *Handler) getServer(w http.ResponseWriter, r *http.Request, p *principal) {
	s, err := h.svc.GetAuthServer(r.Context(), r.PathValue("as"))
	writeOne(h, w, r, s, err, h.serverJSON)
}

func (h *Handler) replaceServer(w http.ResponseWriter, r *http.Request, p *principal) {
	save(h, w, r, http.StatusOK, serverFromRequest, func(s *store.AuthServer) error {
		s.ID = r.PathValue("as")
		return h.svc.UpdateAuthServer(r.Context(), serviceContext(r, p), s)
	}, h.serverJSON)
}

func (h *Handler) deleteServer(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.DeleteAuthServer(r.Context(), serviceContext(r, p), r.PathValue("as")))
}

// serverLifecycle answers 204 with no body, as Okta does for servers.
func (h *Handler) serverLifecycle(status string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		h.writeNoContent(w, r, h.svc.SetAuthServerStatus(r.Context(), serviceContext(r, p), r.PathValue("as"), status))
	}
}

// keyToJSON is a server key: the public JWK members plus status and link.
func (h *Handler) keyToJSON(serverID string, k *store.SigningKey) map[string]any {
	m := map[string]any{}
	json.Unmarshal(k.PublicJWK, &m)
	m["status"] = k.Status
	m["_links"] = map[string]any{"self": map[string]any{"href": h.orgURL + "/api/v1/authorizationServers/" + serverID + "/credentials/keys/" + k.KID,
		"hints": map[string]any{"allow": []string{"GET"}}}}
	return m
}

func (h *Handler) writeKeys(w http.ResponseWriter, serverID string, ks []*store.SigningKey) {
	out := make([]map[string]any, 0, len(ks))
	for _, k := range ks {
		out = append(out, h.keyToJSON(serverID, k))
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) listServerKeys(w http.ResponseWriter, r *http.Request, p *principal) {
	ks, err := h.svc.ListServerKeys(r.Context(), r.PathValue("as"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	h.writeKeys(w, r.PathValue("as"), ks)
}

func (h *Handler) getServerKey(w http.ResponseWriter, r *http.Request, p *principal) {
	ks, err := h.svc.ListServerKeys(r.Context(), r.PathValue("as"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	for _, k := range ks {
		if k.KID == r.PathValue("kid") {
			web.WriteJSON(w, http.StatusOK, h.keyToJSON(r.PathValue("as"), k))
			return
		}
	}
	web.WriteError(w, oktaerr.NotFound(r.PathValue("kid"), "JsonWebKey"))
}

func (h *Handler) rotateServerKeys(w http.ResponseWriter, r *http.Request, p *principal) {
	body, werr := readBody(w, r)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	var in struct {
		Use string `json:"use"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		web.WriteError(w, oktaerr.MalformedBody())
		return
	}
	if in.Use != "sig" {
		web.WriteError(w, oktaerr.Validation("rotateKeys", "use: The only supported key use is 'sig'."))
		return
	}
	ks, err := h.svc.RotateKeys(r.Context(), serviceContext(r, p), r.PathValue("as"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	h.writeKeys(w, r.PathValue("as"), ks)
}
