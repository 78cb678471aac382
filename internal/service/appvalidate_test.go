package service

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/jwktest"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

func TestValidAppsPass(t *testing.T) {
	for _, typ := range []string{TypeWeb, TypeNative, TypeBrowser, TypeService} {
		a := base(t, typ)
		if err := ValidateApp(a); err != nil {
			t.Errorf("%s: %v %v", a.Label, err, causes(err))
		}
	}
}

// base returns a valid app of the given type to break in one place: what
// the Apps API makes of a minimal request for that type.
func base(t *testing.T, appType string) *store.App {
	t.Helper()
	a := &store.App{ID: "0oa" + appType + "000000000", Name: AppName, Label: appType + " app", Status: store.StatusActive,
		SignOnMode: SignOnModeOIDC, Created: testNow, LastUpdated: testNow}
	a.ClientID = a.ID
	a.Credentials.OAuthClient = store.OAuthClientCreds{ClientID: a.ID, TokenEndpointAuthMethod: AuthClientSecretBasic, AutoKeyRotation: true}
	oc := &a.Settings.OAuthClient
	*oc = store.OAuthClientSettings{ApplicationType: appType, ResponseTypes: []string{"code"}, GrantTypes: []string{GrantAuthorizationCode},
		ConsentMethod: ConsentTrusted, IssuerMode: IssuerOrgURL, WildcardRedirect: WildcardDisabled}
	switch appType {
	case TypeWeb:
		oc.RedirectURIs = []string{"https://app.example.com/cb"}
	case TypeNative, TypeBrowser:
		a.Credentials.OAuthClient.TokenEndpointAuthMethod, a.Credentials.OAuthClient.PKCERequired = AuthNone, true
		oc.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken}
		oc.RedirectURIs = []string{"com.example.app:/callback"}
		oc.RefreshToken = &store.RefreshTokenSettings{RotationType: RotationStatic, Leeway: 30}
		if appType == TypeBrowser {
			oc.RedirectURIs = []string{"https://spa.example.com/callback"}
			oc.RefreshToken.RotationType = RotationRotate
		}
	case TypeService:
		oc.ResponseTypes, oc.GrantTypes = []string{"token"}, []string{GrantClientCredentials}
	}
	return a
}

