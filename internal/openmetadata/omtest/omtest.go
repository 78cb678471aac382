// Package omtest is an OpenMetadata double for tests: an HTTP server that
// answers the calls `sesame openmetadata apply` makes — the basic-auth
// sign-in, the security settings API with the validation OpenMetadata runs
// before the Settings → SSO screen saves, and the public configuration
// endpoints — the way OpenMetadata's source (main branch, 2026) does. Each
// rule names the OpenMetadata file it follows; paths are under
// openmetadata-service/src/main/java/org/openmetadata/service/ unless they
// start with openmetadata-spec/. It runs no JVM and stores nothing on disk.
package omtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/token"
)

// Options configure the double.
type Options struct {
	AdminEmail    string // default admin@open-metadata.org, OpenMetadata's first administrator
	AdminPassword string // default "admin", as OpenMetadata ships it
	// AllowInternal is OPENMETADATA_ALLOW_INTERNAL_URL_TARGETS=true on the
	// server (util/URLValidator.java).
	AllowInternal bool
	// KID is the key id OpenMetadata signs its own tokens with; default the
	// one in its public repository (conf/, JWT_KEY_ID in docker-compose.yml).
	KID string
}

// Server is a running double.
type Server struct {
	// URL uses the host name localhost, as a browser would reach a local
	// OpenMetadata; it listens on 127.0.0.1.
	URL string
	Options

	key *rsa.PrivateKey
	srv *httptest.Server

	mu     sync.Mutex
	stored map[string]any
	admins []string
	saves  int
	log    []string
}

// New starts a double holding the configuration OpenMetadata stores on its
// first start from its stock docker-compose.yml (basic authentication), and
// stops it when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	if o.AdminEmail == "" {
		o.AdminEmail = "admin@open-metadata.org"
	}
	if o.AdminPassword == "" {
		o.AdminPassword = "admin"
	}
	if o.KID == "" {
		o.KID = "Gb389a-9f76-gdjs-a92j-0242bk94356"
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Options: o, key: key, stored: firstStartConfig(), admins: []string{"admin"}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	_, port, _ := net.SplitHostPort(s.srv.Listener.Addr().String())
	s.URL = "http://localhost:" + port
	return s
}

// firstStartConfig is what OpenMetadata stores in openmetadata_settings on
// its first start from docker-compose.yml's defaults
// (resources/settings/SettingsCache.java createDefaultConfiguration stores
// the YAML/environment configuration when none is stored): basic
// authentication, and an oidcConfiguration block filled from the OIDC_*
// defaults even though nothing uses it.
func firstStartConfig() map[string]any {
	var m map[string]any
	json.Unmarshal([]byte(`{
  "authenticationConfiguration": {
    "provider": "basic", "providerName": "", "clientType": "public", "responseType": "id_token",
    "publicKeyUrls": ["http://localhost:8585/api/v1/system/config/jwks"],
    "authority": "https://accounts.google.com", "clientId": "", "callbackUrl": "",
    "jwtPrincipalClaims": ["email", "preferred_username", "sub"], "jwtPrincipalClaimsMapping": [],
    "enableSelfSignup": true,
    "oidcConfiguration": {"type": "", "id": "", "secret": "", "scope": "openid email profile", "discoveryUri": "",
      "useNonce": "true", "preferredJwsAlgorithm": "RS256", "responseType": "code", "disablePkce": true,
      "callbackUrl": "http://localhost:8585/callback", "serverUrl": "http://localhost:8585",
      "clientAuthenticationMethod": "client_secret_post", "tenant": "", "maxClockSkew": "", "customParams": {}}
  },
  "authorizerConfiguration": {
    "className": "org.openmetadata.service.security.DefaultAuthorizer",
    "containerRequestFilter": "org.openmetadata.service.security.JwtFilter",
    "adminPrincipals": ["admin"], "principalDomain": "open-metadata.org", "enforcePrincipalDomain": false,
    "enableSecureSocketConnection": false, "allowedEmailRegistrationDomains": ["all"]
  }
}`), &m)
	return m
}

