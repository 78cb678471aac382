package mgmt

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/jwktest"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

func mustClient(t *testing.T, body string, existing *store.App) (*store.App, string) {
	t.Helper()
	a, s, err := ClientFromRequest([]byte(body), existing, testNow)
	if err != nil {
		t.Fatalf("ClientFromRequest: %v", err)
	}
	return a, s
}

func TestClientDefaults(t *testing.T) {
	a, sec := mustClient(t, `{"client_name":"Reg","redirect_uris":["https://rp.example.com/cb"]}`, nil)
	oc := a.Settings.OAuthClient
	cr := a.Credentials.OAuthClient
	if a.Label != "Reg" || a.Name != service.AppName || a.SignOnMode != service.SignOnModeOIDC || !a.CreatedByDCR || a.Status != store.StatusActive || a.ClientID != a.ID {
		t.Errorf("app %+v", a)
	}
	if oc.ApplicationType != service.TypeWeb || !slices.Equal(oc.GrantTypes, []string{service.GrantAuthorizationCode}) ||
		!slices.Equal(oc.ResponseTypes, []string{"code"}) || oc.ConsentMethod != service.ConsentRequired ||
		oc.IssuerMode != service.IssuerOrgURL || oc.WildcardRedirect != service.WildcardDisabled {
		t.Errorf("settings %+v", oc)
	}
	if cr.TokenEndpointAuthMethod != service.AuthClientSecretBasic || cr.PKCERequired || !cr.AutoKeyRotation || cr.ClientID != a.ID {
		t.Errorf("credentials %+v", cr)
	}
	if len(sec) != 40 || !secret.Matches(sec, secretHash(a)) {
		t.Errorf("secret %q", sec)
	}

	// The OpenMetadata guide's service client: private_key_jwt with a jwks.
	svc, sec := mustClient(t, `{"client_name":"om-ingestion","application_type":"service","token_endpoint_auth_method":"private_key_jwt",
		"jwks":{"keys":[`+jwktest.RSAPub(t, "om")+`]}}`, nil)
	if sec != "" || secretHash(svc) != nil {
		t.Error("private_key_jwt client got a secret")
	}
	if oc := svc.Settings.OAuthClient; !slices.Equal(oc.GrantTypes, []string{service.GrantClientCredentials}) || !slices.Equal(oc.ResponseTypes, []string{"token"}) ||
		!strings.HasPrefix(oc.JWKS.Keys[0].ID, "pks") {
		t.Errorf("service %+v", oc)
	}

	spa, sec := mustClient(t, `{"client_name":"spa","application_type":"browser","redirect_uris":["http://localhost:3000/cb"],
		"grant_types":["authorization_code","refresh_token"]}`, nil)
	if sec != "" || spa.Credentials.OAuthClient.TokenEndpointAuthMethod != service.AuthNone || !spa.Credentials.OAuthClient.PKCERequired ||
		spa.Settings.OAuthClient.RefreshToken.RotationType != service.RotationRotate {
		t.Errorf("browser %+v", spa)
	}
}

