package service

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

// Fixed values of an OIDC application.
const (
	AppName        = "oidc_client"
	SignOnModeOIDC = "OPENID_CONNECT"
)

// settings.oauthClient.application_type values.
const (
	TypeWeb     = "web"
	TypeNative  = "native"
	TypeBrowser = "browser"
	TypeService = "service"
)

// credentials.oauthClient.token_endpoint_auth_method values.
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthClientSecretJWT   = "client_secret_jwt"
	AuthPrivateKeyJWT     = "private_key_jwt"
	AuthNone              = "none"
)

// Grant types Sesame implements.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantImplicit          = "implicit"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// settings.oauthClient enumerations.
const (
	ConsentTrusted    = "TRUSTED"
	ConsentRequired   = "REQUIRED"
	IssuerOrgURL      = "ORG_URL"
	IssuerCustomURL   = "CUSTOM_URL"
	IssuerDynamic     = "DYNAMIC"
	WildcardDisabled  = "DISABLED"
	WildcardSubdomain = "SUBDOMAIN"
	RotationRotate    = "ROTATE"
	RotationStatic    = "STATIC"
)

// Limits Okta does not document; chosen to bound what one app may hold.
const (
	maxLabelLen = 100  // runes
	maxURILen   = 2048 // bytes
	MaxAppKeys  = 50
	maxURIs     = 200 // per list
	maxListLen  = 20  // grant_types, response_types: far more than exist
	minRSABits  = 2048
	// maxRSABits is go-jose's default MaxRSAModulusBits: a larger key could
	// be stored but never used to check an assertion.
	maxRSABits = 4096
)

// ValidateApp checks an app record against Okta's rules for OIDC apps
// (docs/okta-api.md §4.1.1 and §2.10) and returns nil or 400 E0000001 carrying every
// problem found, each cause "field: text", the summary naming the first
// field. Fields are named as Okta names them: the member name within
// settings.oauthClient or credentials.oauthClient, dotted below that.
// CreateApp, UpdateApp and ModifyApp call it before they store an app, so
// that no caller (the Apps API, DCR, the console) can store one it refuses.
func ValidateApp(a *store.App) *oktaerr.Error {
	return AppProblems(a).Err()
}

// AppProblems lists what ValidateApp refuses, for a caller that answers
// them together with problems of its own request (a client_id that cannot
// change, a client secret too short) or in another shape (DCR's
// invalid_client_metadata).
func AppProblems(a *store.App) oktaerr.Problems {
	return validateApp(a)
}