// Stored returns a copy of the stored security configuration.
func (s *Server) Stored() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.stored)
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

// Saves counts the PUTs that stored a configuration.
func (s *Server) Saves() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saves
}

// Requests lists "METHOD path" of every request, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// Token mints the JWT OpenMetadata gives a user (security/jwt/JWTTokenGenerator.java):
// RS256 with its key id, sub = the username, email, isBot false,
// tokenType OM_USER, an hour's expiry.
func (s *Server) Token(user string) string {
	tok, _ := token.Sign(&token.Key{KID: s.KID, Private: s.key}, map[string]any{
		"iss": "open-metadata.org", "sub": user, "email": user + "@open-metadata.org", "isBot": false,
		"tokenType": "OM_USER", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	return tok
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.log = append(s.log, r.Method+" "+r.URL.Path)
	s.mu.Unlock()
	switch r.Method + " " + r.URL.Path {
	case "POST /api/v1/users/login":
		s.login(w, r)
	case "GET /api/v1/system/security/config":
		if s.admin(w, r) {
			writeJSON(w, 200, s.Stored())
		}
	case "PUT /api/v1/system/security/config":
		if s.admin(w, r) {
			s.save(w, r)
		}
	case "POST /api/v1/system/security/validate":
		if s.admin(w, r) {
			s.validate(w, r)
		}
	case "GET /api/v1/system/config/auth":
		s.publicAuth(w)
	case "GET /api/v1/system/config/authorizer":
		// resources/system/ConfigResource.java: only the principal domain.
		authz, _ := s.Stored()["authorizerConfiguration"].(map[string]any)
		writeJSON(w, 200, map[string]any{"principalDomain": authz["principalDomain"]})
	case "GET /api/v1/system/config/jwks":
		n := base64.RawURLEncoding.EncodeToString(s.key.N.Bytes())
		writeJSON(w, 200, map[string]any{"keys": []any{map[string]any{"kty": "RSA", "kid": s.KID, "alg": "RS256", "use": "sig", "n": n, "e": "AQAB"}}})
	default:
		writeJSON(w, 404, omError(404, "HTTP 404 Not Found"))
	}
}

func omError(code int, msg string) map[string]any {
	return map[string]any{"code": code, "message": msg}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// login: resources/teams/UserResource.java loginUserWithPassword decodes the
// base64 password ("Password needs to be encoded in Base-64." otherwise);
// security/auth/BasicAuthenticator.java checks it; once the provider is not
// basic, security/auth/NoopAuthenticator.java answers 403 "Operation is not
// permitted with the Selected Authenticator.".
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	auth, _ := s.Stored()["authenticationConfiguration"].(map[string]any)
	if p := auth["provider"]; p != "basic" && p != "openmetadata" {
		writeJSON(w, 403, omError(403, "Operation is not permitted with the Selected Authenticator."))
		return
	}
	var req struct{ Email, Password string }
	if json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req) != nil {
		writeJSON(w, 400, omError(400, "Unable to process JSON"))
		return
	}
	pw, err := base64.StdEncoding.DecodeString(req.Password)
	if err != nil {
		writeJSON(w, 400, omError(400, "Password needs to be encoded in Base-64."))
		return
	}
	// The exact wording of OpenMetadata's bad-credentials message was not
	// found in its source; the status is BasicAuthenticator's.
	if !strings.EqualFold(req.Email, s.AdminEmail) || string(pw) != s.AdminPassword {
		writeJSON(w, 401, omError(401, "You have entered an invalid username or password."))
		return
	}
	user, _, _ := strings.Cut(strings.ToLower(req.Email), "@")
	writeJSON(w, 200, map[string]any{"tokenType": "Bearer", "accessToken": s.Token(user),
		"refreshToken": "not-used-by-the-double", "expiryDuration": time.Now().Add(time.Hour).UnixMilli()})
}

// admin: security/JwtFilter.java checks the bearer token against
// OpenMetadata's own key (LocalJwkProvider) and its expiry; the resource
// then calls authorizer.authorizeAdmin (security/DefaultAuthorizer.java),
// "Principal: CatalogPrincipal{name='…'} is not admin" when it is not one
// (exception/CatalogExceptionMessage.java notAdmin).
func (s *Server) admin(w http.ResponseWriter, r *http.Request) bool {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		writeJSON(w, 401, omError(401, "Not Authorized! Token not present"))
		return false
	}
	payload, err := token.Verify(raw, func(kid string) *rsa.PublicKey {
		if kid == s.KID {
			return &s.key.PublicKey
		}
		return nil
	})
	var claims struct {
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	if err != nil || json.Unmarshal(payload, &claims) != nil || (claims.Exp != 0 && claims.Exp < time.Now().Unix()) {
		writeJSON(w, 401, omError(401, "Invalid token"))
		return false
	}
	s.mu.Lock()
	isAdmin := slices.Contains(s.admins, claims.Sub)
	s.mu.Unlock()
	if !isAdmin {
		writeJSON(w, 403, omError(403, fmt.Sprintf("Principal: CatalogPrincipal{name='%s'} is not admin", claims.Sub)))
		return false
	}
	return true
}

// authProviders is the enum of openmetadata-spec/.../entity/services/connections/metadata/openMetadataConnection.json#/definitions/authProvider.
var authProviders = []string{"basic", "azure", "google", "okta", "auth0", "custom-oidc", "aws-cognito", "openmetadata", "ldap", "saml"}

// save: resources/system/SystemResource.java updateSecurityConfig stores
// what it is given without running the validation (@Valid is the JSON
// schema only), reloads the security system and answers 200 with the body.
func (s *Server) save(w http.ResponseWriter, r *http.Request) {
	var cfg map[string]any
	if json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&cfg) != nil {
		writeJSON(w, 400, omError(400, "Unable to process JSON"))
		return
	}
	auth, _ := cfg["authenticationConfiguration"].(map[string]any)
	if p, _ := auth["provider"].(string); !slices.Contains(authProviders, p) {
		writeJSON(w, 400, omError(400, fmt.Sprintf("authenticationConfiguration.provider must be one of %v", authProviders)))
		return
	}
	s.mu.Lock()
	s.stored = cfg
	s.saves++
	s.mu.Unlock()
	writeJSON(w, 200, cfg)
}

