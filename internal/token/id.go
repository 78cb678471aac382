package token

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/sesame-idp/sesame/internal/secret"
)

// IDClaims are the base claims of an ID token in Okta's order (§3.3).
// Profile claims (name, email, …) and custom IDENTITY claims go in Extra.
type IDClaims struct {
	Sub      string         `json:"sub"`
	Ver      int            `json:"ver"`
	Iss      string         `json:"iss"`
	Aud      string         `json:"aud"`
	Iat      int64          `json:"iat"`
	Exp      int64          `json:"exp"`
	JTI      string         `json:"jti"`
	AMR      []string       `json:"amr"`
	IDP      string         `json:"idp"`
	Nonce    string         `json:"nonce,omitempty"`
	AuthTime int64          `json:"auth_time"`
	AtHash   string         `json:"at_hash,omitempty"`
	CHash    string         `json:"c_hash,omitempty"`
	Extra    map[string]any `json:"-"`
}

// standardIDClaims may not be replaced by an Extra member.
var standardIDClaims = map[string]bool{
	"sub": true, "ver": true, "iss": true, "aud": true, "iat": true, "exp": true, "jti": true, "amr": true,
	"idp": true, "nonce": true, "auth_time": true, "at_hash": true, "c_hash": true,
}

// MarshalJSON writes the base claims, then the extra ones by name.
func (c *IDClaims) MarshalJSON() ([]byte, error) {
	type plain IDClaims
	b, err := json.Marshal((*plain)(c))
	if err != nil || len(c.Extra) == 0 {
		return b, err
	}
	return appendExtra(b, c.Extra, standardIDClaims)
}

// appendExtra adds members to an encoded object in name order, skipping
// the standard ones.
func appendExtra(b []byte, extra map[string]any, standard map[string]bool) ([]byte, error) {
	names := make([]string, 0, len(extra))
	for k := range extra {
		if !standard[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	b = b[:len(b)-1]
	for _, k := range names {
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(extra[k])
		if err != nil {
			return nil, fmt.Errorf("token: encode claim %s: %w", k, err)
		}
		b = append(append(append(append(b, ','), kb...), ':'), vb...)
	}
	return append(b, '}'), nil
}

// ID describes an ID token to mint.
type ID struct {
	Issuer, ClientID, UserID, OrgID string
	AMR                             []string
	AuthTime                        time.Time
	Nonce                           string
	AccessToken, Code               string // for at_hash and c_hash
	Lifetime                        time.Duration
	Extra                           map[string]any
}

// MintID signs an ID token.
func MintID(k *Key, d ID, now time.Time) (string, *IDClaims, error) {
	c := &IDClaims{
		Sub: d.UserID, Ver: 1, Iss: d.Issuer, Aud: d.ClientID, Iat: now.Unix(), Exp: now.Add(d.Lifetime).Unix(),
		JTI: "ID." + secret.RandomString(40), AMR: d.AMR, IDP: d.OrgID, Nonce: d.Nonce, AuthTime: d.AuthTime.Unix(),
		Extra: d.Extra,
	}
	if c.AMR == nil {
		c.AMR = []string{"pwd"}
	}
	if d.AccessToken != "" {
		c.AtHash = HalfHash(d.AccessToken)
	}
	if d.Code != "" {
		c.CHash = HalfHash(d.Code)
	}
	tok, err := Sign(k, c)
	return tok, c, err
}

// HalfHash is at_hash/c_hash for RS256: the left half of SHA-256,
// base64url without padding (OIDC Core §3.1.3.6).
func HalfHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// ParseID verifies an ID token's signature and decodes its claims; expiry
// is the caller's to check (logout accepts expired hints).
func ParseID(tok string, keys PublicKeys) (*IDClaims, error) {
	payload, err := Verify(tok, keys)
	if err != nil {
		return nil, err
	}
	var c IDClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if c.Sub == "" || c.Aud == "" {
		return nil, ErrMalformed
	}
	return &c, nil
}
