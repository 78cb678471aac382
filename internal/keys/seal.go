package keys

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/x509"
	"errors"
	"fmt"
)

// MasterKeySize is the size of the master key: an AES-256 key.
const MasterKeySize = 32

// sealVersion leads every sealed value so that the format can change (a new
// cipher, a key id for master-key rotation) without guessing at old data.
const sealVersion byte = 1

// ErrOpen is wrapped by the errors for sealed data that does not open: it was
// altered, is bound to other associated data, or was sealed under another
// master key. AES-GCM cannot tell these apart, and the error says no more on
// purpose.
var ErrOpen = errors.New("sealed data does not open (wrong master key, wrong associated data, or altered)")

// Sealer encrypts secrets at rest (private keys, client secrets) under the
// install's master key with AES-256-GCM. A Sealer is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte master key. The Sealer keeps only
// the expanded AES key; the caller may clear masterKey afterwards.
func NewSealer(masterKey []byte) (*Sealer, error) {
	if len(masterKey) != MasterKeySize {
		return nil, fmt.Errorf("keys: master key is %d bytes (want %d)", len(masterKey), MasterKeySize)
	}
	block, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, fmt.Errorf("keys: master key: %w", err)
	}
	// Random 96-bit nonces are safe for 2^32 messages per key, far beyond the
	// number of keys and secrets an install seals, and need no counter state
	// shared between replicas.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("keys: master key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext and binds it to associatedData (for example the kid
// or client id the secret belongs to), so that a sealed value copied to
// another record does not open there. The result is
// version (1 byte) || nonce (12) || ciphertext || tag (16); the GCM associated
// data is the version byte followed by associatedData.
func (s *Sealer) Seal(plaintext, associatedData []byte) []byte {
	out := make([]byte, 1, 1+s.aead.Overhead()+len(plaintext))
	out[0] = sealVersion
	return s.aead.Seal(out, nil, plaintext, versionedAD(sealVersion, associatedData))
}

// Open decrypts what Seal returned for the same associatedData. Its error
// wraps ErrOpen when authentication fails.
func (s *Sealer) Open(sealed, associatedData []byte) ([]byte, error) {
	plain, err := s.open(sealed, associatedData)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return plain, nil
}

func (s *Sealer) open(sealed, associatedData []byte) ([]byte, error) {
	if len(sealed) < 1+s.aead.Overhead() {
		return nil, fmt.Errorf("sealed data is too short (%d bytes)", len(sealed))
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("sealed data has unknown format version %d", sealed[0])
	}
	plain, err := s.aead.Open(nil, nil, sealed[1:], versionedAD(sealVersion, associatedData))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// versionedAD authenticates the version byte too, so that a future format
// cannot be confused with this one by rewriting the first byte.
func versionedAD(version byte, ad []byte) []byte {
	out := make([]byte, 0, 1+len(ad))
	return append(append(out, version), ad...)
}

// privateKeyAD binds a sealed private key to its kid, with a prefix that keeps
// it apart from other sealed values whose associated data might equal a kid
// (a client secret sealed under a client id, say).
func privateKeyAD(kid string) []byte {
	return []byte("sesame private key\x00" + kid)
}

// SealPrivateKey encrypts signer (as PKCS#8 DER) for storage, bound to kid.
func SealPrivateKey(sealer *Sealer, signer crypto.Signer, kid string) ([]byte, error) {
	if sealer == nil {
		return nil, errors.New("keys: seal private key: no sealer")
	}
	if err := checkSigner(signer); err != nil {
		return nil, fmt.Errorf("keys: seal private key %q: %w", truncate(kid), err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		return nil, fmt.Errorf("keys: seal private key %q: %w", truncate(kid), err)
	}
	sealed := sealer.Seal(der, privateKeyAD(kid))
	// Best effort: the plaintext key should not linger in the heap longer
	// than needed.
	clear(der)
	return sealed, nil
}

// OpenPrivateKey decrypts a key sealed by SealPrivateKey under the same kid.
func OpenPrivateKey(sealer *Sealer, sealed []byte, kid string) (crypto.Signer, error) {
	if sealer == nil {
		return nil, errors.New("keys: open private key: no sealer")
	}
	der, err := sealer.open(sealed, privateKeyAD(kid))
	if err != nil {
		return nil, fmt.Errorf("keys: open private key %q: %w", truncate(kid), err)
	}
	defer clear(der)
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("keys: open private key %q: %w", truncate(kid), err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("keys: open private key %q: key type %T is not supported", truncate(kid), key)
	}
	if err := checkSigner(signer); err != nil {
		return nil, fmt.Errorf("keys: open private key %q: %w", truncate(kid), err)
	}
	return signer, nil
}

// factorSecretAD binds a sealed second-factor secret (a TOTP key, a WebAuthn
// credential) to its factor id, apart from every other kind of sealed value.
func factorSecretAD(factorID string) []byte {
	return []byte("sesame factor secret\x00" + factorID)
}

// SealFactorSecret encrypts a factor's secret for storage, bound to its id.
func SealFactorSecret(sealer *Sealer, secret []byte, factorID string) ([]byte, error) {
	if sealer == nil {
		return nil, errors.New("keys: seal factor secret: no sealer")
	}
	return sealer.Seal(secret, factorSecretAD(factorID)), nil
}

// OpenFactorSecret decrypts what SealFactorSecret sealed for the same id.
func OpenFactorSecret(sealer *Sealer, sealed []byte, factorID string) ([]byte, error) {
	if sealer == nil {
		return nil, errors.New("keys: open factor secret: no sealer")
	}
	plain, err := sealer.open(sealed, factorSecretAD(factorID))
	if err != nil {
		return nil, fmt.Errorf("keys: open factor secret %q: %w", truncate(factorID), err)
	}
	return plain, nil
}
