package keys_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sesame-idp/sesame/internal/keys"
)

type equaler interface{ Equal(crypto.PublicKey) bool }

func members(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, doc)
	}
	return m
}

func TestJWKRoundTrip(t *testing.T) {
	for _, alg := range allAlgs {
		t.Run(alg, func(t *testing.T) {
			signer := mustGenerate(t, alg)
			kid := keys.NewKID(signer.Public())

			pubDoc, err := keys.PublicJWK(signer.Public(), kid, alg, "sig")
			if err != nil {
				t.Fatal(err)
			}
			wantPub := []string{"kty", "alg", "kid", "use", "e", "n"}
			wantPriv := []string{"d", "p", "q", "dp", "dq", "qi"}
			if strings.HasPrefix(alg, "ES") {
				wantPub = []string{"kty", "crv", "x", "y", "alg", "kid", "use"}
				wantPriv = []string{"d"}
			}
			pm := members(t, pubDoc)
			if got := slices.Sorted(maps.Keys(pm)); !slices.Equal(got, slices.Sorted(slices.Values(wantPub))) {
				t.Errorf("public JWK members = %v, want %v", got, wantPub)
			}
			if pm["alg"] != alg || pm["kid"] != kid || pm["use"] != "sig" {
				t.Errorf("public JWK alg/kid/use = %v/%v/%v", pm["alg"], pm["kid"], pm["use"])
			}
			if strings.Contains(string(pubDoc), "=") {
				t.Errorf("public JWK has base64 padding: %s", pubDoc)
			}

			pub, info, err := keys.ParseJWK(pubDoc)
			if err != nil {
				t.Fatal(err)
			}
			if info != (keys.JWKInfo{KID: kid, Alg: alg, Use: "sig", Kty: pm["kty"].(string)}) {
				t.Errorf("info = %+v", info)
			}
			if _, isSigner := pub.(crypto.Signer); isSigner {
				t.Fatalf("public JWK parsed as a private key")
			}
			if !pub.(equaler).Equal(signer.Public()) {
				t.Fatal("parsed public key differs")
			}

			privDoc, err := keys.PrivateJWK(signer, kid, alg, "sig")
			if err != nil {
				t.Fatal(err)
			}
			privm := members(t, privDoc)
			if got := slices.Sorted(maps.Keys(privm)); !slices.Equal(got, slices.Sorted(slices.Values(append(wantPub, wantPriv...)))) {
				t.Errorf("private JWK members = %v", got)
			}
			priv, _, err := keys.ParseJWK(privDoc)
			if err != nil {
				t.Fatal(err)
			}
			privSigner, ok := priv.(crypto.Signer)
			if !ok {
				t.Fatalf("private JWK parsed as %T", priv)
			}
			if !privSigner.(interface{ Equal(crypto.PrivateKey) bool }).Equal(signer) {
				t.Fatal("parsed private key differs")
			}

			// Sign with the parsed private key, verify with the parsed public
			// key, through an independent JOSE implementation.
			assertSignVerify(t, alg, kid, privSigner, pub)

			// go-jose reads our documents and agrees on the thumbprint.
			var jk jose.JSONWebKey
			if err := jk.UnmarshalJSON(pubDoc); err != nil {
				t.Fatalf("go-jose rejects our public JWK: %v", err)
			}
			tp, err := jk.Thumbprint(crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if got := base64.RawURLEncoding.EncodeToString(tp); got != kid {
				t.Errorf("go-jose thumbprint %s, ours %s", got, kid)
			}
			if len(kid) != 43 {
				t.Errorf("kid %q is %d characters, want 43", kid, len(kid))
			}
			var jpriv jose.JSONWebKey
			if err := jpriv.UnmarshalJSON(privDoc); err != nil || !jpriv.Valid() || jpriv.IsPublic() {
				t.Fatalf("go-jose rejects our private JWK: %v", err)
			}
		})
	}
}

func assertSignVerify(t *testing.T, alg, kid string, signer crypto.Signer, pub any) {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: signer},
		(&jose.SignerOptions{}).WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign([]byte(`{"sub":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	compact, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parsed.Verify(pub); err != nil {
		t.Fatalf("verify: %v", err)
	}
	other := mustGenerate(t, alg)
	if _, err := parsed.Verify(other.Public()); err == nil {
		t.Fatal("verified with an unrelated key")
	}
}

func TestPublicJWKRSAExactShape(t *testing.T) {
	k := mustGenerate(t, "RS256")
	doc, err := keys.PublicJWK(k, "k1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	// Okta's member order, e as AQAB, defaults RS256 and sig.
	if want := `{"kty":"RSA","alg":"RS256","kid":"k1","use":"sig","e":"AQAB","n":"`; !strings.HasPrefix(string(doc), want) {
		t.Errorf("got %s\nwant prefix %s", doc, want)
	}
	n, err := base64.RawURLEncoding.DecodeString(members(t, doc)["n"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if len(n) != 256 || n[0] == 0 {
		t.Errorf("n is %d bytes (leading %#x), want 256 without a zero byte", len(n), n[0])
	}
}

func TestPublicJWKECPadsCoordinates(t *testing.T) {
	// Find a key whose x coordinate has a leading zero byte (1 in 256).
	for i := 0; i < 5000; i++ {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		point, err := k.PublicKey.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if point[1] != 0 {
			continue
		}
		doc, err := keys.PublicJWK(k.Public(), "k", "ES256", "sig")
		if err != nil {
			t.Fatal(err)
		}
		m := members(t, doc)
		x, err := base64.RawURLEncoding.DecodeString(m["x"].(string))
		if err != nil {
			t.Fatal(err)
		}
		y, err := base64.RawURLEncoding.DecodeString(m["y"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if len(x) != 32 || len(y) != 32 {
			t.Fatalf("coordinates are %d and %d bytes, want 32", len(x), len(y))
		}
		if want := `{"kty":"EC","crv":"P-256","x":"`; !strings.HasPrefix(string(doc), want) {
			t.Errorf("got %s", doc)
		}
		if _, _, err := keys.ParseJWK(doc); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Skip("no key with a short x coordinate found")
}

func TestPublicJWKErrors(t *testing.T) {
	rsaKey := mustGenerate(t, "RS256")
	ecKey := mustGenerate(t, "ES256")
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		key           crypto.PublicKey
		kid, alg, use string
		want          string
	}{
		{"no kid", rsaKey.Public(), "", "RS256", "sig", "kid is required"},
		{"slash in kid", rsaKey.Public(), "a/b", "RS256", "sig", "outside"},
		{"tilde in kid", rsaKey.Public(), "a~b", "RS256", "sig", "outside"},
		{"long kid", rsaKey.Public(), strings.Repeat("a", 129), "RS256", "sig", "at most 128"},
		{"EC alg on RSA", rsaKey.Public(), "k", "ES256", "sig", "does not fit"},
		{"wrong curve", ecKey.Public(), "k", "ES384", "sig", "does not fit"},
		{"RS alg on EC", ecKey.Public(), "k", "RS256", "sig", "does not fit"},
		{"HS256", rsaKey.Public(), "k", "HS256", "sig", "unsupported algorithm"},
		{"enc", rsaKey.Public(), "k", "RS256", "enc", "use"},
		{"weak RSA", weak.Public(), "k", "RS256", "sig", "1024 bits"},
		{"P-224", p224.Public(), "k", "", "sig", "curve"},
		{"nil", nil, "k", "RS256", "sig", "no key"},
		{"string", "key", "k", "RS256", "sig", "not supported"},
	} {
		if _, err := keys.PublicJWK(tc.key, tc.kid, tc.alg, tc.use); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	if _, err := keys.PrivateJWK(weak, "k", "RS256", "sig"); err == nil {
		t.Error("PrivateJWK accepted a 1024-bit key")
	}
	if _, err := keys.PrivateJWK(nil, "k", "RS256", "sig"); err == nil {
		t.Error("PrivateJWK accepted nil")
	}
}

// RFC 7638 §3.1.
func TestThumbprintRFC7638(t *testing.T) {
	doc := `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`
	key, info, err := keys.ParseJWK([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if info.KID != "2011-04-29" || info.Alg != "RS256" || info.Use != "" || info.Kty != "RSA" {
		t.Errorf("info = %+v", info)
	}
	if got, want := keys.Thumbprint(key), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Errorf("Thumbprint = %s, want %s", got, want)
	}
	if keys.Thumbprint("not a key") != "" || keys.Thumbprint(nil) != "" {
		t.Error("Thumbprint of an unsupported key is not empty")
	}
	// A private key stands for its public half.
	k := mustGenerate(t, "ES256")
	if keys.Thumbprint(k) != keys.Thumbprint(k.Public()) {
		t.Error("Thumbprint(private) differs from Thumbprint(public)")
	}
}

// okta-jwt-verifier-golang decodes JWT headers as standard base64 after
// re-padding (docs/okta-api.md §3.1), so a header must encode without '-' or '_'.
// That holds for every kid over the alphabet PublicJWK allows, whatever the
// position of each character in the base64 groups.
func TestKIDAlphabetKeepsHeaderStandardBase64(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
	for _, c := range alphabet {
		for pad := 0; pad < 3; pad++ {
			kid := strings.Repeat("A", pad) + string(c) + strings.Repeat(string(c), 3)
			header := `{"kid":"` + kid + `","alg":"RS256"}`
			enc := base64.RawURLEncoding.EncodeToString([]byte(header))
			if strings.ContainsAny(enc, "-_") {
				t.Errorf("header with kid %q encodes to %s", kid, enc)
			}
		}
	}
}

func TestJWKS(t *testing.T) {
	if got := string(keys.JWKS()); got != `{"keys":[]}` {
		t.Errorf("empty JWKS = %s", got)
	}
	a, err := keys.PublicJWK(mustGenerate(t, "RS256"), "a", "", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := keys.PublicJWK(mustGenerate(t, "ES384"), "b", "", "")
	if err != nil {
		t.Fatal(err)
	}
	pretty := []byte("{\n  " + strings.TrimPrefix(string(b), "{"))
	doc := keys.JWKS(a, pretty)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("go-jose rejects %s: %v", doc, err)
	}
	if len(set.Keys) != 2 || set.Keys[0].KeyID != "a" || set.Keys[1].KeyID != "b" {
		t.Errorf("set = %+v", set)
	}
	if strings.Contains(string(doc), "\n") {
		t.Errorf("JWKS not compacted: %s", doc)
	}
}

func TestParseJWKAcceptsOktaAndEncKeys(t *testing.T) {
	k := mustGenerate(t, "RS256")
	doc, err := keys.PublicJWK(k, "k", "", "")
	if err != nil {
		t.Fatal(err)
	}
	m := members(t, doc)
	// Okta's management API decorates keys with these members.
	m["status"], m["id"], m["created"], m["x5c"] = "ACTIVE", "pks123", "2024-01-01T00:00:00.000Z", []string{"MIIB"}
	okta, _ := json.Marshal(m)
	if _, _, err := keys.ParseJWK(okta); err != nil {
		t.Errorf("Okta-decorated key: %v", err)
	}
	// A client's encryption key carries a key-management alg.
	m = members(t, doc)
	m["use"], m["alg"] = "enc", "RSA-OAEP-256"
	enc, _ := json.Marshal(m)
	if _, info, err := keys.ParseJWK(enc); err != nil || info.Use != "enc" {
		t.Errorf("enc key: %+v, %v", info, err)
	}
	// Neither alg nor use nor kid is required.
	m = members(t, doc)
	delete(m, "alg")
	delete(m, "use")
	delete(m, "kid")
	bare, _ := json.Marshal(m)
	if _, _, err := keys.ParseJWK(bare); err != nil {
		t.Errorf("bare key: %v", err)
	}
}

// mutate returns doc with the members in set replaced (nil deletes).
func mutate(t *testing.T, doc []byte, set map[string]any) []byte {
	t.Helper()
	m := members(t, doc)
	for k, v := range set {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseJWKErrors(t *testing.T) {
	rsaKey := mustGenerate(t, "RS256")
	otherRSA := mustGenerate(t, "RS256")
	ecKey := mustGenerate(t, "ES256")
	otherEC := mustGenerate(t, "ES256")
	rsaPub, err := keys.PublicJWK(rsaKey, "r", "", "")
	if err != nil {
		t.Fatal(err)
	}
	rsaPriv, err := keys.PrivateJWK(rsaKey, "r", "", "")
	if err != nil {
		t.Fatal(err)
	}
	otherRSAPriv, err := keys.PrivateJWK(otherRSA, "r", "", "")
	if err != nil {
		t.Fatal(err)
	}
	ecPub, err := keys.PublicJWK(ecKey, "e", "", "")
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, err := keys.PrivateJWK(ecKey, "e", "", "")
	if err != nil {
		t.Fatal(err)
	}
	otherECPriv, err := keys.PrivateJWK(otherEC, "e", "", "")
	if err != nil {
		t.Fatal(err)
	}

	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	weakDoc := `{"kty":"RSA","e":"AQAB","n":"` + b64(weak.N.Bytes()) + `"}`

	rsaM := members(t, rsaPriv)
	ecM := members(t, ecPriv)
	otherRSAM := members(t, otherRSAPriv)
	otherECM := members(t, otherECPriv)
	y, err := base64.RawURLEncoding.DecodeString(ecM["y"].(string))
	if err != nil {
		t.Fatal(err)
	}
	y[len(y)-1] ^= 1
	offCurve := mutate(t, ecPub, map[string]any{"y": b64(y)})
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384Doc, err := keys.PublicJWK(p384, "x", "", "")
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		doc  []byte
		want string
	}{
		{"empty", []byte(""), "malformed JSON"},
		{"truncated", rsaPub[:len(rsaPub)/2], "malformed JSON"},
		{"truncated private", rsaPriv[:len(rsaPriv)-20], "malformed JSON"},
		{"null", []byte("null"), "not a JSON object"},
		{"array", []byte("[]"), "not a JSON object"},
		{"string", []byte(`"RSA"`), "not a JSON object"},
		{"no kty", []byte(`{"n":"AQAB","e":"AQAB"}`), `no "kty"`},
		{"upper-case member", mutate(t, rsaPub, map[string]any{"kty": nil, "KTY": "RSA"}), `no "kty"`},
		{"JWKS", keys.JWKS(rsaPub), "JWK Set"},
		{"kty number", []byte(`{"kty":1}`), "not a string"},
		{"oct", []byte(`{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}`), "oct"},
		{"OKP", []byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`), "not supported"},
		{"1024-bit RSA", []byte(weakDoc), "1024 bits"},
		{"RSA no n", mutate(t, rsaPub, map[string]any{"n": nil}), `"n" is missing`},
		{"RSA empty e", mutate(t, rsaPub, map[string]any{"e": ""}), `"e" is empty`},
		{"RSA even e", mutate(t, rsaPub, map[string]any{"e": "AQAA"}), "exponent"},
		{"RSA e=1", mutate(t, rsaPub, map[string]any{"e": "AQ"}), "exponent"},
		{"RSA long e", mutate(t, rsaPub, map[string]any{"e": "AQABAQAB"}), "exponent"},
		{"RSA even n", mutate(t, rsaPub, map[string]any{"n": b64(append([]byte{0x80}, make([]byte, 255)...))}), "even"},
		{"RSA padded n", mutate(t, rsaPub, map[string]any{"n": members(t, rsaPub)["n"].(string) + "=="}), "base64url"},
		{"RSA std base64", mutate(t, rsaPub, map[string]any{"e": "AQA+"}), "base64url"},
		{"RSA alg mismatch", mutate(t, rsaPub, map[string]any{"alg": "ES256"}), "does not fit"},
		{"RSA alg PS256", mutate(t, rsaPub, map[string]any{"alg": "PS256"}), "unsupported algorithm"},
		{"RSA use", mutate(t, rsaPub, map[string]any{"use": "both"}), "use"},
		{"RSA wrong d", mutate(t, rsaPriv, map[string]any{"d": otherRSAM["d"]}), "inconsistent"},
		{"RSA wrong p", mutate(t, rsaPriv, map[string]any{"p": otherRSAM["p"]}), "inconsistent"},
		{"RSA wrong qi", mutate(t, rsaPriv, map[string]any{"qi": otherRSAM["qi"]}), "inconsistent"},
		{"RSA swapped dp dq", mutate(t, rsaPriv, map[string]any{"dp": rsaM["dq"], "dq": rsaM["dp"]}), "inconsistent"},
		{"RSA d only", mutate(t, rsaPriv, map[string]any{"p": nil, "q": nil, "dp": nil, "dq": nil, "qi": nil}), `"p" is missing`},
		{"RSA p without d", mutate(t, rsaPriv, map[string]any{"d": nil}), `no "d"`},
		{"RSA oth", mutate(t, rsaPriv, map[string]any{"oth": []any{}}), "multi-prime"},
		{"RSA huge d", mutate(t, rsaPriv, map[string]any{"d": b64(make([]byte, 300))}), "longer than the modulus"},
		{"EC off curve", offCurve, "not on the curve"},
		{"EC zero point", mutate(t, ecPub, map[string]any{"x": b64(make([]byte, 32)), "y": b64(make([]byte, 32))}), "not on the curve"},
		{"EC short x", mutate(t, ecPub, map[string]any{"x": b64(make([]byte, 31))}), "32 bytes"},
		{"EC x of P-384 with crv P-256", mutate(t, p384Doc, map[string]any{"crv": "P-256"}), "32 bytes"},
		{"EC unknown curve", mutate(t, ecPub, map[string]any{"crv": "secp256k1"}), "not supported"},
		{"EC P-224", mutate(t, ecPub, map[string]any{"crv": "P-224"}), "not supported"},
		{"EC no crv", mutate(t, ecPub, map[string]any{"crv": nil}), "not supported"},
		{"EC no y", mutate(t, ecPub, map[string]any{"y": nil}), `"y" is missing`},
		{"EC alg mismatch", mutate(t, ecPub, map[string]any{"alg": "ES384"}), "does not fit"},
		{"EC wrong d", mutate(t, ecPriv, map[string]any{"d": otherECM["d"]}), "does not match"},
		{"EC short d", mutate(t, ecPriv, map[string]any{"d": b64([]byte{1})}), "32 bytes"},
		{"EC zero d", mutate(t, ecPriv, map[string]any{"d": b64(make([]byte, 32))}), "out of range"},
		{"EC d too big", mutate(t, ecPriv, map[string]any{"d": b64(append([]byte{}, make32(0xff)...))}), "out of range"},
	} {
		key, _, err := keys.ParseJWK(tc.doc)
		if err == nil {
			t.Errorf("%s: accepted (%T)", tc.name, key)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want it to mention %q", tc.name, err, tc.want)
		}
		// Errors may reach clients and logs: no key material in them.
		for _, m := range []map[string]any{rsaM, ecM, otherRSAM, otherECM} {
			for _, name := range []string{"d", "p", "q", "dp", "dq", "qi"} {
				if v, ok := m[name].(string); ok && strings.Contains(err.Error(), v[:12]) {
					t.Errorf("%s: error quotes member %s: %v", tc.name, name, err)
				}
			}
		}
	}
}

func make32(b byte) []byte {
	out := make([]byte, 32)
	for i := range out {
		out[i] = b
	}
	return out
}

func TestParseJWKSyntaxErrorHidesInput(t *testing.T) {
	k := mustGenerate(t, "ES256")
	doc, err := keys.PrivateJWK(k, "k", "", "")
	if err != nil {
		t.Fatal(err)
	}
	d := members(t, doc)["d"].(string)
	// Without its opening quote, d's first character is where the JSON
	// breaks, and encoding/json would quote that character.
	bad := strings.Replace(string(doc), `"d":"`+d, `"d":`+d, 1)
	_, _, err = keys.ParseJWK([]byte(bad))
	if err == nil {
		t.Fatal("accepted broken JSON")
	}
	if strings.Contains(err.Error(), "'"+d[:1]+"'") || strings.Contains(err.Error(), d[:8]) {
		t.Errorf("error quotes input: %v", err)
	}
	if !strings.Contains(err.Error(), "offset") {
		t.Errorf("error = %v, want an offset", err)
	}
	if _, _, err := keys.ParsePrivateKey([]byte(bad)); err == nil || strings.Contains(err.Error(), "'"+d[:1]+"'") {
		t.Errorf("ParsePrivateKey error = %v", err)
	}
}

// A key assembled by hand has no precomputed CRT values; PrivateJWK computes
// them without touching the key, which may be in use elsewhere.
func TestPrivateJWKWithoutPrecomputed(t *testing.T) {
	k := mustGenerate(t, "RS256").(*rsa.PrivateKey)
	bare := &rsa.PrivateKey{PublicKey: k.PublicKey, D: k.D, Primes: k.Primes}
	doc, err := keys.PrivateJWK(bare, "k", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if bare.Precomputed.Dp != nil {
		t.Error("PrivateJWK modified the key")
	}
	want, err := keys.PrivateJWK(k, "k", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != string(want) {
		t.Errorf("got %s\nwant %s", doc, want)
	}
}
