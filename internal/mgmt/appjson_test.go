package mgmt

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/jwktest"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9]{20}$`)

func TestFormatTime(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	got := FormatTime(time.Date(2025, 3, 14, 1, 22, 54, 123456789, loc))
	if got != "2025-03-13T23:22:54.123Z" {
		t.Errorf("FormatTime = %q", got)
	}
	if FormatTime(time.Time{}) != "" {
		t.Error("zero time not empty")
	}
	b, _ := json.Marshal(struct {
		A Time `json:"a"`
		B Time `json:"b"`
	}{Time{testNow}, Time{}})
	if string(b) != `{"a":"2025-03-13T23:22:54.000Z","b":null}` {
		t.Errorf("Time JSON %s", b)
	}
	var back struct{ A, B Time }
	if err := json.Unmarshal(b, &back); err != nil || !back.A.Equal(testNow) || !back.B.IsZero() {
		t.Errorf("Time decode %v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"A":"yesterday"}`), &back); err == nil {
		t.Error("bad time accepted")
	}
}

func TestAppDefaultsPerType(t *testing.T) {
	tests := []struct {
		body              string
		typ               string
		method            string
		pkce              bool
		responseTypes     []string
		refresh           *store.RefreshTokenSettings
		wantSecret        bool
		wantRedirectCount int
	}{
		{webBody, service.TypeWeb, service.AuthClientSecretBasic, false, []string{"code"}, nil, true, 1},
		{nativeBody, service.TypeNative, service.AuthNone, true, []string{"code"}, &store.RefreshTokenSettings{RotationType: service.RotationStatic, Leeway: 30}, false, 1},
		{browserBody, service.TypeBrowser, service.AuthNone, true, []string{"code"}, &store.RefreshTokenSettings{RotationType: service.RotationRotate, Leeway: 30}, false, 1},
		{serviceBody, service.TypeService, service.AuthClientSecretBasic, false, []string{"token"}, nil, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			a, sec := mustApp(t, tt.body)
			if !strings.HasPrefix(a.ID, "0oa") || !idPattern.MatchString(a.ID) {
				t.Errorf("id %q", a.ID)
			}
			if a.ClientID != a.ID || a.Credentials.OAuthClient.ClientID != a.ID {
				t.Errorf("client_id %q / %q, id %q", a.ClientID, a.Credentials.OAuthClient.ClientID, a.ID)
			}
			if a.Name != service.AppName || a.SignOnMode != service.SignOnModeOIDC || a.Status != store.StatusActive || a.CreatedByDCR {
				t.Errorf("name %q signOnMode %q status %q dcr %v", a.Name, a.SignOnMode, a.Status, a.CreatedByDCR)
			}
			if !a.Created.Equal(testNow) || !a.LastUpdated.Equal(testNow) {
				t.Errorf("times %v %v", a.Created, a.LastUpdated)
			}
			cr := a.Credentials.OAuthClient
			if cr.TokenEndpointAuthMethod != tt.method || cr.PKCERequired != tt.pkce || !cr.AutoKeyRotation {
				t.Errorf("credentials %+v", cr)
			}
			if u := a.Credentials.UserNameTemplate; u == nil || *u != (store.UserNameTemplate{Template: "${source.login}", Type: "BUILT_IN"}) {
				t.Errorf("userNameTemplate %+v", u)
			}
			oc := a.Settings.OAuthClient
			if oc.ApplicationType != tt.typ || !slices.Equal(oc.ResponseTypes, tt.responseTypes) {
				t.Errorf("type %q response_types %q", oc.ApplicationType, oc.ResponseTypes)
			}
			if oc.ConsentMethod != service.ConsentTrusted || oc.IssuerMode != service.IssuerOrgURL || oc.WildcardRedirect != service.WildcardDisabled {
				t.Errorf("consent %q issuer %q wildcard %q", oc.ConsentMethod, oc.IssuerMode, oc.WildcardRedirect)
			}
			if (oc.RefreshToken == nil) != (tt.refresh == nil) || tt.refresh != nil && *oc.RefreshToken != *tt.refresh {
				t.Errorf("refresh_token %+v, want %+v", oc.RefreshToken, tt.refresh)
			}
			if len(oc.RedirectURIs) != tt.wantRedirectCount {
				t.Errorf("redirect_uris %q", oc.RedirectURIs)
			}
			if tt.wantSecret {
				if len(sec) != 40 || !secret.Matches(sec, secretHash(a)) {
					t.Errorf("secret %q (len %d) does not match its hash", sec, len(sec))
				}
			} else if sec != "" || secretHash(a) != nil {
				t.Errorf("public client got a secret")
			}
			if sealedOf(a) != nil {
				t.Error("AppFromRequest sealed a secret; sealing is the service's")
			}
		})
	}
}

