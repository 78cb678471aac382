package mail_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/mail"
	"github.com/sesame-idp/sesame/internal/mail/mailtest"
	"github.com/sesame-idp/sesame/internal/store"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		in, addr string
		tls, off bool
		user     string
	}{
		{"smtp://mail.example.com", "mail.example.com:587", false, false, ""},
		{"smtp://u%40x:p%3Aw@mail.example.com:2525", "mail.example.com:2525", false, false, "u@x"},
		{"smtps://mail.example.com", "mail.example.com:465", true, false, ""},
		{"smtp://127.0.0.1:25?starttls=off", "127.0.0.1:25", false, true, ""},
		{"smtp://localhost:1025?starttls=off", "localhost:1025", false, true, ""},
		{"smtp://[::1]:25?starttls=off", "[::1]:25", false, true, ""},
	} {
		s, err := mail.ParseURL(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if s.Addr != c.addr || s.ImplicitTLS != c.tls || s.StartTLSOff != c.off || s.User != c.user {
			t.Errorf("%s: %+v", c.in, s)
		}
		if strings.Contains(s.Redacted(), "p:w") || strings.Contains(s.Redacted(), "p%3Aw") {
			t.Errorf("%s: redacted form shows the password: %s", c.in, s.Redacted())
		}
	}
	for _, bad := range []string{
		"", "http://mail.example.com", "smtp://", "smtp://mail.example.com:0", "smtp://mail.example.com:99999",
		"smtp://mail.example.com?starttls=off", // clear text across a network
		"smtp://10.0.0.1:25?starttls=off",
		"smtps://127.0.0.1?starttls=off",
		"smtp://mail.example.com/path", "smtp://mail.example.com?tls=maybe", "smtp://%zz",
	} {
		if _, err := mail.ParseURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		} else if !strings.Contains(err.Error(), "--smtp-url") {
			t.Errorf("%q: error does not name the flag: %v", bad, err)
		}
	}
}

func newUser() *store.User {
	return &store.User{ID: "00u1", Login: "ada@example.com", Status: store.UserProvisioned,
		Profile: map[string]any{"firstName": "Ada", "lastName": "Lovelace", "email": "ada.l@example.com", "login": "ada@example.com"}}
}

