// Package keys makes, encodes and protects the asymmetric keys Sesame signs
// with: authorization-server signing keys (published at /v1/keys) and the key
// pairs administrators generate for private_key_jwt clients.
//
// Only RSA (RS256, RS384, RS512) and ECDSA (ES256, ES384, ES512) keys are
// supported, because those are the algorithms Okta accepts for signed tokens
// and client assertions. Private keys are kept at rest only sealed under the
// install's master key (see [Sealer]).
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
)

// RSA modulus bounds. 2048 bits is the smallest size still considered safe;
// the upper bound caps the cost of verifying with a client-supplied key and of
// generating one.
const (
	MinRSABits     = 2048
	MaxRSABits     = 8192
	DefaultRSABits = 2048
)

// algSpec says which key an algorithm signs with.
type algSpec struct {
	kty   string         // "RSA" or "EC"
	curve elliptic.Curve // EC only
}

// lookupAlg returns the key an algorithm needs. A switch rather than a map
// keeps the table immutable.
func lookupAlg(alg string) (algSpec, bool) {
	switch alg {
	case "RS256", "RS384", "RS512":
		return algSpec{kty: "RSA"}, true
	case "ES256":
		return algSpec{kty: "EC", curve: elliptic.P256()}, true
	case "ES384":
		return algSpec{kty: "EC", curve: elliptic.P384()}, true
	case "ES512":
		return algSpec{kty: "EC", curve: elliptic.P521()}, true
	}
	return algSpec{}, false
}

const supportedAlgs = "RS256, RS384, RS512, ES256, ES384 or ES512"

// Generate makes a new private key for alg. rsaBits is the RSA modulus size
// (0 means 2048); it is ignored for the ES algorithms, whose curve fixes the
// size, so that a CLI may pass its --size default whatever the algorithm.
func Generate(alg string, rsaBits int) (crypto.Signer, error) {
	spec, ok := lookupAlg(alg)
	if !ok {
		return nil, fmt.Errorf("keys: generate: unsupported algorithm %q (want %s)", truncate(alg), supportedAlgs)
	}
	if spec.kty == "EC" {
		k, err := ecdsa.GenerateKey(spec.curve, rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("keys: generate %s key: %w", alg, err)
		}
		return k, nil
	}
	if rsaBits == 0 {
		rsaBits = DefaultRSABits
	}
	if rsaBits < MinRSABits || rsaBits > MaxRSABits {
		return nil, fmt.Errorf("keys: generate: RSA key size %d bits is out of range (%d to %d)", rsaBits, MinRSABits, MaxRSABits)
	}
	k, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, fmt.Errorf("keys: generate %d-bit RSA key: %w", rsaBits, err)
	}
	return k, nil
}

// DefaultAlg is the algorithm a key signs with when nothing else says:
// RS256 for RSA (the only one every Okta client accepts) and the ES algorithm
// matching an EC key's curve. It returns "" for keys this package does not
// support.
func DefaultAlg(signer crypto.Signer) string {
	if signer == nil {
		return ""
	}
	return defaultAlgForPublic(signer.Public())
}

func defaultAlgForPublic(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RS256"
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return "ES256"
		case elliptic.P384():
			return "ES384"
		case elliptic.P521():
			return "ES512"
		}
	}
	return ""
}

// publicOf accepts a public key or a private key and returns the public half,
// so that callers holding a Signer need not call Public() first.
func publicOf(key any) crypto.PublicKey {
	if s, ok := key.(crypto.Signer); ok {
		return s.Public()
	}
	return key
}

// checkPublicKey rejects keys Sesame must not sign or verify with: RSA outside
// the size bounds or with an unusable exponent, EC on other curves or off the
// curve.
func checkPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return fmt.Errorf("RSA key has no modulus")
		}
		if bits := k.N.BitLen(); bits < MinRSABits || bits > MaxRSABits {
			return fmt.Errorf("RSA modulus is %d bits (want %d to %d)", bits, MinRSABits, MaxRSABits)
		}
		if k.N.Bit(0) == 0 {
			return fmt.Errorf("RSA modulus is even")
		}
		// Go's rsa package refuses even exponents and ones beyond 31 bits;
		// checking here reports it when the key is loaded, not when first used.
		if k.E < 3 || k.E&1 == 0 || k.E > 1<<31-1 {
			return fmt.Errorf("RSA public exponent is invalid")
		}
		return nil
	case *ecdsa.PublicKey:
		if k == nil {
			return fmt.Errorf("EC key is nil")
		}
		if curveName(k.Curve) == "" {
			return fmt.Errorf("EC curve is not supported (want P-256, P-384 or P-521)")
		}
		if _, err := k.Bytes(); err != nil {
			return fmt.Errorf("EC public key is invalid: %w", err)
		}
		return nil
	case nil:
		return fmt.Errorf("no key")
	}
	return fmt.Errorf("key type %T is not supported (want RSA or ECDSA)", pub)
}

// checkSigner is checkPublicKey for private keys, also making sure the
// concrete type is one whose encodings this package knows.
func checkSigner(s crypto.Signer) error {
	switch k := s.(type) {
	case *rsa.PrivateKey:
		if k == nil {
			return fmt.Errorf("no key")
		}
		if len(k.Primes) != 2 {
			// JWK "oth" members and multi-prime keys are deprecated in Go
			// and rare everywhere; refusing them keeps one encoding path.
			return fmt.Errorf("multi-prime RSA keys are not supported")
		}
	case *ecdsa.PrivateKey:
		if k == nil {
			return fmt.Errorf("no key")
		}
	case nil:
		return fmt.Errorf("no key")
	default:
		return fmt.Errorf("key type %T is not supported (want RSA or ECDSA)", s)
	}
	return checkPublicKey(s.Public())
}

// checkAlg makes sure alg is a supported signature algorithm for pub.
func checkAlg(pub crypto.PublicKey, alg string) error {
	spec, ok := lookupAlg(alg)
	if !ok {
		return fmt.Errorf("unsupported algorithm %q (want %s)", truncate(alg), supportedAlgs)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if spec.kty != "RSA" {
			return fmt.Errorf("algorithm %s does not fit an RSA key", alg)
		}
	case *ecdsa.PublicKey:
		if spec.kty != "EC" || spec.curve != k.Curve {
			return fmt.Errorf("algorithm %s does not fit an EC %s key", alg, curveName(k.Curve))
		}
	default:
		return fmt.Errorf("key type %T is not supported", pub)
	}
	return nil
}

func curveName(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "P-256"
	case elliptic.P384():
		return "P-384"
	case elliptic.P521():
		return "P-521"
	}
	return ""
}

func curveByName(name string) elliptic.Curve {
	switch name {
	case "P-256":
		return elliptic.P256()
	case "P-384":
		return elliptic.P384()
	case "P-521":
		return elliptic.P521()
	}
	return nil
}

// truncate shortens attacker-supplied strings before they go into an error
// message, so that a huge value cannot flood the logs.
func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
