package oauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sesame-idp/sesame/internal/store"
)

const jwtClient = "jwt-client" // private_key_jwt, an RSA and a P-256 key

var b64 = base64.RawURLEncoding

// signJWS signs header and claims as given (no checks: the point is to send
// what a broken or hostile client would).
func signJWS(t *testing.T, header string, claims map[string]any, key crypto.Signer) string {
	t.Helper()
	pb, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString(pb)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(nil, k, crypto.SHA256, digest[:])
	case *ecdsa.PrivateKey:
		var r, s interface{ FillBytes([]byte) []byte }
		rr, ss, e := ecdsa.Sign(rand.Reader, k, digest[:])
		r, s, err = rr, ss, e
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	case nil:
		sig = nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64.EncodeToString(sig)
}

func jwkOf(t *testing.T, kid string, pub crypto.PublicKey) json.RawMessage {
	t.Helper()
	b, err := jose.JSONWebKey{Key: pub, KeyID: kid, Use: "sig"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAssertionRefusals runs private_key_jwt assertions, good and bad,
// through verifyAssertion: each refusal is Okta's error for it, whichever
// way the signature is checked (the plain-header path or go-jose's).
func TestAssertionRefusals(t *testing.T) {
	f := newFixture(t)
	rsaKey := testKey("client-rsa").(*rsa.PrivateKey)
	otherKey := testKey("client-other").(*rsa.PrivateKey)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := f.app(t, jwtClient, "service", "private_key_jwt", "", store.StatusActive, grantClientCredentials)
	a.Settings.OAuthClient.JWKS = &store.AppJWKS{Keys: []store.AppJWK{
		{Status: store.StatusActive, JWK: jwkOf(t, "k1", &rsaKey.PublicKey)},
		{Status: store.StatusActive, JWK: jwkOf(t, "e1", &ecKey.PublicKey)},
	}}
	if err := f.st.InTx(f.ctx, func(tx store.Store) error {
		if err := tx.Apps().Update(f.ctx, a); err != nil {
			return err
		}
		return tx.Config().Bump(f.ctx)
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.cache.Load(f.ctx, false); err != nil {
		t.Fatal(err)
	}
	snap := f.cache.Current()
	if app := snap.AppByClientID(jwtClient); app == nil || len(app.Keys) != 2 {
		t.Fatalf("client keys not loaded: %+v", app)
	}
	endpoint := f.s.baseAt(testOrgURL, snap.Servers["default"]) + "/v1/token"
	// The replay records expire on the store's own clock, the real one.
	now := time.Now()
	jti := 0
	claims := func(mod func(map[string]any)) map[string]any {
		jti++
		c := map[string]any{"iss": jwtClient, "sub": jwtClient, "aud": endpoint, "exp": now.Add(5 * time.Minute).Unix(),
			"iat": now.Unix(), "jti": "jti-" + strings.Repeat("x", jti)}
		if mod != nil {
			mod(c)
		}
		return c
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	hs256 := func(header string, c map[string]any) string {
		pb, _ := json.Marshal(c)
		input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString(pb)
		m := hmac.New(sha256.New, pubDER)
		m.Write([]byte(input))
		return input + "." + b64.EncodeToString(m.Sum(nil))
	}
	rs := `{"alg":"RS256","kid":"k1"}`
	replayed := signJWS(t, rs, claims(nil), rsaKey)
	withBreak := signJWS(t, rs, claims(nil), rsaKey)
	withBreak = withBreak[:10] + "\n" + withBreak[10:]
	flipped := signJWS(t, rs, claims(nil), rsaKey)
	flipped = flipped[:len(flipped)-3] + map[bool]string{true: "B", false: "A"}[flipped[len(flipped)-3] == 'A'] + flipped[len(flipped)-2:]
	shortES := signJWS(t, `{"alg":"ES256","kid":"e1"}`, claims(nil), ecKey)
	shortES = shortES[:len(shortES)-4]

	for _, tc := range []struct {
		name, assertion string
		want            *Error
	}{
		{"RS256", signJWS(t, rs, claims(nil), rsaKey), nil},
		{"RS256 with typ", signJWS(t, `{"typ":"JWT","alg":"RS256","kid":"k1"}`, claims(nil), rsaKey), nil},
		{"RS256 without kid", signJWS(t, `{"alg":"RS256"}`, claims(nil), rsaKey), nil},
		{"ES256", signJWS(t, `{"alg":"ES256","kid":"e1"}`, claims(nil), ecKey), nil},
		{"first use", replayed, nil},
		{"reused jti", replayed, errAssertionReplayed},
		{"go-jose path: an extra header member", signJWS(t, `{"alg":"RS256","kid":"k1","jku":"https://x.test"}`, claims(nil), rsaKey), nil},
		{"go-jose path: a line break", withBreak, nil},
		{"alg none", signJWS(t, `{"alg":"none"}`, claims(nil), nil), errAssertionAlg},
		{"alg missing", signJWS(t, `{"kid":"k1"}`, claims(nil), rsaKey), errAssertionAlg},
		{"wrong kid", signJWS(t, `{"alg":"RS256","kid":"k9"}`, claims(nil), rsaKey), errAssertionKID},
		{"RS256 naming the EC key", signJWS(t, `{"alg":"RS256","kid":"e1"}`, claims(nil), rsaKey), errAssertionKID},
		{"HS256 with the public key as secret", hs256(`{"alg":"HS256","kid":"k1"}`, claims(nil)), errAssertionAlg},
		{"another RSA key", signJWS(t, rs, claims(nil), otherKey), errAssertionSignature},
		{"a flipped signature", flipped, errAssertionSignature},
		{"an ES256 signature cut short", shortES, errAssertionSignature},
		{"signature not base64url", signJWS(t, rs, claims(nil), rsaKey) + "*", errAssertionJWT},
		{"crit header (go-jose path)", signJWS(t, `{"alg":"RS256","kid":"k1","crit":["exp"],"exp":1}`, claims(nil), rsaKey), errAssertionSignature},
		{"alg spelled ALG (go-jose path)", signJWS(t, `{"ALG":"RS256","kid":"k1"}`, claims(nil), rsaKey), errAssertionJWT},
		{"header not JSON", "bm90IGpzb24." + b64.EncodeToString([]byte("{}")) + ".c2ln", errAssertionJWT},
		{"expired", signJWS(t, rs, claims(func(c map[string]any) { c["exp"] = now.Add(-2 * time.Minute).Unix() }), rsaKey), errAssertionExpired},
		{"exp missing", signJWS(t, rs, claims(func(c map[string]any) { delete(c, "exp") }), rsaKey), errAssertionExpMissing},
		{"exp too far", signJWS(t, rs, claims(func(c map[string]any) { c["exp"] = now.Add(2 * time.Hour).Unix() }), rsaKey), errAssertionTooFar},
		{"iat in the future", signJWS(t, rs, claims(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() }), rsaKey), errAssertionIatFuture},
		{"aud mismatch", signJWS(t, rs, claims(func(c map[string]any) { c["aud"] = testOrgURL + "/oauth2/v1/token" }), rsaKey), errAssertionAudience},
		{"aud in a list", signJWS(t, rs, claims(func(c map[string]any) { c["aud"] = []string{"x", endpoint} }), rsaKey), nil},
		{"sub mismatch", signJWS(t, rs, claims(func(c map[string]any) { c["sub"] = "someone" }), rsaKey), errAssertionSubject},
		{"iss unknown", signJWS(t, rs, claims(func(c map[string]any) { c["iss"] = "nobody" }), rsaKey), errAssertionIssuer},
		{"iss another client", signJWS(t, rs, claims(func(c map[string]any) { c["iss"] = svcClient }), rsaKey), errInvalidClient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app, method, err := f.s.verifyAssertion(f.ctx, snap, "", tc.assertion, endpoint, now)
			if !sameError(err, tc.want) {
				t.Fatalf("got %+v, want %+v", err, tc.want)
			}
			if err == nil && (app == nil || app.ClientID != jwtClient || method != methodKeyJWT) {
				t.Fatalf("accepted as %v %s", app, method)
			}
		})
	}
}

// FuzzAssertionSignature: on a header plainHeader admits, naming RS256,
// verifyAsymmetric accepts exactly what go-jose does.
func FuzzAssertionSignature(f *testing.F) {
	key := testKey("client-rsa").(*rsa.PrivateKey)
	for _, h := range []string{`{"alg":"RS256","kid":"k1"}`, `{"alg":"RS256"}`, `{"typ":"JWT","alg":"RS256"}`, `{"alg":"RS256","alg":"RS256"}`,
		`{"alg":"RS256","kid":"\u006b1"}`, `{"alg":"RS256","kid":1}`, `{"alg":"RS256","crit":["b64"],"b64":false}`,
		` {"alg":"RS256"} `, `{"alg":"RS256"}{}`, `{"alg":"RS256","kid":null}`, `[]`, `null`} {
		f.Add(h, `{"iss":"c","exp":1}`, -1)
		f.Add(h, `{"iss":"c"}`, 300)
	}
	f.Fuzz(func(t *testing.T, header, payload string, flip int) {
		input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
		digest := sha256.Sum256([]byte(input))
		sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		if flip >= 0 {
			sig[flip%len(sig)] ^= 1
		}
		// verifyAssertion reaches the signature only with an allowed alg,
		// read from the same header.
		var h assertionHeader
		if !plainHeader([]byte(header)) || json.Unmarshal([]byte(header), &h) != nil || h.Alg != string(jose.RS256) {
			return
		}
		fast := verifyAsymmetric(jose.RS256, []any{&key.PublicKey}, signingInput([]byte(header), []byte(payload)), sig)
		jws, err := jose.ParseSigned(input+"."+b64.EncodeToString(sig), []jose.SignatureAlgorithm{jose.RS256})
		slow := err == nil
		if slow {
			_, err = jws.Verify(&key.PublicKey)
			slow = err == nil
		}
		if fast != slow {
			t.Fatalf("header %q payload %q flip %d: verifyAsymmetric %v, go-jose %v (%v)", header, payload, flip, fast, slow, err)
		}
	})
}

// BenchmarkAssertionSignature compares the plain-header path with go-jose's
// on the same RS256 assertion (jti left out: the replay insert is the
// store's cost, not this one).
func BenchmarkAssertionSignature(b *testing.B) {
	key := testKey("client-rsa").(*rsa.PrivateKey)
	pb, _ := json.Marshal(map[string]any{"iss": jwtClient, "sub": jwtClient, "aud": "http://sesame.test/oauth2/default/v1/token", "exp": 1 << 40})
	for _, h := range []string{`{"alg":"RS256","kid":"k1"}`, `{"alg":"RS256","kid":"k1","jku":"x"}`} {
		input := b64.EncodeToString([]byte(h)) + "." + b64.EncodeToString(pb)
		digest := sha256.Sum256([]byte(input))
		sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
		if err != nil {
			b.Fatal(err)
		}
		assertion := input + "." + b64.EncodeToString(sig)
		name := "plain"
		if !plainHeader([]byte(h)) {
			name = "go-jose"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a, err := decodeAssertion(assertion)
				if err != nil {
					b.Fatal(err)
				}
				if plainHeader(a.rawHeader) {
					s, _ := b64.DecodeString(a.sig)
					if !verifyAsymmetric(jose.RS256, []any{&key.PublicKey}, signingInput(a.rawHeader, a.rawPayload), s) {
						b.Fatal("refused")
					}
					continue
				}
				jws, err := jose.ParseSigned(assertion, []jose.SignatureAlgorithm{jose.RS256})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := jws.Verify(&key.PublicKey); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
