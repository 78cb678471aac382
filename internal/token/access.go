package token

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sesame-idp/sesame/internal/secret"
)

// AccessClaims are the claims of an access token in Okta's order (§3.2).
type AccessClaims struct {
	Ver      int      `json:"ver"`
	JTI      string   `json:"jti"`
	Iss      string   `json:"iss"`
	Aud      string   `json:"aud"`
	Iat      int64    `json:"iat"`
	Exp      int64    `json:"exp"`
	Cid      string   `json:"cid"`
	Uid      string   `json:"uid,omitempty"`
	Scp      []string `json:"scp"`
	AuthTime int64    `json:"auth_time,omitempty"`
	Sub      string   `json:"sub"`
	// Extra are custom claims (§4.4), written after the standard ones in
	// name order; one named like a standard claim is dropped, so that a
	// configured claim can never change what a verifier checks.
	Extra map[string]any `json:"-"`
}

// standardAccessClaims are the JSON names of AccessClaims' own fields,
// whether or not they are present in a given token.
var standardAccessClaims = map[string]bool{
	"ver": true, "jti": true, "iss": true, "aud": true, "iat": true, "exp": true,
	"cid": true, "uid": true, "scp": true, "auth_time": true, "sub": true,
}

// MarshalJSON writes the standard claims and then the extra ones.
func (c *AccessClaims) MarshalJSON() ([]byte, error) {
	type plain AccessClaims
	b, err := json.Marshal((*plain)(c))
	if err != nil || len(c.Extra) == 0 {
		return b, err
	}
	return appendExtra(b, c.Extra, standardAccessClaims)
}

// NewAccessJTI returns an access-token id, "AT." and random characters.
func NewAccessJTI() string { return "AT." + secret.RandomString(40) }

// Access describes an access token to mint.
type Access struct {
	Issuer   string
	Audience string
	ClientID string
	UserID   string
	Subject  string
	Scopes   []string
	AuthTime time.Time
	Lifetime time.Duration
	// Extra are custom claims; see AccessClaims.Extra.
	Extra map[string]any
}

// MintAccess signs an access token and returns it with its claims.
func MintAccess(k *Key, a Access, now time.Time) (string, *AccessClaims, error) {
	c := &AccessClaims{
		Ver: 1, JTI: NewAccessJTI(), Iss: a.Issuer, Aud: a.Audience,
		Iat: now.Unix(), Exp: now.Add(a.Lifetime).Unix(),
		Cid: a.ClientID, Uid: a.UserID, Scp: a.Scopes, Sub: a.Subject, Extra: a.Extra,
	}
	if c.Scp == nil {
		c.Scp = []string{}
	}
	if !a.AuthTime.IsZero() {
		c.AuthTime = a.AuthTime.Unix()
	}
	tok, err := Sign(k, c)
	return tok, c, err
}

// ParseAccess verifies an access token's signature and decodes its claims.
// Expiry, issuer and revocation are the caller's to check.
func ParseAccess(tok string, keys PublicKeys) (*AccessClaims, error) {
	payload, err := Verify(tok, keys)
	if err != nil {
		return nil, err
	}
	var c AccessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if c.JTI == "" || c.Exp == 0 {
		return nil, ErrMalformed
	}
	return &c, nil
}
