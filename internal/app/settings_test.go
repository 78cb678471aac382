package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestEndUserSettings: a signed-in person's own page shows their profile
// and lets them change the fields that are theirs, change their password
// (the current one required, the policy enforced), and sign out
// everywhere; without a session it sends them to sign in, and a form
// without its CSRF token changes nothing.
func TestEndUserSettings(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		user := ts.newUser(t, "ada@example.com")
		b := newBrowser(t, ts)
		p := b.get(t, ts.Addr+"/enduser/settings")
		if p.status != http.StatusFound || p.location.Path != "/login/login.htm" || p.location.Query().Get("fromURI") != "/enduser/settings" {
			t.Fatalf("settings without a session: %d %v", p.status, p.location)
		}
		p = b.follow(t, b.submitLogin(t, b.follow(t, p), "ada@example.com", "Correct-Horse-42"))
		if p.status != 200 || !strings.Contains(p.body, `id="settings-login">ada@example.com<`) || !strings.Contains(p.body, `id="password-rules"`) {
			t.Fatalf("settings page: %d %s", p.status, p.body)
		}
		post := func(path string, form url.Values) page {
			form.Set("csrf", field(t, csrfField, b.get(t, ts.Addr+"/enduser/settings").body))
			return b.post(t, ts.Addr+path, form)
		}

		// No CSRF token: refused, nothing changes.
		if p := b.post(t, ts.Addr+"/enduser/settings/profile", url.Values{"firstName": {"Mallory"}}); p.status != http.StatusForbidden {
			t.Fatalf("profile without CSRF: %d", p.status)
		}
		// The profile: first name changes, the e-mail cannot be changed here,
		// and a value is shown back escaped.
		p = post("/enduser/settings/profile", url.Values{"firstName": {`Ada <script>x</script>`}, "email": {"evil@example.com"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("save profile: %d %s", p.status, p.body)
		}
		u, err := ts.App.Store.Users().Get(t.Context(), user.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.Profile["firstName"] != `Ada <script>x</script>` || u.Profile["email"] != "ada@example.com" {
			t.Fatalf("profile after save: %v", u.Profile)
		}
		if page := b.get(t, ts.Addr+"/enduser/settings"); strings.Contains(page.body, "<script>x</script>") || !strings.Contains(page.body, "&lt;script&gt;") {
			t.Fatalf("the name is not escaped: %s", page.body)
		}

		// The password: the current one must be right, the two new ones the
		// same, the new one good enough.
		for _, c := range []struct {
			name      string
			old, n, r string
			status    int
		}{
			{"wrong current password", "Wrong-Horse-1", "Another-Strong-7", "Another-Strong-7", 400},
			{"different repeats", "Correct-Horse-42", "Another-Strong-7", "Another-Strong-8", 400},
			{"too weak", "Correct-Horse-42", "weak", "weak", 400},
		} {
			if p := post("/enduser/settings/password", url.Values{"oldPassword": {c.old}, "newPassword": {c.n}, "confirm": {c.r}}); p.status != c.status {
				t.Fatalf("%s: %d %s", c.name, p.status, p.body)
			}
		}
		if p := post("/enduser/settings/password", url.Values{"oldPassword": {"Correct-Horse-42"}, "newPassword": {"Another-Strong-7"}, "confirm": {"Another-Strong-7"}}); p.status != http.StatusSeeOther {
			t.Fatalf("change password: %d %s", p.status, p.body)
		}
		other := newBrowser(t, ts)
		login := other.follow(t, other.get(t, ts.Addr+"/enduser/settings"))
		if p := other.submitLogin(t, login, "ada@example.com", "Correct-Horse-42"); p.status == http.StatusFound && p.location.Path == "/enduser/settings" {
			t.Fatal("the old password still signs in")
		}
		if p := other.follow(t, other.submitLogin(t, other.follow(t, other.get(t, ts.Addr+"/enduser/settings")), "ada@example.com", "Another-Strong-7")); p.status != 200 {
			t.Fatalf("the new password: %d %s", p.status, p.body)
		}

		// Sign out everywhere: both browsers' sessions end.
		if p := post("/enduser/settings/signout-everywhere", url.Values{}); p.status != 200 || !strings.Contains(p.body, "signed out on every device") {
			t.Fatalf("sign out everywhere: %d %s", p.status, p.body)
		}
		for name, br := range map[string]*browser{"this browser": b, "the other browser": other} {
			if p := br.get(t, ts.Addr+"/enduser/settings"); p.status != http.StatusFound {
				t.Fatalf("%s after signing out everywhere: %d", name, p.status)
			}
		}
	})
}
