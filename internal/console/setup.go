// Package console serves the admin console (/admin) and the first-start
// setup page where the first administrator is created, which ends in it.
package console

import (
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/sesame-idp/sesame/internal/web"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/signin"
)

//go:embed templates/*.html
var templateFS embed.FS

var setupTmpl = template.Must(template.ParseFS(templateFS, "templates/setup.html"))

const csrfCookie = "sesame_setup_csrf"

// Setup serves /setup.
type Setup struct {
	svc      *service.Service
	sessions *signin.Manager
	log      *slog.Logger
}

// NewSetup returns the setup page handler. The new administrator leaves
// the page signed in (sessions), so that the page ends in the console.
func NewSetup(svc *service.Service, sessions *signin.Manager, log *slog.Logger) *Setup {
	return &Setup{svc: svc, sessions: sessions, log: log}
}

// Register adds the setup routes.
func (s *Setup) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /setup", s.get)
	mux.HandleFunc("POST /setup", s.post)
}

type setupPage struct {
	OrgName, OrgURL, Token, CSRF                string
	Email, FirstName, LastName, Error, APIToken string
	Done, Invalid                               bool
}

func (s *Setup) render(w http.ResponseWriter, status int, p setupPage) {
	if org := s.svc.Cache.Current().Org; org != nil {
		p.OrgName = org.Name
	}
	p.OrgURL = s.svc.OrgURL
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if err := setupTmpl.Execute(w, p); err != nil {
		s.log.Error("rendering setup page failed", "err", err)
	}
}

func (s *Setup) get(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	if !s.svc.CheckSetupToken(r.Context(), tok) {
		s.render(w, http.StatusNotFound, setupPage{Invalid: true})
		return
	}
	csrf := secret.Token("", 24)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/setup", HttpOnly: true,
		Secure: web.Scheme(r) == "https", SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	s.render(w, http.StatusOK, setupPage{Token: tok, CSRF: csrf})
}

func (s *Setup) post(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.render(w, http.StatusBadRequest, setupPage{Invalid: true})
		return
	}
	tok := r.PostForm.Get("token")
	c, err := r.Cookie(csrfCookie)
	form := r.PostForm.Get("csrf")
	if err != nil || form == "" || !secret.Matches(form, secret.Hash(c.Value)) {
		s.render(w, http.StatusForbidden, setupPage{Token: tok, CSRF: form, Error: "Your session for this page expired. Reload the setup link and try again."})
		return
	}
	p := setupPage{Token: tok, CSRF: form, Email: r.PostForm.Get("email"), FirstName: r.PostForm.Get("firstName"), LastName: r.PostForm.Get("lastName")}
	u, err := s.svc.CompleteSetup(r.Context(), tok, service.Admin{Email: p.Email, Password: r.PostForm.Get("password"), FirstName: p.FirstName, LastName: p.LastName})
	var we *oktaerr.Error
	switch {
	case errors.Is(err, service.ErrSetupLinkInvalid):
		s.render(w, http.StatusNotFound, setupPage{Invalid: true})
		return
	case errors.As(err, &we):
		p.Error = we.Summary
		if len(we.Causes) > 0 {
			p.Error = we.Causes[0].Summary
		}
		s.render(w, http.StatusBadRequest, p)
		return
	case err != nil:
		s.log.Error("setup failed", "err", err)
		status, msg := web.PageFailure(w, err)
		p.Error = msg
		if status == http.StatusInternalServerError {
			p.Error = "Something went wrong on the server; nothing was saved. Try again."
		}
		s.render(w, status, p)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Path: "/setup", MaxAge: -1})
	// The administrator just proved the password they chose: they go on to
	// the console signed in, as after the hosted sign-in page.
	if s.sessions != nil {
		if _, err := s.sessions.Start(r.Context(), w, r, u.ID, []string{"pwd"}, time.Time{}); err != nil {
			s.log.Error("starting the first administrator's session failed", "err", err)
		}
	}
	done := setupPage{Done: true, Email: u.Login}
	if r.PostForm.Get("apiToken") != "" {
		tok, _, err := s.svc.CreateAPIToken(r.Context(), u.ID, "First administrator")
		if err != nil {
			s.log.Error("creating the first API token failed", "err", err)
		} else {
			done.APIToken = tok
		}
	}
	s.log.Info("first administrator created", "user", u.ID)
	s.render(w, http.StatusOK, done)
}