func TestClientIgnoresWhatDCRCannotSet(t *testing.T) {
	a, sec := mustClient(t, `{"client_name":"x","redirect_uris":["https://rp.example.com/cb"],"client_id":"chosen-id",
		"client_secret":"chosen-secret-value","consent_method":"TRUSTED","contacts":["a@b.c"],"id_token_encrypted_response_alg":"RSA-OAEP"}`, nil)
	if a.ClientID == "chosen-id" || sec == "chosen-secret-value" || secret.Matches("chosen-secret-value", secretHash(a)) ||
		a.Settings.OAuthClient.ConsentMethod != service.ConsentRequired || a.Settings.OAuthClient.Extra != nil {
		t.Fatalf("DCR honoured a member it cannot set: %+v", a)
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"client_name", `{"redirect_uris":["https://rp.example.com/cb"]}`, "client_name: The field cannot be left blank"},
		{"malformed", `{"client_name":`, "The request body was not well-formed."},
		{"empty", ``, "The request body was not well-formed."},
		{"wrong type", `{"client_name":"x","redirect_uris":"https://rp.example.com/cb"}`, "redirect_uris: The value must be an array."},
		{"several", `{"client_name":"","redirect_uris":["ftp://rp.example.com/cb"]}`,
			"client_name: The field cannot be left blank; redirect_uris: 'ftp://rp.example.com/cb' must use https."},
		{"grant for type", `{"client_name":"x","application_type":"browser","grant_types":["client_credentials"]}`,
			"grant_types: 'client_credentials' is not allowed for application_type 'browser'. Valid values: [authorization_code, implicit, refresh_token]."},
		{"private_key_jwt without keys", `{"client_name":"x","application_type":"service","token_endpoint_auth_method":"private_key_jwt"}`,
			"jwks: 'jwks' or 'jwks_uri' is required when token_endpoint_auth_method is 'private_key_jwt'."},
		{"unknown type", `{"client_name":"x","application_type":"spa","redirect_uris":["https://rp.example.com/cb"]}`,
			"application_type: 'application_type' is invalid. Valid values: [web, native, browser, service]."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, sec, err := ClientFromRequest([]byte(tt.body), nil, testNow)
			if a != nil || sec != "" || err == nil {
				t.Fatalf("accepted %+v", a)
			}
			if err.Status != 400 || err.Code != "invalid_client_metadata" || err.Description != tt.want {
				t.Fatalf("got %d %q %q", err.Status, err.Code, err.Description)
			}
		})
	}
	// The wire shape of §2.10.
	_, _, err := ClientFromRequest([]byte(`{"redirect_uris":["https://rp.example.com/cb"]}`), nil, testNow)
	b, _ := json.Marshal(err)
	if string(b) != `{"error":"invalid_client_metadata","error_description":"client_name: The field cannot be left blank"}` {
		t.Fatalf("wire %s", b)
	}
	if err.Error() != "invalid_client_metadata: client_name: The field cannot be left blank" {
		t.Fatalf("Error() %q", err.Error())
	}
}

func TestClientUpdate(t *testing.T) {
	// An app made through the Apps API, then replaced through DCR.
	orig, origSecret := mustApp(t, `{"label":"Orig","profile":{"p":1},
		"credentials":{"oauthClient":{"autoKeyRotation":false,"pkce_required":true},"userNameTemplate":{"template":"${source.email}","type":"CUSTOM"}},
		"settings":{"notes":{"admin":"keep me"},"oauthClient":{"application_type":"web",
		"grant_types":["authorization_code","refresh_token"],"redirect_uris":["https://a.example.com/cb"],
		"refresh_token":{"rotation_type":"ROTATE","leeway":5},"issuer_mode":"DYNAMIC","consent_method":"TRUSTED","x_future":1}}}`)
	orig.Status = store.StatusInactive

	later := testNow.Add(time.Hour)
	a, sec, err := ClientFromRequest([]byte(`{"client_id":"`+orig.ClientID+`","client_name":"Renamed",
		"redirect_uris":["https://b.example.com/cb"],"grant_types":["authorization_code","refresh_token"]}`), orig, later)
	if err != nil {
		t.Fatal(err)
	}
	oc := a.Settings.OAuthClient
	if sec != "" || !secret.Matches(origSecret, secretHash(a)) {
		t.Error("secret not kept")
	}
	if a.ID != orig.ID || a.ClientID != orig.ClientID || a.Status != store.StatusInactive || a.Label != "Renamed" || a.CreatedByDCR ||
		!a.Created.Equal(testNow) || !a.LastUpdated.Equal(later) || a.Profile["p"] == nil {
		t.Errorf("identity %+v", a)
	}
	if oc.IssuerMode != service.IssuerDynamic || oc.ConsentMethod != service.ConsentTrusted || *oc.RefreshToken != (store.RefreshTokenSettings{RotationType: service.RotationRotate, Leeway: 5}) ||
		oc.Extra["x_future"] == nil || a.Settings.Extra["notes"] == nil || oc.RedirectURIs[0] != "https://b.example.com/cb" {
		t.Errorf("settings not kept: %s", mustJSON(a.Settings))
	}
	if cr := a.Credentials.OAuthClient; cr.AutoKeyRotation || !cr.PKCERequired || a.Credentials.UserNameTemplate.Type != "CUSTOM" {
		t.Errorf("credentials not kept: %+v", cr)
	}
	if orig.Settings.OAuthClient.RedirectURIs[0] != "https://a.example.com/cb" || orig.Label != "Orig" {
		t.Error("stored app mutated")
	}

	_, _, err = ClientFromRequest([]byte(`{"client_id":"someone-else","client_name":"x","application_type":"native",
		"redirect_uris":["https://b.example.com/cb"]}`), orig, later)
	if err == nil || !strings.Contains(err.Description, "client_id: The client_id of a client cannot be changed.") ||
		!strings.Contains(err.Description, "application_type: The application_type of a client cannot be changed.") {
		t.Fatalf("immutables: %v", err)
	}

	// Switching to client_secret_jwt needs the secret itself: a new one is made.
	j, sec, err := ClientFromRequest([]byte(`{"client_name":"x","redirect_uris":["https://b.example.com/cb"],
		"token_endpoint_auth_method":"client_secret_jwt"}`), orig, later)
	if err != nil || sec == "" || !secret.Matches(sec, secretHash(j)) {
		t.Fatalf("jwt switch: %v %q", err, sec)
	}
}

