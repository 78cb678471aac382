// Package jwktest makes client keys and their JWKs for tests of the rules
// and shapes of app keys (internal/service, internal/mgmt), and the servers'
// signing keys of the unit-test fixtures (service, oauth, cache). The keys are
// generated once per test binary: RSA key generation is slow.
package jwktest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/sesame-idp/sesame/internal/store"
)

// Keys are private keys of the sizes and curves the rules tell apart.
type Keys struct {
	RSA2048, RSA1024 *rsa.PrivateKey
	EC256, EC384     *ecdsa.PrivateKey
}

// Get returns the keys, generating them on first use.
var Get = sync.OnceValue(func() Keys {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	var k Keys
	var err error
	k.RSA2048, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.RSA1024, err = rsa.GenerateKey(rand.Reader, 1024)
	must(err)
	k.EC256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.EC384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	must(err)
	return k
})

// JSON renders a public key, or for tests of refusal a private one, as a JWK.
func JSON(t testing.TB, key any, kid, use, alg string) string {
	t.Helper()
	b, err := jose.JSONWebKey{Key: key, KeyID: kid, Use: use, Algorithm: alg}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// RSAPub is the 2048-bit key's public half as an RS256 signing JWK.
func RSAPub(t testing.TB, kid string) string {
	return JSON(t, &Get().RSA2048.PublicKey, kid, "sig", "RS256")
}

// Set builds a stored JWKS from JWK JSON texts.
func Set(t testing.TB, jwks ...string) *store.AppJWKS {
	t.Helper()
	var out store.AppJWKS
	if err := json.Unmarshal([]byte(`{"keys":[`+strings.Join(jwks, ",")+`]}`), &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// serverKeys are signing keys by name (RSA-2048), made once per test binary.
var serverKeys sync.Map // name → func() (*rsa.PrivateKey, error)

// ServerKey returns the signing key called name, the same for every test
// of the binary: fixtures give it to service.FixedKeys so that no test
// generates a server key of its own.
func ServerKey(name string) *rsa.PrivateKey {
	f, _ := serverKeys.LoadOrStore(name, sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) }))
	k, err := f.(func() (*rsa.PrivateKey, error))()
	if err != nil {
		panic(err) // crypto/rand failed
	}
	return k
}