// publicAuth: resources/system/ConfigResource.java serves, without a token,
// only what the UI needs before sign-in.
func (s *Server) publicAuth(w http.ResponseWriter) {
	auth, _ := s.Stored()["authenticationConfiguration"].(map[string]any)
	out := map[string]any{}
	for _, k := range []string{"provider", "providerName", "clientType", "enableSelfSignup", "jwtPrincipalClaims",
		"jwtPrincipalClaimsMapping", "clientId", "authority", "callbackUrl"} {
		if v, ok := auth[k]; ok {
			out[k] = v
		}
	}
	writeJSON(w, 200, out)
}

type fieldError struct {
	Field string `json:"field"`
	Error string `json:"error"`
}

// validate: jdbi3/SystemRepository.java validateSecurityConfiguration —
// the base fields, then the provider's validator, then the authorizer;
// 200 with {"status":"success"} or {"status":"failed","errors":[…]}.
func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	var cfg map[string]any
	if json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&cfg) != nil {
		writeJSON(w, 400, omError(400, "Unable to process JSON"))
		return
	}
	var errs []fieldError
	auth, _ := cfg["authenticationConfiguration"].(map[string]any)
	if auth != nil {
		if fe := baseFields(auth); fe != nil {
			errs = append(errs, *fe)
		}
		if p := str(auth, "provider"); p == "okta" {
			if fe := s.okta(auth); fe != nil {
				errs = append(errs, *fe)
			}
		} else if p != "" && !slices.Contains(authProviders, p) {
			errs = append(errs, fieldError{"authenticationConfiguration.provider", "Unknown provider: " + p})
		}
	}
	if authz, ok := cfg["authorizerConfiguration"].(map[string]any); ok {
		if fe := authorizer(authz); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if len(errs) > 0 {
		writeJSON(w, 200, map[string]any{"status": "failed", "errors": errs})
		return
	}
	writeJSON(w, 200, map[string]any{"status": "success"})
}