func validateApp(a *store.App) oktaerr.Problems {
	var c oktaerr.Problems
	oc := &a.Settings.OAuthClient
	cr := &a.Credentials.OAuthClient

	if a.Name != AppName {
		c.Add("name", "Sesame supports only OpenID Connect applications: the value must be '%s'.", AppName)
	}
	if a.SignOnMode != SignOnModeOIDC {
		c.Add("signOnMode", "Sesame supports only OpenID Connect applications: the value must be '%s'.", SignOnModeOIDC)
	}
	switch {
	case strings.TrimSpace(a.Label) == "":
		c.Add("label", oktaerr.Blank)
	case utf8.RuneCountInString(a.Label) > maxLabelLen:
		c.Add("label", "The value must be at most %d characters long.", maxLabelLen)
	}
	c.Enum("status", a.Status, store.StatusActive, store.StatusInactive)
	checkClientID(&c, a.ClientID)

	appType := oc.ApplicationType
	typeOK := c.Enum("application_type", appType, TypeWeb, TypeNative, TypeBrowser, TypeService)
	checkGrants(&c, oc, appType, typeOK)
	checkResponseTypes(&c, oc)
	checkURIs(&c, oc, appType)
	checkAuthMethod(&c, cr, appType, typeOK)
	if cr.TokenEndpointAuthMethod == AuthNone && !cr.PKCERequired {
		c.Add("pkce_required", "The value must be true when token_endpoint_auth_method is 'none'.")
	}
	checkKeys(&c, oc, cr.TokenEndpointAuthMethod)

	if rt := oc.RefreshToken; rt != nil {
		c.Enum("refresh_token.rotation_type", rt.RotationType, RotationRotate, RotationStatic)
		if rt.Leeway < 0 || rt.Leeway > 60 {
			c.Add("refresh_token.leeway", "The value must be between 0 and 60.")
		}
	} else if slices.Contains(oc.GrantTypes, GrantRefreshToken) {
		c.Add("refresh_token", "The field is required when grant_types contains 'refresh_token'.")
	}
	checkMemberCase(&c, a.Settings.Extra, reflect.TypeFor[store.AppSettings]())
	checkMemberCase(&c, oc.Extra, reflect.TypeFor[store.OAuthClientSettings]())
	c.Enum("consent_method", oc.ConsentMethod, ConsentTrusted, ConsentRequired)
	c.Enum("issuer_mode", oc.IssuerMode, IssuerOrgURL, IssuerCustomURL, IssuerDynamic)
	c.Enum("wildcard_redirect", oc.WildcardRedirect, WildcardDisabled, WildcardSubdomain)

	if l := oc.IDPInitiatedLogin; l != nil && l.Mode != "" {
		if c.Enum("idp_initiated_login.mode", l.Mode, "DISABLED", "SPEC", "OKTA") && l.Mode != "DISABLED" {
			if oc.InitiateLoginURI == "" {
				c.Add("initiate_login_uri", "The field is required when idp_initiated_login.mode is '%s'.", l.Mode)
			}
			if l.Mode == "OKTA" && len(l.DefaultScope) == 0 {
				c.Add("idp_initiated_login.default_scope", "The field is required when idp_initiated_login.mode is 'OKTA'.")
			}
		}
	}
	if p := oc.ParticipateSLO; p != nil && *p {
		if appType != TypeWeb && appType != TypeBrowser {
			c.Add("participate_slo", "Only web and browser applications can participate in single logout.")
		}
		if oc.FrontchannelLogoutURI == "" {
			c.Add("frontchannel_logout_uri", "The field is required when participate_slo is true.")
		}
	}
	if oc.DPoPBoundAccessTokens && (slices.Contains(oc.GrantTypes, GrantClientCredentials) || slices.Contains(oc.GrantTypes, GrantImplicit)) {
		c.Add("dpop_bound_access_tokens", "DPoP-bound access tokens cannot be used with the 'client_credentials' or 'implicit' grant types.")
	}
	return c
}

// checkMemberCase refuses unknown members that differ from a known one only
// in case. encoding/json fills the known field from either spelling; the
// store drops the other spelling when it decodes a request, and this check
// keeps an app built any other way from carrying one that would replace the
// validated value when read back. Okta's member names are case-sensitive.
func checkMemberCase(c *oktaerr.Problems, extra map[string]json.RawMessage, t reflect.Type) {
	if len(extra) == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(extra))
	for _, name := range names {
		for i := 0; i < t.NumField(); i++ {
			known, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if known != "" && known != "-" && known != name && strings.EqualFold(known, name) {
				c.Add(oktaerr.Show(name), "Member names are case-sensitive: write '%s'.", known)
			}
		}
	}
}

// checkClientID applies Okta's client_id syntax: 6–100 characters of
// letters, digits and $-_.+!*'(), — read as that list of characters, not as
// the regex range "$-_" it would be inside brackets.
func checkClientID(c *oktaerr.Problems, id string) {
	if n := len(id); n < 6 || n > 100 {
		c.Add("client_id", "The client_id must be between 6 and 100 characters long.")
		return
	}
	for _, r := range id {
		if !(r < utf8.RuneSelf && (isAlnum(byte(r)) || strings.IndexRune("$-_.+!*'(),", r) >= 0)) {
			c.Add("client_id", "The client_id may contain only letters, digits and the characters $-_.+!*'(),")
			return
		}
	}
	if id == "ALL_CLIENTS" {
		c.Add("client_id", "'ALL_CLIENTS' is reserved.")
	}
}

