// Package mail sends the e-mails of a person's lifecycle — the activation
// link of an invitation and the password-reset link — through the SMTP
// server the operator configures (--smtp-url). Messages are plain MIME
// multipart/alternative (text and HTML), rendered from templates that are
// embedded and that an operator may override file by file
// (--mail-templates DIR).
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// Server is a parsed --smtp-url.
type Server struct {
	// Addr is host:port.
	Addr string
	Host string
	// ImplicitTLS is smtps:// (TLS from the first byte, port 465 by
	// default); otherwise the connection must be upgraded with STARTTLS,
	// unless StartTLSOff (only allowed on a loopback address).
	ImplicitTLS bool
	StartTLSOff bool
	// User and Password authenticate with SASL PLAIN, always inside TLS
	// except on loopback.
	User, Password string
}

// Redacted is the URL without its password, for logs and errors.
func (s *Server) Redacted() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr}
	if s.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if s.User != "" {
		u.User = url.User(s.User)
	}
	if s.StartTLSOff {
		u.RawQuery = "starttls=off"
	}
	return u.String()
}

// ParseURL checks an --smtp-url: smtp://[user:password@]host[:port] (587
// by default, STARTTLS required), smtps://[user:password@]host[:port] (465
// by default, implicit TLS), and smtp://host:port?starttls=off for a relay
// on this machine only (a loopback address or localhost): a password or a
// link sent in clear text over a network is a leak.
func ParseURL(raw string) (*Server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("--smtp-url: not a URL; want smtp://user:password@host:587 or smtps://user:password@host:465")
	}
	s := &Server{Host: u.Hostname()}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
	case "smtps":
		s.ImplicitTLS = true
		if port == "" {
			port = "465"
		}
	default:
		return nil, fmt.Errorf("--smtp-url: scheme %q: want smtp:// (STARTTLS) or smtps:// (implicit TLS)", u.Scheme)
	}
	if s.Host == "" {
		return nil, errors.New("--smtp-url: the SMTP server's host is missing")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("--smtp-url: port %q is not a port number", port)
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, errors.New("--smtp-url: a path or fragment means nothing here")
	}
	s.Addr = net.JoinHostPort(s.Host, port)
	if u.User != nil {
		s.User = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	for k, v := range u.Query() {
		switch {
		case k == "starttls" && len(v) == 1 && v[0] == "off":
			s.StartTLSOff = true
		case k == "starttls" && len(v) == 1 && v[0] == "on":
		default:
			return nil, fmt.Errorf("--smtp-url: unknown parameter %q (only starttls=off, for a relay on loopback)", k)
		}
	}
	if s.StartTLSOff {
		if s.ImplicitTLS {
			return nil, errors.New("--smtp-url: starttls=off contradicts smtps://")
		}
		if !isLoopback(s.Host) {
			return nil, fmt.Errorf("--smtp-url: starttls=off is allowed only for a relay on loopback (localhost, 127.0.0.1, ::1), not %q: links and passwords would cross the network in clear text", s.Host)
		}
	}
	return s, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseFrom checks an --smtp-from address: "name@example.com" or
// "Name <name@example.com>".
func ParseFrom(s string) (*mail.Address, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("--smtp-from %q: want an e-mail address such as sesame@example.com", s)
	}
	return a, nil
}

// Config configures a Sender.
type Config struct {
	URL  string
	From string
	// TemplatesDir, when set, holds templates that replace the embedded
	// ones of the same name.
	TemplatesDir string
	// TLS, when set, is the base TLS configuration (tests give their own
	// root CAs here; operators use the system's, or SSL_CERT_FILE).
	TLS *tls.Config
	// OrgName names the org in the e-mails (it can change while running).
	OrgName func() string
	OrgURL  string
	Now     func() time.Time
	Log     *slog.Logger
}

// Sender sends the lifecycle e-mails; it is a service.LinkSender.
type Sender struct {
	cfg    Config
	srv    *Server
	from   *mail.Address
	tpl    map[string]*kindTemplates
	helo   string
	dialer net.Dialer
}

type kindTemplates struct {
	subject, text *texttemplate.Template
	html          *htmltemplate.Template
}

//go:embed templates/*
var embedded embed.FS

// Template kinds and the files each is made of.
const (
	KindActivation = "activation"
	KindReset      = "reset"
)

// TemplateFiles are the names an operator can override in --mail-templates.
func TemplateFiles() []string {
	var out []string
	for _, k := range []string{KindActivation, KindReset} {
		out = append(out, k+"-subject.txt", k+".txt", k+".html")
	}
	return out
}

