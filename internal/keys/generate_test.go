package keys_test

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sesame-idp/sesame/internal/keys"
)

func TestGenerateSetDefaults(t *testing.T) {
	g, err := keys.GenerateSet(keys.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g.Alg != "RS256" || g.Use != "sig" || len(g.KID) != 43 || g.KID != keys.Thumbprint(g.Key) {
		t.Errorf("alg %q use %q kid %q", g.Alg, g.Use, g.KID)
	}
	for name, doc := range map[string][]byte{"PrivateJWK": g.PrivateJWK, "PrivateJWKS": g.PrivateJWKS, "PublicJWKS": g.PublicJWKS} {
		if !json.Valid(doc) || !strings.Contains(string(doc), "\n  ") || !strings.HasSuffix(string(doc), "}\n") {
			t.Errorf("%s is not indented JSON ending in a newline:\n%s", name, doc)
		}
	}

	// The key pair.
	key, info, err := keys.ParseJWK(g.PrivateJWK)
	if err != nil {
		t.Fatal(err)
	}
	if info.KID != g.KID || info.Alg != "RS256" || info.Use != "sig" {
		t.Errorf("info = %+v", info)
	}
	assertSameKey(t, "PrivateJWK", key.(crypto.Signer), g.Key)

	// The sets, read by an independent implementation.
	var privSet, pubSet jose.JSONWebKeySet
	if err := json.Unmarshal(g.PrivateJWKS, &privSet); err != nil || len(privSet.Keys) != 1 || privSet.Keys[0].IsPublic() {
		t.Fatalf("PrivateJWKS: %v %+v", err, privSet)
	}
	if err := json.Unmarshal(g.PublicJWKS, &pubSet); err != nil || len(pubSet.Keys) != 1 || !pubSet.Keys[0].IsPublic() {
		t.Fatalf("PublicJWKS: %v %+v", err, pubSet)
	}
	if pubSet.Keys[0].KeyID != g.KID || pubSet.Keys[0].Algorithm != "RS256" || pubSet.Keys[0].Use != "sig" {
		t.Errorf("public key = %+v", pubSet.Keys[0])
	}
	for _, secret := range []string{`"d"`, `"p"`, `"q"`, `"dp"`, `"dq"`, `"qi"`} {
		if strings.Contains(string(g.PublicJWKS), secret) {
			t.Errorf("PublicJWKS holds %s", secret)
		}
	}

	// The PEM encodings.
	block, _ := pem.Decode(g.PrivatePEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("PrivatePEM: %q", g.PrivatePEM)
	}
	pk, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	assertSameKey(t, "PrivatePEM", pk.(crypto.Signer), g.Key)
	block, _ = pem.Decode(g.PublicPEM)
	if block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("PublicPEM: %q", g.PublicPEM)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.(equaler).Equal(g.Key.Public()) {
		t.Error("PublicPEM differs")
	}
}

func TestGenerateSetEC(t *testing.T) {
	g, err := keys.GenerateSet(keys.GenerateOptions{KID: "om-ingestion.1", Alg: "ES384", Size: 2048})
	if err != nil {
		t.Fatal(err)
	}
	if g.KID != "om-ingestion.1" || keys.DefaultAlg(g.Key) != "ES384" {
		t.Errorf("kid %q alg %q", g.KID, keys.DefaultAlg(g.Key))
	}
	key, _, err := keys.ParseJWK(g.PrivateJWK)
	if err != nil {
		t.Fatal(err)
	}
	pubKey, _, err := keys.ParseJWK([]byte(extractOnlyKey(t, g.PublicJWKS)))
	if err != nil {
		t.Fatal(err)
	}
	assertSignVerify(t, "ES384", g.KID, key.(crypto.Signer), pubKey)
}

func extractOnlyKey(t *testing.T, set []byte) string {
	t.Helper()
	var s struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(set, &s); err != nil || len(s.Keys) != 1 {
		t.Fatalf("set: %v, %d keys", err, len(s.Keys))
	}
	return string(s.Keys[0])
}

func TestGenerateSetErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts keys.GenerateOptions
		want string
	}{
		{"path in kid", keys.GenerateOptions{KID: "../etc/passwd"}, "outside"},
		{"slash", keys.GenerateOptions{KID: "a/b"}, "outside"},
		{"space", keys.GenerateOptions{KID: "a b"}, "outside"},
		{"long kid", keys.GenerateOptions{KID: strings.Repeat("k", 129)}, "at most 128"},
		{"HS256", keys.GenerateOptions{Alg: "HS256"}, "unsupported algorithm"},
		{"small", keys.GenerateOptions{Size: 1024}, "out of range"},
		{"large", keys.GenerateOptions{Size: 16384}, "out of range"},
		{"enc", keys.GenerateOptions{Use: "enc"}, "use"},
	} {
		if _, err := keys.GenerateSet(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	g, err := keys.GenerateSet(keys.GenerateOptions{KID: "k1", Alg: "ES256"})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	paths, err := g.WriteFiles(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"k1.private.jwk.json", "k1.jwks.private.json", "k1.jwks.public.json"}
	if len(paths) != len(want) {
		t.Fatalf("paths = %v", paths)
	}
	for i, p := range paths {
		if p != filepath.Join(dir, want[i]) {
			t.Errorf("path %d = %s, want %s", i, p, want[i])
		}
	}
	if runtime.GOOS != "windows" {
		if di, err := os.Stat(dir); err != nil {
			t.Error(err)
		} else if di.Mode().Perm() != 0o700 {
			t.Errorf("dir mode = %04o, want 0700", di.Mode().Perm())
		}
		checkModes(t, paths)
	}
	contents := map[string][]byte{want[0]: g.PrivateJWK, want[1]: g.PrivateJWKS, want[2]: g.PublicJWKS}
	for name, c := range contents {
		if data, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(data) != string(c) {
			t.Errorf("%s differs from the generated document", name)
		}
	}

	// A second run never overwrites, and writes nothing at all.
	g2, err := keys.GenerateSet(keys.GenerateOptions{KID: "k1", Alg: "ES256"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g2.WriteFiles(dir, true); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrite: err = %v", err)
	}
	for name, c := range contents {
		if data, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(data) != string(c) {
			t.Errorf("%s was overwritten", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "k1.private.pem")); err == nil {
		t.Error("k1.private.pem written despite the clash")
	}

	// With PEM, into an existing directory that has one clashing file.
	dir2 := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir2, "k1.public.pem"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := g.WriteFiles(dir2, true); err == nil {
		t.Fatal("clash on k1.public.pem not reported")
	}
	if entries, err := os.ReadDir(dir2); err != nil || len(entries) != 1 {
		t.Errorf("dir holds %d entries after a refused write, want 1", len(entries))
	}
	os.Remove(filepath.Join(dir2, "k1.public.pem"))
	paths, err = g.WriteFiles(dir2, true)
	if err != nil || len(paths) != 5 {
		t.Fatalf("with PEM: %v, %v", paths, err)
	}
	if runtime.GOOS != "windows" {
		checkModes(t, paths)
	}

	bad := &keys.Generated{KID: "../x", PrivateJWK: []byte("{}"), PrivateJWKS: []byte("{}"), PublicJWKS: []byte("{}")}
	if _, err := bad.WriteFiles(t.TempDir(), false); err == nil {
		t.Error("unsafe kid accepted")
	}
	empty := &keys.Generated{KID: "x"}
	if _, err := empty.WriteFiles(t.TempDir(), false); err == nil {
		t.Error("empty documents written")
	}
}

func checkModes(t *testing.T, paths []string) {
	t.Helper()
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		perm := fi.Mode().Perm()
		if strings.Contains(filepath.Base(p), "private") {
			if perm != 0o600 {
				t.Errorf("%s mode = %04o, want 0600", filepath.Base(p), perm)
			}
		} else if perm&^0o644 != 0 || perm&0o600 != 0o600 {
			// 0644 less whatever the umask removes.
			t.Errorf("%s mode = %04o, want 0644", filepath.Base(p), perm)
		}
	}
}