func TestAppDefaultsFromRequestMembers(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, a *store.App)
	}{
		{"minimal SPA from the reference", `{"name":"oidc_client","label":"My SPA","signOnMode":"OPENID_CONNECT",
			"credentials":{"oauthClient":{"token_endpoint_auth_method":"none","pkce_required":true}},
			"settings":{"oauthClient":{"application_type":"browser","redirect_uris":["https://app/cb"],
			"post_logout_redirect_uris":["https://app/"],"response_types":["code"],
			"grant_types":["authorization_code","refresh_token"],"refresh_token":{"rotation_type":"ROTATE","leeway":30}}}}`,
			func(t *testing.T, a *store.App) {
				if a.Settings.OAuthClient.RefreshToken.RotationType != service.RotationRotate || a.Settings.OAuthClient.PostLogoutRedirectURIs[0] != "https://app/" {
					t.Errorf("%+v", a.Settings.OAuthClient)
				}
			}},
		{"leeway 0 kept", `{"label":"x","settings":{"oauthClient":{"application_type":"web","grant_types":["authorization_code","refresh_token"],
			"redirect_uris":["https://a.example.com/cb"],"refresh_token":{"rotation_type":"ROTATE","leeway":0}}}}`,
			func(t *testing.T, a *store.App) {
				if rt := a.Settings.OAuthClient.RefreshToken; rt.Leeway != 0 || rt.RotationType != service.RotationRotate {
					t.Errorf("%+v", rt)
				}
			}},
		{"leeway missing", `{"label":"x","settings":{"oauthClient":{"application_type":"web","grant_types":["authorization_code","refresh_token"],
			"redirect_uris":["https://a.example.com/cb"],"refresh_token":{"rotation_type":"ROTATE"}}}}`,
			func(t *testing.T, a *store.App) {
				if rt := a.Settings.OAuthClient.RefreshToken; rt.Leeway != 30 {
					t.Errorf("%+v", rt)
				}
			}},
		{"rotation missing", `{"label":"x","settings":{"oauthClient":{"application_type":"web","grant_types":["authorization_code","refresh_token"],
			"redirect_uris":["https://a.example.com/cb"],"refresh_token":{"leeway":10}}}}`,
			func(t *testing.T, a *store.App) {
				if rt := a.Settings.OAuthClient.RefreshToken; rt.Leeway != 10 || rt.RotationType != service.RotationStatic {
					t.Errorf("%+v", rt)
				}
			}},
		{"refresh settings without the grant dropped", `{"label":"x","settings":{"oauthClient":{"application_type":"web","grant_types":["authorization_code"],
			"redirect_uris":["https://a.example.com/cb"],"refresh_token":{"rotation_type":"ROTATE","leeway":5}}}}`,
			func(t *testing.T, a *store.App) {
				if a.Settings.OAuthClient.RefreshToken != nil {
					t.Errorf("%+v", a.Settings.OAuthClient.RefreshToken)
				}
			}},
		{"implicit response types", `{"label":"x","settings":{"oauthClient":{"application_type":"browser","grant_types":["authorization_code","implicit"],
			"redirect_uris":["https://a.example.com/cb"]}}}`,
			func(t *testing.T, a *store.App) {
				if got := a.Settings.OAuthClient.ResponseTypes; !slices.Equal(got, []string{"code", "id_token"}) {
					t.Errorf("%q", got)
				}
			}},
		{"explicit values kept", `{"label":"x","credentials":{"oauthClient":{"client_id":"my-client.1","token_endpoint_auth_method":"client_secret_post",
			"autoKeyRotation":false,"pkce_required":true},"userNameTemplate":{"template":"${source.email}","type":"CUSTOM"}},
			"profile":{"tier":"gold"},
			"settings":{"oauthClient":{"application_type":"web","grant_types":["authorization_code","authorization_code"],
			"response_types":["code","code"],"redirect_uris":["https://a.example.com/cb"],"consent_method":"REQUIRED",
			"issuer_mode":"DYNAMIC","wildcard_redirect":"SUBDOMAIN"}}}`,
			func(t *testing.T, a *store.App) {
				cr := a.Credentials.OAuthClient
				oc := a.Settings.OAuthClient
				if a.ClientID != "my-client.1" || cr.ClientID != "my-client.1" || cr.AutoKeyRotation || !cr.PKCERequired ||
					cr.TokenEndpointAuthMethod != service.AuthClientSecretPost || a.Credentials.UserNameTemplate.Type != "CUSTOM" ||
					a.Profile["tier"] != "gold" {
					t.Errorf("%+v %+v", a, cr)
				}
				if oc.ConsentMethod != service.ConsentRequired || oc.IssuerMode != service.IssuerDynamic || oc.WildcardRedirect != service.WildcardSubdomain ||
					!slices.Equal(oc.GrantTypes, []string{"authorization_code"}) || !slices.Equal(oc.ResponseTypes, []string{"code"}) {
					t.Errorf("%+v", oc)
				}
			}},
		{"read-only members ignored", `{"id":"0oaSOMETHINGELSE0000","status":"INACTIVE","created":"2000-01-01T00:00:00.000Z",
			"lastUpdated":"2000-01-01T00:00:00.000Z","features":["PUSH_NEW_USERS"],"_links":{"self":{"href":"x"}},
			"visibility":{"hide":{"iOS":false,"web":false}},"accessibility":{"selfService":true},
			"label":"x","settings":{"oauthClient":{"application_type":"service","grant_types":["client_credentials"]}}}`,
			func(t *testing.T, a *store.App) {
				if a.ID == "0oaSOMETHINGELSE0000" || a.Status != store.StatusActive || !a.Created.Equal(testNow) {
					t.Errorf("%+v", a)
				}
			}},
		{"empty jwks is no jwks", `{"label":"x","settings":{"oauthClient":{"application_type":"service","grant_types":["client_credentials"],"jwks":{"keys":[]}}}}`,
			func(t *testing.T, a *store.App) {
				if a.Settings.OAuthClient.JWKS != nil {
					t.Errorf("%+v", a.Settings.OAuthClient.JWKS)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := mustApp(t, tt.body)
			tt.check(t, a)
		})
	}
}