func isAlnum(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

// grantsFor lists the grant types each application type may have, from the
// reference's tables (§4.1.1, §2.10) where they agree. Where they are
// silent: password for web (offered for web apps by Okta's console; the
// §2.10 table predates it), device_code and token-exchange for web and
// native (both tables list them for native or for web in Okta's Terraform
// provider, and Sesame serves them), token-exchange for service (§4.1.1).
// Browser apps stay at the three the reference names: a public SPA has no
// business with device or exchange grants.
func grantsFor(appType string) []string {
	switch appType {
	case TypeBrowser:
		return []string{GrantAuthorizationCode, GrantImplicit, GrantRefreshToken}
	case TypeNative:
		return []string{GrantAuthorizationCode, GrantImplicit, GrantPassword, GrantRefreshToken, GrantDeviceCode, GrantTokenExchange}
	case TypeWeb:
		return []string{GrantAuthorizationCode, GrantImplicit, GrantRefreshToken, GrantClientCredentials, GrantPassword, GrantDeviceCode, GrantTokenExchange}
	case TypeService:
		// Okta accepts implicit beside client_credentials (the Terraform
		// provider's recordings show it) and keeps it.
		return []string{GrantClientCredentials, GrantImplicit, GrantTokenExchange}
	}
	return nil
}

// requiredGrant is the grant an application type must have (§2.10).
func requiredGrant(appType string) string {
	switch appType {
	case TypeWeb, TypeNative:
		return GrantAuthorizationCode
	case TypeService:
		return GrantClientCredentials
	}
	return ""
}

// unsupportedGrants are grant types Okta knows and Sesame does not serve:
// told apart from typos so the administrator knows why.
func isUnsupportedGrant(g string) bool {
	switch g {
	case "urn:ietf:params:oauth:grant-type:saml2-bearer", "urn:ietf:params:oauth:grant-type:jwt-bearer",
		"interaction_code", "urn:openid:params:grant-type:ciba",
		"urn:okta:params:oauth:grant-type:oob", "urn:okta:params:oauth:grant-type:otp",
		"http://auth0.com/oauth/grant-type/mfa-oob", "http://auth0.com/oauth/grant-type/mfa-otp":
		return true
	}
	return false
}

func isKnownGrant(g string) bool {
	return slices.Contains(grantsFor(TypeWeb), g) || slices.Contains(grantsFor(TypeNative), g)
}

func checkGrants(c *oktaerr.Problems, oc *store.OAuthClientSettings, appType string, typeOK bool) {
	if len(oc.GrantTypes) == 0 {
		c.Add("grant_types", oktaerr.Blank)
		return
	}
	if len(oc.GrantTypes) > maxListLen {
		c.Add("grant_types", "At most %d values are allowed.", maxListLen)
		return
	}
	allowed := grantsFor(appType)
	for _, g := range oc.GrantTypes {
		switch {
		case isUnsupportedGrant(g):
			c.Add("grant_types", "'%s' is not supported by Sesame.", oktaerr.Show(g))
		case !isKnownGrant(g):
			c.Add("grant_types", "'%s' is not a valid grant type.", oktaerr.Show(g))
		case typeOK && !slices.Contains(allowed, g):
			c.Add("grant_types", "'%s' is not allowed for application_type '%s'. Valid values: [%s].", g, appType, strings.Join(allowed, ", "))
		}
	}
	if req := requiredGrant(appType); req != "" && !slices.Contains(oc.GrantTypes, req) {
		c.Add("grant_types", "Application type '%s' requires the '%s' grant type.", appType, req)
	}
	// A refresh token is only ever issued by another grant; alone it
	// describes an app that can never obtain one.
	if slices.Contains(oc.GrantTypes, GrantRefreshToken) &&
		!slices.ContainsFunc(oc.GrantTypes, func(g string) bool {
			return g == GrantAuthorizationCode || g == GrantPassword || g == GrantDeviceCode || g == GrantTokenExchange
		}) {
		c.Add("grant_types", "'refresh_token' requires a grant type that issues refresh tokens: authorization_code, password, device_code or token-exchange.")
	}
}

func checkResponseTypes(c *oktaerr.Problems, oc *store.OAuthClientSettings) {
	code := slices.Contains(oc.GrantTypes, GrantAuthorizationCode)
	implicit := slices.Contains(oc.GrantTypes, GrantImplicit)
	if len(oc.ResponseTypes) == 0 {
		if code || implicit {
			c.Add("response_types", oktaerr.Blank)
		}
		return
	}
	if len(oc.ResponseTypes) > maxListLen {
		c.Add("response_types", "At most %d values are allowed.", maxListLen)
		return
	}
	for _, r := range oc.ResponseTypes {
		if r != "code" && r != "token" && r != "id_token" {
			c.Add("response_types", "'%s' is not a valid response type. Valid values: [code, token, id_token].", oktaerr.Show(r))
		}
	}
	if slices.Contains(oc.ResponseTypes, "code") && !code {
		c.Add("response_types", "'code' requires the 'authorization_code' grant type.")
	}
	if implicit && !slices.Contains(oc.ResponseTypes, "token") && !slices.Contains(oc.ResponseTypes, "id_token") {
		c.Add("response_types", "The value must contain 'token' or 'id_token' when grant_types contains 'implicit'.")
	}
}

func checkAuthMethod(c *oktaerr.Problems, cr *store.OAuthClientCreds, appType string, typeOK bool) {
	all := []string{AuthClientSecretBasic, AuthClientSecretPost, AuthClientSecretJWT, AuthPrivateKeyJWT, AuthNone}
	valid := all
	if typeOK {
		switch appType {
		case TypeBrowser:
			// Okta accepts client_secret_basic, the provider's default, and
			// keeps it; the app is a public client all the same
			// (store.App.ClientAuthMethod).
			valid = []string{AuthNone, AuthClientSecretBasic}
		case TypeWeb, TypeService:
			valid = all[:4]
		}
	}
	c.Enum("token_endpoint_auth_method", cr.TokenEndpointAuthMethod, valid...)
}

// uriKind selects the rules a URI member follows.
type uriKind int

const (
	// redirectURI: absolute, no fragment, http or https (Okta accepts plain
	// http too: OpenMetadata often runs on an internal http host), custom
	// schemes for native apps, wildcards when enabled.
	redirectURI uriKind = iota
	// secureURI: absolute https (http for loopback hosts), no fragment.
	secureURI
	// pageURI: an absolute http(s) link shown to people (logo, policy…).
	pageURI
)

func checkURIs(c *oktaerr.Problems, oc *store.OAuthClientSettings, appType string) {
	native := appType == TypeNative
	wildcard := oc.WildcardRedirect == WildcardSubdomain
	if len(oc.RedirectURIs) == 0 && (slices.Contains(oc.GrantTypes, GrantAuthorizationCode) || slices.Contains(oc.GrantTypes, GrantImplicit)) {
		c.Add("redirect_uris", oktaerr.Blank)
	}
	list := func(field string, uris []string) {
		if len(uris) > maxURIs {
			c.Add(field, "At most %d URIs may be registered.", maxURIs)
			return
		}
		for _, u := range uris {
			if p := uriProblem(u, redirectURI, native, wildcard); p != "" {
				c.Add(field, "'%s' %s", oktaerr.Show(u), p)
			}
		}
	}
	list("redirect_uris", oc.RedirectURIs)
	list("post_logout_redirect_uris", oc.PostLogoutRedirectURIs)
	one := func(field, u string, kind uriKind) {
		if u == "" {
			return
		}
		if p := uriProblem(u, kind, false, false); p != "" {
			c.Add(field, "'%s' %s", oktaerr.Show(u), p)
		}
	}
	one("initiate_login_uri", oc.InitiateLoginURI, secureURI)
	// Okta accepts a wildcard front-channel logout URI where redirect URIs
	// may have one (recorded by the Terraform provider).
	if p := uriProblem(oc.FrontchannelLogoutURI, secureURI, false, wildcard); oc.FrontchannelLogoutURI != "" && p != "" {
		c.Add("frontchannel_logout_uri", "'%s' %s", oktaerr.Show(oc.FrontchannelLogoutURI), p)
	}
	one("jwks_uri", oc.JWKSURI, secureURI)
	for _, m := range []struct {
		field string
		v     *string
	}{{"client_uri", oc.ClientURI}, {"logo_uri", oc.LogoURI}, {"policy_uri", oc.PolicyURI}, {"tos_uri", oc.TosURI}} {
		if m.v != nil {
			one(m.field, *m.v, pageURI)
		}
	}
}

// uriProblem returns why raw is unacceptable, as the end of a sentence
// starting with the URI, or "".
func uriProblem(raw string, kind uriKind, native, wildcard bool) string {
	if len(raw) > maxURILen {
		return fmt.Sprintf("is longer than %d characters.", maxURILen)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "must not contain spaces or control characters."
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a valid URI."
	}
	if u.Scheme == "" {
		return "must be an absolute URI."
	}
	if kind != pageURI && (u.Fragment != "" || strings.Contains(raw, "#")) {
		return "must not contain a fragment."
	}
	if u.User != nil {
		return "must not contain user information."
	}
	host := strings.ToLower(u.Hostname())
	switch u.Scheme {
	case "https":
		if host == "" {
			return "must have a host."
		}
	case "http":
		if host == "" {
			return "must have a host."
		}
		if kind == secureURI && !isLoopback(host) {
			return "must use https: http is allowed only for localhost and loopback addresses."
		}
	default:
		if kind == pageURI {
			return "must be an http or https URI."
		}
		if kind != redirectURI || !native {
			return "must use https."
		}
		if deniedScheme(u.Scheme) {
			return fmt.Sprintf("uses the scheme '%s', which is not allowed.", u.Scheme)
		}
	}
	if strings.Contains(host, "*") {
		if kind == pageURI || !wildcard {
			return "contains a wildcard, which requires wildcard_redirect 'SUBDOMAIN'."
		}
		if p := wildcardProblem(u.Scheme, host); p != "" {
			return p
		}
	}
	return ""
}

// wildcardProblem applies Okta's wildcard rule: https, one '*', within the
// lowest-level label of a host that keeps at least two fixed labels above
// it (so *.example.com, never *.com).
func wildcardProblem(scheme, host string) string {
	labels := strings.Split(host, ".")
	if scheme != "https" || strings.Count(host, "*") != 1 || !strings.Contains(labels[0], "*") || len(labels) < 3 {
		return "has an invalid wildcard: only one '*' is allowed, in the lowest-level label of an https host below a registrable domain."
	}
	return ""
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// deniedScheme lists schemes that must never receive an authorization
// response, even from a native app: they execute or read local content.
func deniedScheme(s string) bool {
	switch s {
	case "javascript", "data", "vbscript", "file", "about", "blob", "filesystem":
		return true
	}
	return false
}

// checkKeys validates jwks and jwks_uri and their relation to the
// authentication method.
func checkKeys(c *oktaerr.Problems, oc *store.OAuthClientSettings, method string) {
	var keys []store.AppJWK
	if oc.JWKS != nil {
		keys = oc.JWKS.Keys
	}
	if len(keys) > 0 && oc.JWKSURI != "" {
		c.Add("jwks", "Only one of 'jwks' and 'jwks_uri' may be set.")
	}
	if method == AuthPrivateKeyJWT && len(keys) == 0 && oc.JWKSURI == "" {
		c.Add("jwks", "'jwks' or 'jwks_uri' is required when token_endpoint_auth_method is 'private_key_jwt'.")
	}
	if len(keys) == 0 {
		return
	}
	if len(keys) > MaxAppKeys {
		c.Add("jwks", "At most %d keys may be registered.", MaxAppKeys)
		return
	}
	kids := map[string]bool{}
	signing := false
	for i, k := range keys {
		kid, use, ok := checkKey(c, i, k.JWK)
		if !ok {
			continue
		}
		if use != "enc" {
			signing = true
		}
		switch {
		case kid == "" && len(keys) > 1:
			c.Add("jwks", "keys[%d]: 'kid' is required when more than one key is registered.", i)
		case kid != "" && kids[kid]:
			c.Add("jwks", "keys[%d]: The kid '%s' is used by another key.", i, oktaerr.Show(kid))
		}
		kids[kid] = true
	}
	if method == AuthPrivateKeyJWT && !signing && !c.Has("jwks") {
		c.Add("jwks", "'private_key_jwt' requires at least one signing key (use 'sig' or no use).")
	}
}

// checkKey validates one client public key and returns its kid and use.
func checkKey(c *oktaerr.Problems, i int, raw json.RawMessage) (kid, use string, ok bool) {
	bad := func(format string, args ...any) (string, string, bool) {
		c.Add("jwks", "keys[%d]: "+format, append([]any{i}, args...)...)
		return "", "", false
	}
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || m == nil {
		return bad("The key is not a JSON Web Key.")
	}
	// go-jose reads members case-insensitively and this check does not:
	// "D" or "KTY" must not slip past it.
	for _, name := range slices.Sorted(maps.Keys(m)) {
		for _, known := range [...]string{"kty", "use", "key_ops", "alg", "kid", "x5u", "x5c", "x5t", "x5t#S256",
			"crv", "x", "y", "n", "e", "d", "p", "q", "dp", "dq", "qi", "oth", "k", "id", "status", "created", "lastUpdated"} {
			if name != known && strings.EqualFold(name, known) {
				return bad("Member names are case-sensitive: write '%s'.", known)
			}
		}
	}
	// The members of private and symmetric keys (RFC 7518 §6).
	for _, p := range [...]string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
		if _, found := m[p]; found {
			return bad("Private or symmetric key material ('%s') must not be registered; register the public key only.", p)
		}
	}
	str := func(name string) (string, bool) {
		switch v := m[name].(type) {
		case nil:
			return "", true
		case string:
			return v, true
		}
		return "", false
	}
	kty, ok1 := str("kty")
	kid, ok2 := str("kid")
	use, ok3 := str("use")
	alg, ok4 := str("alg")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return bad("'kty', 'kid', 'use' and 'alg' must be strings.")
	}
	switch kty {
	case "RSA", "EC":
	case "":
		return bad("'kty' is required.")
	case "oct":
		return bad("Symmetric (oct) keys are not allowed.")
	default:
		return bad("'kty' must be 'RSA' or 'EC'.")
	}
	if use != "" && use != "sig" && use != "enc" {
		return bad("'use' must be 'sig' or 'enc'.")
	}
	if _, hasCrv := m["crv"]; kty == "EC" && !hasCrv {
		return bad("'crv' is required for this EC key: the length of 'x' and 'y' does not name a curve (P-256, P-384 or P-521).")
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		if kty == "RSA" && errors.Is(err, jose.ErrUnsupportedKeyType) {
			return bad("RSA keys must be between %d and %d bits long.", minRSABits, maxRSABits)
		}
		return bad("Not a valid %s public key.", kty)
	}
	curve := ""
	switch pub := jwk.Key.(type) {
	case *rsa.PublicKey:
		if kty != "RSA" {
			return bad("Not a valid %s public key.", kty)
		}
		if n := pub.N.BitLen(); n < minRSABits || n > maxRSABits {
			return bad("RSA keys must be between %d and %d bits long.", minRSABits, maxRSABits)
		}
		if pub.E < 3 || pub.E%2 == 0 {
			return bad("The RSA public exponent is not valid.")
		}
	case *ecdsa.PublicKey:
		if kty != "EC" {
			return bad("Not a valid %s public key.", kty)
		}
		curve = pub.Curve.Params().Name
		if pub.Curve != elliptic.P256() && pub.Curve != elliptic.P384() && pub.Curve != elliptic.P521() {
			return bad("EC keys must use the P-256, P-384 or P-521 curve.")
		}
	default:
		return bad("Not a valid %s public key.", kty)
	}
	if alg != "" && !algFits(alg, kty, use, curve) {
		return bad("'alg' %s cannot be used with this key.", oktaerr.Show(alg))
	}
	return kid, use, true
}

// algFits reports whether a JWA algorithm suits a key of type kty (and EC
// curve) for the declared use ("" allows either).
func algFits(alg, kty, use, curve string) bool {
	var sig, enc bool
	switch kty {
	case "RSA":
		sig = slices.Contains([]string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}, alg)
		enc = slices.Contains([]string{"RSA-OAEP", "RSA-OAEP-256", "RSA-OAEP-384", "RSA-OAEP-512", "RSA1_5"}, alg)
	case "EC":
		sig = alg == "ES256" && curve == "P-256" || alg == "ES384" && curve == "P-384" || alg == "ES512" && curve == "P-521"
		enc = slices.Contains([]string{"ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW"}, alg)
	}
	switch use {
	case "sig":
		return sig
	case "enc":
		return enc
	}
	return sig || enc
}
