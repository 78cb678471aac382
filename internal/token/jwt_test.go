package token

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

func testKey(t testing.TB) *Key {
	t.Helper()
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{KID: "kid-" + t.Name(), Private: pk}
}

func TestHeaderIsKidThenAlg(t *testing.T) {
	k := testKey(t)
	tok, err := Sign(k, map[string]int{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"kid":"` + k.KID + `","alg":"RS256"}`; string(h) != want {
		t.Fatalf("header %s, want %s", h, want)
	}
}

// A third-party verifier (go-jose through go-oidc) accepts what we mint.
func TestMintedTokenVerifiesWithGoOIDC(t *testing.T) {
	k := testKey(t)
	now := time.Now()
	tok, claims, err := MintAccess(k, Access{Issuer: "http://localhost/oauth2/default", Audience: "api://default",
		ClientID: "0oa123", Subject: "0oa123", Scopes: []string{"a", "b"}, Lifetime: time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	ks := &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{&k.Private.PublicKey}}
	payload, err := ks.VerifySignature(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(payload, &got); err != nil {
		t.Fatal(err)
	}
	if got["jti"] != claims.JTI || got["cid"] != "0oa123" || got["exp"].(float64) != float64(now.Add(time.Hour).Unix()) {
		t.Fatalf("claims %v", got)
	}
	if _, ok := got["uid"]; ok {
		t.Fatal("uid present on a token without user")
	}
	if scp, _ := got["scp"].([]any); len(scp) != 2 {
		t.Fatalf("scp %v", got["scp"])
	}
}

func TestVerifyRejects(t *testing.T) {
	k := testKey(t)
	other := testKey(t)
	other.KID = "other"
	keys := func(kid string) *rsa.PublicKey {
		if kid == k.KID {
			return &k.Private.PublicKey
		}
		return nil
	}
	good, _, err := MintAccess(k, Access{Lifetime: time.Minute}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := MintAccess(&Key{KID: k.KID, Private: other.Private}, Access{Lifetime: time.Minute}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	unknown, _, err := MintAccess(other, Access{Lifetime: time.Minute}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"kid":"`+k.KID+`","alg":"none"}`)) + "." + parts[1] + "."
	// An HS256 token keyed with the public key must not pass as RS256.
	hs, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: k.Private.PublicKey.N.Bytes()},
		(&jose.SignerOptions{}).WithHeader("kid", k.KID))
	if err != nil {
		t.Fatal(err)
	}
	hsObj, err := hs.Sign([]byte(`{"jti":"AT.x","exp":9999999999}`))
	if err != nil {
		t.Fatal(err)
	}
	hsTok, err := hsObj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct {
		tok  string
		want error
	}{
		"empty":        {"", ErrMalformed},
		"two parts":    {parts[0] + "." + parts[1], ErrMalformed},
		"four parts":   {good + ".x", ErrMalformed},
		"bad base64":   {"!!." + parts[1] + "." + parts[2], ErrMalformed},
		"alg none":     {none, ErrMalformed},
		"hs256":        {hsTok, ErrMalformed},
		"unknown kid":  {unknown, ErrUnknownKey},
		"forged":       {forged, ErrSignature},
		"payload swap": {parts[0] + "." + strings.Split(unknown, ".")[1] + "." + parts[2], ErrSignature},
	}
	for name, c := range cases {
		if _, err := ParseAccess(c.tok, keys); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
	if _, err := ParseAccess(good, keys); err != nil {
		t.Fatalf("good token refused: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	k := testKey(f)
	good, _, err := MintAccess(k, Access{Lifetime: time.Minute}, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30.")
	keys := func(kid string) *rsa.PublicKey { return &k.Private.PublicKey }
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := ParseAccess(tok, keys)
		if err == nil && tok != good && c.JTI == "" {
			t.Fatalf("accepted %q without jti", tok)
		}
	})
}
