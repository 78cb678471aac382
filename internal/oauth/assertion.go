package oauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	_ "crypto/sha256" // registers the hashes verifyAsymmetric asks crypto.Hash for
	_ "crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/big"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

const (
	// assertionMaxLifetime is Okta's limit on exp, plus skew: clients set
	// exp to exactly now+3600 and their clock may run ahead of ours.
	assertionMaxLifetime = time.Hour + 5*time.Minute
	// clockSkew tolerates small clock differences on exp and iat.
	clockSkew = time.Minute
	// maxAssertionBytes bounds the work spent on an untrusted assertion.
	maxAssertionBytes = 16 << 10
)

var (
	asymmetricAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512}
	hmacAlgs       = []jose.SignatureAlgorithm{jose.HS256, jose.HS384, jose.HS512}
)

// assertionClaims are the members of a client assertion that are checked.
// Numbers are decoded loosely so that a wrong type is reported as the
// claim's own error, not as unparseable.
type assertionClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp json.RawMessage `json:"exp"`
	Iat json.RawMessage `json:"iat"`
	JTI string          `json:"jti"`
}

type assertionHeader struct {
	Alg string `json:"alg"`
	KID string `json:"kid"`
}

// parseAssertion decodes header and claims without checking anything.
func parseAssertion(assertion string) (*assertionHeader, *assertionClaims, error) {
	a, err := decodeAssertion(assertion)
	if err != nil {
		return nil, nil, err
	}
	return &a.header, &a.claims, nil
}

// decodedAssertion is a client assertion decoded once, for both its claims
// and its signature.
type decodedAssertion struct {
	header assertionHeader
	claims assertionClaims
	// rawHeader and rawPayload are the decoded first two parts; sig is the
	// third, still encoded.
	rawHeader, rawPayload []byte
	sig                   string
}

func decodeAssertion(assertion string) (*decodedAssertion, error) {
	if len(assertion) > maxAssertionBytes {
		return nil, errors.New("assertion too large")
	}
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS")
	}
	a := &decodedAssertion{sig: parts[2]}
	var err error
	if a.rawHeader, err = base64.RawURLEncoding.DecodeString(parts[0]); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(a.rawHeader, &a.header); err != nil {
		return nil, err
	}
	if a.rawPayload, err = base64.RawURLEncoding.DecodeString(parts[1]); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(a.rawPayload, &a.claims); err != nil {
		return nil, err
	}
	return a, nil
}

// verifyAssertion authenticates a client by its JWT assertion (§2.3):
// client_secret_jwt or private_key_jwt.
func (s *Server) verifyAssertion(ctx context.Context, snap *cache.Snapshot, clientIDParam, assertion, endpoint string, now time.Time) (*cache.App, string, *Error) {
	a, err := decodeAssertion(assertion)
	if err != nil {
		return nil, "", errAssertionJWT
	}
	h, c := &a.header, &a.claims
	clientID := clientIDParam
	if clientID == "" {
		// The client is named by the assertion itself (OpenMetadata's
		// ingestion sends no client_id).
		clientID = c.Iss
		if clientID == "" {
			return nil, "", errAssertionIssuer
		}
	}
	app := activeApp(snap, clientID)
	if app == nil {
		if clientIDParam == "" {
			return nil, "", errAssertionIssuer
		}
		return nil, "", errInvalidClientID
	}
	method := app.ClientAuthMethod()
	var allowed []jose.SignatureAlgorithm
	switch method {
	case methodKeyJWT:
		allowed = asymmetricAlgs
	case methodSecretJWT:
		allowed = hmacAlgs
	default:
		return nil, "", errInvalidClient
	}
	alg := jose.SignatureAlgorithm(h.Alg)
	if !containsAlg(allowed, alg) {
		return nil, "", errAssertionAlg
	}

	var candidates []any
	if method == methodSecretJWT {
		// Each active secret may have signed: two are active while one
		// replaces the other.
		for _, sec := range app.Secrets {
			if len(sec) >= 32 {
				candidates = append(candidates, sec)
			}
		}
		if len(candidates) == 0 {
			if len(app.Secrets) == 0 {
				return nil, "", errAssertionNoSecret
			}
			return nil, "", errAssertionSecretLen
		}
	} else {
		keys := app.Keys
		if uri := app.JWKSURI; uri != "" {
			fetched, ferr := s.jwks.get(ctx, uri, h.KID)
			if ferr != nil {
				s.log.Warn("client jwks_uri fetch failed", "request_id", web.RequestID(ctx), "client_id", app.ClientID, "err", ferr)
				return nil, "", errJWKSURI
			}
			keys = fetched
		}
		if len(keys) == 0 {
			return nil, "", errAssertionNoJWKS
		}
		for _, k := range keys {
			if k.Use != "" && k.Use != "sig" {
				continue
			}
			if h.KID != "" && k.KID != h.KID {
				continue
			}
			if keyFitsAlg(k.Key, alg) {
				candidates = append(candidates, k.Key)
			}
		}
		if len(candidates) == 0 {
			if h.KID != "" {
				return nil, "", errAssertionKID
			}
			return nil, "", errAssertionAlg
		}
	}

	// Signature before claims: an unauthenticated caller must not be able
	// to consume a client's jti or learn which claim is wrong.
	if method == methodKeyJWT && plainHeader(a.rawHeader) {
		// The usual header ({"alg","kid","typ"}, nothing go-jose would
		// interpret further): verified here on what was decoded once.
		sig, err := base64.RawURLEncoding.DecodeString(a.sig)
		if err != nil {
			return nil, "", errAssertionJWT
		}
		if !verifyAsymmetric(alg, candidates, signingInput(a.rawHeader, a.rawPayload), sig) {
			return nil, "", errAssertionSignature
		}
	} else {
		jws, err := jose.ParseSigned(assertion, []jose.SignatureAlgorithm{alg})
		if err != nil {
			return nil, "", errAssertionJWT
		}
		verified := false
		for _, k := range candidates {
			if _, err := jws.Verify(k); err == nil {
				verified = true
				break
			}
		}
		if !verified {
			return nil, "", errAssertionSignature
		}
	}

	if c.Iss != app.ClientID {
		return nil, "", errAssertionIssuer
	}
	if c.Sub != app.ClientID {
		return nil, "", errAssertionSubject
	}
	if !audienceIncludes(c.Aud, endpoint) {
		return nil, "", errAssertionAudience
	}
	exp, ok := numericDate(c.Exp)
	if !ok {
		return nil, "", errAssertionExpMissing
	}
	if now.After(exp.Add(clockSkew)) {
		return nil, "", errAssertionExpired
	}
	if exp.After(now.Add(assertionMaxLifetime)) {
		return nil, "", errAssertionTooFar
	}
	if len(c.Iat) > 0 {
		iat, ok := numericDate(c.Iat)
		if !ok {
			return nil, "", errAssertionJWT
		}
		if iat.After(now.Add(clockSkew)) {
			return nil, "", errAssertionIatFuture
		}
	}
	if c.JTI != "" {
		// Recorded in the store, so a replay fails on every replica; kept
		// until the assertion could no longer be accepted anyway.
		err := s.store.Replays().Record(ctx, "client_assertion:"+app.ClientID+":"+c.JTI, exp.Add(clockSkew))
		if errors.Is(err, store.ErrConflict) {
			return nil, "", errAssertionReplayed
		}
		if err != nil {
			return nil, "", serverError("recording client assertion jti", err)
		}
	}
	return app, method, nil
}

