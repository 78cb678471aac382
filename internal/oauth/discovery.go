package oauth

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// Metadata is an authorization server's discovery document (§1.2), for
// both /.well-known/openid-configuration and
// /.well-known/oauth-authorization-server.
type Metadata struct {
	Issuer                                    string   `json:"issuer"`
	AuthorizationEndpoint                     string   `json:"authorization_endpoint"`
	TokenEndpoint                             string   `json:"token_endpoint"`
	UserinfoEndpoint                          string   `json:"userinfo_endpoint,omitempty"`
	RegistrationEndpoint                      string   `json:"registration_endpoint"`
	JWKSURI                                   string   `json:"jwks_uri"`
	ResponseTypesSupported                    []string `json:"response_types_supported"`
	ResponseModesSupported                    []string `json:"response_modes_supported"`
	GrantTypesSupported                       []string `json:"grant_types_supported"`
	SubjectTypesSupported                     []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported          []string `json:"id_token_signing_alg_values_supported,omitempty"`
	ScopesSupported                           []string `json:"scopes_supported"`
	TokenEndpointAuthMethodsSupported         []string `json:"token_endpoint_auth_methods_supported"`
	ClaimsSupported                           []string `json:"claims_supported"`
	CodeChallengeMethodsSupported             []string `json:"code_challenge_methods_supported"`
	IntrospectionEndpoint                     string   `json:"introspection_endpoint"`
	IntrospectionEndpointAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpoint                        string   `json:"revocation_endpoint"`
	RevocationEndpointAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`
	EndSessionEndpoint                        string   `json:"end_session_endpoint"`
	RequestParameterSupported                 bool     `json:"request_parameter_supported"`
	RequestObjectSigningAlgValuesSupported    []string `json:"request_object_signing_alg_values_supported"`
	DeviceAuthorizationEndpoint               string   `json:"device_authorization_endpoint"`
}

var (
	authMethods   = []string{"client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"}
	responseTypes = []string{"code", "id_token", "code id_token", "code token", "id_token token", "code id_token token"}
	responseModes = []string{"query", "fragment", "form_post", "okta_post_message"}
	oidcClaims    = []string{"iss", "ver", "sub", "aud", "iat", "exp", "jti", "auth_time", "amr", "idp", "nonce", "name", "nickname",
		"preferred_username", "given_name", "middle_name", "family_name", "email", "email_verified", "profile",
		"zoneinfo", "locale", "address", "phone_number", "picture", "website", "gender", "birthdate", "updated_at",
		"at_hash", "c_hash"}
	oauthClaims = []string{"ver", "jti", "iss", "aud", "iat", "exp", "cid", "uid", "scp", "sub"}
	requestAlgs = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}
	orgScopes   = []string{"openid", "email", "profile", "address", "phone", "offline_access", "groups"}
)

// Metadata builds the discovery document; oidc selects the OpenID
// Connect variant (userinfo, ID-token algorithms, OIDC claims).
func (s *Server) Metadata(srv *cache.Server, oidc bool, origin string) *Metadata {
	base := s.baseAt(origin, srv)
	m := &Metadata{
		Issuer:                                    s.issuerAt(origin, srv),
		AuthorizationEndpoint:                     base + "/v1/authorize",
		TokenEndpoint:                             base + "/v1/token",
		RegistrationEndpoint:                      s.orgURL + "/oauth2/v1/clients",
		JWKSURI:                                   base + "/v1/keys",
		ResponseTypesSupported:                    responseTypes,
		ResponseModesSupported:                    responseModes,
		SubjectTypesSupported:                     []string{"public"},
		TokenEndpointAuthMethodsSupported:         authMethods,
		CodeChallengeMethodsSupported:             []string{"S256"},
		IntrospectionEndpoint:                     base + "/v1/introspect",
		IntrospectionEndpointAuthMethodsSupported: authMethods,
		RevocationEndpoint:                        base + "/v1/revoke",
		RevocationEndpointAuthMethodsSupported:    authMethods,
		EndSessionEndpoint:                        base + "/v1/logout",
		RequestParameterSupported:                 true,
		RequestObjectSigningAlgValuesSupported:    requestAlgs,
		DeviceAuthorizationEndpoint:               base + "/v1/device/authorize",
	}
	if oidc {
		m.UserinfoEndpoint = base + "/v1/userinfo"
		m.IDTokenSigningAlgValuesSupported = []string{"RS256"}
		m.ClaimsSupported = oidcClaims
	} else {
		m.ClaimsSupported = oauthClaims
	}
	m.GrantTypesSupported = discoveryGrantTypes(srv, oidc)
	if srv.IsOrg() {
		m.ScopesSupported = orgScopes
		return m
	}
	if !oidc {
		m.ResponseTypesSupported = append([]string{"code", "token"}, responseTypes[1:]...)
	}
	m.ScopesSupported = publishedScopes(srv)
	return m
}

// publishedScopes lists the system scopes and the custom scopes published to
// all clients, in Okta's order for the system ones.
func publishedScopes(srv *cache.Server) []string {
	out := []string{}
	system := []string{"openid", "profile", "email", "address", "phone", "offline_access", "device_sso"}
	for _, n := range system {
		if srv.ScopesByName[n] != nil {
			out = append(out, n)
		}
	}
	for _, sc := range srv.Scopes {
		if !sc.System && sc.MetadataPublish == "ALL_CLIENTS" {
			out = append(out, sc.Name)
		}
	}
	return out
}

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request, serverID, kind string) {
	snap := s.cache.Current()
	srv := snap.Servers[serverID]
	if !srv.Serving() {
		web.WriteError(w, oktaerr.NotFound(serverID, "AuthorizationServer"))
		return
	}
	if cid := r.URL.Query().Get("client_id"); r.URL.Query().Has("client_id") && snap.AppByClientID(cid) == nil {
		e := oktaerr.New(http.StatusBadRequest, "invalid_client", "Invalid value for 'client_id' parameter")
		e.Link = "invalid_client"
		web.WriteError(w, e)
		return
	}
	w.Header().Set("Cache-Control", "max-age=86400, must-revalidate")
	web.WriteJSON(w, http.StatusOK, s.Metadata(srv, kind == "openid-configuration", s.originFor(srv, r)))
}

func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	_, srv, ok := s.serverFor(w, r)
	if !ok {
		return
	}
	// Verifiers refetch on an unknown kid, and a rotation publishes the next
	// key well before it signs, so a long max-age is safe.
	h := w.Header()
	h.Set("Cache-Control", "max-age=3600, must-revalidate")
	h.Set("ETag", srv.JWKSTag)
	if etagMatches(r.Header.Get("If-None-Match"), srv.JWKSTag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(srv.JWKS)))
	w.Write(srv.JWKS)
}

// etagMatches applies If-None-Match (RFC 9110 §13.1.2): a list of tags,
// compared weakly, or "*".
func etagMatches(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == tag {
			return true
		}
	}
	return false
}

var _ = store.OrgServerID
