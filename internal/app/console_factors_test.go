package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestConsoleResetFactors: the person page lists second factors and its
// "Reset factors" button removes them (and needs the form's CSRF token).
func TestConsoleResetFactors(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := consoleServer(t, open(t))
		b, _ := consoleSignIn(t, ts, "admin@example.com", consoleAdminPassword)
		u := ts.newUser(t, "grace@example.com")
		ts.enrollTOTP(t, u.ID)
		path := "/admin/people/" + u.ID
		page := b.get(t, ts.Addr+path)
		if page.status != 200 || !strings.Contains(page.body, `id="person-factors"`) || !strings.Contains(page.body, "Authenticator app (TOTP)") {
			t.Fatalf("person page: %d %s", page.status, page.body)
		}
		if p := b.post(t, ts.Addr+path+"/factors/reset", url.Values{}); p.status != http.StatusForbidden {
			t.Fatalf("reset without CSRF: %d", p.status)
		}
		if fs := ts.mgmt(t, http.MethodGet, "/api/v1/users/"+u.ID+"/factors", nil).list(t); len(fs) != 1 {
			t.Fatalf("factors after a refused reset: %v", fs)
		}
		p := b.consolePost(t, page, path+"/factors/reset", url.Values{})
		if p.status != http.StatusSeeOther {
			t.Fatalf("reset: %d %s", p.status, p.body)
		}
		if fs := ts.mgmt(t, http.MethodGet, "/api/v1/users/"+u.ID+"/factors", nil).list(t); len(fs) != 0 {
			t.Fatalf("factors after reset: %v", fs)
		}
		if after := b.get(t, ts.Addr+p.location.RequestURI()); !strings.Contains(after.body, "Factors reset") || !strings.Contains(after.body, "No second factor enrolled") {
			t.Fatalf("after reset: %s", after.body)
		}
		if p := b.consolePost(t, page, "/admin/people/00unobody/factors/reset", url.Values{}); p.status < 400 {
			t.Fatalf("reset of nobody: %d", p.status)
		}
	})
}