func sender(t *testing.T, sink *mailtest.Sink, org string, dir string) *mail.Sender {
	t.Helper()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := mail.New(mail.Config{URL: sink.URL(), From: "Sesame <sesame@idp.example.com>", TemplatesDir: dir, TLS: sink.ClientTLS,
		OrgName: func() string { return org }, OrgURL: "https://idp.example.com", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSendEachWay sends an invitation through a real SMTP server reached
// each way Sesame supports — clear text on loopback, STARTTLS with
// authentication, implicit TLS with authentication — and reads it back
// with net/mail and mime/multipart.
func TestSendEachWay(t *testing.T) {
	for _, c := range []struct {
		name string
		opts mailtest.Options
	}{
		{"loopback", mailtest.Options{Mode: mailtest.Plain}},
		{"starttls+auth", mailtest.Options{Mode: mailtest.StartTLS, User: "relay", Password: "s3cret:pw"}},
		{"smtps+auth", mailtest.Options{Mode: mailtest.ImplicitTLS, User: "relay", Password: "s3cret"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sink := mailtest.Start(t, c.opts)
			s := sender(t, sink, "Acme Data", "")
			link := "https://idp.example.com/welcome/AbC123"
			expires := time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)
			if err := s.SendActivation(t.Context(), newUser(), link, expires); err != nil {
				t.Fatal(err)
			}
			got := sink.Wait(t, 1)
			if got.From != "sesame@idp.example.com" || len(got.To) != 1 || got.To[0] != "ada.l@example.com" {
				t.Errorf("envelope: from %q to %v", got.From, got.To)
			}
			if got.TLS != (c.opts.Mode != mailtest.Plain) || got.Authed != (c.opts.User != "") {
				t.Errorf("tls %v authed %v", got.TLS, got.Authed)
			}
			p, err := mailtest.Parse(got.Data)
			if err != nil {
				t.Fatalf("%v\n%s", err, got.Data)
			}
			if p.MultipartSubtype != "alternative" || p.Subject != "Activate your Acme Data account" {
				t.Errorf("subtype %q subject %q", p.MultipartSubtype, p.Subject)
			}
			if p.From.Address != "sesame@idp.example.com" || p.From.Name != "Sesame" || p.To.Address != "ada.l@example.com" || p.To.Name != "Ada Lovelace" {
				t.Errorf("from %v to %v", p.From, p.To)
			}
			if p.TextCT != "text/plain; charset=utf-8" || p.HTMLCT != "text/html; charset=utf-8" {
				t.Errorf("parts %q %q", p.TextCT, p.HTMLCT)
			}
			for _, part := range []string{p.Text, p.HTML} {
				if mailtest.Link(part) != link || !strings.Contains(part, "Acme Data") || !strings.Contains(part, "7 days") {
					t.Errorf("part lacks the link, org or expiry:\n%s", part)
				}
			}
			if !strings.Contains(p.HTML, `href="`+link+`"`) {
				t.Errorf("HTML part has no anchor to the link:\n%s", p.HTML)
			}
			if p.Header.Get("Message-Id") == "" || p.Header.Get("Mime-Version") != "1.0" || p.Header.Get("Auto-Submitted") != "auto-generated" {
				t.Errorf("headers %v", p.Header)
			}
			for _, line := range strings.Split(string(got.Data), "\n") {
				if !strings.HasSuffix(line, "\r") && line != "" {
					t.Fatalf("a line without CRLF: %q", line)
				}
				if len(line) > 999 {
					t.Fatalf("a line longer than SMTP allows: %d", len(line))
				}
			}
		})
	}
}

// TestSendRefused: a STARTTLS server is required for smtp://, a wrong
// password is an error, and a person without an address gets none.
func TestSendRefused(t *testing.T) {
	exp := time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)
	plain := mailtest.Start(t, mailtest.Options{Mode: mailtest.Plain})
	s, err := mail.New(mail.Config{URL: "smtp://" + plain.Addr, From: "sesame@idp.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendReset(t.Context(), newUser(), "https://x/reset_password/a", exp); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("smtp:// to a server without STARTTLS: %v", err)
	}
	authed := mailtest.Start(t, mailtest.Options{Mode: mailtest.StartTLS, User: "relay", Password: "right"})
	s, err = mail.New(mail.Config{URL: strings.Replace(authed.URL(), "right", "wrong", 1), From: "sesame@idp.example.com", TLS: authed.ClientTLS})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendReset(t.Context(), newUser(), "https://x/reset_password/a", exp); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong password: %v (the error must not show it)", err)
	}
	// The sink's certificate is not trusted without its CA.
	s, err = mail.New(mail.Config{URL: authed.URL(), From: "sesame@idp.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendReset(t.Context(), newUser(), "https://x/reset_password/a", exp); err == nil {
		t.Error("an untrusted certificate was accepted")
	}
	u := newUser()
	u.Login, u.Profile = "ada", map[string]any{"login": "ada", "email": "not an address"}
	s = sender(t, plain, "Acme", "")
	if err := s.SendReset(t.Context(), u, "https://x/reset_password/a", exp); err == nil {
		t.Error("sent to no address")
	}
	if n := len(authed.Messages()) + len(plain.Messages()); n != 0 {
		t.Errorf("%d messages arrived", n)
	}
	for _, c := range []mail.Config{{URL: plain.URL()}, {URL: plain.URL(), From: "not an address"}, {URL: plain.URL(), From: "a@b.c", TemplatesDir: "/does/not/exist"}} {
		if _, err := mail.New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestTemplatesOverride: a file in the operator's directory replaces the
// embedded template of that name; the others stay; a broken template
// stops the start; an org name cannot break out of the subject header nor
// into the HTML.
func TestTemplatesOverride(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "reset-subject.txt"), []byte("{{.OrgName}}: new password for {{.Login}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "reset.html"), []byte(`<p>Hi {{.Name}} of {{.OrgName}}: <a href="{{.Link}}">reset</a> within {{.ExpiresIn}}</p>`), 0o644); err != nil {
		t.Fatal(err)
	}
	sink := mailtest.Start(t, mailtest.Options{})
	org := "Acme <script>x</script>\r\nBcc: victim@example.com"
	s := sender(t, sink, org, dir)
	link := "https://idp.example.com/reset_password/Tok3n"
	if err := s.SendReset(t.Context(), newUser(), link, time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	got := sink.Wait(t, 1)
	p, err := mailtest.Parse(got.Data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "Acme <script>x</script> Bcc: victim@example.com: new password for ada@example.com" {
		t.Errorf("subject %q", p.Subject)
	}
	if p.Header.Get("Bcc") != "" || len(got.To) != 1 {
		t.Errorf("header injection: %v %v", p.Header, got.To)
	}
	want := `<p>Hi Ada of Acme &lt;script&gt;x&lt;/script&gt;` + "\r\n" + `Bcc: victim@example.com: <a href="` + link + `">reset</a> within 1 hour</p>`
	if p.HTML != want {
		t.Errorf("HTML %q\nwant %q", p.HTML, want)
	}
	// The text part is still the embedded one.
	if !strings.Contains(p.Text, "Someone asked to reset the password") || mailtest.Link(p.Text) != link {
		t.Errorf("text %q", p.Text)
	}
	if err := os.WriteFile(filepath.Join(dir, "activation.txt"), []byte("{{.Nope"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := mail.New(mail.Config{URL: sink.URL(), From: "a@b.c", TemplatesDir: dir}); err == nil || !strings.Contains(err.Error(), "activation.txt") {
		t.Errorf("broken template: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "activation.txt"), []byte("{{.Nope}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = sender(t, sink, "Acme", dir)
	if err := s.SendActivation(t.Context(), newUser(), link, time.Now()); err == nil {
		t.Error("a template naming an unknown field rendered")
	}
}

func TestHumanDuration(t *testing.T) {
	sink := mailtest.Start(t, mailtest.Options{})
	s := sender(t, sink, "Acme", "")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		time.Hour - 20*time.Millisecond: "1 hour", 7*24*time.Hour - time.Second: "7 days", 90 * time.Minute: "2 hours",
		30 * time.Minute: "30 minutes", time.Minute: "1 minute", 3 * time.Hour: "3 hours",
	} {
		m, err := s.Render(mail.KindReset, newUser(), "https://x/reset_password/a", now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, "expires in "+want+" (") {
			t.Errorf("%v: %s", d, m.Text)
		}
	}
}
