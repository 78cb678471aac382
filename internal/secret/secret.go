// Package secret makes and checks the random values Sesame hands out: ids,
// client secrets, API tokens and one-time links. Only their SHA-256 is stored,
// and comparisons run in constant time.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomString returns n characters drawn uniformly from [A-Za-z0-9].
func RandomString(n int) string {
	out := make([]byte, n)
	buf := make([]byte, n+n/2+8)
	i := 0
	for i < n {
		rand.Read(buf)
		for _, b := range buf {
			// 248 = 4*62: rejecting the tail keeps the draw uniform.
			if b >= 248 {
				continue
			}
			out[i] = alphabet[int(b)%62]
			i++
			if i == n {
				break
			}
		}
	}
	return string(out)
}

// NewID returns an Okta-style id: a 3-character prefix and 17 base62
// characters (20 in all), e.g. NewID("0oa").
func NewID(prefix string) string { return prefix + RandomString(17) }

// Token returns n random bytes as unpadded base64url, with a prefix.
func Token(prefix string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// RawBytes returns n random bytes.
func RawBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// Hash is the SHA-256 of a secret value, the only form in which it is stored.
// Secrets are long random strings, so a fast hash is enough (no salt or
// stretching is needed against guessing).
func Hash(value string) []byte {
	h := sha256.Sum256([]byte(value))
	return h[:]
}

// Matches reports in constant time whether value hashes to hash.
func Matches(value string, hash []byte) bool {
	return MatchesAny(value, [][]byte{hash})
}

// MatchesAny reports whether value hashes to any of hashes (a client's
// active secrets). Each is compared in constant time, and all are compared,
// so the time taken says nothing about which matched.
func MatchesAny(value string, hashes [][]byte) bool {
	h := sha256.Sum256([]byte(value))
	matched := false
	for _, hash := range hashes {
		if len(hash) == len(h) && subtle.ConstantTimeCompare(h[:], hash) == 1 {
			matched = true
		}
	}
	return matched
}