func TestValidateAppRefusals(t *testing.T) {
	k := jwktest.Get()
	offCurve := strings.Replace(jwktest.JSON(t, &k.EC256.PublicKey, "e1", "sig", "ES256"), `"y":"`, `"y":"AA`, 1)
	huge := &jwktest.Get().RSA2048.PublicKey
	big1 := new(big.Int).Lsh(big.NewInt(1), 4100)
	big1.Add(big1, huge.N)

	tests := []struct {
		name   string
		typ    string
		break_ func(a *store.App)
		want   string
	}{
		{"name", TypeWeb, func(a *store.App) { a.Name = "bookmark" },
			"name: Sesame supports only OpenID Connect applications: the value must be 'oidc_client'."},
		{"signOnMode", TypeWeb, func(a *store.App) { a.SignOnMode = "SAML_2_0" },
			"signOnMode: Sesame supports only OpenID Connect applications: the value must be 'OPENID_CONNECT'."},
		{"label blank", TypeWeb, func(a *store.App) { a.Label = "" }, "label: The field cannot be left blank"},
		{"label spaces", TypeWeb, func(a *store.App) { a.Label = "  \t" }, "label: The field cannot be left blank"},
		{"label long", TypeWeb, func(a *store.App) { a.Label = strings.Repeat("é", 101) },
			"label: The value must be at most 100 characters long."},
		{"status", TypeWeb, func(a *store.App) { a.Status = "DELETED" },
			"status: 'status' is invalid. Valid values: [ACTIVE, INACTIVE]."},
		{"client_id short", TypeWeb, func(a *store.App) { a.ClientID = "abcde" },
			"client_id: The client_id must be between 6 and 100 characters long."},
		{"client_id long", TypeWeb, func(a *store.App) { a.ClientID = strings.Repeat("a", 101) },
			"client_id: The client_id must be between 6 and 100 characters long."},
		{"client_id slash", TypeWeb, func(a *store.App) { a.ClientID = "abc/def" },
			"client_id: The client_id may contain only letters, digits and the characters $-_.+!*'(),"},
		{"client_id range char", TypeWeb, func(a *store.App) { a.ClientID = "abc:def" }, // inside the $-_ range, not in the list
			"client_id: The client_id may contain only letters, digits and the characters $-_.+!*'(),"},
		{"client_id non-ascii", TypeWeb, func(a *store.App) { a.ClientID = "abcdéf" },
			"client_id: The client_id may contain only letters, digits and the characters $-_.+!*'(),"},
		{"client_id reserved", TypeWeb, func(a *store.App) { a.ClientID = "ALL_CLIENTS" }, "client_id: 'ALL_CLIENTS' is reserved."},
		{"application_type blank", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.ApplicationType = "" },
			"application_type: The field cannot be left blank"},
		{"application_type unknown", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.ApplicationType = "spa" },
			"application_type: 'application_type' is invalid. Valid values: [web, native, browser, service]."},

		{"grants empty", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.GrantTypes = nil }, "grant_types: The field cannot be left blank"},
		{"grant unknown", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = append(a.Settings.OAuthClient.GrantTypes, "client-credentials")
		},
			"grant_types: 'client-credentials' is not a valid grant type."},
		{"grant unsupported", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = append(a.Settings.OAuthClient.GrantTypes, "urn:ietf:params:oauth:grant-type:saml2-bearer")
		}, "grant_types: 'urn:ietf:params:oauth:grant-type:saml2-bearer' is not supported by Sesame."},
		{"browser client_credentials", TypeBrowser, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = append(a.Settings.OAuthClient.GrantTypes, GrantClientCredentials)
		}, "grant_types: 'client_credentials' is not allowed for application_type 'browser'. Valid values: [authorization_code, implicit, refresh_token]."},
		{"browser password", TypeBrowser, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = append(a.Settings.OAuthClient.GrantTypes, GrantPassword)
		},
			"grant_types: 'password' is not allowed for application_type 'browser'. Valid values: [authorization_code, implicit, refresh_token]."},
		{"browser device", TypeBrowser, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = append(a.Settings.OAuthClient.GrantTypes, GrantDeviceCode)
		},
			"grant_types: 'urn:ietf:params:oauth:grant-type:device_code' is not allowed for application_type 'browser'. Valid values: [authorization_code, implicit, refresh_token]."},
		{"native client_credentials", TypeNative, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = append(a.Settings.OAuthClient.GrantTypes, GrantClientCredentials)
		}, "grant_types: 'client_credentials' is not allowed for application_type 'native'. Valid values: [authorization_code, implicit, password, refresh_token, urn:ietf:params:oauth:grant-type:device_code, urn:ietf:params:oauth:grant-type:token-exchange]."},
		{"service authorization_code", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = append(a.Settings.OAuthClient.GrantTypes, GrantAuthorizationCode)
			a.Settings.OAuthClient.RedirectURIs = []string{"https://svc.example.com/cb"}
		}, "grant_types: 'authorization_code' is not allowed for application_type 'service'. Valid values: [client_credentials, implicit, urn:ietf:params:oauth:grant-type:token-exchange]."},
		{"service refresh", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = append(a.Settings.OAuthClient.GrantTypes, GrantRefreshToken)
			a.Settings.OAuthClient.RefreshToken = &store.RefreshTokenSettings{RotationType: RotationStatic}
		}, "grant_types: 'refresh_token' is not allowed for application_type 'service'. Valid values: [client_credentials, implicit, urn:ietf:params:oauth:grant-type:token-exchange]."},
		{"web needs code", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.GrantTypes = []string{GrantClientCredentials} },
			"grant_types: Application type 'web' requires the 'authorization_code' grant type."},
		{"native needs code", TypeNative, func(a *store.App) { a.Settings.OAuthClient.GrantTypes = []string{GrantPassword} },
			"grant_types: Application type 'native' requires the 'authorization_code' grant type."},
		{"service needs client_credentials", TypeService, func(a *store.App) { a.Settings.OAuthClient.GrantTypes = []string{GrantTokenExchange} },
			"grant_types: Application type 'service' requires the 'client_credentials' grant type."},
		{"refresh alone", TypeBrowser, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = []string{GrantImplicit, GrantRefreshToken}
			a.Settings.OAuthClient.ResponseTypes = []string{"id_token"}
		}, "grant_types: 'refresh_token' requires a grant type that issues refresh tokens: authorization_code, password, device_code or token-exchange."},

		{"response type unknown", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.ResponseTypes = []string{"code", "code token"} },
			"response_types: 'code token' is not a valid response type. Valid values: [code, token, id_token]."},
		{"code without grant", TypeService, func(a *store.App) { a.Settings.OAuthClient.ResponseTypes = []string{"code"} },
			"response_types: 'code' requires the 'authorization_code' grant type."},
		{"implicit needs token", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = []string{GrantAuthorizationCode, GrantImplicit}
		},
			"response_types: The value must contain 'token' or 'id_token' when grant_types contains 'implicit'."},
		{"response types empty", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.ResponseTypes = nil },
			"response_types: The field cannot be left blank"},

		{"redirect required", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.RedirectURIs = nil }, "redirect_uris: The field cannot be left blank"},
		{"redirect required implicit", TypeBrowser, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = []string{GrantImplicit}
			a.Settings.OAuthClient.ResponseTypes = []string{"id_token"}
			a.Settings.OAuthClient.RedirectURIs = []string{}
		}, "redirect_uris: The field cannot be left blank"},
		{"redirect relative", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.RedirectURIs = []string{"/cb"} },
			"redirect_uris: '/cb' must be an absolute URI."},
		{"redirect fragment", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.RedirectURIs = []string{"https://a.example.com/cb#x"} },
			"redirect_uris: 'https://a.example.com/cb#x' must not contain a fragment."},
		{"redirect empty fragment", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.RedirectURIs = []string{"https://a.example.com/cb#"} },
			"redirect_uris: 'https://a.example.com/cb#' must not contain a fragment."},
		{"jwks_uri http", TypeService, func(a *store.App) {
			a.Credentials.OAuthClient.TokenEndpointAuthMethod = AuthPrivateKeyJWT
			a.Settings.OAuthClient.JWKS = nil
			a.Settings.OAuthClient.JWKSURI = "http://keys.example.com/jwks"
		}, "jwks_uri: 'http://keys.example.com/jwks' must use https: http is allowed only for localhost and loopback addresses."},
		{"redirect custom scheme web", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.RedirectURIs = []string{"com.example.app:/cb"} },
			"redirect_uris: 'com.example.app:/cb' must use https."},
		{"redirect javascript native", TypeNative, func(a *store.App) { a.Settings.OAuthClient.RedirectURIs = []string{"javascript:alert(1)"} },
			"redirect_uris: 'javascript:alert(1)' uses the scheme 'javascript', which is not allowed."},
		{"redirect https no host", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.RedirectURIs = []string{"https:/cb"} },
			"redirect_uris: 'https:/cb' must have a host."},
		{"redirect userinfo", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.RedirectURIs = []string{"https://u:p@a.example.com/cb"} },
			"redirect_uris: 'https://u:p@a.example.com/cb' must not contain user information."},
		{"redirect space", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.RedirectURIs = []string{"https://a.example.com/c b"} },
			"redirect_uris: 'https://a.example.com/c b' must not contain spaces or control characters."},
		{"redirect control", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.RedirectURIs = []string{"https://a.example.com/c\nb"} },
			"redirect_uris: 'https://a.example.com/c?b' must not contain spaces or control characters."},
		{"redirect unparsable", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.RedirectURIs = []string{"https://a.example.com:port/"} },
			"redirect_uris: 'https://a.example.com:port/' is not a valid URI."},
		{"redirect long", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.RedirectURIs = []string{"https://a.example.com/" + strings.Repeat("x", 2048)}
		}, "redirect_uris: 'https://a.example.com/" + strings.Repeat("x", 100-len("https://a.example.com/")) + "…' is longer than 2048 characters."},
		{"wildcard disabled", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.RedirectURIs = []string{"https://*.example.com/cb"} },
			"redirect_uris: 'https://*.example.com/cb' contains a wildcard, which requires wildcard_redirect 'SUBDOMAIN'."},
		{"wildcard tld", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.WildcardRedirect = WildcardSubdomain
			a.Settings.OAuthClient.RedirectURIs = []string{"https://*.com/cb"}
		}, "redirect_uris: 'https://*.com/cb' has an invalid wildcard: only one '*' is allowed, in the lowest-level label of an https host below a registrable domain."},
		{"wildcard not lowest", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.WildcardRedirect = WildcardSubdomain
			a.Settings.OAuthClient.RedirectURIs = []string{"https://a.*.example.com/cb"}
		}, "redirect_uris: 'https://a.*.example.com/cb' has an invalid wildcard: only one '*' is allowed, in the lowest-level label of an https host below a registrable domain."},
		{"wildcard two", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.WildcardRedirect = WildcardSubdomain
			a.Settings.OAuthClient.RedirectURIs = []string{"https://*-*.example.com/cb"}
		}, "redirect_uris: 'https://*-*.example.com/cb' has an invalid wildcard: only one '*' is allowed, in the lowest-level label of an https host below a registrable domain."},
		{"wildcard http", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.WildcardRedirect = WildcardSubdomain
			a.Settings.OAuthClient.RedirectURIs = []string{"http://*.app.localhost/cb"}
		}, "redirect_uris: 'http://*.app.localhost/cb' has an invalid wildcard: only one '*' is allowed, in the lowest-level label of an https host below a registrable domain."},
		{"post logout custom scheme web", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.PostLogoutRedirectURIs = []string{"ftp://app.example.com/"}
		},
			"post_logout_redirect_uris: 'ftp://app.example.com/' must use https."},
		{"post logout fragment", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.PostLogoutRedirectURIs = []string{"https://app.example.com/#/home"}
		},
			"post_logout_redirect_uris: 'https://app.example.com/#/home' must not contain a fragment."},
		{"initiate login http", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.InitiateLoginURI = "http://app.example.com/login" },
			"initiate_login_uri: 'http://app.example.com/login' must use https: http is allowed only for localhost and loopback addresses."},
		{"initiate login custom scheme", TypeNative, func(a *store.App) { a.Settings.OAuthClient.InitiateLoginURI = "com.example.app:/login" },
			"initiate_login_uri: 'com.example.app:/login' must use https."},
		{"frontchannel logout relative", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.FrontchannelLogoutURI = "logout" },
			"frontchannel_logout_uri: 'logout' must be an absolute URI."},
		{"jwks_uri http", TypeService, func(a *store.App) { a.Settings.OAuthClient.JWKSURI = "http://keys.example.com/jwks" },
			"jwks_uri: 'http://keys.example.com/jwks' must use https: http is allowed only for localhost and loopback addresses."},
		{"jwks_uri fragment", TypeService, func(a *store.App) { a.Settings.OAuthClient.JWKSURI = "https://keys.example.com/jwks#k" },
			"jwks_uri: 'https://keys.example.com/jwks#k' must not contain a fragment."},
		{"logo javascript", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.LogoURI = ptr("javascript:alert(1)") },
			"logo_uri: 'javascript:alert(1)' must be an http or https URI."},
		{"client_uri relative", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.ClientURI = ptr("www.example.com") },
			"client_uri: 'www.example.com' must be an absolute URI."},
		{"policy_uri data", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.PolicyURI = ptr("data:text/html,x") },
			"policy_uri: 'data:text/html,x' must be an http or https URI."},
		{"tos_uri no host", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.TosURI = ptr("https:///tos") },
			"tos_uri: 'https:///tos' must have a host."},

		{"browser post secret", TypeBrowser, func(a *store.App) { a.Credentials.OAuthClient.TokenEndpointAuthMethod = AuthClientSecretPost },
			"token_endpoint_auth_method: 'token_endpoint_auth_method' is invalid. Valid values: [none, client_secret_basic]."},
		{"web none", TypeWeb, func(a *store.App) { a.Credentials.OAuthClient.TokenEndpointAuthMethod = AuthNone },
			"token_endpoint_auth_method: 'token_endpoint_auth_method' is invalid. Valid values: [client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt]."},
		{"service none", TypeService, func(a *store.App) { a.Credentials.OAuthClient.TokenEndpointAuthMethod = AuthNone },
			"token_endpoint_auth_method: 'token_endpoint_auth_method' is invalid. Valid values: [client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt]."},
		{"native unknown method", TypeNative, func(a *store.App) { a.Credentials.OAuthClient.TokenEndpointAuthMethod = "tls_client_auth" },
			"token_endpoint_auth_method: 'token_endpoint_auth_method' is invalid. Valid values: [client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, none]."},
		{"method blank", TypeNative, func(a *store.App) { a.Credentials.OAuthClient.TokenEndpointAuthMethod = "" },
			"token_endpoint_auth_method: The field cannot be left blank"},
		{"pkce off for public", TypeNative, func(a *store.App) { a.Credentials.OAuthClient.PKCERequired = false },
			"pkce_required: The value must be true when token_endpoint_auth_method is 'none'."},

		{"private_key_jwt without keys", TypeService, func(a *store.App) { a.Credentials.OAuthClient.TokenEndpointAuthMethod = AuthPrivateKeyJWT },
			"jwks: 'jwks' or 'jwks_uri' is required when token_endpoint_auth_method is 'private_key_jwt'."},
		{"jwks and jwks_uri", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, jwktest.RSAPub(t, "k1"))
			a.Settings.OAuthClient.JWKSURI = "https://keys.example.com/jwks"
		}, "jwks: Only one of 'jwks' and 'jwks_uri' may be set."},
		{"private key", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, jwktest.JSON(t, k.RSA2048, "k1", "sig", "RS256"))
		},
			"jwks: keys[0]: Private or symmetric key material ('d') must not be registered; register the public key only."},
		{"oct with k", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, `{"kty":"oct","kid":"s","k":"c2VjcmV0c2VjcmV0"}`)
		},
			"jwks: keys[0]: Private or symmetric key material ('k') must not be registered; register the public key only."},
		{"oct", TypeService, func(a *store.App) { a.Settings.OAuthClient.JWKS = jwktest.Set(t, `{"kty":"oct","kid":"s"}`) },
			"jwks: keys[0]: Symmetric (oct) keys are not allowed."},
		{"kty missing", TypeService, func(a *store.App) { a.Settings.OAuthClient.JWKS = jwktest.Set(t, `{"kid":"s","n":"AQAB","e":"AQAB"}`) },
			"jwks: keys[0]: 'kty' is required."},
		{"kty OKP", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, `{"kty":"OKP","crv":"Ed25519","x":"AAAA"}`)
		},
			"jwks: keys[0]: 'kty' must be 'RSA' or 'EC'."},
		{"key not an object", TypeService, func(a *store.App) { a.Settings.OAuthClient.JWKS = jwktest.Set(t, `null`) },
			"jwks: keys[0]: The key is not a JSON Web Key."},
		{"kid not a string", TypeService, func(a *store.App) { a.Settings.OAuthClient.JWKS = jwktest.Set(t, `{"kty":"RSA","kid":7}`) },
			"jwks: keys[0]: 'kty', 'kid', 'use' and 'alg' must be strings."},
		{"rsa missing n", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, `{"kty":"RSA","kid":"k1","e":"AQAB"}`)
		},
			"jwks: keys[0]: Not a valid RSA public key."},
		{"rsa 1024", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, jwktest.JSON(t, &k.RSA1024.PublicKey, "k1", "sig", "RS256"))
		},
			"jwks: keys[0]: RSA keys must be between 2048 and 4096 bits long."},
		{"rsa too big", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, jwktest.JSON(t, &rsa.PublicKey{N: big1, E: 65537}, "k1", "sig", "RS256"))
		}, "jwks: keys[0]: RSA keys must be between 2048 and 4096 bits long."},
		{"rsa even exponent", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, jwktest.JSON(t, &rsa.PublicKey{N: huge.N, E: 65536}, "k1", "sig", "RS256"))
		}, "jwks: keys[0]: The RSA public exponent is not valid."},
		{"ec off curve", TypeService, func(a *store.App) { a.Settings.OAuthClient.JWKS = jwktest.Set(t, offCurve) },
			"jwks: keys[0]: Not a valid EC public key."},
		{"use unknown", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, jwktest.JSON(t, &k.EC256.PublicKey, "e1", "wrap", ""))
		},
			"jwks: keys[0]: 'use' must be 'sig' or 'enc'."},
		{"alg of another kty", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, jwktest.JSON(t, &k.EC256.PublicKey, "e1", "sig", "RS256"))
		},
			"jwks: keys[0]: 'alg' RS256 cannot be used with this key."},
		{"alg of another curve", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, jwktest.JSON(t, &k.EC256.PublicKey, "e1", "sig", "ES384"))
		},
			"jwks: keys[0]: 'alg' ES384 cannot be used with this key."},
		{"sig alg for enc", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, jwktest.JSON(t, &k.RSA2048.PublicKey, "k1", "enc", "RS256"))
		},
			"jwks: keys[0]: 'alg' RS256 cannot be used with this key."},
		{"duplicate kid", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, jwktest.RSAPub(t, "k1"), jwktest.JSON(t, &k.EC256.PublicKey, "k1", "sig", "ES256"))
		}, "jwks: keys[1]: The kid 'k1' is used by another key."},
		{"kid required", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, jwktest.RSAPub(t, "k1"), jwktest.JSON(t, &k.EC256.PublicKey, "", "sig", "ES256"))
		}, "jwks: keys[1]: 'kid' is required when more than one key is registered."},
		{"no signing key", TypeService, func(a *store.App) {
			a.Credentials.OAuthClient.TokenEndpointAuthMethod = AuthPrivateKeyJWT
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, jwktest.JSON(t, &k.RSA2048.PublicKey, "k1", "enc", "RSA-OAEP"))
		}, "jwks: 'private_key_jwt' requires at least one signing key (use 'sig' or no use)."},
		{"too many keys", TypeService, func(a *store.App) {
			var ks []string
			for i := range 51 {
				ks = append(ks, jwktest.RSAPub(t, fmt.Sprint("k", i)))
			}
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, ks...)
		}, "jwks: At most 50 keys may be registered."},

		{"rotation unknown", TypeBrowser, func(a *store.App) { a.Settings.OAuthClient.RefreshToken.RotationType = "ALWAYS" },
			"refresh_token.rotation_type: 'rotation_type' is invalid. Valid values: [ROTATE, STATIC]."},
		{"rotation blank", TypeBrowser, func(a *store.App) { a.Settings.OAuthClient.RefreshToken.RotationType = "" },
			"refresh_token.rotation_type: The field cannot be left blank"},
		{"leeway high", TypeBrowser, func(a *store.App) { a.Settings.OAuthClient.RefreshToken.Leeway = 61 },
			"refresh_token.leeway: The value must be between 0 and 60."},
		{"leeway negative", TypeBrowser, func(a *store.App) { a.Settings.OAuthClient.RefreshToken.Leeway = -1 },
			"refresh_token.leeway: The value must be between 0 and 60."},
		{"refresh settings missing", TypeBrowser, func(a *store.App) { a.Settings.OAuthClient.RefreshToken = nil },
			"refresh_token: The field is required when grant_types contains 'refresh_token'."},
		{"settings member case", TypeWeb, func(a *store.App) {
			a.Settings.Extra = map[string]json.RawMessage{"notes": []byte(`{}`), "oauthclient": []byte(`{"redirect_uris":["javascript:x"]}`)}
		}, "oauthclient: Member names are case-sensitive: write 'oauthClient'."},
		{"oauthClient member case", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.Extra = map[string]json.RawMessage{"Redirect_URIs": []byte(`["javascript:x"]`)}
		}, "Redirect_URIs: Member names are case-sensitive: write 'redirect_uris'."},
		{"jwk member case", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, strings.Replace(jwktest.RSAPub(t, "k1"), `"n":`, `"N":`, 1))
		}, "jwks: keys[0]: Member names are case-sensitive: write 'n'."},
		{"jwk private member case", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, strings.Replace(jwktest.JSON(t, k.RSA2048, "k1", "sig", "RS256"), `"d":`, `"D":`, 1))
		}, "jwks: keys[0]: Member names are case-sensitive: write 'd'."},
		{"too many grants", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = append(a.Settings.OAuthClient.GrantTypes, strings.Split(strings.Repeat("x,", 20), ",")...)
		}, "grant_types: At most 20 values are allowed."},
		{"too many response types", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.ResponseTypes = strings.Split(strings.Repeat("code,", 21), ",")
		}, "response_types: At most 20 values are allowed."},
		{"too many redirect uris", TypeWeb, func(a *store.App) {
			for i := range 201 {
				a.Settings.OAuthClient.RedirectURIs = append(a.Settings.OAuthClient.RedirectURIs, fmt.Sprintf("https://a.example.com/%d", i))
			}
		}, "redirect_uris: At most 200 URIs may be registered."},
		{"consent", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.ConsentMethod = "IMPLICIT" },
			"consent_method: 'consent_method' is invalid. Valid values: [TRUSTED, REQUIRED]."},
		{"issuer mode", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.IssuerMode = "OKTA_URL" },
			"issuer_mode: 'issuer_mode' is invalid. Valid values: [ORG_URL, CUSTOM_URL, DYNAMIC]."},
		{"wildcard mode", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.WildcardRedirect = "ANY" },
			"wildcard_redirect: 'wildcard_redirect' is invalid. Valid values: [DISABLED, SUBDOMAIN]."},
		{"idp login mode", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.IDPInitiatedLogin = &store.IDPInitiatedLogin{Mode: "ON"} },
			"idp_initiated_login.mode: 'mode' is invalid. Valid values: [DISABLED, SPEC, OKTA]."},
		{"idp login needs uri", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.IDPInitiatedLogin = &store.IDPInitiatedLogin{Mode: "SPEC"} },
			"initiate_login_uri: The field is required when idp_initiated_login.mode is 'SPEC'."},
		{"idp login okta scopes", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.InitiateLoginURI = "https://app.example.com/login"
			a.Settings.OAuthClient.IDPInitiatedLogin = &store.IDPInitiatedLogin{Mode: "OKTA"}
		}, "idp_initiated_login.default_scope: The field is required when idp_initiated_login.mode is 'OKTA'."},
		{"slo native", TypeNative, func(a *store.App) {
			a.Settings.OAuthClient.ParticipateSLO = ptr(true)
			a.Settings.OAuthClient.FrontchannelLogoutURI = "https://app.example.com/fcl"
		}, "participate_slo: Only web and browser applications can participate in single logout."},
		{"slo without uri", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.ParticipateSLO = ptr(true) },
			"frontchannel_logout_uri: The field is required when participate_slo is true."},
		{"dpop client_credentials", TypeService, func(a *store.App) { a.Settings.OAuthClient.DPoPBoundAccessTokens = true },
			"dpop_bound_access_tokens: DPoP-bound access tokens cannot be used with the 'client_credentials' or 'implicit' grant types."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := cloneApp(t, base(t, tt.typ))
			tt.break_(a)
			err := ValidateApp(a)
			wantCause(t, err, tt.want)
			field, _, _ := strings.Cut(tt.want, ": ")
			if got := causes(err); len(got) == 1 && err.Summary != "Api validation failed: "+field {
				t.Errorf("summary %q for the single cause %q", err.Summary, got[0])
			}
		})
	}
}

