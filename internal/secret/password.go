package secret

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's minimum (19 MiB, t=2, p=1). Password checks
// happen only at sign-in, never on token requests.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// hashing bounds how many argon2id computations run at once to the number
// of cores: each holds argonMemoryKiB of memory, and more of them at once
// would only share the same cores while the process's memory grows with
// every waiting sign-in (16 concurrent ones took 600 MB in the benchmark).
var hashing = make(chan struct{}, runtime.GOMAXPROCS(0))

// hashBytes is the memory the argon2id computations running now hold.
var hashBytes atomic.Int64

func idKey(password, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	hashing <- struct{}{}
	hashBytes.Add(int64(m) * 1024)
	defer func() {
		hashBytes.Add(-int64(m) * 1024)
		<-hashing
	}()
	return argon2.IDKey(password, salt, t, m, p, n)
}

// HashMemory is what the password hashes may hold at once with the default
// parameters: one argon2id block array per core.
func HashMemory() int64 { return int64(cap(hashing)) * argonMemoryKiB * 1024 }

// HashMemoryInUse is what the password hashes running now hold. Their
// memory is garbage the moment each ends.
func HashMemoryInUse() int64 { return hashBytes.Load() }

// DummyHash is a valid hash of a password nobody knows, with the default
// parameters: verifying against it costs what verifying a real user's hash
// does, so that an unknown username answers as slowly as a wrong password.
const DummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2VzYW1lLWR1bW15LXNhbHQ$Aq7ZO2cBPW0KqtnCJv1q0bGhbDO2O1Lr8tQdSx7HIn0"

// HashPassword returns an argon2id PHC string.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := idKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrBadHash is returned for a stored hash Sesame cannot read.
var ErrBadHash = errors.New("secret: unreadable password hash")

// VerifyPassword checks password against a PHC string made by HashPassword
// (with whatever parameters it records) or an imported hash
// (StoredImportedHash).
func VerifyPassword(password, phc string) (bool, error) {
	if NeedsUpgrade(phc) {
		return verifyImported(password, phc)
	}
	a, err := parseArgon2(phc)
	if err != nil {
		return false, err
	}
	got := idKey([]byte(password), a.salt, a.t, a.m, a.p, uint32(len(a.key)))
	return subtle.ConstantTimeCompare(got, a.key) == 1, nil
}

// CheckHash reports ErrBadHash for a string VerifyPassword cannot read,
// without the cost of checking a password against it.
func CheckHash(phc string) error {
	if NeedsUpgrade(phc) {
		_, err := verifyImported("", phc)
		return err
	}
	_, err := parseArgon2(phc)
	return err
}

type argon2Hash struct {
	m, t      uint32
	p         uint8
	salt, key []byte
}

func parseArgon2(phc string) (*argon2Hash, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return nil, ErrBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return nil, ErrBadHash
	}
	var a argon2Hash
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &a.m, &a.t, &a.p); err != nil || a.m == 0 || a.t == 0 || a.p == 0 || a.m > 1<<22 || a.t > 64 {
		return nil, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	var err error
	if a.salt, err = b64.DecodeString(parts[4]); err != nil {
		return nil, ErrBadHash
	}
	if a.key, err = b64.DecodeString(parts[5]); err != nil || len(a.key) == 0 || len(a.key) > 128 {
		return nil, ErrBadHash
	}
	return &a, nil
}

// GeneratePassword returns a strong random password for a first
// administrator who did not choose one.
func GeneratePassword() string {
	// 24 characters of [A-Za-z0-9] carry about 143 bits; the suffix adds
	// the classes a password policy may ask for.
	return RandomString(24) + "-a1A"
}