func TestAppRequestErrors(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		code   string
		causes []string
	}{
		{"not json", `{"label":`, oktaerr.CodeMalformedBody, nil},
		{"empty", ``, oktaerr.CodeMalformedBody, nil},
		{"array", `[]`, oktaerr.CodeMalformedBody, nil},
		{"trailing data", `{} {}`, oktaerr.CodeMalformedBody, nil},
		{"wrong type", `{"label":"x","settings":{"oauthClient":{"grant_types":"authorization_code"}}}`, oktaerr.CodeMalformedBody,
			[]string{"settings.oauthClient.grant_types: The value must be an array."}},
		{"wrong bool", `{"label":"x","credentials":{"oauthClient":{"pkce_required":"yes"}}}`, oktaerr.CodeMalformedBody,
			[]string{"credentials.oauthClient.pkce_required: The value must be a boolean."}},
		{"wrong int", `{"label":"x","settings":{"oauthClient":{"refresh_token":{"leeway":1.5}}}}`, oktaerr.CodeMalformedBody,
			[]string{"settings.oauthClient.refresh_token.leeway: The value must be an integer."}},
		{"label number", `{"label":5}`, oktaerr.CodeMalformedBody, []string{"label: The value must be a string."}},
		{"null body", `null`, oktaerr.CodeValidation, []string{
			"label: The field cannot be left blank",
			"application_type: The field cannot be left blank",
			"grant_types: The field cannot be left blank",
		}},
		{"empty object", `{}`, oktaerr.CodeValidation, []string{
			"label: The field cannot be left blank",
			"application_type: The field cannot be left blank",
			"grant_types: The field cannot be left blank",
		}},
		{"other app kind", `{"name":"bookmark","signOnMode":"BOOKMARK","label":"x","settings":{"oauthClient":{"application_type":"service","grant_types":["client_credentials"]}}}`,
			oktaerr.CodeValidation, []string{
				"name: Sesame supports only OpenID Connect applications: the value must be 'oidc_client'.",
				"signOnMode: Sesame supports only OpenID Connect applications: the value must be 'OPENID_CONNECT'.",
			}},
		{"pkce false for none", `{"label":"x","credentials":{"oauthClient":{"token_endpoint_auth_method":"none","pkce_required":false}},
			"settings":{"oauthClient":{"application_type":"native","grant_types":["authorization_code"],"redirect_uris":["com.x.y:/cb"]}}}`,
			oktaerr.CodeValidation, []string{"pkce_required: The value must be true when token_endpoint_auth_method is 'none'."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, sec, err := AppFromRequest([]byte(tt.body), nil, testNow)
			if a != nil || sec != "" {
				t.Fatalf("accepted: %+v", a)
			}
			e, ok := err.(*oktaerr.Error)
			if !ok || e.Code != tt.code || e.Status != 400 {
				t.Fatalf("got %v", err)
			}
			if got := causes(e); !slices.Equal(got, tt.causes) && !(len(got) == 0 && len(tt.causes) == 0) {
				t.Fatalf("causes %q, want %q", got, tt.causes)
			}
		})
	}
}