func TestClientToJSON(t *testing.T) {
	a, sec := mustClient(t, `{"client_name":"Reg","redirect_uris":["https://rp.example.com/cb"],
		"post_logout_redirect_uris":["https://rp.example.com/"],"logo_uri":"https://rp.example.com/logo.png",
		"client_uri":"https://rp.example.com","policy_uri":"https://rp.example.com/p","tos_uri":"https://rp.example.com/t",
		"initiate_login_uri":"https://rp.example.com/login","request_object_signing_alg":"RS256",
		"frontchannel_logout_uri":"https://rp.example.com/fcl","frontchannel_logout_session_required":true}`, nil)
	m := decodeMap(t, ClientToJSON(a, sec))
	want := map[string]any{
		"client_id": a.ID, "client_secret": sec, "client_id_issued_at": float64(testNow.Unix()), "client_secret_expires_at": float64(0),
		"client_name": "Reg", "application_type": "web", "token_endpoint_auth_method": "client_secret_basic",
		"logo_uri": "https://rp.example.com/logo.png", "client_uri": "https://rp.example.com", "policy_uri": "https://rp.example.com/p",
		"tos_uri": "https://rp.example.com/t", "initiate_login_uri": "https://rp.example.com/login", "request_object_signing_alg": "RS256",
		"frontchannel_logout_uri": "https://rp.example.com/fcl", "frontchannel_logout_session_required": true,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if mustJSON(m["redirect_uris"]) != `["https://rp.example.com/cb"]` || mustJSON(m["grant_types"]) != `["authorization_code"]` ||
		mustJSON(m["response_types"]) != `["code"]` || mustJSON(m["post_logout_redirect_uris"]) != `["https://rp.example.com/"]` {
		t.Errorf("lists %v", m)
	}
	if _, ok := m["jwks"]; ok {
		t.Error("jwks without keys")
	}
	// Read back later: no secret.
	m = decodeMap(t, ClientToJSON(a, ""))
	if _, ok := m["client_secret"]; ok {
		t.Error("secret shown")
	}
	// A service client has [] redirect_uris, its keys, and a zero issue time stays 0.
	svc, _ := mustClient(t, `{"client_name":"svc","application_type":"service","token_endpoint_auth_method":"private_key_jwt",
		"jwks":{"keys":[`+jwktest.RSAPub(t, "om")+`]}}`, nil)
	svc.Created = time.Time{}
	m = decodeMap(t, ClientToJSON(svc, ""))
	if mustJSON(m["redirect_uris"]) != `[]` || path(m, "jwks") == nil || m["client_id_issued_at"] != float64(0) {
		t.Errorf("service client %v", m)
	}
}
