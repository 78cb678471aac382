package keys

import (
	"crypto"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// ServerKeys are fixed signing keys of authorization servers by server name
// ("org" for the org authorization server), for development and tests only:
// an org made again from a file with the same keys issues tokens that
// verifiers who cached the old key set still accept.
type ServerKeys map[string]crypto.Signer

// serverKeysFile is the file's shape: {"servers": {"default": <private JWK>}}.
type serverKeysFile struct {
	Comment string                     `json:"comment,omitempty"`
	Servers map[string]json.RawMessage `json:"servers"`
}

// ParseServerKeys reads a server keys file.
func ParseServerKeys(data []byte) (ServerKeys, error) {
	var f serverKeysFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("keys: server keys: %w", jsonError(err))
	}
	if len(f.Servers) == 0 {
		return nil, fmt.Errorf(`keys: server keys: no "servers"`)
	}
	out := ServerKeys{}
	seen := map[string]string{}
	for name, raw := range f.Servers {
		signer, _, err := ParsePrivateKey(raw)
		if err != nil {
			return nil, fmt.Errorf("keys: server keys: %q: %w", name, err)
		}
		if DefaultAlg(signer) != "RS256" {
			return nil, fmt.Errorf("keys: server keys: %q: authorization servers sign with RS256; want an RSA key", name)
		}
		kid := Thumbprint(signer.Public())
		if other, dup := seen[kid]; dup {
			return nil, fmt.Errorf("keys: server keys: %q and %q hold the same key; each server needs its own", other, name)
		}
		seen[kid] = name
		out[name] = signer
	}
	return out, nil
}

// LoadServerKeys reads a server keys file.
func LoadServerKeys(path string) (ServerKeys, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParseServerKeys(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// GenerateServerKeys makes a new RSA key for each named server.
func GenerateServerKeys(names ...string) (ServerKeys, error) {
	out := ServerKeys{}
	for _, n := range names {
		k, err := Generate("RS256", 2048)
		if err != nil {
			return nil, err
		}
		out[n] = k
	}
	return out, nil
}

// Marshal encodes the keys as a server keys file.
func (k ServerKeys) Marshal() ([]byte, error) {
	f := serverKeysFile{Comment: "Sesame development signing keys: private keys, never for production", Servers: map[string]json.RawMessage{}}
	names := make([]string, 0, len(k))
	for n := range k {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		jwk, err := PrivateJWK(k[n], Thumbprint(k[n].Public()), "RS256", "sig")
		if err != nil {
			return nil, err
		}
		f.Servers[n] = jwk
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Lookup returns the key of a server, or nil; its signature fits
// app.WithFixedKeys.
func (k ServerKeys) Lookup(server string) crypto.Signer { return k[server] }
