package keys

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
)

// ParsePrivateKey reads a signing key in any form an administrator is likely
// to hold one: a private JWK, a JWK Set holding exactly one key (a private
// one, as mkjwk's "key pair set"), or PEM — "PRIVATE KEY" (PKCS#8),
// "RSA PRIVATE KEY" (PKCS#1) or "EC PRIVATE KEY" (SEC 1, optionally after
// the "EC PARAMETERS" block openssl ecparam writes). kid is the JWK's kid, ""
// for PEM, which has none. The key must satisfy the same rules as ParseJWK's:
// RSA of 2048 to 8192 bits or EC on P-256, P-384 or P-521. Encrypted PEM is
// refused rather than prompted for, since callers are non-interactive.
func ParsePrivateKey(data []byte) (crypto.Signer, string, error) {
	signer, kid, err := parsePrivateKey(data)
	if err != nil {
		return nil, "", fmt.Errorf("keys: parse private key: %w", err)
	}
	return signer, kid, nil
}

func parsePrivateKey(data []byte) (crypto.Signer, string, error) {
	// Editors on Windows may save a byte-order mark in front.
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return nil, "", errors.New("no data")
	}
	if trimmed[0] == '{' {
		return parsePrivateJSON(trimmed)
	}
	if bytes.Contains(trimmed, []byte("-----BEGIN ")) {
		s, err := parsePrivatePEM(trimmed)
		return s, "", err
	}
	return nil, "", errors.New("neither a JWK, a JWK Set nor PEM")
}

func parsePrivateJSON(data []byte) (crypto.Signer, string, error) {
	var m jwkMembers
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, "", jsonError(err)
	}
	if raw, ok := m["keys"]; ok {
		if _, ok := m["kty"]; ok {
			return nil, "", errors.New(`both "keys" and "kty": neither a JWK nor a JWK Set`)
		}
		var set []jwkMembers
		if err := json.Unmarshal(raw, &set); err != nil {
			return nil, "", errors.New(`JWK Set "keys" is not an array of objects`)
		}
		if len(set) != 1 {
			// Picking one of several would sign with a key the user did not
			// mean; better to ask for a file that says which.
			return nil, "", fmt.Errorf("JWK Set holds %d keys (want exactly one private key)", len(set))
		}
		if set[0] == nil {
			return nil, "", errors.New("JWK Set holds null instead of a key")
		}
		m = set[0]
	}
	key, info, err := m.parse()
	if err != nil {
		return nil, "", err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, "", errors.New(`JWK holds a public key (no "d"): a private key is needed`)
	}
	if info.Use == "enc" {
		return nil, "", errors.New(`JWK is an encryption key ("use":"enc"), not a signing key`)
	}
	return signer, info.KID, nil
}

func parsePrivatePEM(data []byte) (crypto.Signer, error) {
	var found *pem.Block
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case "EC PARAMETERS":
			// openssl ecparam -genkey writes the curve before the key; the
			// key names its curve again, so the block adds nothing.
			continue
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New(`PEM key is encrypted: decrypt it first (openssl pkcs8 -in FILE -out PLAIN)`)
		case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
			return nil, fmt.Errorf("PEM holds a %s: a private key is needed", block.Type)
		default:
			return nil, fmt.Errorf("PEM block %q is not a private key", truncate(block.Type))
		}
		if found != nil {
			return nil, errors.New("PEM holds more than one private key")
		}
		found = block
	}
	if found == nil {
		return nil, errors.New("no PEM block found")
	}
	// Legacy OpenSSL encryption marks the block with headers instead of a
	// distinct type.
	if _, ok := found.Headers["Proc-Type"]; ok {
		return nil, errors.New(`PEM key is encrypted: decrypt it first (openssl pkey -in FILE -out PLAIN)`)
	}
	var (
		key any
		err error
	)
	switch found.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(found.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(found.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(found.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("PEM %s: %w", found.Type, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("PEM %s: key type %T is not supported (want RSA or ECDSA)", found.Type, key)
	}
	if err := checkSigner(signer); err != nil {
		return nil, fmt.Errorf("PEM %s: %w", found.Type, err)
	}
	return signer, nil
}