func TestAppSecretSupplied(t *testing.T) {
	body := func(method, sec string) string {
		return `{"label":"x","credentials":{"oauthClient":{"token_endpoint_auth_method":"` + method + `","client_secret":` +
			mustJSON(sec) + `}},"settings":{"oauthClient":{"application_type":"web","grant_types":["authorization_code"],
			"redirect_uris":["https://a.example.com/cb"]}}}`
	}
	tests := []struct {
		name, method, secret, cause string
	}{
		{"ok", service.AuthClientSecretBasic, "fourteen-chars", ""},
		{"hundred", service.AuthClientSecretPost, strings.Repeat("s", 100), ""},
		{"jwt 32", service.AuthClientSecretJWT, strings.Repeat("j", 32), ""},
		{"short", service.AuthClientSecretBasic, "thirteen-char", "client_secret: The client secret must be between 14 and 100 characters long."},
		{"long", service.AuthClientSecretBasic, strings.Repeat("s", 101), "client_secret: The client secret must be between 14 and 100 characters long."},
		{"non-ascii", service.AuthClientSecretBasic, "sécret-sécret-sécret", "client_secret: The client secret may contain only printable ASCII characters."},
		{"control", service.AuthClientSecretBasic, "secret\tsecret-secret", "client_secret: The client secret may contain only printable ASCII characters."},
		{"jwt short", service.AuthClientSecretJWT, strings.Repeat("j", 31), "client_secret: The client secret must be at least 32 characters long for client_secret_jwt."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, sec, err := AppFromRequest([]byte(body(tt.method, tt.secret)), nil, testNow)
			if tt.cause != "" {
				wantCause(t, err, tt.cause)
				if b, _ := json.Marshal(err); bytes.Contains(b, []byte(tt.secret)) {
					t.Fatalf("the secret is echoed: %s", b)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v %q", err, causes(err))
			}
			if sec != tt.secret || !secret.Matches(tt.secret, secretHash(a)) || sealedOf(a) != nil || len(a.Secrets) != 1 || a.Secrets[0].Status != "ACTIVE" {
				t.Fatalf("secret %q kept as %+v", sec, a.Secrets)
			}
		})
	}
	// A secret for a method that uses none is not kept.
	a, sec := mustApp(t, `{"label":"x","credentials":{"oauthClient":{"token_endpoint_auth_method":"none","client_secret":"x"}},
		"settings":{"oauthClient":{"application_type":"browser","grant_types":["authorization_code"],"redirect_uris":["https://a.example.com/cb"]}}}`)
	if sec != "" || secretHash(a) != nil {
		t.Fatal("public client kept a secret")
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// replaceWith runs a PUT of body against existing, one second later.
func replaceWith(t *testing.T, existing *store.App, body string) (*store.App, string, error) {
	t.Helper()
	return AppFromRequest([]byte(body), existing, testNow.Add(time.Second))
}

func webWith(method, secretMember string) string {
	return `{"label":"renamed","credentials":{"oauthClient":{"token_endpoint_auth_method":"` + method + `"` + secretMember + `}},
		"settings":{"oauthClient":{"application_type":"web","grant_types":["authorization_code"],"redirect_uris":["https://a.example.com/cb"]}}}`
}

func TestAppUpdateSecret(t *testing.T) {
	orig, origSecret := mustApp(t, webBody)
	sealed := func(a *store.App) *store.App { // what the caller does for client_secret_jwt
		a = cloneApp(t, a)
		a.Secrets[0].Sealed = []byte("sealed")
		return a
	}
	jwtApp, jwtSecret, err := replaceWith(t, orig, webWith(service.AuthClientSecretJWT, ``))
	if err != nil || jwtSecret == "" || sealedOf(jwtApp) != nil {
		t.Fatalf("basic → jwt: %v secret %q sealed %v", err, jwtSecret, sealedOf(jwtApp))
	}
	jwtApp = sealed(jwtApp)

	tests := []struct {
		name       string
		existing   *store.App
		body       string
		wantShown  bool
		wantHashOf string // "" = no hash
		wantSealed bool
	}{
		{"no secret member keeps", orig, webWith(service.AuthClientSecretBasic, ``), false, origSecret, false},
		{"empty secret keeps (terraform omit_secret)", orig, webWith(service.AuthClientSecretBasic, `,"client_secret":""`), false, origSecret, false},
		{"same secret re-sent", orig, webWith(service.AuthClientSecretBasic, `,"client_secret":"`+origSecret+`"`), true, origSecret, false},
		{"new secret replaces", orig, webWith(service.AuthClientSecretPost, `,"client_secret":"a-brand-new-secret"`), true, "a-brand-new-secret", false},
		{"to private_key_jwt drops", orig, strings.Replace(webWith(service.AuthPrivateKeyJWT, ``), `"redirect_uris"`, `"jwks_uri":"https://k.example.com/jwks","redirect_uris"`, 1), false, "", false},
		{"jwt keeps sealed", jwtApp, webWith(service.AuthClientSecretJWT, ``), false, jwtSecret, true},
		// (the service drops the sealed copy when it stores a basic app)
		{"jwt to basic keeps the secret", jwtApp, webWith(service.AuthClientSecretBasic, ``), false, jwtSecret, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, shown, err := replaceWith(t, tt.existing, tt.body)
			if err != nil {
				t.Fatalf("%v %q", err, causes(err))
			}
			if (shown != "") != tt.wantShown {
				t.Errorf("shown %q", shown)
			}
			if tt.wantHashOf == "" {
				if secretHash(a) != nil {
					t.Error("hash kept")
				}
			} else if !secret.Matches(tt.wantHashOf, secretHash(a)) {
				t.Error("wrong hash")
			}
			if (sealedOf(a) != nil) != tt.wantSealed {
				t.Errorf("sealed %q", sealedOf(a))
			}
		})
	}

	// A public client becoming confidential gets a secret.
	pub, _ := mustApp(t, nativeBody)
	a, shown, err := replaceWith(t, pub, strings.Replace(nativeBody, `"none"`, `"client_secret_basic"`, 1))
	if err != nil || len(shown) != 40 || !secret.Matches(shown, secretHash(a)) {
		t.Fatalf("none → basic: %v %q", err, shown)
	}
}

func TestAppUpdateImmutables(t *testing.T) {
	orig, _ := mustApp(t, webBody)
	orig.Status = store.StatusInactive
	orig.CreatedByDCR = true
	orig.Credentials.Signing = &store.AppSigning{KID: "sig-kid"}

	a, _, err := replaceWith(t, orig, `{"id":"`+orig.ID+`","label":"renamed","credentials":{"oauthClient":{"client_id":"`+orig.ClientID+`"}},
		"settings":{"oauthClient":{"grant_types":["authorization_code"],"redirect_uris":["https://b.example.com/cb"]}}}`)
	if err != nil {
		t.Fatalf("%v %q", err, causes(err))
	}
	if a.ID != orig.ID || a.ClientID != orig.ClientID || a.Status != store.StatusInactive || !a.Created.Equal(orig.Created) ||
		!a.LastUpdated.Equal(testNow.Add(time.Second)) || !a.CreatedByDCR || a.Credentials.Signing.KID != "sig-kid" ||
		a.Settings.OAuthClient.ApplicationType != service.TypeWeb || a.Label != "renamed" {
		t.Fatalf("update lost identity: %+v", a)
	}
	if a.Credentials.Signing == orig.Credentials.Signing {
		t.Error("signing shared with the stored app")
	}

	_, _, err = replaceWith(t, orig, `{"id":"0oaOTHER00000000000","label":"x","credentials":{"oauthClient":{"client_id":"another-id"}},
		"settings":{"oauthClient":{"application_type":"service","grant_types":["client_credentials"]}}}`)
	for _, c := range []string{
		"id: The id of an application cannot be changed.",
		"client_id: The client_id of an application cannot be changed.",
		"application_type: The application_type of an application cannot be changed.",
	} {
		wantCause(t, err, c)
	}
	if e := err.(*oktaerr.Error); e.Summary != "Api validation failed: id" {
		t.Errorf("summary %q", e.Summary)
	}
}

func TestAppKeyIDs(t *testing.T) {
	k1, k2 := jwktest.RSAPub(t, "k1"), jwktest.JSON(t, &jwktest.Get().EC256.PublicKey, "k2", "sig", "ES256")
	body := func(keys ...string) string {
		return `{"label":"svc","credentials":{"oauthClient":{"token_endpoint_auth_method":"private_key_jwt"}},
			"settings":{"oauthClient":{"application_type":"service","grant_types":["client_credentials"],
			"jwks":{"keys":[` + strings.Join(keys, ",") + `]}}}}`
	}
	// Bookkeeping sent by the client is replaced.
	withFake := strings.Replace(k1, `{`, `{"id":"pksFAKE","status":"INACTIVE","created":"1999-01-01T00:00:00.000Z",`, 1)
	a, sec := mustApp(t, body(withFake))
	if sec != "" {
		t.Error("private_key_jwt got a secret")
	}
	key := a.Settings.OAuthClient.JWKS.Keys[0]
	if !strings.HasPrefix(key.ID, "pks") || !idPattern.MatchString(key.ID) || key.Status != store.StatusActive ||
		key.Created != "2025-03-13T23:22:54.000Z" || key.LastUpdated != key.Created {
		t.Fatalf("bookkeeping %+v", key)
	}
	var members map[string]any
	if err := json.Unmarshal(key.JWK, &members); err != nil {
		t.Fatal(err)
	}
	if members["kid"] != "k1" || members["n"] == nil || members["id"] != nil {
		t.Fatalf("members %v", members)
	}

	// An update keeps an unchanged key's id and dates and gives a new key its own.
	b, _, err := replaceWith(t, a, body(k1, k2))
	if err != nil {
		t.Fatalf("%v %q", err, causes(err))
	}
	keys := b.Settings.OAuthClient.JWKS.Keys
	if keys[0].ID != key.ID || keys[0].Created != key.Created || keys[1].ID == key.ID || keys[1].Created != FormatTime(testNow.Add(time.Second)) {
		t.Fatalf("keys after update %+v", keys)
	}
	// The stored app is not touched.
	if len(a.Settings.OAuthClient.JWKS.Keys) != 1 {
		t.Fatal("existing app mutated")
	}
}

// TestAppJSONShape checks what SDKs decode: the Go SDK's required members
// and Okta's conventions.
func TestAppJSONShape(t *testing.T) {
	a, sec := mustApp(t, browserBody)
	out := AppToJSON(a, "https://idp.example.com/", "")
	m := decodeMap(t, out)
	for _, p := range [][]string{
		{"id"}, {"name"}, {"label"}, {"signOnMode"}, {"status"}, {"created"}, {"lastUpdated"},
		{"credentials"}, {"credentials", "oauthClient", "client_id"}, {"credentials", "oauthClient", "token_endpoint_auth_method"},
		{"credentials", "oauthClient", "autoKeyRotation"}, {"credentials", "oauthClient", "pkce_required"},
		{"credentials", "userNameTemplate", "template"},
		{"settings"}, {"settings", "oauthClient", "grant_types"}, {"settings", "oauthClient", "response_types"},
		{"settings", "oauthClient", "redirect_uris"}, {"settings", "oauthClient", "application_type"},
		{"settings", "oauthClient", "refresh_token", "rotation_type"}, {"settings", "oauthClient", "refresh_token", "leeway"},
		{"visibility", "hide", "iOS"}, {"accessibility", "selfService"}, {"features"},
		{"_links", "self", "href"}, {"_links", "users", "href"}, {"_links", "groups", "href"}, {"_links", "deactivate", "href"},
		{"_links", "appLinks"},
	} {
		if path(m, p...) == nil {
			t.Errorf("missing %s", strings.Join(p, "."))
		}
	}
	if path(m, "created") != "2025-03-13T23:22:54.000Z" {
		t.Errorf("created %v", path(m, "created"))
	}
	if path(m, "credentials", "oauthClient", "client_secret") != nil || sec != "" {
		t.Error("secret shown")
	}
	if f, ok := path(m, "features").([]any); !ok || len(f) != 0 {
		t.Errorf("features %v", path(m, "features"))
	}
	if h := path(m, "_links", "self", "href"); h != "https://idp.example.com/api/v1/apps/"+a.ID {
		t.Errorf("self %v", h)
	}
	if path(m, "_links", "activate") != nil || path(m, "_links", "clientCredentials") != nil {
		t.Errorf("links %v", path(m, "_links"))
	}
	if path(m, "accessibility", "errorRedirectUrl") != nil || path(m, "signing") != nil {
		t.Error("unexpected members")
	}

	// A service app: redirect_uris is [] not null, the secret is shown when given,
	// an inactive app links to activate, and credentials link to its secrets.
	svc, svcSecret := mustApp(t, serviceBody)
	svc.Status = store.StatusInactive
	svc.Credentials.Signing = &store.AppSigning{KID: "kid1"}
	m = decodeMap(t, AppToJSON(svc, "https://idp.example.com", svcSecret))
	if r, ok := path(m, "settings", "oauthClient", "redirect_uris").([]any); !ok || len(r) != 0 {
		t.Errorf("redirect_uris %v", path(m, "settings", "oauthClient", "redirect_uris"))
	}
	if path(m, "credentials", "oauthClient", "client_secret") != svcSecret || path(m, "credentials", "signing", "kid") != "kid1" {
		t.Error("secret or signing missing")
	}
	if path(m, "_links", "activate", "href") != "https://idp.example.com/api/v1/apps/"+svc.ID+"/lifecycle/activate" ||
		path(m, "_links", "deactivate") != nil {
		t.Errorf("links %v", path(m, "_links"))
	}
	if cc, ok := path(m, "_links", "clientCredentials").([]any); !ok || len(cc) != 1 || path(cc[0], "name") != "secrets" {
		t.Errorf("clientCredentials %v", path(m, "_links", "clientCredentials"))
	}
	if path(m, "settings", "oauthClient", "refresh_token") != nil {
		t.Error("refresh_token without the grant")
	}

	// A stored app with the grant but no settings (older data) still gets
	// rotation_type, which the Go SDK requires.
	old := cloneApp(t, a)
	old.Settings.OAuthClient.RefreshToken = nil
	old.Settings.OAuthClient.GrantTypes = nil
	old.Settings.OAuthClient.GrantTypes = []string{service.GrantAuthorizationCode, service.GrantRefreshToken}
	m = decodeMap(t, AppToJSON(old, "https://idp.example.com", ""))
	if path(m, "settings", "oauthClient", "refresh_token", "rotation_type") != service.RotationRotate {
		t.Error("rotation_type missing")
	}
	if old.Settings.OAuthClient.RefreshToken != nil {
		t.Error("AppToJSON mutated the app")
	}
	nilGrants := cloneApp(t, a)
	nilGrants.Settings.OAuthClient.GrantTypes = nil
	if g, ok := path(decodeMap(t, AppToJSON(nilGrants, "https://idp.example.com", "")), "settings", "oauthClient", "grant_types").([]any); !ok || len(g) != 0 {
		t.Error("grant_types not [] when unset")
	}
}

// TestAppRoundTrip stores what a client sent, renders it, sends the
// rendering back as an update (what SDKs and Terraform do) and expects the
// same app, unknown members included.
func TestAppRoundTrip(t *testing.T) {
	body := `{"label":"Round trip","profile":{"a":[1,2]},
		"credentials":{"oauthClient":{"token_endpoint_auth_method":"private_key_jwt"}},
		"settings":{"app":{},"notes":{"admin":"hi","enduser":null},"implicitAssignment":false,
			"notifications":{"vpn":{"network":{"connection":"DISABLED"},"message":null,"helpUrl":null}},
			"oauthClient":{"application_type":"web","grant_types":["authorization_code","refresh_token","client_credentials"],
			"redirect_uris":["https://a.example.com/cb"],"post_logout_redirect_uris":["https://a.example.com/"],
			"response_types":["code"],"refresh_token":{"rotation_type":"ROTATE","leeway":0},
			"idp_initiated_login":{"mode":"DISABLED","default_scope":[]},"network":{"connection":"ANYWHERE"},
			"id_token_encrypted_response_alg":"RSA-OAEP-256","future_member":{"x":true},
			"jwks":{"keys":[` + jwktest.RSAPub(t, "k1") + `]}}}}`
	first, _ := mustApp(t, body)

	rendered, err := json.Marshal(AppToJSON(first, "https://idp.example.com", ""))
	if err != nil {
		t.Fatal(err)
	}
	second, shown, err := AppFromRequest(rendered, first, testNow.Add(time.Minute))
	if err != nil {
		t.Fatalf("%v %q", err, causes(err))
	}
	if shown != "" {
		t.Error("secret appeared")
	}
	second.LastUpdated = first.LastUpdated
	a, b := decodeMap(t, first), decodeMap(t, second)
	if !jsonEqual(a, b) {
		t.Fatalf("round trip changed the app\nfirst  %s\nsecond %s", mustJSON(first), mustJSON(second))
	}
	oc := decodeMap(t, second.Settings)["oauthClient"].(map[string]any)
	if oc["future_member"] == nil || oc["id_token_encrypted_response_alg"] != "RSA-OAEP-256" || decodeMap(t, second.Settings)["notes"] == nil {
		t.Fatalf("unknown members lost: %s", mustJSON(second.Settings))
	}
}

func jsonEqual(a, b any) bool {
	return mustJSON(a) == mustJSON(b)
}

// TestAppCaseVariantMembers: a member spelled in another case must not ride
// along among the unknown members and replace the validated value once the
// store reads the settings back. The store drops such members when it
// decodes; what is validated is what is stored.
func TestAppCaseVariantMembers(t *testing.T) {
	body := `{"label":"x","settings":{"oauthclient":{"application_type":"web","grant_types":["authorization_code"],"redirect_uris":["javascript:alert(1)"]},
		"oauthClient":{"application_type":"web","grant_types":["authorization_code"],"redirect_uris":["https://ok.example.com/cb"]}}}`
	a, _, err := AppFromRequest([]byte(body), nil, testNow)
	if err != nil {
		t.Fatal(err)
	}
	stored := mustJSON(a.Settings)
	if strings.Contains(stored, "javascript") {
		t.Fatalf("case variant kept: %s", stored)
	}
	var back store.AppSettings
	if err := json.Unmarshal([]byte(stored), &back); err != nil || service.ValidateApp(&store.App{ID: a.ID, Name: a.Name, Label: a.Label, Status: a.Status,
		SignOnMode: a.SignOnMode, ClientID: a.ClientID, Credentials: a.Credentials, Settings: back}) != nil {
		t.Fatalf("read back settings do not validate: %v %s", err, stored)
	}
}

// secretHash and sealedOf read an app's first client secret, or nil.
func secretHash(a *store.App) []byte {
	if len(a.Secrets) == 0 {
		return nil
	}
	return a.Secrets[0].Hash
}

func sealedOf(a *store.App) []byte {
	if len(a.Secrets) == 0 {
		return nil
	}
	return a.Secrets[0].Sealed
}

// TestECKeyWithoutCurve: an EC key without crv, as the Terraform provider
// sends one, takes the curve its coordinates' length names; a length that
// names no curve is refused with a cause that says so.
func TestECKeyWithoutCurve(t *testing.T) {
	for _, key := range []*ecdsa.PrivateKey{jwktest.Get().EC256, jwktest.Get().EC384} {
		var m map[string]any
		if err := json.Unmarshal([]byte(jwktest.JSON(t, &key.PublicKey, "ec", "", "")), &m); err != nil {
			t.Fatal(err)
		}
		want := m["crv"]
		delete(m, "crv")
		raw, _ := json.Marshal(m)
		body := strings.Replace(serviceBody, `"grant_types"`, `"jwks":{"keys":[`+string(raw)+`]},"grant_types"`, 1)
		body = strings.Replace(body, `{"label"`, `{"credentials":{"oauthClient":{"token_endpoint_auth_method":"private_key_jwt"}},"label"`, 1)
		a, _, err := AppFromRequest([]byte(body), nil, testNow)
		if err != nil {
			t.Fatalf("%v: %v %q", want, err, causes(err))
		}
		var got map[string]any
		if err := json.Unmarshal(a.Settings.OAuthClient.JWKS.Keys[0].JWK, &got); err != nil {
			t.Fatal(err)
		}
		if got["crv"] != want || got["x"] != m["x"] {
			t.Fatalf("stored %v, want crv %v", got, want)
		}
	}
	// 20-byte coordinates name no curve.
	short := `{"kty":"EC","kid":"x","x":"` + strings.Repeat("A", 27) + `","y":"` + strings.Repeat("A", 27) + `"}`
	body := strings.Replace(serviceBody, `"grant_types"`, `"jwks":{"keys":[`+short+`]},"grant_types"`, 1)
	_, _, err := AppFromRequest([]byte(body), nil, testNow)
	if err == nil || !strings.Contains(strings.Join(causes(err), " "), "'crv' is required") {
		t.Fatalf("ambiguous EC key: %v %q", err, causes(err))
	}
}
