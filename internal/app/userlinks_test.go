package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestActivationAndResetLinks follows the links of activate and
// reset_password with sendEmail=false as a person's browser would: the
// page shows the password rules, refuses a weak password and a missing
// CSRF token without spending the link, sets the password, activates the
// account and signs the person in; the link then refuses a second use, a
// late link refuses too, and a new link closes the old one. (SQLite: the
// links are codes, which the session-token tests cover on both backends.)
func TestActivationAndResetLinks(t *testing.T) {
	{
		// The wall clock to start with: the cookie jar judges cookie expiry by it.
		clock := &fakeClock{t: time.Now()}
		ts := serveWithOptions(t, WithClock(clock.now))
		const login = "new.hire@example.com"
		id := ts.createUser(t, "?activate=false", person(login), "")["id"].(string)

		a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id+"/lifecycle/activate?sendEmail=false", nil)
		if a.status != 200 {
			t.Fatalf("activate: %d %s", a.status, a.body)
		}
		m := a.json(t)
		link, _ := m["activationUrl"].(string)
		tok, _ := m["activationToken"].(string)
		if tok == "" || link != ts.URL+"/welcome/"+tok {
			t.Fatalf("activate answered %s", a.body)
		}
		u, err := ts.App.Store.Users().Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != store.UserProvisioned {
			t.Fatalf("status after activate: %s", u.Status)
		}
		local := ts.Addr + "/welcome/" + tok
		b := newBrowser(t, ts)
		p := b.get(t, local)
		if p.status != 200 || !strings.Contains(p.body, "At least 8 characters") || !strings.Contains(p.body, login) {
			t.Fatalf("welcome page: %d %s", p.status, p.body)
		}
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self'") {
			t.Errorf("CSP %q", csp)
		}
		csrf := field(t, csrfField, p.body)
		if p := b.post(t, local, url.Values{"password": {"Abcd1234-new"}, "confirm": {"Abcd1234-new"}}); p.status != http.StatusForbidden {
			t.Errorf("without CSRF: %d", p.status)
		}
		if p := b.post(t, local, url.Values{"csrf": {csrf}, "password": {"weak"}, "confirm": {"weak"}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, "requirements") {
			t.Errorf("weak password: %d %s", p.status, p.body)
		}
		if p := b.post(t, local, url.Values{"csrf": {csrf}, "password": {"Abcd1234-new"}, "confirm": {"Abcd1234-other"}}); p.status != http.StatusBadRequest {
			t.Errorf("different passwords: %d", p.status)
		}
		p = b.post(t, local, url.Values{"csrf": {csrf}, "password": {"Abcd1234-new"}, "confirm": {"Abcd1234-new"}})
		if p.status != 200 || !strings.Contains(p.body, "Signed in as "+login) {
			t.Fatalf("set password: %d %s", p.status, p.body)
		}
		if u, err = ts.App.Store.Users().Get(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		if u.Status != store.UserActive || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
			t.Fatalf("after the link: %s", u.Status)
		}
		// Signed in: the session is the browser's.
		sess := b.get(t, ts.Addr+"/api/v1/sessions/me")
		if sess.status != 200 || !strings.Contains(sess.body, id) {
			t.Errorf("session after the link: %d %s", sess.status, sess.body)
		}
		// Single use.
		if p := newBrowser(t, ts).get(t, local); p.status != http.StatusGone || !strings.Contains(p.body, "used already") {
			t.Errorf("second use: %d %s", p.status, p.body)
		}
		if p := newBrowser(t, ts).get(t, ts.Addr+"/welcome/not-a-token"); p.status != http.StatusNotFound {
			t.Errorf("unknown token: %d", p.status)
		}

		// Reset: RECOVERY, a link valid for an hour; a newer link closes
		// the older one once used, and a late one is refused.
		reset := func() string {
			a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id+"/lifecycle/reset_password?sendEmail=false", nil)
			if a.status != 200 {
				t.Fatalf("reset: %d %s", a.status, a.body)
			}
			u, _ := a.json(t)["resetPasswordUrl"].(string)
			if !strings.HasPrefix(u, ts.URL+"/reset_password/") {
				t.Fatalf("reset answered %s", a.body)
			}
			return ts.Addr + strings.TrimPrefix(u, ts.URL)
		}
		first, second := reset(), reset()
		before := b
		b = newBrowser(t, ts)
		p = b.get(t, second)
		p = b.post(t, second, url.Values{"csrf": {field(t, csrfField, p.body)}, "password": {"Abcd1234-reset"}, "confirm": {"Abcd1234-reset"}})
		if p.status != 200 {
			t.Fatalf("reset link: %d %s", p.status, p.body)
		}
		// The reset ended the session signed in before it; the browser
		// that reset the password is signed in.
		if sess := before.get(t, ts.Addr+"/api/v1/sessions/me"); sess.status != http.StatusNotFound {
			t.Errorf("the session from before the reset: %d %s", sess.status, sess.body)
		}
		if sess := b.get(t, ts.Addr+"/api/v1/sessions/me"); sess.status != 200 || !strings.Contains(sess.body, id) {
			t.Errorf("the session of the reset: %d %s", sess.status, sess.body)
		}
		if p := newBrowser(t, ts).get(t, first); p.status != http.StatusGone {
			t.Errorf("the older reset link after the newer was used: %d", p.status)
		}
		late := reset()
		clock.add(61 * time.Minute)
		if p := newBrowser(t, ts).get(t, late); p.status != http.StatusGone || !strings.Contains(p.body, "expired") {
			t.Errorf("late reset link: %d %s", p.status, p.body)
		}
		// sendEmail=true (the default) with no mail server configured: the
		// link cannot go by e-mail, so the answer carries it, never drops it.
		a = ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id+"/lifecycle/reset_password", nil)
		if u, _ := a.json(t)["resetPasswordUrl"].(string); a.status != 200 || !strings.HasPrefix(u, ts.URL+"/reset_password/") {
			t.Errorf("reset with an e-mail but no mail server: %d %s", a.status, a.body)
		}
		a = ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id+"/lifecycle/reset_password?sendEmail=maybe", nil)
		wantError(t, "sendEmail=maybe", a, http.StatusBadRequest, "E0000001")
	}
}
