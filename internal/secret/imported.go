package secret

import (
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Password hashes imported from another system (Okta's
// credentials.password.hash): kept as they came, in a PHC-like string of
// their own, verified at sign-in, and replaced by argon2id the first time
// the password is seen (NeedsUpgrade).
//
//	$2a$NN$…                             bcrypt, as bcrypt writes it
//	$sesame-digest$ALG$ORDER$SALT$VALUE   ALG md5|sha1|sha256|sha512, ORDER prefix|postfix|none,
//	                                      SALT and VALUE standard base64
//	$sesame-pbkdf2$ALG$ITER$SALT$VALUE    ALG sha1|sha256|sha512, the key as long as VALUE

// ImportedHash is Okta's PasswordCredentialHash.
type ImportedHash struct {
	Algorithm       string // BCRYPT, SHA-512, SHA-256, SHA-1, MD5, PBKDF2
	WorkFactor      int    // BCRYPT's cost
	Salt            string // BCRYPT: 22 radix-64 characters; others: base64
	SaltOrder       string // PREFIX or POSTFIX (salted digests)
	Value           string // BCRYPT: 31 radix-64 characters; others: base64
	DigestAlgorithm string // PBKDF2: SHA1_HMAC, SHA256_HMAC, SHA512_HMAC
	IterationCount  int    // PBKDF2, at least 4096
	KeySize         int    // PBKDF2: the key's length in bytes
}

// ImportError says which member of an imported hash is wrong.
type ImportError struct{ Field, Reason string }

func (e *ImportError) Error() string { return e.Field + ": " + e.Reason }

var digests = map[string]string{"SHA-512": "sha512", "SHA-256": "sha256", "SHA-1": "sha1", "MD5": "md5"}
var digestSizes = map[string]int{"sha512": 64, "sha256": 32, "sha1": 20, "md5": 16}
var hmacs = map[string]string{"SHA1_HMAC": "sha1", "SHA256_HMAC": "sha256", "SHA512_HMAC": "sha512"}

func newHash(name string) func() hash.Hash {
	switch name {
	case "md5":
		return md5.New
	case "sha1":
		return sha1.New
	case "sha256":
		return sha256.New
	case "sha512":
		return sha512.New
	}
	return nil
}

// decodeB64 accepts standard base64 with or without padding.
func decodeB64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

const radix64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// StoredImportedHash checks an imported hash and returns the string Sesame
// stores for it.
func StoredImportedHash(h ImportedHash) (string, error) {
	b64 := base64.RawStdEncoding
	switch alg := h.Algorithm; {
	case alg == "BCRYPT":
		if h.WorkFactor < bcrypt.MinCost || h.WorkFactor > 20 {
			return "", &ImportError{"workFactor", "BCRYPT needs a work factor from 4 to 20."}
		}
		if len(h.Salt) != 22 || strings.Trim(h.Salt, radix64) != "" {
			return "", &ImportError{"salt", "A BCRYPT salt is 22 radix-64 characters."}
		}
		if len(h.Value) != 31 || strings.Trim(h.Value, radix64) != "" {
			return "", &ImportError{"value", "A BCRYPT value is 31 radix-64 characters."}
		}
		return fmt.Sprintf("$2a$%02d$%s%s", h.WorkFactor, h.Salt, h.Value), nil
	case digests[alg] != "":
		name := digests[alg]
		value, err := decodeB64(h.Value)
		if err != nil || len(value) != digestSizes[name] {
			return "", &ImportError{"value", fmt.Sprintf("The value must be the base64 of a %d-byte %s digest.", digestSizes[name], alg)}
		}
		order := "none"
		if h.Salt != "" {
			if _, err := decodeB64(h.Salt); err != nil {
				return "", &ImportError{"salt", "The salt must be base64."}
			}
			switch h.SaltOrder {
			case "PREFIX", "POSTFIX":
				order = strings.ToLower(h.SaltOrder)
			default:
				return "", &ImportError{"saltOrder", "A salted hash needs saltOrder PREFIX or POSTFIX."}
			}
		}
		salt, _ := decodeB64(h.Salt)
		return fmt.Sprintf("$sesame-digest$%s$%s$%s$%s", name, order, b64.EncodeToString(salt), b64.EncodeToString(value)), nil
	case alg == "PBKDF2":
		name := hmacs[h.DigestAlgorithm]
		if name == "" {
			return "", &ImportError{"digestAlgorithm", "PBKDF2 needs digestAlgorithm SHA1_HMAC, SHA256_HMAC or SHA512_HMAC."}
		}
		if h.IterationCount < 4096 || h.IterationCount > 10_000_000 {
			return "", &ImportError{"iterationCount", "PBKDF2 needs an iteration count from 4096 to 10000000."}
		}
		salt, err := decodeB64(h.Salt)
		if err != nil || len(salt) == 0 {
			return "", &ImportError{"salt", "PBKDF2 needs a base64 salt."}
		}
		value, err := decodeB64(h.Value)
		if err != nil || len(value) < 16 || len(value) > 128 || h.KeySize != 0 && h.KeySize != len(value) {
			return "", &ImportError{"value", "The value must be the base64 of the derived key (keySize bytes, 16 to 128)."}
		}
		return fmt.Sprintf("$sesame-pbkdf2$%s$%d$%s$%s", name, h.IterationCount, b64.EncodeToString(salt), b64.EncodeToString(value)), nil
	default:
		return "", &ImportError{"algorithm", "The algorithm must be BCRYPT, SHA-512, SHA-256, SHA-1, MD5 or PBKDF2."}
	}
}

// NeedsUpgrade reports whether a stored hash is not Sesame's own argon2id
// (an imported one), so that it is replaced once the password is known.
func NeedsUpgrade(stored string) bool { return !strings.HasPrefix(stored, "$argon2id$") }

// verifyImported checks a password against an imported hash.
func verifyImported(password, stored string) (bool, error) {
	if strings.HasPrefix(stored, "$2") {
		err := bcrypt.CompareHashAndPassword([]byte(stored), []byte(password))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, nil
		}
		if err != nil {
			return false, ErrBadHash
		}
		return true, nil
	}
	parts := strings.Split(stored, "$")
	if len(parts) != 6 {
		return false, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	newH := newHash(parts[2])
	if err1 != nil || err2 != nil || newH == nil || len(want) == 0 {
		return false, ErrBadHash
	}
	var got []byte
	switch parts[1] {
	case "sesame-digest":
		h := newH()
		switch parts[3] {
		case "prefix":
			h.Write(salt)
			h.Write([]byte(password))
		case "postfix":
			h.Write([]byte(password))
			h.Write(salt)
		case "none":
			h.Write([]byte(password))
		default:
			return false, ErrBadHash
		}
		got = h.Sum(nil)
	case "sesame-pbkdf2":
		iter, err := strconv.Atoi(parts[3])
		if err != nil || iter < 1 || iter > 10_000_000 {
			return false, ErrBadHash
		}
		hashing <- struct{}{}
		got, err = pbkdf2.Key(newH, password, salt, iter, len(want))
		<-hashing
		if err != nil {
			return false, ErrBadHash
		}
	default:
		return false, ErrBadHash
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