// baseFields: SystemRepository.java validateAuthenticationConfigurationBaseFields,
// first failure only.
func baseFields(auth map[string]any) *fieldError {
	switch {
	case str(auth, "provider") == "":
		return &fieldError{"authenticationConfiguration.provider", "Provider is required"}
	case str(auth, "providerName") == "":
		return &fieldError{"authenticationConfiguration.providerName", "Provider name is required"}
	case len(list(auth, "jwtPrincipalClaims")) == 0:
		return &fieldError{"authenticationConfiguration.jwtPrincipalClaims", "JWT principal claims are required"}
	}
	if p := str(auth, "provider"); p == "ldap" || p == "saml" {
		return nil
	}
	switch {
	case str(auth, "clientType") != "confidential" && len(list(auth, "publicKeyUrls")) == 0:
		return &fieldError{"authenticationConfiguration.publicKeyUrls", "Public key URLs are required"}
	case str(auth, "authority") == "":
		return &fieldError{"authenticationConfiguration.authority", "Authority is required"}
	case str(auth, "callbackUrl") == "":
		return &fieldError{"authenticationConfiguration.callbackUrl", "Callback URL is required"}
	case str(auth, "clientId") == "":
		return &fieldError{"authenticationConfiguration.clientId", "Client ID is required"}
	}
	return nil
}

// authorizer: SystemRepository.java validateAuthorizerConfiguration.
func authorizer(authz map[string]any) *fieldError {
	switch {
	case str(authz, "className") == "":
		return &fieldError{"authorizerConfiguration.className", "Class name is required"}
	case len(list(authz, "adminPrincipals")) == 0:
		return &fieldError{"authorizerConfiguration.adminPrincipals", "At least one admin principal is required"}
	case str(authz, "principalDomain") == "":
		return &fieldError{"authorizerConfiguration.principalDomain", "Principal domain is required"}
	case !slices.Contains([]string{"org.openmetadata.service.security.DefaultAuthorizer", "org.openmetadata.service.security.NoopAuthorizer"}, str(authz, "className")):
		// Class.forName of a class not on the classpath.
		return &fieldError{"authorizerConfiguration.className", "Class not found"}
	}
	return nil
}

// okta: SystemRepository.java validateOidcConfiguration → security/auth/
// validator/OktaAuthValidator.java for a public client: the authority's
// discovery document, OidcDiscoveryValidator.java against it, the client id
// by introspection, the public key URLs — stopping at the first failure —
// then, when an oidcConfiguration block is present, the confidential flow's
// own check (AuthenticationCodeFlowHandler.validateConfig).
func (s *Server) okta(auth map[string]any) *fieldError {
	if ct := str(auth, "clientType"); ct != "public" {
		if ct == "confidential" {
			return &fieldError{"authenticationConfiguration.oidcConfiguration.id", "the double validates public clients only"}
		}
		return &fieldError{"authenticationConfiguration.clientType", "Unknown client type: " + ct + ". Must be 'public' or 'confidential'."}
	}
	authority := str(auth, "authority")
	discoveryURI := authority + "/.well-known/openid-configuration"
	doc, fe := s.oktaDomain(discoveryURI)
	if fe != nil {
		return fe
	}
	if fe := discoveryCheck(doc); fe != nil {
		return fe
	}
	if fe := s.clientID(doc, str(auth, "clientId")); fe != nil {
		return fe
	}
	if fe := s.publicKeyURLs(authority, list(auth, "publicKeyUrls")); fe != nil {
		return fe
	}
	if oidc, ok := auth["oidcConfiguration"].(map[string]any); ok && oidc != nil {
		// AuthenticationCodeFlowHandler builds pac4j's client from the block
		// and fetches its discoveryUri; the stock block's is empty. The
		// message text past the prefix is pac4j's and not reproduced.
		if str(oidc, "discoveryUri") == "" {
			return &fieldError{"authenticationConfiguration.oidcConfiguration", "OIDC flow validation failed: discoveryUri cannot be blank"}
		}
	}
	return nil
}

