package keys_test

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"

	"github.com/sesame-idp/sesame/internal/keys"
)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newSealer(t *testing.T) *keys.Sealer {
	t.Helper()
	mk := make([]byte, keys.MasterKeySize)
	rand.Read(mk)
	s, err := keys.NewSealer(mk)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSealerKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := keys.NewSealer(make([]byte, n)); err == nil {
			t.Errorf("NewSealer accepted a %d-byte key", n)
		}
	}
}

func TestSealOpen(t *testing.T) {
	s := newSealer(t)
	for _, plain := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("secret "), 1000)} {
		ad := []byte("kid-1")
		sealed := s.Seal(plain, ad)
		if len(sealed) != 1+12+len(plain)+16 {
			t.Errorf("sealed length = %d, want %d", len(sealed), 1+12+len(plain)+16)
		}
		if sealed[0] != 1 {
			t.Errorf("version byte = %d", sealed[0])
		}
		if len(plain) > 8 && bytes.Contains(sealed, plain[:8]) {
			t.Error("plaintext visible in sealed data")
		}
		got, err := s.Open(sealed, ad)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("Open = %q, want %q", got, plain)
		}
	}
	a, b := s.Seal([]byte("same"), nil), s.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Error("two seals of the same plaintext are equal: nonce reused")
	}
}

// The documented format, decoded with nothing but crypto/cipher: data sealed
// today must stay readable by any later version.
func TestSealFormat(t *testing.T) {
	mk := make([]byte, keys.MasterKeySize)
	rand.Read(mk)
	s, err := keys.NewSealer(mk)
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal([]byte("plain"), []byte("ad"))

	block, err := aes.NewCipher(mk)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	got, err := gcm.Open(nil, sealed[1:13], sealed[13:], []byte("\x01ad"))
	if err != nil || string(got) != "plain" || sealed[0] != 1 {
		t.Fatalf("independent decode: %q, %v", got, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	s := newSealer(t)
	plain, ad := []byte("client secret"), []byte("0oa123")
	sealed := s.Seal(plain, ad)

	// Every single-byte change after the version byte fails authentication.
	for i := 1; i < len(sealed); i++ {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := s.Open(bad, ad); !errors.Is(err, keys.ErrOpen) {
			t.Fatalf("byte %d flipped: err = %v", i, err)
		}
	}
	bad := bytes.Clone(sealed)
	bad[0] = 2
	if _, err := s.Open(bad, ad); err == nil || errors.Is(err, keys.ErrOpen) {
		t.Errorf("unknown version: err = %v", err)
	}
	if _, err := s.Open(sealed, []byte("0oa124")); !errors.Is(err, keys.ErrOpen) {
		t.Errorf("wrong associated data: err = %v", err)
	}
	if _, err := s.Open(sealed, nil); !errors.Is(err, keys.ErrOpen) {
		t.Errorf("missing associated data: err = %v", err)
	}
	if _, err := newSealer(t).Open(sealed, ad); !errors.Is(err, keys.ErrOpen) {
		t.Errorf("wrong master key: err = %v", err)
	}
	for _, n := range []int{0, 1, 28, len(sealed) - 1} {
		if _, err := s.Open(sealed[:n], ad); err == nil {
			t.Errorf("truncated to %d bytes: opened", n)
		}
	}
	if _, err := s.Open(append(bytes.Clone(sealed), 0), ad); err == nil {
		t.Error("extended: opened")
	}
}

func TestSealPrivateKey(t *testing.T) {
	s := newSealer(t)
	for _, alg := range []string{"RS256", "ES384"} {
		k := mustGenerate(t, alg)
		kid := keys.NewKID(k.Public())
		sealed, err := keys.SealPrivateKey(s, k, kid)
		if err != nil {
			t.Fatal(err)
		}
		got, err := keys.OpenPrivateKey(s, sealed, kid)
		if err != nil {
			t.Fatal(err)
		}
		if !got.(interface{ Equal(crypto.PrivateKey) bool }).Equal(k) {
			t.Errorf("%s: opened key differs", alg)
		}
		if _, err := keys.OpenPrivateKey(s, sealed, kid+"x"); !errors.Is(err, keys.ErrOpen) {
			t.Errorf("%s: other kid: err = %v", alg, err)
		}
		if _, err := keys.OpenPrivateKey(newSealer(t), sealed, kid); !errors.Is(err, keys.ErrOpen) {
			t.Errorf("%s: other master key: err = %v", alg, err)
		}
		// A value sealed for another purpose with the kid as associated
		// data does not pass for a private key.
		if _, err := keys.OpenPrivateKey(s, s.Seal([]byte("x"), []byte(kid)), kid); !errors.Is(err, keys.ErrOpen) {
			t.Errorf("%s: foreign sealed value: err = %v", alg, err)
		}
	}
	if _, err := keys.SealPrivateKey(nil, mustGenerate(t, "ES256"), "k"); err == nil {
		t.Error("nil sealer accepted")
	}
	if _, err := keys.SealPrivateKey(s, nil, "k"); err == nil {
		t.Error("nil key accepted")
	}
}
