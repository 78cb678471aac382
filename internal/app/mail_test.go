package app

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/mail/mailtest"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
)

// serveWithMail serves st with --smtp-url pointing at smtpURL and the
// clock given.
func serveWithMail(t *testing.T, st store.Store, smtpURL string, clock *fakeClock) *testServer {
	t.Helper()
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	return serveReplicaWith(t, st, sealer, "", true, []func(*config.Config){func(c *config.Config) {
		c.SMTPURL, c.SMTPFrom = smtpURL, "Test Org <idp@example.com>"
	}}, []Option{WithClock(clock.now)})
}

// waitResetRefused waits until each login's forgot-password request has
// recorded its refusal (system.email.password_reset.sent_message FAILURE):
// the request's last step, so after it nothing more is sent for it.
func waitResetRefused(t *testing.T, ts *testServer, logins ...string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		evs, err := ts.App.Store.Audit().List(t.Context(), store.AuditQuery{EventType: "system.email.password_reset.sent_message"})
		if err != nil {
			t.Fatal(err)
		}
		refused := map[string]bool{}
		for _, e := range evs {
			var ev audit.Event
			if err := json.Unmarshal(e.Data, &ev); err != nil {
				t.Fatalf("event %s: %v", e.UUID, err)
			}
			if ev.Outcome.Result == "FAILURE" {
				refused[ev.Actor.AlternateID] = true
			}
		}
		missing := slices.DeleteFunc(slices.Clone(logins), func(l string) bool { return refused[l] })
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no refusal recorded for %v", missing)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mailedLink waits for the n-th message at the sink, checks that it is a
// well-formed multipart/alternative e-mail to want with the org's name
// and the same link in both parts, and returns the link.
func mailedLink(t *testing.T, ts *testServer, sink *mailtest.Sink, n int, want, subject string) string {
	t.Helper()
	got := sink.Wait(t, n)
	if len(got.To) != 1 || got.To[0] != want || got.From != "idp@example.com" {
		t.Fatalf("envelope %q → %v", got.From, got.To)
	}
	p, err := mailtest.Parse(got.Data)
	if err != nil {
		t.Fatalf("the message does not parse: %v\n%s", err, got.Data)
	}
	if p.Subject != subject || p.MultipartSubtype != "alternative" || p.To.Address != want {
		t.Errorf("subject %q, multipart/%s, to %v", p.Subject, p.MultipartSubtype, p.To)
	}
	link := mailtest.Link(p.Text)
	if link == "" || mailtest.Link(p.HTML) != link || !strings.HasPrefix(link, ts.URL+"/") {
		t.Fatalf("links: text %q html %q", link, mailtest.Link(p.HTML))
	}
	org := ts.App.Cache.Current().Org.Name
	if !strings.Contains(p.Text, org) || !strings.Contains(p.HTML, org) || !strings.Contains(p.Subject, org) {
		t.Errorf("the org's name is missing:\n%s", p.Text)
	}
	return link
}

// TestLinksByEmail: with a mail server configured, activate and
// reset_password (sendEmail=true, the default) answer {} as Okta does and
// the link arrives by e-mail at a real SMTP server; it works once in a
// browser, is refused the second time and once expired. On both backends.
func TestLinksByEmail(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		sink := mailtest.Start(t, mailtest.Options{})
		clock := &fakeClock{t: time.Now()}
		ts := serveWithMail(t, open(t), sink.URL(), clock)
		const login = "grace@example.com"
		id := ts.createUser(t, "?activate=false", person(login), "")["id"].(string)

		a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id+"/lifecycle/activate", nil)
		if a.status != 200 || strings.TrimSpace(string(a.body)) != "{}" {
			t.Fatalf("activate: %d %s", a.status, a.body)
		}
		link := mailedLink(t, ts, sink, 1, login, "Activate your Test Org account")
		if !strings.HasPrefix(link, ts.URL+"/welcome/") {
			t.Fatalf("activation link %s", link)
		}
		b := newBrowser(t, ts)
		p := b.get(t, link)
		if p.status != 200 || !strings.Contains(p.body, login) {
			t.Fatalf("welcome page: %d %s", p.status, p.body)
		}
		p = b.post(t, link, url.Values{"csrf": {field(t, csrfField, p.body)}, "password": {"Abcd1234-mail"}, "confirm": {"Abcd1234-mail"}})
		if p.status != 200 || !strings.Contains(p.body, "Signed in as "+login) {
			t.Fatalf("set password: %d %s", p.status, p.body)
		}
		if u := ts.storedUser(t, id); u.Status != store.UserActive {
			t.Fatalf("status after the link: %s", u.Status)
		}
		if p := newBrowser(t, ts).get(t, link); p.status != http.StatusGone || !strings.Contains(p.body, "used already") {
			t.Errorf("second use: %d %s", p.status, p.body)
		}

		// A reset by e-mail, used late: refused; a new one works once.
		reset := func(n int) string {
			a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id+"/lifecycle/reset_password?sendEmail=true", nil)
			if a.status != 200 || strings.TrimSpace(string(a.body)) != "{}" {
				t.Fatalf("reset: %d %s", a.status, a.body)
			}
			l := mailedLink(t, ts, sink, n, login, "Reset your Test Org password")
			if !strings.HasPrefix(l, ts.URL+"/reset_password/") {
				t.Fatalf("reset link %s", l)
			}
			return l
		}
		late := reset(2)
		clock.add(61 * time.Minute)
		if p := newBrowser(t, ts).get(t, late); p.status != http.StatusGone || !strings.Contains(p.body, "expired") {
			t.Errorf("late reset link: %d %s", p.status, p.body)
		}
		fresh := reset(3)
		b = newBrowser(t, ts)
		p = b.get(t, fresh)
		p = b.post(t, fresh, url.Values{"csrf": {field(t, csrfField, p.body)}, "password": {"Abcd1234-again"}, "confirm": {"Abcd1234-again"}})
		if p.status != 200 || !strings.Contains(p.body, "Signed in as "+login) {
			t.Fatalf("reset: %d %s", p.status, p.body)
		}
		if p := newBrowser(t, ts).get(t, fresh); p.status != http.StatusGone {
			t.Errorf("reset link used twice: %d", p.status)
		}
		if n := len(sink.Messages()); n != 3 {
			t.Errorf("%d messages arrived, want 3", n)
		}
		// sendEmail=false still hands the link to the caller, mailing nothing.
		a = ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id+"/lifecycle/reset_password?sendEmail=false", nil)
		if u, _ := a.json(t)["resetPasswordUrl"].(string); !strings.HasPrefix(u, ts.URL+"/reset_password/") {
			t.Errorf("sendEmail=false: %s", a.body)
		}
		if n := len(sink.Messages()); n != 3 {
			t.Errorf("sendEmail=false sent mail: %d messages", n)
		}
	})
}