func TestValidateAppAccepts(t *testing.T) {
	k := jwktest.Get()
	tests := []struct {
		name string
		typ  string
		set  func(a *store.App)
	}{
		{"client_id specials", TypeWeb, func(a *store.App) { a.ClientID = "a$-_.+!*'(),b" }},
		{"client_id 100", TypeWeb, func(a *store.App) { a.ClientID = strings.Repeat("x", 100) }},
		{"label 100 runes", TypeWeb, func(a *store.App) { a.Label = strings.Repeat("é", 100) }},
		{"http localhost", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.RedirectURIs = []string{"http://localhost:8585/callback", "http://127.0.0.1/cb", "http://[::1]:8080/cb", "http://app.localhost/cb"}
		}},
		{"http on an internal host, as OpenMetadata often runs", TypeBrowser, func(a *store.App) {
			a.Settings.OAuthClient.RedirectURIs = []string{"http://openmetadata.internal:8585/callback", "http://10.0.0.5:8585/silent-callback"}
			a.Settings.OAuthClient.PostLogoutRedirectURIs = []string{"http://openmetadata.internal:8585"}
		}},
		{"http loopback for browser logout", TypeBrowser, func(a *store.App) {
			a.Settings.OAuthClient.PostLogoutRedirectURIs = []string{"http://localhost:8585/signin"}
		}},
		{"native schemes", TypeNative, func(a *store.App) {
			a.Settings.OAuthClient.RedirectURIs = []string{"com.example.app:/cb", "myApp://redirectToLogin", "https://app.example.com/cb", "http://127.0.0.1:53124/cb"}
		}},
		{"wildcard subdomain", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.WildcardRedirect = WildcardSubdomain
			a.Settings.OAuthClient.RedirectURIs = []string{"https://*.example.com/cb", "https://redirect-*-domain.example.com/oidc/redirect"}
		}},
		{"query in redirect", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.RedirectURIs = []string{"https://app.example.com/cb?tenant=1"}
		}},
		{"page uris over http", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.LogoURI = ptr("http://cdn.example.com/logo.png")
			a.Settings.OAuthClient.ClientURI = ptr("https://example.com/#about")
		}},
		{"hybrid", TypeBrowser, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = []string{GrantAuthorizationCode, GrantImplicit, GrantRefreshToken}
			a.Settings.OAuthClient.ResponseTypes = []string{"code", "id_token", "token"}
		}},
		{"web everything", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = grantsFor(TypeWeb)
			a.Settings.OAuthClient.ResponseTypes = []string{"code", "token", "id_token"}
			a.Settings.OAuthClient.RefreshToken = &store.RefreshTokenSettings{RotationType: RotationRotate, Leeway: 0}
		}},
		{"native everything", TypeNative, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = grantsFor(TypeNative)
			a.Settings.OAuthClient.ResponseTypes = []string{"code", "id_token"}
		}},
		{"service token exchange", TypeService, func(a *store.App) {
			a.Settings.OAuthClient.GrantTypes = []string{GrantClientCredentials, GrantTokenExchange}
		}},
		{"private_key_jwt jwks", TypeService, func(a *store.App) {
			a.Credentials.OAuthClient.TokenEndpointAuthMethod = AuthPrivateKeyJWT
			a.Settings.OAuthClient.JWKS = jwktest.Set(t,
				jwktest.RSAPub(t, "k1"),
				jwktest.JSON(t, &k.EC256.PublicKey, "k2", "", "ES256"),
				jwktest.JSON(t, &k.EC384.PublicKey, "k3", "sig", ""),
				jwktest.JSON(t, &k.RSA2048.PublicKey, "k4", "enc", "RSA-OAEP-256"),
				`{"kty":"RSA","kid":"k5","use":null,"e":"AQAB","n":`+fmt.Sprintf("%q", mustN(t))+`}`)
		}},
		{"private_key_jwt single key without kid", TypeService, func(a *store.App) {
			a.Credentials.OAuthClient.TokenEndpointAuthMethod = AuthPrivateKeyJWT
			a.Settings.OAuthClient.JWKS = jwktest.Set(t, jwktest.JSON(t, &k.RSA2048.PublicKey, "", "", ""))
		}},
		{"private_key_jwt jwks_uri loopback", TypeService, func(a *store.App) {
			a.Credentials.OAuthClient.TokenEndpointAuthMethod = AuthPrivateKeyJWT
			a.Settings.OAuthClient.JWKSURI = "http://127.0.0.1:9000/jwks"
		}},
		{"native with secret", TypeNative, func(a *store.App) { a.Credentials.OAuthClient.TokenEndpointAuthMethod = AuthClientSecretPost }},
		{"slo", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.ParticipateSLO = ptr(true)
			a.Settings.OAuthClient.FrontchannelLogoutURI = "https://app.example.com/fcl"
		}},
		{"idp login spec", TypeWeb, func(a *store.App) {
			a.Settings.OAuthClient.InitiateLoginURI = "https://app.example.com/login"
			a.Settings.OAuthClient.IDPInitiatedLogin = &store.IDPInitiatedLogin{Mode: "SPEC"}
		}},
		{"dpop for code", TypeWeb, func(a *store.App) { a.Settings.OAuthClient.DPoPBoundAccessTokens = true }},
		{"service redirect uris ignored", TypeService, func(a *store.App) { a.Settings.OAuthClient.RedirectURIs = []string{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := cloneApp(t, base(t, tt.typ))
			tt.set(a)
			if err := ValidateApp(a); err != nil {
				t.Fatalf("%v %q", err, causes(err))
			}
		})
	}
}