// New checks the configuration and parses the templates, so that a
// mistake in either stops the server at start rather than at the first
// invitation.
func New(cfg Config) (*Sender, error) {
	srv, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.From == "" {
		return nil, errors.New("--smtp-from is required with --smtp-url: the address the e-mails come from")
	}
	from, err := ParseFrom(cfg.From)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OrgName == nil {
		cfg.OrgName = func() string { return "Sesame" }
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Sender{cfg: cfg, srv: srv, from: from, tpl: map[string]*kindTemplates{}, dialer: net.Dialer{Timeout: 30 * time.Second}}
	if s.tpl, err = LoadTemplates(cfg.TemplatesDir); err != nil {
		return nil, err
	}
	s.helo = "localhost"
	if u, err := url.Parse(cfg.OrgURL); err == nil && u.Hostname() != "" {
		s.helo = u.Hostname()
	}
	return s, nil
}

// LoadTemplates parses the embedded templates, each replaced by the file
// of the same name in dir when dir has one.
func LoadTemplates(dir string) (map[string]*kindTemplates, error) {
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--mail-templates %q: not a directory", dir)
		}
	}
	read := func(name string) (string, []byte, error) {
		if dir != "" {
			p := filepath.Join(dir, name)
			b, err := os.ReadFile(p)
			if err == nil {
				return p, b, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", nil, fmt.Errorf("--mail-templates: %w", err)
			}
		}
		b, err := embedded.ReadFile("templates/" + name)
		return "embedded " + name, b, err
	}
	out := map[string]*kindTemplates{}
	for _, k := range []string{KindActivation, KindReset} {
		kt := &kindTemplates{}
		for _, part := range []string{"-subject.txt", ".txt", ".html"} {
			name, b, err := read(k + part)
			if err != nil {
				return nil, err
			}
			if part == ".html" {
				kt.html, err = htmltemplate.New(name).Option("missingkey=error").Parse(string(b))
			} else {
				t, perr := texttemplate.New(name).Option("missingkey=error").Parse(string(b))
				err = perr
				if part == ".txt" {
					kt.text = t
				} else {
					kt.subject = t
				}
			}
			if err != nil {
				return nil, fmt.Errorf("mail template %s: %w", name, err)
			}
		}
		out[k] = kt
	}
	return out, nil
}

// Data is what a template can use.
type Data struct {
	// OrgName and OrgURL name the org; Link is the one-time link.
	OrgName, OrgURL, Link string
	// Login is the person's username, Name their first name (or username),
	// Email the address the message goes to.
	Login, Name, Email string
	// Expires is when the link stops working (UTC, RFC 1123); ExpiresIn
	// says how long that is from now ("7 days", "1 hour").
	Expires, ExpiresIn string
}

// Message is a rendered e-mail.
type Message struct {
	To                  *mail.Address
	Subject, Text, HTML string
}

// Render renders the e-mail of kind for u.
func (s *Sender) Render(kind string, u *store.User, link string, expires time.Time) (*Message, error) {
	to, err := Recipient(u)
	if err != nil {
		return nil, err
	}
	d := Data{OrgName: s.cfg.OrgName(), OrgURL: s.cfg.OrgURL, Link: link, Login: u.Login, Email: to.Address,
		Expires: expires.UTC().Format(time.RFC1123), ExpiresIn: humanDuration(expires.Sub(s.cfg.Now()))}
	d.Name, _ = u.Profile["firstName"].(string)
	if d.Name == "" {
		d.Name = u.Login
	}
	to.Name = strings.TrimSpace(fmt.Sprint(u.Profile["firstName"], " ", u.Profile["lastName"]))
	if _, ok := u.Profile["firstName"].(string); !ok {
		to.Name = ""
	}
	t := s.tpl[kind]
	var subj, text, html bytes.Buffer
	if err := t.subject.Execute(&subj, d); err != nil {
		return nil, fmt.Errorf("mail template %s-subject.txt: %w", kind, err)
	}
	if err := t.text.Execute(&text, d); err != nil {
		return nil, fmt.Errorf("mail template %s.txt: %w", kind, err)
	}
	if err := t.html.Execute(&html, d); err != nil {
		return nil, fmt.Errorf("mail template %s.html: %w", kind, err)
	}
	// A subject is one header line: whatever the org name holds, no line
	// break may reach the header.
	return &Message{To: to, Subject: strings.Join(strings.Fields(subj.String()), " "), Text: text.String(), HTML: html.String()}, nil
}

// Recipient is the address a person's e-mails go to: their primary e-mail
// (profile.email), else their username when it is an address.
func Recipient(u *store.User) (*mail.Address, error) {
	for _, v := range []any{u.Profile["email"], u.Login} {
		if s, ok := v.(string); ok && s != "" {
			if a, err := mail.ParseAddress(s); err == nil && a.Name == "" && !strings.ContainsAny(a.Address, "\r\n<>") {
				return a, nil
			}
		}
	}
	return nil, fmt.Errorf("user %s has no e-mail address to send to", u.ID)
}