// oktaDomain: OktaAuthValidator.java validateOktaDomain / testOktaDiscoveryEndpoint.
func (s *Server) oktaDomain(discoveryURI string) (map[string]any, *fieldError) {
	fail := func(msg string) (map[string]any, *fieldError) {
		return nil, &fieldError{"authenticationConfiguration.authority", "Domain validation failed: " + msg}
	}
	status, body, err := s.safeGet(discoveryURI)
	if err != nil {
		return fail(err.Error())
	}
	if status != 200 {
		return fail(fmt.Sprintf("Failed to access Okta discovery endpoint. HTTP response: %d", status))
	}
	var doc map[string]any
	if json.Unmarshal(body, &doc) != nil {
		return fail("the discovery document is not JSON")
	}
	if _, ok := doc["issuer"]; !ok {
		return fail("Invalid Okta discovery document format")
	}
	if _, ok := doc["authorization_endpoint"]; !ok {
		return fail("Invalid Okta discovery document format")
	}
	for _, k := range []string{"token_endpoint", "userinfo_endpoint"} {
		if _, ok := doc[k]; !ok {
			return fail("Missing required Okta endpoints in discovery document")
		}
	}
	return doc, nil
}

// discoveryCheck: OidcDiscoveryValidator.java validateAgainstDiscovery with
// the OidcClientConfig OktaAuthValidator builds for a public client, whose
// scope, responseType and preferredJwsAlgorithm are the schema defaults
// (openmetadata-spec/.../security/client/oidcClientConfig.json: "openid email
// profile", "code", "RS256"). Each list is checked only when the document
// has it; errors are joined with "; ".
func discoveryCheck(doc map[string]any) *fieldError {
	var errs []string
	field := "authenticationConfiguration.oidcConfiguration.discoveryUri"
	if supported := list(doc, "scopes_supported"); len(supported) > 0 {
		var missing []string
		for _, sc := range []string{"openid", "email", "profile"} {
			if !slices.Contains(supported, sc) {
				missing = append(missing, sc)
			}
		}
		if len(missing) > 0 {
			errs = append(errs, "The following scopes are not supported by the IdP: "+strings.Join(missing, ", "))
			field = "authenticationConfiguration.oidcConfiguration.scope"
		}
	}
	if rt := list(doc, "response_types_supported"); len(rt) > 0 && !slices.Contains(rt, "code") {
		errs = append(errs, fmt.Sprintf("Response type 'code' is not supported by the IdP. Supported: %v", rt))
	}
	if algs := list(doc, "id_token_signing_alg_values_supported"); len(algs) > 0 && !slices.Contains(algs, "RS256") {
		errs = append(errs, fmt.Sprintf("JWS algorithm 'RS256' is not supported by the IdP. Supported: %v", algs))
	}
	if len(errs) == 0 {
		return nil
	}
	return &fieldError{field, strings.Join(errs, "; ")}
}

