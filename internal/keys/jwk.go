package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// JWKInfo is what a JWK says about its key besides the key material.
type JWKInfo struct {
	KID string
	Alg string
	Use string
	Kty string
}

// The member order of these structs is the order Okta's /v1/keys uses, so that
// Sesame's documents read the same as Okta's. The private members come last.
type rsaJWK struct {
	Kty string `json:"kty"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	E   string `json:"e"`
	N   string `json:"n"`
	D   string `json:"d,omitempty"`
	P   string `json:"p,omitempty"`
	Q   string `json:"q,omitempty"`
	DP  string `json:"dp,omitempty"`
	DQ  string `json:"dq,omitempty"`
	QI  string `json:"qi,omitempty"`
}

type ecJWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	D   string `json:"d,omitempty"`
}

// b64 encodes as RFC 7515 base64url: URL alphabet, no padding.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// PublicJWK encodes the public half of key (a public key, or a private key
// whose public half is wanted) as a JWK with kid, alg and use, the members
// Okta's clients require on every published key. An empty alg means
// DefaultAlg for the key and an empty use means "sig"; kid is required and
// must be 1–128 characters of [A-Za-z0-9._-] so that it is safe in a JWT
// header (docs/okta-api.md §3.1) and as a file name.
func PublicJWK(key crypto.PublicKey, kid, alg, use string) ([]byte, error) {
	pub := publicOf(key)
	if err := checkPublicKey(pub); err != nil {
		return nil, fmt.Errorf("keys: public JWK: %w", err)
	}
	alg, use, err := jwkParams(pub, kid, alg, use)
	if err != nil {
		return nil, fmt.Errorf("keys: public JWK: %w", err)
	}
	var out []byte
	switch k := pub.(type) {
	case *rsa.PublicKey:
		out, err = json.Marshal(rsaJWK{Kty: "RSA", Alg: alg, Kid: kid, Use: use,
			E: b64(big.NewInt(int64(k.E)).Bytes()), N: b64(k.N.Bytes())})
	case *ecdsa.PublicKey:
		var j ecJWK
		j, err = ecPublicMembers(k)
		if err == nil {
			j.Alg, j.Kid, j.Use = alg, kid, use
			out, err = json.Marshal(j)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("keys: public JWK: %w", err)
	}
	return out, nil
}

// PrivateJWK encodes signer as a private JWK (the key pair), with the same
// rules for kid, alg and use as PublicJWK. The result is secret.
func PrivateJWK(signer crypto.Signer, kid, alg, use string) ([]byte, error) {
	if err := checkSigner(signer); err != nil {
		return nil, fmt.Errorf("keys: private JWK: %w", err)
	}
	alg, use, err := jwkParams(signer.Public(), kid, alg, use)
	if err != nil {
		return nil, fmt.Errorf("keys: private JWK: %w", err)
	}
	var out []byte
	switch k := signer.(type) {
	case *rsa.PrivateKey:
		// Validate does not modify the key, unlike Precompute: the caller
		// may be signing with it concurrently.
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("keys: private JWK: invalid RSA key: %w", err)
		}
		dp, dq, qi := k.Precomputed.Dp, k.Precomputed.Dq, k.Precomputed.Qinv
		if dp == nil || dq == nil || qi == nil {
			p1 := new(big.Int).Sub(k.Primes[0], big.NewInt(1))
			q1 := new(big.Int).Sub(k.Primes[1], big.NewInt(1))
			dp = new(big.Int).Mod(k.D, p1)
			dq = new(big.Int).Mod(k.D, q1)
			qi = new(big.Int).ModInverse(k.Primes[1], k.Primes[0])
		}
		out, err = json.Marshal(rsaJWK{Kty: "RSA", Alg: alg, Kid: kid, Use: use,
			E: b64(big.NewInt(int64(k.E)).Bytes()), N: b64(k.N.Bytes()),
			D: b64(k.D.Bytes()),
			P: b64(k.Primes[0].Bytes()), Q: b64(k.Primes[1].Bytes()),
			DP: b64(dp.Bytes()), DQ: b64(dq.Bytes()), QI: b64(qi.Bytes())})
	case *ecdsa.PrivateKey:
		var j ecJWK
		j, err = ecPublicMembers(&k.PublicKey)
		if err != nil {
			break
		}
		var d []byte
		if d, err = k.Bytes(); err != nil {
			err = errors.New("invalid EC private key")
			break
		}
		j.Alg, j.Kid, j.Use, j.D = alg, kid, use, b64(d)
		out, err = json.Marshal(j)
	}
	if err != nil {
		return nil, fmt.Errorf("keys: private JWK: %w", err)
	}
	return out, nil
}

// jwkParams fills in the defaults for alg and use and checks all three.
func jwkParams(pub crypto.PublicKey, kid, alg, use string) (string, string, error) {
	if err := checkKID(kid); err != nil {
		return "", "", err
	}
	if alg == "" {
		alg = defaultAlgForPublic(pub)
	}
	if err := checkAlg(pub, alg); err != nil {
		return "", "", err
	}
	if use == "" {
		use = "sig"
	}
	if use != "sig" {
		// Every algorithm here is a signature algorithm; an "enc" key with
		// alg RS256 would contradict itself.
		return "", "", fmt.Errorf("use %q is not supported (want sig)", truncate(use))
	}
	return alg, use, nil
}

// ecPublicMembers encodes the curve point; Bytes pads both coordinates to the
// curve size, as RFC 7518 §6.2.1 requires.
func ecPublicMembers(k *ecdsa.PublicKey) (ecJWK, error) {
	point, err := k.Bytes()
	if err != nil {
		return ecJWK{}, fmt.Errorf("invalid EC public key: %w", err)
	}
	size := (len(point) - 1) / 2
	return ecJWK{Kty: "EC", Crv: curveName(k.Curve),
		X: b64(point[1 : 1+size]), Y: b64(point[1+size:])}, nil
}

// checkKID enforces the kid alphabet for keys Sesame emits. Besides being safe
// as a file name, it keeps JWT headers decodable by okta-jwt-verifier-golang,
// which decodes them as standard (not URL-safe) base64 (docs/okta-api.md §3.1).
func checkKID(kid string) error {
	if kid == "" {
		return errors.New("kid is required")
	}
	if len(kid) > 128 {
		return fmt.Errorf("kid is %d characters long (at most 128)", len(kid))
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("kid %q has a character outside [A-Za-z0-9._-]", truncate(kid))
		}
	}
	return nil
}

// JWKS wraps JWKs into a JWK Set, {"keys":[...]}. The keys must be JSON
// objects such as PublicJWK returns; JWKS only compacts them, and writes one
// that is not valid JSON unchanged, since its callers hold only keys they
// encoded themselves.
func JWKS(keys ...json.RawMessage) []byte {
	var b bytes.Buffer
	b.WriteString(`{"keys":[`)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		n := b.Len()
		if err := json.Compact(&b, k); err != nil {
			b.Truncate(n)
			b.Write(k)
		}
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of a public key (or of a
// private key's public half), unpadded base64url: 43 characters of
// [A-Za-z0-9_-]. It returns "" for key types this package does not support.
func Thumbprint(pub crypto.PublicKey) string {
	var canonical string
	// RFC 7638 fixes the members and their (lexical) order; the values are
	// base64url, so no JSON escaping is needed.
	switch k := publicOf(pub).(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil || k.E <= 0 {
			return ""
		}
		canonical = `{"e":"` + b64(big.NewInt(int64(k.E)).Bytes()) +
			`","kty":"RSA","n":"` + b64(k.N.Bytes()) + `"}`
	case *ecdsa.PublicKey:
		if k == nil || curveName(k.Curve) == "" {
			return ""
		}
		j, err := ecPublicMembers(k)
		if err != nil {
			return ""
		}
		canonical = `{"crv":"` + j.Crv + `","kty":"EC","x":"` + j.X + `","y":"` + j.Y + `"}`
	default:
		return ""
	}
	sum := sha256.Sum256([]byte(canonical))
	return b64(sum[:])
}

// NewKID derives the kid of a key Sesame generates: its thumbprint, which has
// the length and alphabet of Okta's kids and is the same on every replica.
func NewKID(pub crypto.PublicKey) string { return Thumbprint(pub) }

// ParseJWK parses and validates one JWK. key is *rsa.PublicKey or
// *ecdsa.PublicKey, or *rsa.PrivateKey or *ecdsa.PrivateKey (both
// crypto.Signer) when the JWK holds a private key. Only RSA keys of 2048 to
// 8192 bits and EC keys on P-256, P-384 and P-521 are accepted; symmetric
// ("oct") keys are refused. alg, when present on a signing key, must be one
// of RS256/384/512 or ES256/384/512 and fit the key. Members this package does
// not use (x5c, key_ops, Okta's status and id, ...) are ignored.
//
// Errors never quote key material, so they are safe to return to clients.
func ParseJWK(data []byte) (key any, info JWKInfo, err error) {
	key, info, err = parseJWK(data)
	if err != nil {
		return nil, JWKInfo{}, fmt.Errorf("keys: parse JWK: %w", err)
	}
	return key, info, nil
}

// jwkMembers is a JWK as raw members. Decoding into a map rather than a struct
// avoids encoding/json's case-insensitive field matching, under which "KTY"
// or "D" would be taken for "kty" or "d".
type jwkMembers map[string]json.RawMessage

func parseJWK(data []byte) (any, JWKInfo, error) {
	var m jwkMembers
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, JWKInfo{}, jsonError(err)
	}
	if m == nil {
		return nil, JWKInfo{}, errors.New("not a JSON object")
	}
	return m.parse()
}

func (m jwkMembers) parse() (any, JWKInfo, error) {
	var info JWKInfo
	var err error
	if info.Kty, err = m.str("kty"); err != nil {
		return nil, info, err
	}
	if info.KID, err = m.str("kid"); err != nil {
		return nil, info, err
	}
	if info.Alg, err = m.str("alg"); err != nil {
		return nil, info, err
	}
	if info.Use, err = m.str("use"); err != nil {
		return nil, info, err
	}

	var key any
	switch info.Kty {
	case "RSA":
		key, err = m.rsaKey()
	case "EC":
		key, err = m.ecKey()
	case "oct":
		return nil, info, errors.New(`symmetric keys (kty "oct") are not supported: use an RSA or EC key`)
	case "":
		if _, ok := m["keys"]; ok {
			return nil, info, errors.New(`no "kty" member: this is a JWK Set, not a single JWK`)
		}
		return nil, info, errors.New(`no "kty" member`)
	default:
		return nil, info, fmt.Errorf("key type %q is not supported (want RSA or EC)", truncate(info.Kty))
	}
	if err != nil {
		return nil, info, err
	}

	switch info.Use {
	case "", "sig":
		if info.Alg != "" {
			if err := checkAlg(publicOf(key), info.Alg); err != nil {
				return nil, info, err
			}
		}
	case "enc":
		// A client's JWKS may carry encryption keys (RSA-OAEP, ECDH-ES...);
		// their alg is not a signature algorithm and is not ours to check.
	default:
		return nil, info, fmt.Errorf("use %q is not supported (want sig or enc)", truncate(info.Use))
	}
	return key, info, nil
}

func (m jwkMembers) rsaKey() (any, error) {
	nb, err := m.bytes("n", true)
	if err != nil {
		return nil, err
	}
	eb, err := m.bytes("e", true)
	if err != nil {
		return nil, err
	}
	if len(eb) > 4 {
		return nil, errors.New("RSA public exponent is too large")
	}
	e := 0
	for _, b := range eb {
		e = e<<8 | int(b)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: e}
	if err := checkPublicKey(pub); err != nil {
		return nil, err
	}
	d, err := m.bytes("d", false)
	if err != nil {
		return nil, err
	}
	if d == nil {
		for _, name := range []string{"p", "q", "dp", "dq", "qi", "oth"} {
			if _, ok := m[name]; ok {
				return nil, fmt.Errorf("RSA key has member %q but no \"d\"", name)
			}
		}
		return pub, nil
	}
	if _, ok := m["oth"]; ok {
		return nil, errors.New("multi-prime RSA keys (\"oth\") are not supported")
	}
	// RFC 7518 §6.3.2: with p present, all the CRT members must be. Go cannot
	// use a key that has d alone, so they are required.
	var crt [5][]byte
	for i, name := range []string{"p", "q", "dp", "dq", "qi"} {
		if crt[i], err = m.bytes(name, true); err != nil {
			return nil, err
		}
	}
	// No private value may be longer than the modulus; refusing them early
	// bounds the work spent on a hostile key.
	for _, v := range append(crt[:], d) {
		if len(v) > len(nb) {
			return nil, errors.New("RSA private key member is longer than the modulus")
		}
	}
	priv := &rsa.PrivateKey{
		PublicKey: *pub,
		D:         new(big.Int).SetBytes(d),
		Primes:    []*big.Int{new(big.Int).SetBytes(crt[0]), new(big.Int).SetBytes(crt[1])},
		Precomputed: rsa.PrecomputedValues{
			Dp: new(big.Int).SetBytes(crt[2]), Dq: new(big.Int).SetBytes(crt[3]), Qinv: new(big.Int).SetBytes(crt[4]),
		},
	}
	// Precompute first so that Validate, which checks d, the primes and the
	// CRT values against n and e, does not do the same work again.
	priv.Precompute()
	if err := priv.Validate(); err != nil {
		return nil, fmt.Errorf("inconsistent RSA private key: %w", err)
	}
	return priv, nil
}

func (m jwkMembers) ecKey() (any, error) {
	crv, err := m.str("crv")
	if err != nil {
		return nil, err
	}
	curve := curveByName(crv)
	if curve == nil {
		return nil, fmt.Errorf("EC curve %q is not supported (want P-256, P-384 or P-521)", truncate(crv))
	}
	size := (curve.Params().BitSize + 7) / 8
	x, err := m.bytes("x", true)
	if err != nil {
		return nil, err
	}
	y, err := m.bytes("y", true)
	if err != nil {
		return nil, err
	}
	// RFC 7518 §6.2.1.2: the coordinates are always the full curve size.
	if len(x) != size || len(y) != size {
		return nil, fmt.Errorf("EC coordinates must be %d bytes for %s", size, crv)
	}
	point := make([]byte, 0, 1+2*size)
	point = append(append(append(point, 4), x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, errors.New("EC point is not on the curve")
	}
	d, err := m.bytes("d", false)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return pub, nil
	}
	if len(d) != size {
		return nil, fmt.Errorf("EC private key must be %d bytes for %s", size, crv)
	}
	priv, err := ecdsa.ParseRawPrivateKey(curve, d)
	if err != nil {
		return nil, errors.New("EC private key is out of range")
	}
	if !priv.PublicKey.Equal(pub) {
		return nil, errors.New(`EC private key does not match "x" and "y"`)
	}
	return priv, nil
}

// str returns a string member, "" when absent.
func (m jwkMembers) str(name string) (string, error) {
	raw, ok := m[name]
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("member %q is not a string", name)
	}
	return s, nil
}

// bytes decodes a base64url member; nil when absent and not required.
func (m jwkMembers) bytes(name string, required bool) ([]byte, error) {
	if _, ok := m[name]; !ok {
		if required {
			return nil, fmt.Errorf("member %q is missing", name)
		}
		return nil, nil
	}
	s, err := m.str(name)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, fmt.Errorf("member %q is empty", name)
	}
	// RFC 7515 base64url has no padding; Strict also refuses non-zero
	// trailing bits so that each value has one encoding.
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("member %q is not unpadded base64url: %w", name, err)
	}
	return b, nil
}

// jsonError describes a JSON decoding error without the offending text:
// encoding/json quotes the character it stopped at, which in a private key is
// key material.
func jsonError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("malformed JSON at offset %d", syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return errors.New("not a JSON object")
	}
	return errors.New("malformed JSON")
}
