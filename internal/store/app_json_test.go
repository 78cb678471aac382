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
	json.Unmarshal(out, &back)
	oc := back["oauthClient"].(map[string]any)
	if oc["future_field"] == nil || back["notes"] == nil {
		t.Fatalf("lost members: %s", out)
	}
	key := oc["jwks"].(map[string]any)["keys"].([]any)[0].(map[string]any)
	if key["kid"] != "k1" || key["id"] != "pks1" {
		t.Fatalf("key not merged: %v", key)
	}
}