// TestLinkNotLostWhenMailFails: when the mail server cannot be reached,
// the lifecycle change stands and the answer carries the link instead.
func TestLinkNotLostWhenMailFails(t *testing.T) {
	sink := mailtest.Start(t, mailtest.Options{})
	addr := sink.Addr
	clock := &fakeClock{t: time.Now()}
	st, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "sesame.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts := serveWithMail(t, st, "smtp://"+addr+"?starttls=off", clock)
	id := ts.createUser(t, "?activate=false", person("lin@example.com"), "")["id"].(string)
	sink.Close()
	a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id+"/lifecycle/activate", nil)
	m := a.json(t)
	if a.status != 200 || !strings.HasPrefix(m["activationUrl"].(string), ts.URL+"/welcome/") || m["activationToken"] == "" {
		t.Fatalf("activate with the mail server down: %d %s", a.status, a.body)
	}
	if u := ts.storedUser(t, id); u.Status != store.UserProvisioned {
		t.Errorf("status %s", u.Status)
	}
}

var shownLinkField = regexp.MustCompile(`id="link-url" type="text" readonly value="([^"]+)"`)

// TestConsoleInvitations: "Add person" with "Send an invitation" and the
// "Reset password" action e-mail the person a link when a mail server is
// configured; without one the console shows the link to the admin, once,
// and it works. On both backends.
func TestConsoleInvitations(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		sink := mailtest.Start(t, mailtest.Options{})
		ts := consoleServerWith(t, open(t), []func(*config.Config){func(c *config.Config) { c.SMTPURL, c.SMTPFrom = sink.URL(), "idp@example.com" }})
		b, _ := consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)
		people := b.get(t, ts.Addr+"/admin/people")
		if !strings.Contains(people.body, `value="invite" checked`) {
			t.Errorf("the invitation is not the default")
		}
		// An invitation and a password at once is ambiguous.
		p := b.consolePost(t, people, "/admin/people", url.Values{"firstName": {"K"}, "lastName": {"J"}, "email": {"kj@example.com"}, "setup": {"invite"}, "password": {"Abcd1234-x"}})
		if p.status != 400 || !strings.Contains(p.body, "Choose one") {
			t.Errorf("invite with a password: %d", p.status)
		}
		p = b.consolePost(t, people, "/admin/people", url.Values{"firstName": {"Katherine"}, "lastName": {"Johnson"}, "email": {"kj@example.com"}, "setup": {"invite"}})
		if p.status != http.StatusSeeOther || p.location.Query().Get("done") != "invited" {
			t.Fatalf("invite: %d %v %s", p.status, p.location, p.body)
		}
		personPath := p.location.Path
		if page := b.get(t, ts.Addr+p.location.RequestURI()); !strings.Contains(page.body, "Invitation sent") || strings.Contains(page.body, "link-url") {
			t.Errorf("the page after the invitation: %s", page.body)
		}
		link := mailedLink(t, ts, sink, 1, "kj@example.com", "Activate your Console Org account")
		if u := ts.mgmt(t, http.MethodGet, "/api/v1/users/kj@example.com", nil).json(t); u["status"] != "PROVISIONED" {
			t.Errorf("invited person: %v", u["status"])
		}
		kb := newBrowser(t, ts)
		lp := kb.get(t, link)
		if lp = kb.post(t, link, url.Values{"csrf": {field(t, csrfField, lp.body)}, "password": {"Orbit-Math-1962"}, "confirm": {"Orbit-Math-1962"}}); lp.status != 200 {
			t.Fatalf("activation: %d %s", lp.status, lp.body)
		}
		page := b.get(t, ts.Addr+personPath)
		p = b.consolePost(t, page, personPath+"/lifecycle/reset_password", url.Values{})
		if p.status != http.StatusSeeOther || p.location.Query().Get("done") != "resetsent" {
			t.Fatalf("reset: %d %s", p.status, p.body)
		}
		if l := mailedLink(t, ts, sink, 2, "kj@example.com", "Reset your Console Org password"); !strings.Contains(l, "/reset_password/") {
			t.Errorf("reset link %s", l)
		}
	})
}

