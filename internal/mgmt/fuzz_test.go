package mgmt

import (
	"encoding/json"
	"testing"

	"github.com/sesame-idp/sesame/internal/jwktest"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

func appSeeds(t testing.TB) []string {
	k := jwktest.Get()
	return []string{
		webBody, nativeBody, browserBody, serviceBody,
		`{"name":"oidc_client","label":"My SPA","signOnMode":"OPENID_CONNECT",
		 "credentials":{"oauthClient":{"token_endpoint_auth_method":"none","pkce_required":true}},
		 "settings":{"oauthClient":{"application_type":"browser","redirect_uris":["https://app/cb"],
		 "post_logout_redirect_uris":["https://app/"],"response_types":["code"],
		 "grant_types":["authorization_code","refresh_token"],"refresh_token":{"rotation_type":"ROTATE","leeway":30}}}}`,
		`{"label":"svc","credentials":{"oauthClient":{"token_endpoint_auth_method":"private_key_jwt"}},
		 "settings":{"oauthClient":{"application_type":"service","grant_types":["client_credentials"],
		 "jwks":{"keys":[` + jwktest.RSAPub(t, "k1") + `,` + jwktest.JSON(t, &k.EC256.PublicKey, "k2", "", "ES256") + `]}}}}`,
		`{"label":"jwt","credentials":{"oauthClient":{"token_endpoint_auth_method":"client_secret_jwt","client_secret":"0123456789abcdef0123456789abcdef"}},
		 "settings":{"oauthClient":{"application_type":"web","grant_types":["authorization_code"],"redirect_uris":["https://a.example.com/cb"],
		 "wildcard_redirect":"SUBDOMAIN","post_logout_redirect_uris":["https://*.example.com/"]}},"profile":{"x":[1,{"y":null}]}}`,
		`{"label":"x","settings":{"app":{},"notes":{"admin":"a"},"oauthClient":{"application_type":"native","grant_types":["authorization_code","password","refresh_token"],
		 "redirect_uris":["com.example:/cb","http://127.0.0.1:1/cb"],"idp_initiated_login":{"mode":"SPEC","default_scope":[]},
		 "initiate_login_uri":"https://a.example.com/login","future":{"a":1}}}}`,
		`{"label":"bad","settings":{"oauthClient":{"application_type":"web","grant_types":["implicit","foo"],"redirect_uris":["http://x/#f"],
		 "jwks":{"keys":[{"kty":"oct","k":"AA"},null,{"kty":"RSA","n":"AQAB","e":"AQAB","kid":1}]},"refresh_token":{"leeway":99}}}}`,
		`{"label":`, `null`, `[]`, `{}`, `{"settings":{"oauthClient":{"grant_types":"x"}}}`,
		`{"label":"x","settings":{"oauthclient":{"application_type":"web"},"oauthClient":{"application_type":"web",
		 "grant_types":["authorization_code"],"redirect_uris":["https://ok.example.com/cb"],"Grant_types":["implicit"]}}}`,
	}
}

// FuzzAppFromRequest checks that no body panics the decoder or validator,
// that whatever is accepted is valid, that a shown secret is the stored
// one, and that an accepted app renders and can be sent back unchanged.
func FuzzAppFromRequest(f *testing.F) {
	for _, s := range appSeeds(f) {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	existing, _ := mustApp(f, webBody)
	f.Fuzz(func(t *testing.T, body []byte, update bool) {
		var prev *store.App
		if update {
			prev = cloneApp(t, existing)
		}
		a, shown, err := AppFromRequest(body, prev, testNow)
		if err != nil {
			if a != nil || shown != "" {
				t.Fatal("refusal returned an app or a secret")
			}
			return
		}
		if e := service.ValidateApp(a); e != nil {
			t.Fatalf("accepted an invalid app: %q", causes(e))
		}
		if shown != "" && !secret.Matches(shown, secretHash(a)) {
			t.Fatal("shown secret does not match the stored hash")
		}
		if service.UsesClientSecret(a.ClientAuthMethod()) != (len(secretHash(a)) > 0) {
			t.Fatal("secret hash does not follow the auth method")
		}
		checkReload(t, a)
		rendered, jerr := json.Marshal(AppToJSON(a, "https://idp.example.com", shown))
		if jerr != nil {
			t.Fatalf("render: %v", jerr)
		}
		if _, _, err := AppFromRequest(rendered, a, testNow); err != nil {
			t.Fatalf("own rendering refused: %v %q\n%s", err, causes(err), rendered)
		}
	})
}

// FuzzClientFromRequest is the same for dynamic client registration.
func FuzzClientFromRequest(f *testing.F) {
	seeds := []string{
		`{"client_name":"Reg","redirect_uris":["https://rp.example.com/cb"]}`,
		`{"client_name":"om","application_type":"service","token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[` + jwktest.RSAPub(f, "om") + `]}}`,
		`{"client_name":"spa","application_type":"browser","redirect_uris":["http://localhost:3000/cb"],"grant_types":["authorization_code","refresh_token","implicit"],"response_types":["code","id_token"]}`,
		`{"client_name":"n","application_type":"native","redirect_uris":["com.example:/cb"],"token_endpoint_auth_method":"none","logo_uri":"https://x.example.com/l.png","frontchannel_logout_session_required":true}`,
		`{"client_name":"","redirect_uris":"x"}`, `{`, `null`, `{"client_id":"x","client_secret":"y","consent_method":"TRUSTED"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	existing, _ := mustApp(f, webBody)
	f.Fuzz(func(t *testing.T, body []byte, update bool) {
		var prev *store.App
		if update {
			prev = cloneApp(t, existing)
		}
		a, shown, err := ClientFromRequest(body, prev, testNow)
		if err != nil {
			if a != nil || shown != "" || err.Code != ErrInvalidClientMetadata || err.Status != 400 || err.Description == "" {
				t.Fatalf("bad refusal %+v", err)
			}
			return
		}
		if e := service.ValidateApp(a); e != nil {
			t.Fatalf("accepted an invalid client: %q", causes(e))
		}
		if shown != "" && !secret.Matches(shown, secretHash(a)) {
			t.Fatal("shown secret does not match the stored hash")
		}
		checkReload(t, a)
		if prev == nil && !a.CreatedByDCR {
			t.Fatal("not marked as registered")
		}
		rendered, jerr := json.Marshal(ClientToJSON(a, shown))
		if jerr != nil {
			t.Fatalf("render: %v", jerr)
		}
		if _, _, err := ClientFromRequest(rendered, a, testNow); err != nil {
			t.Fatalf("own rendering refused: %v\n%s", err, rendered)
		}
	})
}

func FuzzGrantFromRequest(f *testing.F) {
	for _, s := range []string{`{"scopeId":"okta.users.read","issuer":"https://idp.example.com"}`, `{}`, `{"scopeId":1}`, `x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		scope, iss, err := GrantFromRequest(body)
		if err == nil && (!IsOktaScope(scope) || iss == "") {
			t.Fatalf("accepted %q %q", scope, iss)
		}
	})
}

// checkReload stores the settings as a backend does (JSON) and reads them
// back: what was validated must be what is loaded.
func checkReload(t *testing.T, a *store.App) {
	t.Helper()
	stored, err := json.Marshal(a.Settings)
	if err != nil {
		t.Fatalf("store: %v", err)
	}
	var back store.AppSettings
	if err := json.Unmarshal(stored, &back); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if again, _ := json.Marshal(back); string(again) != string(stored) {
		t.Fatalf("settings change when reloaded:\n%s\n%s", stored, again)
	}
	if e := service.ValidateApp(&store.App{Name: a.Name, Label: a.Label, Status: a.Status, SignOnMode: a.SignOnMode, ClientID: a.ClientID,
		Credentials: a.Credentials, Settings: back}); e != nil {
		t.Fatalf("reloaded app invalid: %q", causes(e))
	}
}
