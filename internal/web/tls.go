package web

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// CertFiles serves the certificate in a PEM certificate (chain) file and its
// key file, and reloads them when either changes on disk — cert-manager,
// certbot and Kubernetes secret mounts replace them in place — so a renewed
// certificate is served without a restart. A pair that does not load is
// logged and the previous one kept.
type CertFiles struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string
	checked time.Time
	// now paces the checks; tests move it instead of waiting.
	now func() time.Time
}

// LoadCertFiles reads the pair once; an error here stops the server.
func LoadCertFiles(certFile, keyFile string, log *slog.Logger) (*CertFiles, error) {
	c := &CertFiles{certFile: certFile, keyFile: keyFile, log: log, now: time.Now}
	stamp, err := c.stampNow()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	c.cert, c.stamp, c.checked = &cert, stamp, c.now()
	return c, nil
}

// stampNow names the files' current versions by size and modification time.
func (c *CertFiles) stampNow() (string, error) {
	var s string
	for _, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		s += fmt.Sprintf("%d.%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return s, nil
}

// reloadEvery bounds the stat calls to one per interval, not one per
// handshake.
const reloadEvery = time.Second

// GetCertificate is for tls.Config.
func (c *CertFiles) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.checked) < reloadEvery {
		return c.cert, nil
	}
	c.checked = now
	stamp, err := c.stampNow()
	if err != nil || stamp == c.stamp {
		return c.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		// Often the certificate is written and the key not yet: try again
		// at the next check rather than settle on the stamp.
		c.log.Warn("TLS certificate changed on disk but does not load; still serving the previous one", "err", err)
		return c.cert, nil
	}
	c.cert, c.stamp = &cert, stamp
	c.log.Info("TLS certificate reloaded", "cert", c.certFile)
	return c.cert, nil
}

// TLSConfig is the server's TLS: 1.2 and later, HTTP/2 offered.
func (c *CertFiles) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.GetCertificate, NextProtos: []string{"h2", "http/1.1"}}
}