func humanDuration(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.FormatInt(n, 10) + " " + unit + "s"
	}
	// Rounded first: a link made a moment ago for an hour expires in "1
	// hour", not "59 minutes".
	d = d.Round(time.Minute)
	switch {
	case d >= 48*time.Hour:
		return plural(int64(d.Round(24*time.Hour)/(24*time.Hour)), "day")
	case d >= time.Hour:
		return plural(int64(d.Round(time.Hour)/time.Hour), "hour")
	case d > 0:
		return plural(int64(d/time.Minute), "minute")
	}
	return "0 minutes"
}

// Compose writes m as a MIME message: multipart/alternative with the text
// part first and the HTML part last (the one a mail reader prefers when it
// can show it), both UTF-8 in quoted-printable, CRLF line ends.
func Compose(from *mail.Address, m *Message, now time.Time) ([]byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range []struct{ ctype, content string }{{"text/plain; charset=utf-8", m.Text}, {"text/html; charset=utf-8", m.HTML}} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {p.ctype}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		qw := quotedprintable.NewWriter(pw)
		if _, err := qw.Write([]byte(strings.ReplaceAll(p.content, "\r\n", "\n"))); err != nil {
			return nil, err
		}
		if err := qw.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	domain := "localhost"
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 {
		domain = from.Address[i+1:]
	}
	var msg bytes.Buffer
	header := []struct{ k, v string }{
		{"From", from.String()},
		{"To", m.To.String()},
		{"Subject", mime.QEncoding.Encode("utf-8", m.Subject)},
		{"Date", now.Format(time.RFC1123Z)},
		{"Message-ID", "<" + secret.RandomString(24) + "@" + domain + ">"},
		{"MIME-Version", "1.0"},
		// RFC 3834: machines should not answer it (no vacation replies).
		{"Auto-Submitted", "auto-generated"},
		{"Content-Type", "multipart/alternative; boundary=\"" + mw.Boundary() + "\""},
	}
	for _, h := range header {
		msg.WriteString(h.k + ": " + h.v + "\r\n")
	}
	msg.WriteString("\r\n")
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}

// Send renders and delivers the e-mail of kind to u.
func (s *Sender) Send(ctx context.Context, kind string, u *store.User, link string, expires time.Time) error {
	m, err := s.Render(kind, u, link, expires)
	if err != nil {
		return err
	}
	raw, err := Compose(s.from, m, s.cfg.Now())
	if err != nil {
		return err
	}
	if err := s.deliver(ctx, m.To.Address, raw); err != nil {
		return fmt.Errorf("sending through %s: %w", s.srv.Redacted(), err)
	}
	s.cfg.Log.Info("e-mail sent", "kind", kind, "user", u.ID)
	return nil
}

// SendActivation sends the invitation with the activation link.
func (s *Sender) SendActivation(ctx context.Context, u *store.User, link string, expires time.Time) error {
	return s.Send(ctx, KindActivation, u, link, expires)
}

// SendReset sends the password-reset link.
func (s *Sender) SendReset(ctx context.Context, u *store.User, link string, expires time.Time) error {
	return s.Send(ctx, KindReset, u, link, expires)
}

// deliver opens one connection per message: lifecycle e-mails are few,
// and a held connection would only time out between them.
func (s *Sender) deliver(ctx context.Context, to string, raw []byte) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.TLS != nil {
		tlsCfg = s.cfg.TLS.Clone()
	}
	tlsCfg.ServerName = s.srv.Host
	var conn net.Conn
	var err error
	if s.srv.ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: &s.dialer, Config: tlsCfg}).DialContext(ctx, "tcp", s.srv.Addr)
	} else {
		conn, err = s.dialer.DialContext(ctx, "tcp", s.srv.Addr)
	}
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	var c *smtp.Client
	if s.srv.ImplicitTLS || s.srv.StartTLSOff {
		c = smtp.NewClient(conn)
		if err := c.Hello(s.helo); err != nil {
			c.Close()
			return err
		}
	} else if c, err = smtp.NewClientStartTLS(conn, tlsCfg); err != nil {
		// go-smtp greets as "localhost" here: its STARTTLS comes with its
		// own greeting. Nothing is sent before the upgrade.
		conn.Close()
		return fmt.Errorf("STARTTLS, which smtp:// requires (smtps:// is implicit TLS): %w", err)
	}
	defer c.Close()
	if s.srv.User != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.srv.User, s.srv.Password)); err != nil {
			return fmt.Errorf("authentication: %w", err)
		}
	}
	if err := c.SendMail(s.from.Address, []string{to}, bytes.NewReader(raw)); err != nil {
		return err
	}
	return c.Quit()
}
