// Package token mints and checks the JWTs Sesame issues (access and ID
// tokens). Minting is hand-rolled on crypto/rsa: Okta's header order (kid,
// then alg, no typ) is part of the contract, and the token endpoint's cost is
// the signature, so nothing else may add to it.
package token

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sesame-idp/sesame/internal/jsonenc"
	"github.com/sesame-idp/sesame/internal/metrics"
)

// Alg is the only algorithm Sesame signs with: every Okta verifier pins RS256.
const Alg = "RS256"

// Key is an authorization server's signing key.
type Key struct {
	KID     string
	Private *rsa.PrivateKey
}

// Sign returns the compact JWS of claims with header {"kid":…,"alg":"RS256"}.
func Sign(k *Key, claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("token: encode claims: %w", err)
	}
	return SignPayload(k, payload)
}

// SignPayload signs an already encoded claims object.
func SignPayload(k *Key, payload []byte) (string, error) {
	metrics.Signatures.Inc()
	header := append(jsonenc.Member([]byte("{"), "kid", k.KID), `,"alg":"`+Alg+`"}`...)
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, enc.EncodedLen(len(header))+enc.EncodedLen(len(payload))+2+enc.EncodedLen(k.Private.Size()))
	buf = enc.AppendEncode(buf, header)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)
	digest := sha256.Sum256(buf)
	sig, err := rsa.SignPKCS1v15(nil, k.Private, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

// ErrMalformed, ErrUnknownKey and ErrSignature are the ways a token fails
// verification before its claims are looked at.
var (
	ErrMalformed  = errors.New("token: malformed")
	ErrUnknownKey = errors.New("token: unknown key")
	ErrSignature  = errors.New("token: bad signature")
)

// PublicKeys finds a verification key by kid.
type PublicKeys func(kid string) *rsa.PublicKey

// Verify checks the signature of a token Sesame minted and returns its
// decoded payload. Only RS256 with a known kid is accepted.
func Verify(tok string, keys PublicKeys) ([]byte, error) {
	h, rest, ok := strings.Cut(tok, ".")
	if !ok {
		return nil, ErrMalformed
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(s, ".") {
		return nil, ErrMalformed
	}
	enc := base64.RawURLEncoding
	hb, err := enc.DecodeString(h)
	if err != nil {
		return nil, ErrMalformed
	}
	var header struct {
		KID string `json:"kid"`
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(hb, &header); err != nil || header.Alg != Alg || header.KID == "" {
		return nil, ErrMalformed
	}
	pub := keys(header.KID)
	if pub == nil {
		return nil, ErrUnknownKey
	}
	sig, err := enc.DecodeString(s)
	if err != nil {
		return nil, ErrMalformed
	}
	digest := sha256.Sum256([]byte(tok[:len(h)+1+len(p)]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) != nil {
		return nil, ErrSignature
	}
	payload, err := enc.DecodeString(p)
	if err != nil || !bytes.HasPrefix(bytes.TrimSpace(payload), []byte("{")) {
		return nil, ErrMalformed
	}
	return payload, nil
}
