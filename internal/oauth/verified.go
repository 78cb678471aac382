package oauth

import (
	"crypto/rsa"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/sesame-idp/sesame/internal/token"
)

// maxVerifiedTokens bounds the verified-token cache: a few MB at most, and
// an introspecting resource server rarely holds more live tokens than this.
const maxVerifiedTokens = 8192

// verifiedTokens remembers access tokens whose RS256 signature checked out,
// so that a token introspected or presented again is not verified again
// (the RSA verification is most of an introspection's cost). It holds only
// what the signature proves; everything that can change during a token's
// life (revocation, the client's status, the issuer, expiry) is checked by
// the caller on every use, cached or not.
type verifiedTokens struct {
	mu      sync.RWMutex
	entries map[[sha256.Size]byte]*verifiedToken
}

type verifiedToken struct {
	serverID string
	kid      string
	// pub is the key that verified the token: if the server no longer
	// publishes it (retired), the entry no longer counts.
	pub    *rsa.PublicKey
	claims *token.AccessClaims
}

func newVerifiedTokens() *verifiedTokens {
	return &verifiedTokens{entries: map[[sha256.Size]byte]*verifiedToken{}}
}

// parseAccess is token.ParseAccess for tokens of srvID verified by keys,
// served from the cache when the same token was verified before with a key
// the server still publishes. The claims returned are the caller's own copy.
func (v *verifiedTokens) parseAccess(srvID, tok string, keys token.PublicKeys, now time.Time) (*token.AccessClaims, error) {
	sum := sha256.Sum256([]byte(tok))
	v.mu.RLock()
	e := v.entries[sum]
	v.mu.RUnlock()
	if e != nil && e.serverID == srvID {
		if pub := keys(e.kid); pub != nil && (pub == e.pub || pub.Equal(e.pub)) {
			c := *e.claims
			return &c, nil
		}
	}

	var kid string
	c, err := token.ParseAccess(tok, func(k string) *rsa.PublicKey {
		kid = k
		return keys(k)
	})
	if err != nil {
		return nil, err
	}
	if now.Unix() < c.Exp {
		held := *c
		v.put(sum, &verifiedToken{serverID: srvID, kid: kid, pub: keys(kid), claims: &held}, now)
	}
	return c, nil
}

func (v *verifiedTokens) put(sum [sha256.Size]byte, e *verifiedToken, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.entries) >= maxVerifiedTokens {
		for k, old := range v.entries {
			if now.Unix() >= old.claims.Exp {
				delete(v.entries, k)
			}
		}
		// Trim to three quarters so that the sweep runs once per thousands
		// of insertions; the entries dropped (map order is unspecified) are
		// verified again when next seen.
		for k := range v.entries {
			if len(v.entries) <= maxVerifiedTokens*3/4 {
				break
			}
			delete(v.entries, k)
		}
	}
	v.entries[sum] = e
}

// len is the number of tokens held (for tests).
func (v *verifiedTokens) len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.entries)
}
