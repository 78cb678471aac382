package web

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// writePair writes a self-signed certificate with the given serial and its
// key, stamped with the modification time mod (the reloader compares size
// and modification time).
func writePair(t *testing.T, certFile, keyFile string, serial int64, mod time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "sesame test"},
		NotBefore: mod.Add(-time.Hour), NotAfter: mod.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for file, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: kder}} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(file, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
}

// syncBuffer is a log destination the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestCertFilesReload: the files are looked at no more than once a second;
// a changed pair is served from the next look; a pair that does not load is
// logged and the working one kept, until the pair is whole again. The
// interval runs on an injected clock, so nothing here waits.
func TestCertFilesReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	writePair(t, certFile, keyFile, 1, t0)
	var logs syncBuffer
	c, err := LoadCertFiles(certFile, keyFile, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	c.now = func() time.Time { return now }
	c.checked = now
	serial := func() int64 {
		t.Helper()
		cert, err := c.GetCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return leaf.SerialNumber.Int64()
	}
	if s := serial(); s != 1 {
		t.Fatalf("serial %d at start", s)
	}

	writePair(t, certFile, keyFile, 2, t0.Add(time.Minute))
	now = now.Add(999 * time.Millisecond)
	if s := serial(); s != 1 {
		t.Errorf("the files were looked at within the second: serial %d", s)
	}
	now = now.Add(time.Millisecond)
	if s := serial(); s != 2 {
		t.Errorf("a renewed pair is not served after the second: serial %d", s)
	}

	// Half-written: the key is garbage. The working pair stays, and the
	// refusal is logged.
	if err := os.WriteFile(keyFile, []byte("-----BEGIN EC PRIVATE KEY-----\ngarbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(keyFile, t0.Add(2*time.Minute), t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if s := serial(); s != 2 {
		t.Errorf("after a broken key file: serial %d", s)
	}
	if !strings.Contains(logs.String(), "does not load") {
		t.Errorf("the broken pair was not logged: %s", logs.String())
	}
	// Not settled on the broken stamp: once whole, the pair is served.
	writePair(t, certFile, keyFile, 3, t0.Add(3*time.Minute))
	now = now.Add(time.Second)
	if s := serial(); s != 3 {
		t.Errorf("the repaired pair: serial %d", s)
	}
	// A file that vanished keeps the working pair too.
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if s := serial(); s != 3 {
		t.Errorf("after the key file vanished: serial %d", s)
	}
}
