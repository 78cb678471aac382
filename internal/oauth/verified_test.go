package oauth

import (
	"crypto/rsa"
	"errors"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/token"
)

// TestVerifiedTokens: a token verified once is served from the cache only
// for the server that verified it and while that server still publishes the
// key; a bad signature is never cached, nor an expired token.
func TestVerifiedTokens(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	priv := testKey("verified-a").(*rsa.PrivateKey)
	other := testKey("verified-b").(*rsa.PrivateKey)
	k := &token.Key{KID: "kid-a", Private: priv}
	tok, _, err := token.MintAccess(k, token.Access{Issuer: "https://idp.test/oauth2/default", Audience: "api://default", ClientID: "c1", Subject: "c1", Lifetime: time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	published := map[string]*rsa.PublicKey{"kid-a": &priv.PublicKey}
	keys := func(kid string) *rsa.PublicKey { return published[kid] }
	verifies := 0
	counting := func(kid string) *rsa.PublicKey { verifies++; return keys(kid) }

	v := newVerifiedTokens()
	for i := range 3 {
		c, err := v.parseAccess("default", tok, counting, now)
		if err != nil || c.Cid != "c1" {
			t.Fatalf("use %d: %v %+v", i, err, c)
		}
		c.Cid = "changed by the caller"
	}
	if v.len() != 1 {
		t.Fatalf("held %d tokens, want 1", v.len())
	}

	// Another server does not share the entry: its keys decide.
	if _, err := v.parseAccess("other", tok, func(string) *rsa.PublicKey { return nil }, now); !errors.Is(err, token.ErrUnknownKey) {
		t.Fatalf("other server: %v", err)
	}
	// The key replaced under the same kid, or retired: not accepted.
	published["kid-a"] = &other.PublicKey
	if _, err := v.parseAccess("default", tok, keys, now); !errors.Is(err, token.ErrSignature) {
		t.Fatalf("key replaced: %v", err)
	}
	delete(published, "kid-a")
	if _, err := v.parseAccess("default", tok, keys, now); !errors.Is(err, token.ErrUnknownKey) {
		t.Fatalf("key retired: %v", err)
	}
	// The same key in a new snapshot (a new pointer) still matches.
	published["kid-a"] = &rsa.PublicKey{N: priv.N, E: priv.E}
	if _, err := v.parseAccess("default", tok, keys, now); err != nil {
		t.Fatalf("same key, new snapshot: %v", err)
	}

	// A forged signature is refused every time, and never held.
	forged := tok[:len(tok)-4] + "AAAA"
	if forged == tok {
		forged = tok[:len(tok)-4] + "BBBB"
	}
	for range 2 {
		if _, err := v.parseAccess("default", forged, keys, now); !errors.Is(err, token.ErrSignature) {
			t.Fatalf("forged: %v", err)
		}
	}
	// An expired token verifies (expiry is the caller's) but is not held.
	late := now.Add(2 * time.Hour)
	v2 := newVerifiedTokens()
	if _, err := v2.parseAccess("default", tok, keys, late); err != nil {
		t.Fatal(err)
	}
	if v2.len() != 0 {
		t.Fatalf("expired token held")
	}
}

// TestVerifiedTokensBounded: the cache never grows past its bound.
func TestVerifiedTokensBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	v := newVerifiedTokens()
	c := &token.AccessClaims{JTI: "AT.x", Exp: now.Add(time.Hour).Unix()}
	for i := range maxVerifiedTokens + 10 {
		var sum [32]byte
		sum[0], sum[1], sum[2] = byte(i), byte(i>>8), byte(i>>16)
		v.put(sum, &verifiedToken{serverID: "default", claims: c}, now)
	}
	if n := v.len(); n > maxVerifiedTokens || n < maxVerifiedTokens/2 {
		t.Fatalf("held %d", n)
	}
}
