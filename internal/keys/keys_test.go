package keys_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/keys"
)

var allAlgs = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}

func mustGenerate(t testing.TB, alg string) crypto.Signer {
	t.Helper()
	k, err := keys.Generate(alg, 0)
	if err != nil {
		t.Fatalf("Generate(%s): %v", alg, err)
	}
	return k
}

func TestGenerate(t *testing.T) {
	curves := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}
	for _, alg := range allAlgs {
		t.Run(alg, func(t *testing.T) {
			k := mustGenerate(t, alg)
			switch k := k.(type) {
			case *rsa.PrivateKey:
				if !strings.HasPrefix(alg, "RS") {
					t.Fatalf("got RSA key for %s", alg)
				}
				if got := k.N.BitLen(); got != 2048 {
					t.Errorf("default RSA size = %d bits, want 2048", got)
				}
			case *ecdsa.PrivateKey:
				if k.Curve != curves[alg] {
					t.Errorf("curve = %s, want %s", k.Curve.Params().Name, curves[alg].Params().Name)
				}
			default:
				t.Fatalf("unexpected key type %T", k)
			}
			wantDefault := alg
			if strings.HasPrefix(alg, "RS") {
				wantDefault = "RS256"
			}
			if got := keys.DefaultAlg(k); got != wantDefault {
				t.Errorf("DefaultAlg = %q, want %q", got, wantDefault)
			}
		})
	}
}

func TestGenerateRSASize(t *testing.T) {
	k, err := keys.Generate("RS384", 3072)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.(*rsa.PrivateKey).N.BitLen(); got != 3072 {
		t.Errorf("size = %d, want 3072", got)
	}
	// The ES algorithms ignore the RSA size, whatever a CLI passes.
	if _, err := keys.Generate("ES256", 4096); err != nil {
		t.Errorf("ES256 with size 4096: %v", err)
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, tc := range []struct {
		alg  string
		bits int
		want string
	}{
		{"RS256", 1024, "out of range"},
		{"RS256", 2047, "out of range"},
		{"RS256", 8200, "out of range"},
		{"RS256", -1, "out of range"},
		{"HS256", 0, "unsupported algorithm"},
		{"none", 0, "unsupported algorithm"},
		{"", 0, "unsupported algorithm"},
		{"rs256", 0, "unsupported algorithm"},
		{"PS256", 0, "unsupported algorithm"},
		{"EdDSA", 0, "unsupported algorithm"},
	} {
		_, err := keys.Generate(tc.alg, tc.bits)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Generate(%q, %d) error = %v, want it to mention %q", tc.alg, tc.bits, err, tc.want)
		}
	}
}

func TestDefaultAlgUnsupported(t *testing.T) {
	if got := keys.DefaultAlg(nil); got != "" {
		t.Errorf("DefaultAlg(nil) = %q", got)
	}
	k, err := ecdsa.GenerateKey(elliptic.P224(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys.DefaultAlg(k); got != "" {
		t.Errorf("DefaultAlg(P-224) = %q, want empty", got)
	}
}
