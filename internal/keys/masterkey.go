package keys

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// masterKeyFileLen is the length of a master key file: standard base64 with
// padding of 32 bytes (44 characters), then a newline.
const masterKeyFileLen = 45

// LoadOrCreateMasterKey returns the master key kept in the file at path,
// creating the file with a new random key when it does not exist.
//
// The file holds the 32 key bytes in standard base64 with padding (44
// characters) followed by a newline — what `openssl rand -base64 32` prints,
// so an administrator can also make one by hand; a missing final newline is
// tolerated, anything else is refused. The file must not be accessible to group
// or others (mode 0600 or 0400): a readable master key unseals every private
// key of the install. A new file is created with mode 0600, its directory with
// 0700 when missing, and it appears complete or not at all.
func LoadOrCreateMasterKey(path string) ([]byte, error) {
	if path == "" {
		return nil, errors.New("keys: master key file: no path given")
	}
	key, err := readMasterKeyFile(path)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return createMasterKeyFile(path)
}

func readMasterKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: master key file: %w", err)
	}
	defer f.Close()
	// Stat the open file rather than the path, so that the mode checked is
	// that of the file read.
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keys: master key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("keys: master key file %s is not a regular file", path)
	}
	// Windows has no such mode bits (Go reports 0666 or 0444 there); ACLs
	// protect the file instead.
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("keys: master key file %s has mode %04o: it must not be accessible to group or others (chmod 600 %s), or pass the key in SESAME_MASTER_KEY instead", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, masterKeyFileLen+1))
	if err != nil {
		return nil, fmt.Errorf("keys: master key file %s: %w", path, err)
	}
	key, err := decodeMasterKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("keys: master key file %s: %w", path, err)
	}
	return key, nil
}

func decodeMasterKeyFile(data []byte) ([]byte, error) {
	const want = "want base64 of 32 bytes and a newline, as `openssl rand -base64 32` prints"
	text := bytes.TrimSuffix(data, []byte("\n"))
	if len(text) != masterKeyFileLen-1 {
		return nil, errors.New("unexpected length: " + want)
	}
	key := make([]byte, MasterKeySize)
	n, err := base64.StdEncoding.Strict().Decode(key, text)
	if err != nil || n != MasterKeySize {
		return nil, errors.New("not valid base64: " + want)
	}
	if err := checkMasterKey(key); err != nil {
		return nil, err
	}
	return key, nil
}

func createMasterKeyFile(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: create master key file: %w", err)
	}
	key := make([]byte, MasterKeySize)
	rand.Read(key)
	text := base64.StdEncoding.EncodeToString(key) + "\n"

	// CreateTemp makes the file with mode 0600; the key never exists in a
	// file with wider access.
	tmp, err := os.CreateTemp(dir, ".master-key-*")
	if err != nil {
		return nil, fmt.Errorf("keys: create master key file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	_, err = tmp.WriteString(text)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("keys: create master key file: %w", err)
	}

	// Link, unlike rename, fails when the target exists: two replicas
	// starting at once on a shared volume must end up with one key, not each
	// with its own, one of them overwritten. Rename is the fallback for
	// filesystems without hard links.
	err = os.Link(tmpName, path)
	if errors.Is(err, fs.ErrExist) {
		return readMasterKeyFile(path)
	}
	if err != nil {
		if err := os.Rename(tmpName, path); err != nil {
			return nil, fmt.Errorf("keys: create master key file: %w", err)
		}
	}
	syncDir(dir)
	return key, nil
}

// syncDir makes the new directory entry durable. It is best effort: some
// systems cannot sync a directory, and the file itself is already synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// ParseMasterKey decodes a master key given as text, as in the
// SESAME_MASTER_KEY environment variable: 64 hexadecimal digits, or base64
// (standard or URL alphabet, padded or not) of exactly 32 bytes. Surrounding
// white space is ignored. Errors never echo the value.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("keys: master key is empty")
	}
	var key []byte
	if len(s) == 2*MasterKeySize && isHex(s) {
		key, _ = hex.DecodeString(s)
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil {
				key = b
				break
			}
		}
		if key == nil {
			return nil, errors.New("keys: master key is neither 64 hex digits nor base64")
		}
		if len(key) != MasterKeySize {
			return nil, fmt.Errorf("keys: master key decodes to %d bytes (want %d; make one with `openssl rand -base64 32`)", len(key), MasterKeySize)
		}
	}
	if err := checkMasterKey(key); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return key, nil
}

// checkMasterKey refuses an all-zero key, the likeliest placeholder value left
// in a configuration template.
func checkMasterKey(key []byte) error {
	for _, b := range key {
		if b != 0 {
			return nil
		}
	}
	return errors.New("master key is all zeros (a placeholder?)")
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