func mustN(t *testing.T) string {
	var m map[string]string
	if err := json.Unmarshal([]byte(jwktest.JSON(t, &jwktest.Get().RSA2048.PublicKey, "", "", "")), &m); err != nil {
		t.Fatal(err)
	}
	return m["n"]
}

func TestValidateAppCollectsEveryCause(t *testing.T) {
	a := cloneApp(t, base(t, TypeWeb))
	a.Label = ""
	a.Settings.OAuthClient.RedirectURIs = []string{"com.example:/cb", "/relative"}
	a.Settings.OAuthClient.ConsentMethod = "NEVER"
	err := ValidateApp(a)
	if err == nil {
		t.Fatal("accepted")
	}
	want := []string{
		"label: The field cannot be left blank",
		"redirect_uris: 'com.example:/cb' must use https.",
		"redirect_uris: '/relative' must be an absolute URI.",
		"consent_method: 'consent_method' is invalid. Valid values: [TRUSTED, REQUIRED].",
	}
	if got := causes(err); !slices.Equal(got, want) {
		t.Fatalf("causes\n%q\nwant\n%q", got, want)
	}
	if err.Summary != "Api validation failed: label" || err.Link != oktaerr.CodeValidation || !strings.HasPrefix(err.ID, "oae") {
		t.Fatalf("error object %+v", err)
	}
}