// clientID: OktaAuthValidator.java validateClientIdViaIntrospection. The
// endpoint is discovery's introspection_endpoint, else derived from the
// issuer; a request that cannot be made is only logged (success).
func (s *Server) clientID(doc map[string]any, clientID string) *fieldError {
	endpoint := str(doc, "introspection_endpoint")
	if endpoint == "" {
		iss := strings.TrimRight(str(doc, "issuer"), "/")
		if strings.Contains(iss, "/oauth2") {
			endpoint = iss + "/v1/introspect"
		} else {
			endpoint = iss + "/oauth2/v1/introspect"
		}
	}
	if s.urlAllowed(endpoint) != nil {
		return nil
	}
	resp, err := http.Post(endpoint, "application/x-www-form-urlencoded",
		strings.NewReader("token=dummy_invalid_token&token_type_hint=access_token&client_id="+clientID))
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != 200 {
		return &fieldError{"authenticationConfiguration.clientId", fmt.Sprintf("Client ID validation failed. HTTP response: %d", resp.StatusCode)}
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	if _, ok := m["active"]; !ok {
		return &fieldError{"authenticationConfiguration.clientId", "Unexpected introspection response format - missing 'active' field"}
	}
	return nil
}

var customServer = regexp.MustCompile(`.*/oauth2/[^/]+$`)

// publicKeyURLs: OktaAuthValidator.java validatePublicKeyUrls with the key
// URL deriveOktaJwksFromAuthority expects — authority + "/v1/keys" for an
// authority ending in /oauth2/{id}, else authority + "/oauth2/v1/keys".
func (s *Server) publicKeyURLs(authority string, urls []string) *fieldError {
	fail := func(msg string) *fieldError {
		return &fieldError{"authenticationConfiguration.publicKeyUrls", "Public key URL validation failed: " + msg}
	}
	if len(urls) == 0 {
		return nil
	}
	domain := strings.TrimSuffix(authority, "/")
	expected := domain + "/oauth2/v1/keys"
	if customServer.MatchString(domain) {
		expected = domain + "/v1/keys"
	}
	if !slices.Contains(urls, expected) {
		return fail("At least one public key URL must match the Okta JWKS endpoint: " + expected)
	}
	for _, u := range urls {
		status, body, err := s.safeGet(u)
		if err != nil {
			return fail(err.Error())
		}
		if status != 200 {
			return fail("Cannot access JWKS: " + u)
		}
		var set struct {
			Keys []any `json:"keys"`
		}
		if json.Unmarshal(body, &set) != nil || len(set.Keys) == 0 {
			return fail("Invalid JWKS: " + u)
		}
	}
	return nil
}

// safeGet: util/ValidationHttpUtil.java — every URL passes the URL filter
// first ("Invalid or unsafe URL: <url>"), redirects are not followed, 15 s.
func (s *Server) safeGet(u string) (int, []byte, error) {
	if err := s.urlAllowed(u); err != nil {
		return 0, nil, fmt.Errorf("Invalid or unsafe URL: %s", u)
	}
	hc := &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(u)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, nil
}

// privateLiteral is util/URLValidator.java's PRIVATE_IP_PATTERN: a host
// written as a loopback, private, link-local or unique-local address.
var privateLiteral = regexp.MustCompile(`^(127\.|10\.|172\.(1[6-9]|2[0-9]|3[0-1])\.|192\.168\.|169\.254\.|\[?::1\]?|\[?[fF][cCdD][0-9a-fA-F]{0,2}:|\[?[fF][eE][89abAB][0-9a-fA-F]:).*`)

// urlAllowed: util/URLValidator.java validateURL. http or https only; a
// host written as an internal address is refused whatever the settings; a
// host name is resolved and refused when any address is internal
// (loopback, any-local, link-local, site-local, multicast, IPv6 unique
// local) unless OPENMETADATA_ALLOW_INTERNAL_URL_TARGETS is true; a name
// that does not resolve passes.
func (s *Server) urlAllowed(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("Invalid URL format: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL scheme not allowed: %s", u.Scheme)
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return fmt.Errorf("URL must have a valid host")
	}
	if privateLiteral.MatchString(host) {
		return fmt.Errorf("URL targeting private/internal network not allowed")
	}
	if s.AllowInternal {
		return nil
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return nil
	}
	for _, ip := range ips {
		if ip.IsLoopback() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() || ip.IsPrivate() || ip.IsMulticast() {
			return fmt.Errorf("URL targeting private/internal network not allowed")
		}
	}
	return nil
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func list(m map[string]any, k string) []string {
	var out []string
	l, _ := m[k].([]any)
	for _, v := range l {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
