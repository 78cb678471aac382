package signin

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/pages"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// A signed-in person's own page (Okta's /enduser/settings): their
// profile, with the fields an end user may edit; change password, with
// the current one and the policy's rules; sign out everywhere. Every
// change goes through the service with the person as actor, so it is in
// the System Log as theirs.

// selfEditable are the profile attributes a person may change on their
// own. The username and primary e-mail are the administrator's: the
// e-mail is where reset links go.
var selfEditable = []struct{ Name, Label, Autocomplete string }{
	{"firstName", "First name", "given-name"},
	{"lastName", "Last name", "family-name"},
	{"mobilePhone", "Mobile phone", "tel"},
}

func (h *Handler) registerSettings(mux *http.ServeMux) {
	mux.HandleFunc("GET /enduser/settings", h.settingsPage)
	mux.HandleFunc("POST /enduser/settings/profile", h.settingsPost(h.settingsProfile))
	mux.HandleFunc("POST /enduser/settings/password", h.settingsPost(h.settingsPassword))
	mux.HandleFunc("POST /enduser/settings/signout-everywhere", h.settingsPost(h.settingsSignOutEverywhere))
}

// settingsUser is the signed-in person, or nil after sending them to sign
// in (GET) or a page saying so (POST).
func (h *Handler) settingsUser(w http.ResponseWriter, r *http.Request) *store.User {
	s := h.mgr.Current(r)
	var u *store.User
	if s != nil {
		var err error
		if u, err = h.mgr.st.Users().Get(r.Context(), s.UserID); err != nil && !errors.Is(err, store.ErrNotFound) {
			h.log.Error("reading the signed-in person failed", "request_id", web.RequestID(r.Context()), "err", err)
			pages.Render(w, h.log, http.StatusInternalServerError, &pages.Message{Common: h.common("Settings"), Error: "Something went wrong on the server. Try again."})
			return nil
		}
	}
	if u == nil {
		if r.Method == http.MethodGet {
			http.Redirect(w, r, LoginURL("/enduser/settings"), http.StatusFound)
			return nil
		}
		pages.Render(w, h.log, http.StatusUnauthorized, &pages.Message{Common: h.common("Settings"), Error: "You are not signed in. Sign in, then try again."})
		return nil
	}
	return u
}

func (h *Handler) settingsData(w http.ResponseWriter, r *http.Request, u *store.User) *pages.Settings {
	p := &pages.Settings{Common: h.common("Settings"), CSRF: h.csrfToken(w, r), Login: u.Login, Rules: service.PasswordRules()}
	p.Email, _ = u.Profile["email"].(string)
	for _, f := range selfEditable {
		v, _ := u.Profile[f.Name].(string)
		p.Fields = append(p.Fields, pages.SettingsField{Name: f.Name, Label: f.Label, Autocomplete: f.Autocomplete, Value: v})
	}
	return p
}

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request) {
	u := h.settingsUser(w, r)
	if u == nil {
		return
	}
	p := h.settingsData(w, r, u)
	p.Notice = map[string]string{"profile": "Your profile is saved.", "password": "Your password is changed."}[r.URL.Query().Get("done")]
	pages.Render(w, h.log, http.StatusOK, p)
}

// settingsPost checks the session and the CSRF token of a settings form.
func (h *Handler) settingsPost(fn func(http.ResponseWriter, *http.Request, *store.User, service.Context)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		u := h.settingsUser(w, r)
		if u == nil {
			return
		}
		if err := r.ParseForm(); err != nil || !CheckCSRF(r) {
			p := h.settingsData(w, r, u)
			p.Error = "This page expired. Try again."
			pages.Render(w, h.log, http.StatusForbidden, p)
			return
		}
		fn(w, r, u, service.Context{Actor: audit.UserActor(u), Request: audit.RequestFrom(r)})
	}
}

// settingsFailed shows the page again with the service's refusal, or a
// server error.
func (h *Handler) settingsFailed(w http.ResponseWriter, r *http.Request, u *store.User, err error, refused string) {
	p := h.settingsData(w, r, u)
	var oe *oktaerr.Error
	if errors.As(err, &oe) && oe.Status < 500 {
		p.Error = refused
		for _, c := range oe.Causes {
			p.Causes = append(p.Causes, c.Summary)
		}
		pages.Render(w, h.log, http.StatusBadRequest, p)
		return
	}
	h.log.Error("settings change failed", "request_id", web.RequestID(r.Context()), "err", err)
	p.Error = "Something went wrong on the server. Try again."
	pages.Render(w, h.log, http.StatusInternalServerError, p)
}

func (h *Handler) settingsProfile(w http.ResponseWriter, r *http.Request, u *store.User, c service.Context) {
	profile := map[string]any{}
	for _, f := range selfEditable {
		if _, ok := r.PostForm[f.Name]; ok {
			profile[f.Name] = strings.TrimSpace(r.PostForm.Get(f.Name))
		}
	}
	if _, err := h.svc.UpdateUser(r.Context(), c, u.ID, service.UserUpdate{Profile: profile}); err != nil {
		h.settingsFailed(w, r, u, err, "Your profile was not saved.")
		return
	}
	http.Redirect(w, r, "/enduser/settings?done=profile", http.StatusSeeOther)
}

func (h *Handler) settingsPassword(w http.ResponseWriter, r *http.Request, u *store.User, c service.Context) {
	now := h.mgr.clock()
	key := strings.ToLower(u.Login)
	if !h.pw.users.allowed(key, now) || !h.pw.ips.allowed(c.Request.IP, now) {
		p := h.settingsData(w, r, u)
		p.Error = "Too many attempts. Wait a minute, then try again."
		pages.Render(w, h.log, http.StatusTooManyRequests, p)
		return
	}
	newPW := r.PostForm.Get("newPassword")
	if newPW != r.PostForm.Get("confirm") {
		p := h.settingsData(w, r, u)
		p.Error = "The two new passwords are not the same."
		pages.Render(w, h.log, http.StatusBadRequest, p)
		return
	}
	_, err := h.svc.ChangePassword(r.Context(), c, u.ID, r.PostForm.Get("oldPassword"), newPW)
	var oe *oktaerr.Error
	if errors.As(err, &oe) && oe.Code == service.ErrOldPassword().Code {
		// A wrong current password counts as a failed sign-in would.
		h.pw.fail(key, c.Request.IP, now)
		p := h.settingsData(w, r, u)
		p.Error = "Your current password is not right."
		pages.Render(w, h.log, http.StatusBadRequest, p)
		return
	}
	if err != nil {
		h.settingsFailed(w, r, u, err, "Your password was not changed: it does not meet the requirements listed.")
		return
	}
	http.Redirect(w, r, "/enduser/settings?done=password", http.StatusSeeOther)
}

// settingsSignOutEverywhere ends every session of the person, this one
// included, and revokes their refresh tokens: what to do after losing a
// device.
func (h *Handler) settingsSignOutEverywhere(w http.ResponseWriter, r *http.Request, u *store.User, c service.Context) {
	if err := h.svc.ClearUserSessions(r.Context(), c, u.ID, true); err != nil {
		h.settingsFailed(w, r, u, err, "Signing out everywhere failed.")
		return
	}
	h.mgr.End(r.Context(), w, r)
	pages.Render(w, h.log, http.StatusOK, &pages.Message{Common: h.common("Signed out everywhere"),
		Lines: []string{"You are signed out on every device and browser, and apps must ask you to sign in again."}})
}
