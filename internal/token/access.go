package token

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sesame-idp/sesame/internal/jsonenc"
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
func (c *AccessClaims) MarshalJSON() ([]byte, error) { return c.appendJSON(nil) }

// appendJSON writes what json.Marshal would of the struct's tags, without
// reflection: every access token is encoded once.
func (c *AccessClaims) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	b = jsonenc.Int(b, "ver", int64(c.Ver))
	b = jsonenc.Member(b, "jti", c.JTI)
	b = jsonenc.Member(b, "iss", c.Iss)
	b = jsonenc.Member(b, "aud", c.Aud)
	b = jsonenc.Int(b, "iat", c.Iat)
	b = jsonenc.Int(b, "exp", c.Exp)
	b = jsonenc.Member(b, "cid", c.Cid)
	if c.Uid != "" {
		b = jsonenc.Member(b, "uid", c.Uid)
	}
	b = jsonenc.Strings(jsonenc.Key(b, "scp"), c.Scp)
	if c.AuthTime != 0 {
		b = jsonenc.Int(b, "auth_time", c.AuthTime)
	}
	b = jsonenc.Member(b, "sub", c.Sub)
	b = append(b, '}')
	if len(c.Extra) == 0 {
		return b, nil
	}
	return appendExtra(b, c.Extra, standardAccessClaims)
}

// NewAccessJTI returns an access-token id, "AT." and random characters.
func NewAccessJTI() string { return "AT." + secret.RandomString(40) }

// A token family (the tokens of one grant and its refreshes) has an id made
// by secret.NewID("fam"): "fam" and 17 characters, its key. An access token
// issued in a family carries the key as the first 17 characters after
// "AT.", so that one revocation record revokes every access token of the
// family, however many there are. The id keeps the length and alphabet of
// any other access-token id.
const (
	familyPrefix = "fam"
	familyKeyLen = 17
	accessJTILen = 3 + 40
)

// FamilyKey returns the key of a family id; "" when the id is not of the
// form secret.NewID("fam") makes.
func FamilyKey(familyID string) string {
	if len(familyID) != len(familyPrefix)+familyKeyLen || familyID[:len(familyPrefix)] != familyPrefix {
		return ""
	}
	return familyID[len(familyPrefix):]
}

// FamilyAccessJTI returns a new access-token id carrying the family's key;
// false when the family id has no key.
func FamilyAccessJTI(familyID string) (string, bool) {
	key := FamilyKey(familyID)
	if key == "" {
		return "", false
	}
	return "AT." + key + secret.RandomString(40-familyKeyLen), true
}

// FamilyKeyOf returns the family key an access-token id would carry. An id
// minted outside a family gives random characters that match no family.
func FamilyKeyOf(jti string) string {
	if len(jti) != accessJTILen || jti[:3] != "AT." {
		return ""
	}
	return jti[3 : 3+familyKeyLen]
}

// FamilyOf returns the id of the family whose key an access-token id
// carries ("" when it carries none): the family whose revocation record
// (store.FamilyRevocationID) revokes it. An id minted outside a family
// names a family that does not exist.
func FamilyOf(jti string) string {
	key := FamilyKeyOf(jti)
	if key == "" {
		return ""
	}
	return familyPrefix + key
}

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
	// JTI is the token's id; empty: NewAccessJTI.
	JTI string
	// Extra are custom claims; see AccessClaims.Extra.
	Extra map[string]any
}

// MintAccess signs an access token and returns it with its claims.
func MintAccess(k *Key, a Access, now time.Time) (string, *AccessClaims, error) {
	jti := a.JTI
	if jti == "" {
		jti = NewAccessJTI()
	}
	c := &AccessClaims{
		Ver: 1, JTI: jti, Iss: a.Issuer, Aud: a.Audience,
		Iat: now.Unix(), Exp: now.Add(a.Lifetime).Unix(),
		Cid: a.ClientID, Uid: a.UserID, Scp: a.Scopes, Sub: a.Subject, Extra: a.Extra,
	}
	if c.Scp == nil {
		c.Scp = []string{}
	}
	if !a.AuthTime.IsZero() {
		c.AuthTime = a.AuthTime.Unix()
	}
	payload, err := c.appendJSON(make([]byte, 0, 512))
	if err != nil {
		return "", nil, fmt.Errorf("token: encode claims: %w", err)
	}
	tok, err := SignPayload(k, payload)
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
