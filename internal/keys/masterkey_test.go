package keys_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/sesame-idp/sesame/internal/keys"
)

func skipOnWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix file modes")
	}
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	skipOnWindows(t)
	dir := filepath.Join(t.TempDir(), "etc", "sesame")
	path := filepath.Join(dir, "master.key")

	key, err := keys.LoadOrCreateMasterKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != 32 {
		t.Fatalf("key is %d bytes", len(key))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode = %04o, want 0600", perm)
	}
	if di, err := os.Stat(dir); err != nil {
		t.Error(err)
	} else if di.Mode().Perm() != 0o700 {
		t.Errorf("dir mode = %04o, want 0700", di.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.StdEncoding.EncodeToString(key) + "\n"; string(data) != want {
		t.Errorf("file holds %d bytes, not base64 of the key and a newline", len(data))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want only the key file", len(entries))
	}
	if _, err := keys.NewSealer(key); err != nil {
		t.Fatal(err)
	}

	again, err := keys.LoadOrCreateMasterKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, key) {
		t.Error("second call returned another key")
	}

	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620, 0o666} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := keys.LoadOrCreateMasterKey(path)
		if err == nil || !strings.Contains(err.Error(), "mode") {
			t.Errorf("mode %04o: err = %v", mode, err)
		}
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if got, err := keys.LoadOrCreateMasterKey(path); err != nil || !bytes.Equal(got, key) {
		t.Errorf("mode 0400: %v", err)
	}
}

func TestLoadOrCreateMasterKeyConcurrent(t *testing.T) {
	skipOnWindows(t)
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 16
	got := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = keys.LoadOrCreateMasterKey(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if !bytes.Equal(got[i], got[0]) {
			t.Fatal("concurrent first starts ended with different keys")
		}
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want only the key file", len(entries))
	}
}

func TestLoadMasterKeyFileFormat(t *testing.T) {
	skipOnWindows(t)
	key := bytes.Repeat([]byte{0xfb, 0xff, 0x01}, 11)[:32]
	std := base64.StdEncoding.EncodeToString(key)
	for _, tc := range []struct {
		name, content string
		ok            bool
	}{
		{"canonical", std + "\n", true},
		{"no newline", std, true},
		{"two newlines", std + "\n\n", false},
		{"CRLF", std + "\r\n", false},
		{"leading space", " " + std + "\n", false},
		{"unpadded", strings.TrimRight(std, "=") + "\n", false},
		{"URL alphabet", base64.URLEncoding.EncodeToString(key) + "\n", false},
		{"hex", hex.EncodeToString(key) + "\n", false},
		{"16 bytes", base64.StdEncoding.EncodeToString(key[:16]) + "\n", false},
		{"empty", "", false},
		{"zeros", base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n", false},
	} {
		path := filepath.Join(t.TempDir(), "master.key")
		if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := keys.LoadOrCreateMasterKey(path)
		if tc.ok {
			if err != nil || !bytes.Equal(got, key) {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if len(tc.content) > 8 && strings.Contains(err.Error(), strings.TrimSpace(tc.content)[:8]) {
			t.Errorf("%s: error quotes the file: %v", tc.name, err)
		}
		// A refused file is left alone, never replaced by a new key.
		if data, err := os.ReadFile(path); err != nil || string(data) != tc.content {
			t.Errorf("%s: file was changed", tc.name)
		}
	}
}

func TestLoadMasterKeyNotAFile(t *testing.T) {
	if _, err := keys.LoadOrCreateMasterKey(""); err == nil {
		t.Error("empty path accepted")
	}
	dir := t.TempDir()
	if _, err := keys.LoadOrCreateMasterKey(dir); err == nil {
		t.Error("a directory was accepted as a key file")
	}
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.LoadOrCreateMasterKey(filepath.Join(blocker, "master.key")); err == nil {
		t.Error("created a key below a regular file")
	}
}

func TestParseMasterKey(t *testing.T) {
	// 0xfb 0xff make the two base64 alphabets differ (+/ against -_).
	key := bytes.Repeat([]byte{0xfb, 0xff, 0x01}, 11)[:32]
	for _, s := range []string{
		hex.EncodeToString(key),
		strings.ToUpper(hex.EncodeToString(key)),
		base64.StdEncoding.EncodeToString(key),
		base64.RawStdEncoding.EncodeToString(key),
		base64.URLEncoding.EncodeToString(key),
		base64.RawURLEncoding.EncodeToString(key),
		"  " + base64.StdEncoding.EncodeToString(key) + "\n",
	} {
		got, err := keys.ParseMasterKey(s)
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if !bytes.Equal(got, key) {
			t.Errorf("%q: wrong key", s)
		}
	}
	for _, s := range []string{
		"",
		"   ",
		"correct horse battery staple",
		hex.EncodeToString(key[:31]),
		hex.EncodeToString(key) + "00",
		base64.StdEncoding.EncodeToString(key[:16]),
		base64.StdEncoding.EncodeToString(append(key, 1)),
		strings.Repeat("zz", 32),
		strings.Repeat("0", 64),
		base64.StdEncoding.EncodeToString(make([]byte, 32)),
	} {
		_, err := keys.ParseMasterKey(s)
		if err == nil {
			t.Errorf("%q: accepted", s)
			continue
		}
		if len(s) >= 8 && strings.Contains(err.Error(), s[:8]) {
			t.Errorf("%q: error echoes the value: %v", s, err)
		}
	}
}
