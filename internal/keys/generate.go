package keys

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// GenerateOptions are the choices mkjwk offers, with its defaults for the
// OpenMetadata guide: RS256, 2048 bits, use "sig".
type GenerateOptions struct {
	// KID defaults to the key's thumbprint. It must be 1–128 characters of
	// [A-Za-z0-9._-], since it also names the files WriteFiles writes.
	KID string
	// Alg is RS256 (default), RS384, RS512, ES256, ES384 or ES512.
	Alg string
	// Size is the RSA modulus size in bits (default 2048, at most 8192); the
	// ES algorithms ignore it, their curve fixes the size.
	Size int
	// Use must be "sig" (the default): every supported alg is a signature
	// algorithm.
	Use string
}

// Generated is a new key pair in every form mkjwk hands out. The JSON
// documents are indented and end in a newline, ready to print or save.
type Generated struct {
	KID string
	Alg string
	Use string
	Key crypto.Signer

	PrivateJWK  []byte // the key pair as one JWK — secret
	PrivateJWKS []byte // a JWK Set holding the key pair — secret
	PublicJWKS  []byte // a JWK Set holding only the public key: what a client registers
	PrivatePEM  []byte // PKCS#8 "PRIVATE KEY" — secret
	PublicPEM   []byte // PKIX "PUBLIC KEY"
}

// GenerateSet makes a key pair for a client that authenticates with
// private_key_jwt: the private half stays with the client (OpenMetadata's
// ingestion), the public set is registered with Sesame.
func GenerateSet(opts GenerateOptions) (*Generated, error) {
	if opts.Alg == "" {
		opts.Alg = "RS256"
	}
	if opts.Use == "" {
		opts.Use = "sig"
	}
	// Everything is checked before the (slow) key generation.
	if opts.Use != "sig" {
		return nil, fmt.Errorf("keys: generate set: use %q is not supported (want sig)", truncate(opts.Use))
	}
	if opts.KID != "" {
		if err := checkKID(opts.KID); err != nil {
			return nil, fmt.Errorf("keys: generate set: %w", err)
		}
	}
	key, err := Generate(opts.Alg, opts.Size)
	if err != nil {
		return nil, err
	}
	if opts.KID == "" {
		opts.KID = NewKID(key.Public())
	}
	g := &Generated{KID: opts.KID, Alg: opts.Alg, Use: opts.Use, Key: key}

	priv, err := PrivateJWK(key, opts.KID, opts.Alg, opts.Use)
	if err != nil {
		return nil, fmt.Errorf("keys: generate set: %w", err)
	}
	pub, err := PublicJWK(key.Public(), opts.KID, opts.Alg, opts.Use)
	if err != nil {
		return nil, fmt.Errorf("keys: generate set: %w", err)
	}
	g.PrivateJWK = indentJSON(priv)
	g.PrivateJWKS = indentJSON(JWKS(priv))
	g.PublicJWKS = indentJSON(JWKS(pub))

	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("keys: generate set: encode private key: %w", err)
	}
	g.PrivatePEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	clear(der)
	der, err = x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("keys: generate set: encode public key: %w", err)
	}
	g.PublicPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return g, nil
}

// indentJSON pretty-prints JSON this package produced itself, so it cannot
// fail.
func indentJSON(compact []byte) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "  "); err != nil {
		return compact
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// WriteFiles saves the key pair in dir as <kid>.private.jwk.json,
// <kid>.jwks.private.json and <kid>.jwks.public.json, and withPEM also
// <kid>.private.pem and <kid>.public.pem. Private files get mode 0600, public
// ones 0644; dir is created with 0700 when missing. Existing files are never
// overwritten — a key lost that way cannot be recovered — and on any error the
// files written so far are removed. It returns the paths written.
func (g *Generated) WriteFiles(dir string, withPEM bool) ([]string, error) {
	if err := checkKID(g.KID); err != nil {
		return nil, fmt.Errorf("keys: write files: %w", err)
	}
	type file struct {
		name string
		data []byte
		mode fs.FileMode
	}
	files := []file{
		{g.KID + ".private.jwk.json", g.PrivateJWK, 0o600},
		{g.KID + ".jwks.private.json", g.PrivateJWKS, 0o600},
		{g.KID + ".jwks.public.json", g.PublicJWKS, 0o644},
	}
	if withPEM {
		files = append(files,
			file{g.KID + ".private.pem", g.PrivatePEM, 0o600},
			file{g.KID + ".public.pem", g.PublicPEM, 0o644})
	}
	for _, f := range files {
		if len(f.data) == 0 {
			return nil, fmt.Errorf("keys: write files: nothing to write to %s", f.name)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: write files: %w", err)
	}
	// Look before writing anything, so that a clash leaves no half-written
	// set behind; O_EXCL below still guards against a file appearing since.
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("keys: write files: %s already exists", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("keys: write files: %w", err)
		}
	}
	var written []string
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := writeNewFile(p, f.data, f.mode); err != nil {
			for _, w := range written {
				os.Remove(w)
			}
			return nil, fmt.Errorf("keys: write files: %w", err)
		}
		written = append(written, p)
	}
	return written, nil
}

// writeNewFile creates path, failing if it exists, and removes it again when
// the write fails, so that no truncated key is left behind.
func writeNewFile(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
