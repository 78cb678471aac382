package token

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Custom claims follow the standard ones and can never replace them.
func TestMintAccessExtra(t *testing.T) {
	k := testKey(t)
	now := time.Unix(1700000000, 0)
	tok, _, err := MintAccess(k, Access{
		Issuer: "https://org/oauth2/default", Audience: "api://default", ClientID: "0oa1", Subject: "0oa1",
		Scopes: []string{"s"}, Lifetime: time.Hour,
		Extra: map[string]any{"svc": "0oa1@svc", "sub": "evil", "cid": "evil", "n": 2.0},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(payload), `"sub":"0oa1","n":2,"svc":"0oa1@svc"}`) {
		t.Fatalf("payload %s", payload)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	if m["sub"] != "0oa1" || m["cid"] != "0oa1" || m["svc"] != "0oa1@svc" {
		t.Fatalf("claims %v", m)
	}
	if strings.Count(string(payload), `"sub"`) != 1 {
		t.Fatalf("duplicate sub in %s", payload)
	}
}