// TestConsoleLinkWithoutMail: with no mail server the console shows the
// link it could not send, and the link works.
func TestConsoleLinkWithoutMail(t *testing.T) {
	st, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "sesame.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts := consoleServer(t, st)
	b, _ := consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)
	people := b.get(t, ts.Addr+"/admin/people")
	xss := `"><script>alert(1)</script>`
	p := b.consolePost(t, people, "/admin/people", url.Values{"firstName": {"Mary" + xss}, "lastName": {"Jackson"}, "email": {"mj@example.com"}, "setup": {"invite"}})
	if p.status != 200 || !strings.Contains(p.body, "no mail server is configured") || strings.Contains(p.body, xss) {
		t.Fatalf("invite without mail: %d %s", p.status, p.body)
	}
	link := field(t, shownLinkField, p.body)
	if !strings.HasPrefix(link, ts.URL+"/welcome/") {
		t.Fatalf("shown link %q", link)
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	mb := newBrowser(t, ts)
	lp := mb.get(t, link)
	if lp = mb.post(t, link, url.Values{"csrf": {field(t, csrfField, lp.body)}, "password": {"Wind-Tunnel-1958"}, "confirm": {"Wind-Tunnel-1958"}}); lp.status != 200 || !strings.Contains(lp.body, "Signed in as mj@example.com") {
		t.Fatalf("the shown link: %d %s", lp.status, lp.body)
	}
	id := ts.mgmt(t, http.MethodGet, "/api/v1/users/mj@example.com", nil).json(t)["id"].(string)
	page := b.get(t, ts.Addr+"/admin/people/"+id)
	if strings.Contains(page.body, "link-url") {
		t.Errorf("the link is shown again")
	}
	p = b.consolePost(t, page, "/admin/people/"+id+"/lifecycle/reset_password", url.Values{})
	if p.status != 200 || !strings.Contains(field(t, shownLinkField, p.body), "/reset_password/") || !strings.Contains(p.body, "password reset link") {
		t.Errorf("reset without mail: %d %s", p.status, p.body)
	}
}

