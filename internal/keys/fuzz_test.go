package keys_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"testing"

	"github.com/sesame-idp/sesame/internal/keys"
)

// seedJWKs returns valid public and private JWKs of every supported kind, and
// a few near misses.
func seedJWKs(f *testing.F) [][]byte {
	var out [][]byte
	for _, alg := range []string{"RS256", "ES256", "ES384", "ES512"} {
		k := mustGenerate(f, alg)
		pub, err := keys.PublicJWK(k, "k", "", "")
		if err != nil {
			f.Fatal(err)
		}
		priv, err := keys.PrivateJWK(k, "k", "", "")
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, pub, priv, priv[:len(priv)/2])
	}
	return append(out,
		[]byte(`{"kty":"oct","k":"c2VjcmV0"}`),
		[]byte(`{"kty":"RSA","n":"","e":""}`),
		[]byte(`{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`),
		[]byte(`{"keys":[]}`),
		[]byte(`null`),
	)
}

func FuzzParseJWK(f *testing.F) {
	for _, s := range seedJWKs(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		key, _, err := keys.ParseJWK(data)
		if err != nil {
			if key != nil {
				t.Fatalf("key %T returned with error %v", key, err)
			}
			return
		}
		switch key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, *rsa.PrivateKey, *ecdsa.PrivateKey:
		default:
			t.Fatalf("unexpected key type %T", key)
		}
		if keys.Thumbprint(key) == "" {
			t.Fatal("accepted key has no thumbprint")
		}
		// Whatever is accepted can be encoded again, to the same key.
		doc, err := keys.PublicJWK(key, "k", "", "")
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, _, err := keys.ParseJWK(doc)
		if err != nil {
			t.Fatalf("parse re-encoded: %v", err)
		}
		var pub crypto.PublicKey = key
		if s, ok := key.(crypto.Signer); ok {
			pub = s.Public()
			if _, err := keys.PrivateJWK(s, "k", "", ""); err != nil {
				t.Fatalf("re-encode private: %v", err)
			}
		}
		if !again.(equaler).Equal(pub) {
			t.Fatal("re-encoded key differs")
		}
	})
}

func FuzzParsePrivateKey(f *testing.F) {
	for _, s := range seedJWKs(f) {
		f.Add(s)
		f.Add(keys.JWKS(s))
	}
	for _, alg := range []string{"RS256", "ES256"} {
		k := mustGenerate(f, alg)
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pemBlock("PRIVATE KEY", der))
		switch k := k.(type) {
		case *rsa.PrivateKey:
			f.Add(pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)))
		case *ecdsa.PrivateKey:
			sec1, err := x509.MarshalECPrivateKey(k)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(pemBlock("EC PRIVATE KEY", sec1))
		}
	}
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte("not a key"))
	f.Fuzz(func(t *testing.T, data []byte) {
		signer, _, err := keys.ParsePrivateKey(data)
		if err != nil {
			if signer != nil {
				t.Fatalf("key returned with error %v", err)
			}
			return
		}
		if keys.DefaultAlg(signer) == "" {
			t.Fatalf("accepted unsupported key %T", signer)
		}
		if _, err := keys.PrivateJWK(signer, "k", "", ""); err != nil {
			t.Fatalf("accepted key cannot be encoded: %v", err)
		}
	})
}

func FuzzParseMasterKey(f *testing.F) {
	for _, s := range []string{
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		"+/+/", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := keys.ParseMasterKey(s)
		if err == nil && len(key) != keys.MasterKeySize {
			t.Fatalf("accepted a %d-byte key", len(key))
		}
	})
}