// plainHeader reports whether a JWS header is an object whose members are
// only alg, kid and typ (exactly so named, each once, each a string): then
// go-jose would check nothing beyond the algorithm and the signature, and
// verifyAsymmetric is the same check. Anything else (crit, b64, jwk, x5c,
// another spelling, a repeated member, which go-jose refuses) takes the
// go-jose path, so that what is refused and how stays as it was.
func plainHeader(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	var seen [3]bool
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		i := -1
		switch t {
		case "alg":
			i = 0
		case "kid":
			i = 1
		case "typ":
			i = 2
		}
		if i < 0 || seen[i] {
			return false
		}
		seen[i] = true
		if v, err := dec.Token(); err != nil {
			return false
		} else if _, ok := v.(string); !ok {
			return false
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return false
	}
	_, err := dec.Token()
	return err == io.EOF
}

// signingInput is what the signature covers, re-encoded from the decoded
// parts as go-jose does (the decoder skips line breaks and accepts
// non-zero trailing bits, so the original text may differ).
func signingInput(header, payload []byte) []byte {
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, enc.EncodedLen(len(header))+1+enc.EncodedLen(len(payload)))
	buf = enc.AppendEncode(buf, header)
	buf = append(buf, '.')
	return enc.AppendEncode(buf, payload)
}

// verifyAsymmetric checks an RS* or ES* signature against each candidate
// key, with go-jose's rules: PKCS #1 v1.5 for RS*, and for ES* the key's
// curve must be the algorithm's and the signature exactly r‖s.
func verifyAsymmetric(alg jose.SignatureAlgorithm, candidates []any, input, sig []byte) bool {
	var hash crypto.Hash
	var curve elliptic.Curve
	size := 0
	switch alg {
	case jose.RS256:
		hash = crypto.SHA256
	case jose.RS384:
		hash = crypto.SHA384
	case jose.RS512:
		hash = crypto.SHA512
	case jose.ES256:
		hash, curve, size = crypto.SHA256, elliptic.P256(), 32
	case jose.ES384:
		hash, curve, size = crypto.SHA384, elliptic.P384(), 48
	case jose.ES512:
		hash, curve, size = crypto.SHA512, elliptic.P521(), 66
	default:
		return false
	}
	h := hash.New()
	h.Write(input)
	digest := h.Sum(nil)
	for _, k := range candidates {
		switch key := k.(type) {
		case *rsa.PublicKey:
			if curve == nil && rsa.VerifyPKCS1v15(key, hash, digest, sig) == nil {
				return true
			}
		case *ecdsa.PublicKey:
			if curve != nil && key.Curve == curve && len(sig) == 2*size &&
				ecdsa.Verify(key, digest, new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])) {
				return true
			}
		}
	}
	return false
}

func containsAlg(list []jose.SignatureAlgorithm, a jose.SignatureAlgorithm) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// keyFitsAlg keeps an RSA key from being tried with an ES algorithm and an
// EC key of one curve with another curve's algorithm.
func keyFitsAlg(k any, alg jose.SignatureAlgorithm) bool {
	switch key := k.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(string(alg), "RS")
	case *ecdsa.PublicKey:
		switch alg {
		case jose.ES256:
			return key.Curve.Params().BitSize == 256
		case jose.ES384:
			return key.Curve.Params().BitSize == 384
		case jose.ES512:
			return key.Curve.Params().BitSize == 521
		}
	}
	return false
}

// audienceIncludes accepts aud as a string or an array of strings.
func audienceIncludes(raw json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, a := range many {
			if a == want {
				return true
			}
		}
	}
	return false
}

// numericDate decodes a JWT NumericDate (seconds, possibly fractional).
func numericDate(raw json.RawMessage) (time.Time, bool) {
	if len(raw) == 0 {
		return time.Time{}, false
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}