// TestForgotPassword: "Forgot password?" on the sign-in page e-mails a
// reset link to a person who exists and answers the very same page for a
// username that does not; the person stays ACTIVE with their password
// until the link is used; the link works once and not late; requests are
// rate-limited and in the System Log. On both backends.
func TestForgotPassword(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		sink := mailtest.Start(t, mailtest.Options{})
		clock := &fakeClock{t: time.Now()}
		ts := serveWithMail(t, open(t), sink.URL(), clock)
		const login, oldPW, newPW = "dorothy@example.com", "Abcd1234-old", "Abcd1234-new"
		id := ts.createUser(t, "?activate=true", person(login), oldPW)["id"].(string)

		b := newBrowser(t, ts)
		lp := b.get(t, ts.Addr+"/login/login.htm")
		if !strings.Contains(lp.body, `href="/signin/forgot-password"`) {
			t.Fatalf("the sign-in page has no Forgot password? link")
		}
		fp := b.get(t, ts.Addr+"/signin/forgot-password")
		if fp.status != 200 || !strings.Contains(fp.header.Get("Content-Security-Policy"), "form-action 'self'") {
			t.Fatalf("forgot page: %d %v", fp.status, fp.header)
		}
		csrf := field(t, csrfField, fp.body)
		forgot := func(username string) page {
			return b.post(t, ts.Addr+"/signin/forgot-password", url.Values{"csrf": {csrf}, "username": {username}})
		}
		if p := b.post(t, ts.Addr+"/signin/forgot-password", url.Values{"username": {login}}); p.status != http.StatusForbidden {
			t.Errorf("without CSRF: %d", p.status)
		}
		if p := forgot(" "); p.status != http.StatusBadRequest {
			t.Errorf("empty username: %d", p.status)
		}
		unknown := forgot("nobody@example.com")
		known := forgot(login)
		if unknown.status != 200 || known.status != 200 {
			t.Fatalf("answers %d %d", unknown.status, known.status)
		}
		if strings.ReplaceAll(unknown.body, "nobody@example.com", "X") != strings.ReplaceAll(known.body, login, "X") || !strings.Contains(known.body, "we have sent an e-mail") {
			t.Errorf("the answers differ:\n%s\n---\n%s", unknown.body, known.body)
		}
		link := mailedLink(t, ts, sink, 1, login, "Reset your Test Org password")
		if !strings.HasPrefix(link, ts.URL+"/reset_password/") {
			t.Fatalf("link %s", link)
		}
		// The unknown username's request has ended (its System Log event is
		// the last thing it does) without sending anything.
		waitResetRefused(t, ts, "nobody@example.com")
		if n := len(sink.Messages()); n != 1 {
			t.Errorf("%d messages, want 1", n)
		}
		// Anyone can ask: the person is not locked out by it.
		if u := ts.storedUser(t, id); u.Status != store.UserActive {
			t.Errorf("status after the request: %s", u.Status)
		}
		authn := func(pw string) int {
			return ts.do(t, http.MethodPost, "/api/v1/authn", "", "application/json", []byte(`{"username":"`+login+`","password":"`+pw+`"}`)).status
		}
		if s := authn(oldPW); s != 200 {
			t.Errorf("old password before the reset: %d", s)
		}
		rb := newBrowser(t, ts)
		p := rb.get(t, link)
		p = rb.post(t, link, url.Values{"csrf": {field(t, csrfField, p.body)}, "password": {newPW}, "confirm": {newPW}})
		if p.status != 200 || !strings.Contains(p.body, "Signed in as "+login) {
			t.Fatalf("reset: %d %s", p.status, p.body)
		}
		if p := newBrowser(t, ts).get(t, link); p.status != http.StatusGone {
			t.Errorf("second use: %d", p.status)
		}
		if authn(oldPW) != 401 || authn(newPW) != 200 {
			t.Errorf("passwords after the reset: old %d new %d", authn(oldPW), authn(newPW))
		}

		// Late: refused.
		clock.add(time.Minute)
		forgot(login)
		late := mailedLink(t, ts, sink, 2, login, "Reset your Test Org password")
		clock.add(61 * time.Minute)
		if p := newBrowser(t, ts).get(t, late); p.status != http.StatusGone || !strings.Contains(p.body, "expired") {
			t.Errorf("late link: %d", p.status)
		}

		// Rate limits: three e-mails a minute per username (then the same
		// answer, and nothing sent), ten requests a minute per address.
		for range 4 {
			if p := forgot(login); p.status != 200 {
				t.Fatalf("forgot: %d", p.status)
			}
		}
		sink.Wait(t, 5)
		var strangers []string
		for i := 0; i < 6; i++ {
			strangers = append(strangers, "x"+strings.Repeat("y", i)+"@example.com")
			forgot(strangers[i])
		}
		if p := forgot("z@example.com"); p.status != http.StatusTooManyRequests {
			t.Errorf("request 11 in a minute: %d", p.status)
		}
		// The username over its budget started nothing; the six unknown
		// ones have ended once their events are in.
		waitResetRefused(t, ts, strangers...)
		if n := len(sink.Messages()); n != 5 {
			t.Errorf("%d messages after the limits, want 5", n)
		}

		// The System Log: a SUCCESS per e-mail, a FAILURE for the unknown
		// username, the reset itself.
		logs := func(filter string) []map[string]any {
			return ts.mgmt(t, http.MethodGet, "/api/v1/logs?limit=100&filter="+url.QueryEscape(filter), nil).list(t)
		}
		// A SUCCESS is recorded once the SMTP exchange has ended, which can
		// be after the sink holds the message: wait for the fifth.
		var sent []map[string]any
		eventually(t, "five password reset e-mails in the System Log", func() bool {
			sent = logs(`eventType eq "system.email.password_reset.sent_message" and outcome.result eq "SUCCESS"`)
			return len(sent) >= 5
		})
		failed := logs(`eventType eq "system.email.password_reset.sent_message" and outcome.result eq "FAILURE"`)
		if len(sent) != 5 || len(failed) < 1 {
			t.Errorf("sent %d failed %d", len(sent), len(failed))
		}
		if r := logs(`eventType eq "user.account.reset_password" and target.id eq "` + id + `"`); len(r) != 1 {
			t.Errorf("reset events: %d", len(r))
		}
	})
}

// TestForgotPasswordWithoutMail: with no mail server, the sign-in page
// offers no "Forgot password?" and its page says to ask an administrator.
func TestForgotPasswordWithoutMail(t *testing.T) {
	ts := serveWithOptions(t)
	b := newBrowser(t, ts)
	if p := b.get(t, ts.Addr+"/login/login.htm"); strings.Contains(p.body, "forgot-password") {
		t.Errorf("Forgot password? offered without a mail server")
	}
	p := b.get(t, ts.Addr+"/signin/forgot-password")
	if p.status != 200 || !strings.Contains(p.body, "Ask your administrator") {
		t.Errorf("forgot page: %d %s", p.status, p.body)
	}
	if p := b.post(t, ts.Addr+"/signin/forgot-password", url.Values{"csrf": {field(t, csrfField, b.get(t, ts.Addr+"/login/login.htm").body)}, "username": {"admin@example.com"}}); p.status != http.StatusServiceUnavailable {
		t.Errorf("POST without a mail server: %d", p.status)
	}
}
