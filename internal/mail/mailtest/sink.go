// Package mailtest runs a real SMTP server in-process (go-smtp) that keeps
// what it receives, for tests that follow the links Sesame e-mails, and
// parses what arrived with the standard library's MIME readers.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mode is how the sink expects clients to secure the connection.
type Mode int

const (
	// Plain offers no TLS: Sesame must be told starttls=off (loopback).
	Plain Mode = iota
	// StartTLS offers STARTTLS on a plain listener.
	StartTLS
	// ImplicitTLS speaks TLS from the first byte (smtps://).
	ImplicitTLS
)

// Options configure a sink.
type Options struct {
	Mode Mode
	// User and Password, when set, are required (SASL PLAIN).
	User, Password string
}

// Received is one message as it arrived.
type Received struct {
	From string
	To   []string
	Data []byte
	// TLS says whether the message came over TLS; Authed whether the
	// client authenticated.
	TLS, Authed bool
}

// Sink is a running SMTP server.
type Sink struct {
	Addr string
	// ClientTLS trusts the sink's self-signed certificate.
	ClientTLS *tls.Config
	opts      Options
	srv       *smtp.Server
	mu        sync.Mutex
	got       []Received
	notify    chan struct{}
}

// Start starts a sink on 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB, o Options) *Sink {
	t.Helper()
	s := &Sink{opts: o, notify: make(chan struct{}, 100)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{sink: s, conn: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.MaxMessageBytes = 1 << 20
	s.srv.AllowInsecureAuth = o.Mode == Plain
	var ln net.Listener
	var err error
	if o.Mode != Plain {
		cert, pool := selfSigned(t)
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.ClientTLS = &tls.Config{RootCAs: pool}
	}
	if o.Mode == ImplicitTLS {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", s.srv.TLSConfig)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// Close stops the sink: the next connection is refused.
func (s *Sink) Close() { s.srv.Close() }

// URL is the --smtp-url that reaches the sink.
func (s *Sink) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr}
	switch s.opts.Mode {
	case Plain:
		u.RawQuery = "starttls=off"
	case ImplicitTLS:
		u.Scheme = "smtps"
	}
	if s.opts.User != "" {
		u.User = url.UserPassword(s.opts.User, s.opts.Password)
	}
	return u.String()
}

// Messages returns what arrived so far.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

// Wait waits until n messages in all have arrived and returns the n-th.
func (s *Sink) Wait(t testing.TB, n int) Received {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := s.Messages(); len(got) >= n {
			return got[n-1]
		}
		select {
		case <-s.notify:
		case <-deadline:
			t.Fatalf("message %d did not arrive within 10 s (%d arrived)", n, len(s.Messages()))
		}
	}
}

type session struct {
	sink   *Sink
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (x *session) AuthMechanisms() []string {
	if x.sink.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != x.sink.opts.User || pass != x.sink.opts.Password {
			return errors.New("invalid credentials")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.sink.opts.User != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, tlsOn := x.conn.TLSConnectionState()
	x.sink.mu.Lock()
	x.sink.got = append(x.sink.got, Received{From: x.from, To: x.to, Data: b, TLS: tlsOn, Authed: x.authed})
	x.sink.mu.Unlock()
	select {
	case x.sink.notify <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// Parsed is a message read with net/mail and mime/multipart.
type Parsed struct {
	Header           mail.Header
	Subject          string
	From, To         *mail.Address
	Text, HTML       string
	TextCT, HTMLCT   string
	MultipartSubtype string
}

// Parse reads a multipart/alternative message with a text and an HTML
// part, decoding the subject and the parts' transfer encodings.
func Parse(raw []byte) (*Parsed, error) {
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return nil, err
	}
	p := &Parsed{Header: m.Header}
	dec := new(mime.WordDecoder)
	if p.Subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	if p.From, err = mail.ParseAddress(m.Header.Get("From")); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if p.To, err = mail.ParseAddress(m.Header.Get("To")); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	if _, err := m.Header.Date(); err != nil {
		return nil, fmt.Errorf("date: %w", err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return nil, fmt.Errorf("content type %q: %v", m.Header.Get("Content-Type"), err)
	}
	p.MultipartSubtype = strings.TrimPrefix(mt, "multipart/")
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		var r io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(part)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.Text, p.TextCT = string(b), part.Header.Get("Content-Type")
		case "text/html":
			p.HTML, p.HTMLCT = string(b), part.Header.Get("Content-Type")
		default:
			return nil, fmt.Errorf("unexpected part %q", ct)
		}
	}
	return p, nil
}

var linkRE = regexp.MustCompile(`https?://[^\s<>"]+/(?:welcome|reset_password)/[A-Za-z0-9_-]+`)

// Link is the first activation or reset link in s.
func Link(s string) string { return linkRE.FindString(s) }
