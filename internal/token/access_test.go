package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/jsonenc"
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

// TestAccessClaimsEncoding: the hand-written encoding is what json.Marshal
// writes of the struct's tags, then the extra claims.
func TestAccessClaimsEncoding(t *testing.T) {
	for _, c := range []AccessClaims{
		{Ver: 1, JTI: "AT.x", Iss: "https://idp.test/oauth2/default", Aud: "api://default", Iat: 1, Exp: 3601, Cid: "c", Scp: []string{}, Sub: "c"},
		{Ver: 1, JTI: "AT.y", Iss: "i", Aud: "a<&>", Iat: 1, Exp: 2, Cid: "c", Uid: "00u1", Scp: []string{"openid", "x\"y"}, AuthTime: 7, Sub: "ü@example.com"},
		{Ver: 1, JTI: "AT.z", Scp: nil, Extra: map[string]any{"groups": []string{"a", "b"}, "sub": "dropped", "n": 3}},
	} {
		type plain AccessClaims
		want, err := json.Marshal((*plain)(&c))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Extra) > 0 {
			if want, err = appendExtra(want, c.Extra, standardAccessClaims); err != nil {
				t.Fatal(err)
			}
		}
		got, err := json.Marshal(&c)
		if err != nil || string(got) != string(want) {
			t.Errorf("got %s (%v), want %s", got, err, want)
		}
	}
}

// BenchmarkAccessEncoding: the claims and header of an access token, as
// json.Marshal encoded them before (reflection, then json.Marshal's check of
// a MarshalJSON result) and as appended now.
func BenchmarkAccessEncoding(b *testing.B) {
	c := &AccessClaims{Ver: 1, JTI: NewAccessJTI(), Iss: "http://127.0.0.1:8080/oauth2/default", Aud: "api://default", Iat: 1700000000,
		Exp: 1700003600, Cid: "0oabenchclient0000001", Scp: []string{"bench:read"}, Sub: "0oabenchclient0000001"}
	b.Run("reflection", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			type plain AccessClaims
			p, _ := json.Marshal((*plain)(c))
			var buf bytes.Buffer
			_ = json.Compact(&buf, p)
			_, _ = json.Marshal(struct {
				KID string `json:"kid"`
				Alg string `json:"alg"`
			}{"kid", Alg})
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = c.appendJSON(make([]byte, 0, 512))
			_ = append(jsonenc.Member([]byte("{"), "kid", "kid"), `,"alg":"`+Alg+`"}`...)
		}
	})
}
