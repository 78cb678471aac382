package store

import (
	"encoding/json"
	"testing"
)

func TestSettingsRoundTripKeepsUnknownMembers(t *testing.T) {
	in := `{"oauthClient":{"application_type":"service","grant_types":["client_credentials"],"future_field":{"a":1},
	"jwks":{"keys":[{"kty":"RSA","kid":"k1","e":"AQAB","n":"xyz","id":"pks1","status":"ACTIVE"}]}},"notes":{"admin":"hi"}}`
	var s AppSettings
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if s.OAuthClient.ApplicationType != "service" || string(s.OAuthClient.Extra["future_field"]) != `{"a":1}` {
		t.Fatalf("decoded %+v", s.OAuthClient)
	}
	if string(s.Extra["notes"]) != `{"admin":"hi"}` {
		t.Fatalf("extra %v", s.Extra)
	}
	k := s.OAuthClient.JWKS.Keys[0]
	if k.ID != "pks1" || k.Status != "ACTIVE" {
		t.Fatalf("key bookkeeping %+v", k)
	}
	var members map[string]string
	if err := json.Unmarshal(k.JWK, &members); err != nil || members["kid"] != "k1" || members["n"] != "xyz" || members["id"] != "" {
		t.Fatalf("key members %s", k.JWK)
	}
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	oc := back["oauthClient"].(map[string]any)
	if oc["future_field"] == nil || back["notes"] == nil {
		t.Fatalf("lost members: %s", out)
	}
	key := oc["jwks"].(map[string]any)["keys"].([]any)[0].(map[string]any)
	if key["kid"] != "k1" || key["id"] != "pks1" {
		t.Fatalf("key not merged: %v", key)
	}
}

// A member that differs from a known one only in case must not survive as
// an extra member: it would replace the validated value when read back.
func TestCaseVariantMembersAreNotKept(t *testing.T) {
	in := `{"oauthclient":{"application_type":"web","redirect_uris":["javascript:alert(1)"]},
	"oauthClient":{"application_type":"web","redirect_uris":["https://ok.example.com/cb"],"Redirect_URIs":["javascript:x"]}}`
	var s AppSettings
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(s)
	var back AppSettings
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.OAuthClient.RedirectURIs) != 1 || back.OAuthClient.RedirectURIs[0] != s.OAuthClient.RedirectURIs[0] {
		t.Fatalf("decoded %v, read back %v (stored %s)", s.OAuthClient.RedirectURIs, back.OAuthClient.RedirectURIs, out)
	}
	if len(s.Extra) != 0 || len(s.OAuthClient.Extra) != 0 {
		t.Fatalf("case variants kept as extra: %v %v", s.Extra, s.OAuthClient.Extra)
	}
}