var testNow = time.Date(2025, 3, 13, 23, 22, 54, 0, time.UTC)

func causes(err error) []string {
	e, ok := err.(*oktaerr.Error)
	if !ok || e == nil {
		return nil
	}
	out := make([]string, len(e.Causes))
	for i, c := range e.Causes {
		out[i] = c.Summary
	}
	return out
}

// wantCause fails unless err is E0000001 with the given cause.
func wantCause(t testing.TB, err error, want string) {
	t.Helper()
	e, ok := err.(*oktaerr.Error)
	if !ok || e == nil {
		t.Fatalf("got %v, want a validation error with %q", err, want)
	}
	if e.Code != oktaerr.CodeValidation || e.Status != 400 {
		t.Fatalf("got %s/%d, want E0000001/400", e.Code, e.Status)
	}
	if !slices.Contains(causes(e), want) {
		t.Fatalf("causes %q\nlack %q", causes(e), want)
	}
}

// cloneApp deep-copies an app through JSON so that tests can mutate it.
func cloneApp(t testing.TB, a *store.App) *store.App {
	t.Helper()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var c store.App
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// TestAppWritesValidate: CreateApp, UpdateApp and ModifyApp refuse an app
// ValidateApp refuses, with its error, and store nothing of it.
func TestAppWritesValidate(t *testing.T) {
	f := newFixture(t)
	bad := testApp("0oabad", "client-bad")
	bad.Settings.OAuthClient.RedirectURIs = []string{"https://app.test/cb#fragment"}
	wantOkta(t, "create", f.svc.CreateApp(f.ctx, SystemContext, bad, ""), 400, "E0000001",
		"redirect_uris: 'https://app.test/cb#fragment' must not contain a fragment.")
	if _, err := f.svc.GetApp(f.ctx, bad.ID); err == nil {
		t.Fatal("the refused app was stored")
	}

	a := testApp("0oagood", "client-good")
	if err := f.svc.CreateApp(f.ctx, SystemContext, a, ""); err != nil {
		t.Fatal(err)
	}
	upd := cloneApp(t, a)
	upd.Settings.OAuthClient.GrantTypes = []string{GrantClientCredentials}
	wantOkta(t, "update", f.svc.UpdateApp(f.ctx, SystemContext, upd, ""), 400, "E0000001")
	_, err := f.svc.ModifyApp(f.ctx, SystemContext, a.ID, "application.lifecycle.update", "test", func(a *store.App, _ time.Time) error {
		a.Settings.OAuthClient.GrantTypes = append(a.Settings.OAuthClient.GrantTypes, "urn:example:unknown")
		return nil
	})
	wantOkta(t, "modify", err, 400, "E0000001", "grant_types: 'urn:example:unknown' is not a valid grant type.")
	got, err := f.svc.GetApp(f.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Settings.OAuthClient.GrantTypes, []string{GrantAuthorizationCode}) {
		t.Fatalf("grant types after the refusals: %q", got.Settings.OAuthClient.GrantTypes)
	}
	if err := f.svc.SetAppStatus(f.ctx, SystemContext, a.ID, store.StatusInactive); err != nil {
		t.Fatalf("deactivate: %v", err)
	}
}
