package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate for 127.0.0.1 with the given
// serial number, and returns it for the client's trust pool.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "sesame test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Written beside and renamed into place, as cert-manager and certbot do,
	// so the server never reads half a file.
	for file, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: kder}} {
		if err := os.WriteFile(file+".new", pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(file+".new", file); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestServeTLS: serve with --tls-cert/--tls-key answers https only, with
// TLS 1.2 or later, HSTS on its answers and a Secure session cookie;
// replacing the files on disk changes the served certificate without a
// restart; a broken pair at start stops serve with a clear error.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	first := writeCert(t, certFile, keyFile, 1)
	pool := x509.NewCertPool()
	pool.AddCert(first)

	addr := freeAddr(t)
	orgURL := "https://" + addr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		cmd := newRootCommand()
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		cmd.SetArgs([]string{"serve", "--addr", addr, "--url", orgURL, "--data", filepath.Join(dir, "data"), "--tls-cert", certFile, "--tls-key", keyFile})
		done <- cmd.ExecuteContext(ctx)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}
	client := &http.Client{Transport: tr}
	var resp *http.Response
	var err error
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err = client.Get(orgURL + "/.well-known/openid-configuration"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no https answer: %v", err)
		}
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Fatalf("https discovery: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 || resp.TLS.PeerCertificates[0].SerialNumber.Int64() != 1 {
		t.Fatalf("TLS state: %+v", resp.TLS)
	}
	// The hosted sign-in page's session cookie is Secure under https.
	if resp, err = client.Get(orgURL + "/login/login.htm"); err != nil {
		t.Fatalf("sign-in page over https: %v", err)
	}
	resp.Body.Close()
	if len(resp.Cookies()) == 0 {
		t.Error("the sign-in page set no cookie (its CSRF cookie) to check")
	}
	for _, c := range resp.Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s without Secure over https", c.Name)
		}
	}

	// TLS 1.1 is refused; plain http gets no HTTP answer.
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	if resp, err := old.Get(orgURL + "/.well-known/openid-configuration"); err == nil {
		resp.Body.Close()
		t.Fatal("a TLS 1.1 client was served")
	}
	if resp, err := http.Get("http://" + addr + "/.well-known/openid-configuration"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain http was served")
		}
	}

	// A renewed certificate (new key, serial 2) is picked up without a restart.
	second := writeCert(t, certFile, keyFile, 2)
	pool.AddCert(second)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := client.Get(orgURL + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.TLS.PeerCertificates[0].SerialNumber.Int64() == 2 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the renewed certificate was not served: %v", err)
		}
	}
	// A half-written pair on disk keeps the working one served: that is
	// internal/web's TestCertFilesReload, on a clock it moves.
}

func TestServeTLSRefusals(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeCert(t, certFile, keyFile, 1)
	other := filepath.Join(dir, "other.key")
	writeCert(t, filepath.Join(dir, "other.crt"), other, 2)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", certFile}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-cert", certFile, "--tls-key", filepath.Join(dir, "missing.key")}, "missing.key"},
		{[]string{"--tls-cert", certFile, "--tls-key", other}, "--tls-cert/--tls-key"},
	} {
		args := append([]string{"serve", "--data", filepath.Join(dir, "data"), "--addr", "127.0.0.1:0"}, c.args...)
		_, err := run(context.Background(), t, "", args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
		}
	}
}
