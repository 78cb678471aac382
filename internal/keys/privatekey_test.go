package keys_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/keys"
)

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func assertSameKey(t *testing.T, name string, got, want crypto.Signer) {
	t.Helper()
	if !got.(interface{ Equal(crypto.PrivateKey) bool }).Equal(want) {
		t.Errorf("%s: parsed key differs from the original", name)
	}
}

func TestParsePrivateKeyFormats(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "ES384", "ES512"} {
		t.Run(alg, func(t *testing.T) {
			k := mustGenerate(t, alg)
			jwk, err := keys.PrivateJWK(k, "kid-1", "", "")
			if err != nil {
				t.Fatal(err)
			}
			pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				t.Fatal(err)
			}
			inputs := map[string][]byte{
				"JWK":             jwk,
				"JWK with spaces": []byte("\n  " + string(jwk) + "\n\n"),
				"JWKS":            keys.JWKS(jwk),
				"JWK with BOM":    append([]byte("\xef\xbb\xbf"), jwk...),
				"PKCS#8":          pemBlock("PRIVATE KEY", pkcs8),
				"PKCS#8 with text": []byte("Private-Key: (2048 bit)\nmodulus: ...\n" +
					string(pemBlock("PRIVATE KEY", pkcs8))),
			}
			wantKID := map[string]string{"JWK": "kid-1", "JWK with spaces": "kid-1", "JWKS": "kid-1", "JWK with BOM": "kid-1"}
			switch k := k.(type) {
			case *rsa.PrivateKey:
				inputs["PKCS#1"] = pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k))
			case *ecdsa.PrivateKey:
				sec1, err := x509.MarshalECPrivateKey(k)
				if err != nil {
					t.Fatal(err)
				}
				inputs["SEC 1"] = pemBlock("EC PRIVATE KEY", sec1)
				// What openssl ecparam -genkey writes.
				inputs["SEC 1 with parameters"] = append(pemBlock("EC PARAMETERS", []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}),
					pemBlock("EC PRIVATE KEY", sec1)...)
			}
			for name, data := range inputs {
				got, kid, err := keys.ParsePrivateKey(data)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				assertSameKey(t, name, got, k)
				if kid != wantKID[name] {
					t.Errorf("%s: kid = %q, want %q", name, kid, wantKID[name])
				}
			}
		})
	}
}

func TestParsePrivateKeyWrittenFiles(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256"} {
		g, err := keys.GenerateSet(keys.GenerateOptions{Alg: alg, KID: "ingestion-" + alg})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		paths, err := g.WriteFiles(dir, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			got, kid, err := keys.ParsePrivateKey(data)
			if strings.Contains(p, "public") {
				if err == nil {
					t.Errorf("%s: public file accepted as a private key", filepath.Base(p))
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(p), err)
				continue
			}
			assertSameKey(t, filepath.Base(p), got, g.Key)
			if strings.HasSuffix(p, ".json") && kid != g.KID {
				t.Errorf("%s: kid = %q, want %q", filepath.Base(p), kid, g.KID)
			}
		}
	}
}

func TestParsePrivateKeyErrors(t *testing.T) {
	k := mustGenerate(t, "RS256")
	k2 := mustGenerate(t, "ES256")
	priv, err := keys.PrivateJWK(k, "a", "", "")
	if err != nil {
		t.Fatal(err)
	}
	priv2, err := keys.PrivateJWK(k2, "b", "", "")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keys.PublicJWK(k, "a", "", "")
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pkix, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakPKCS8, err := x509.MarshalPKCS8PrivateKey(weak)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPKCS8, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p224SEC1, err := x509.MarshalECPrivateKey(p224)
	if err != nil {
		t.Fatal(err)
	}
	encMembers := members(t, priv)
	encMembers["use"], encMembers["alg"] = "enc", "RSA-OAEP"
	encDoc := mustJSON(t, encMembers)

	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "no data"},
		{"spaces", []byte(" \n"), "no data"},
		{"garbage", []byte("hello"), "neither"},
		{"DER", pkcs8, "neither"},
		{"truncated JSON", priv[:40], "malformed JSON"},
		{"public JWK", pub, "public key"},
		{"public JWKS", keys.JWKS(pub), "public key"},
		{"two keys", keys.JWKS(priv, priv2), "holds 2 keys"},
		{"empty set", keys.JWKS(), "holds 0 keys"},
		{"keys not array", []byte(`{"keys":{}}`), "not an array"},
		{"null key", []byte(`{"keys":[null]}`), "null"},
		{"keys and kty", []byte(`{"keys":[],"kty":"RSA"}`), "neither"},
		{"oct", []byte(`{"kty":"oct","k":"c2VjcmV0"}`), "oct"},
		{"enc key", encDoc, "encryption"},
		{"public PEM", pemBlock("PUBLIC KEY", pkix), "PUBLIC KEY"},
		{"certificate", pemBlock("CERTIFICATE", []byte{0x30, 0}), "CERTIFICATE"},
		{"encrypted PKCS#8", pemBlock("ENCRYPTED PRIVATE KEY", []byte{0x30, 0}), "encrypted"},
		{"legacy encrypted", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
			Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: []byte{0x30, 0}}), "encrypted"},
		{"two PEM keys", append(pemBlock("PRIVATE KEY", pkcs8), pemBlock("PRIVATE KEY", pkcs8)...), "more than one"},
		{"unknown PEM", pemBlock("OPENSSH PRIVATE KEY", []byte{1}), "not a private key"},
		{"broken PEM", []byte("-----BEGIN PRIVATE KEY-----\nAAAA"), "no PEM block"},
		{"bad DER", pemBlock("PRIVATE KEY", []byte{0x30, 3, 1, 2, 3}), "PRIVATE KEY"},
		{"PKCS#1 in PKCS#8 block", pemBlock("PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.(*rsa.PrivateKey))), "PRIVATE KEY"},
		{"1024-bit RSA", pemBlock("PRIVATE KEY", weakPKCS8), "1024 bits"},
		{"1024-bit PKCS#1", pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(weak)), "1024 bits"},
		{"Ed25519", pemBlock("PRIVATE KEY", edPKCS8), "not supported"},
		{"P-224", pemBlock("EC PRIVATE KEY", p224SEC1), "curve"},
	} {
		s, _, err := keys.ParsePrivateKey(tc.data)
		if err == nil {
			t.Errorf("%s: accepted (%T)", tc.name, s)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}
