package signin

import (
	"errors"
	"net/http"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/pages"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/web"
)

// The pages behind activation and password-reset links (Okta's
// /welcome/{token} and /reset_password/{token}): the person sets a
// password under the policy's rules and lands signed in.

// RegisterLinks adds the link pages; svc issues and spends the links.
func (h *Handler) RegisterLinks(mux *http.ServeMux, svc *service.Service) {
	for _, l := range []struct{ path, kind, title string }{
		{"/welcome/{token}", service.LinkActivation, "Activate your account"},
		{"/reset_password/{token}", service.LinkReset, "Reset your password"},
	} {
		mux.HandleFunc("GET "+l.path, func(w http.ResponseWriter, r *http.Request) { h.linkPage(w, r, svc, l.kind, l.title) })
		mux.HandleFunc("POST "+l.path, func(w http.ResponseWriter, r *http.Request) { h.linkSubmit(w, r, svc, l.kind, l.title) })
	}
	h.registerForgot(mux, svc)
	h.registerSettings(mux)
}

// linkRefused shows why a link does not work, and what to do instead.
func (h *Handler) linkRefused(w http.ResponseWriter, r *http.Request, title string, err error) {
	msg := ""
	status := http.StatusGone
	switch {
	case errors.Is(err, service.ErrLinkUsed):
		msg = "This link was used already. Sign in with your password, or ask your administrator for a new link."
	case errors.Is(err, service.ErrLinkExpired):
		msg = "This link has expired. Ask your administrator for a new link."
	case errors.Is(err, service.ErrLinkInvalid):
		status = http.StatusNotFound
		msg = "This link is not valid. Check that you opened the whole link, or ask your administrator for a new one."
	default:
		h.log.Error("checking a link failed", "request_id", web.RequestID(r.Context()), "err", err)
		status, msg = web.PageFailure(w, err)
	}
	pages.Render(w, h.log, status, &pages.Message{Common: h.common(title), Error: msg})
}

func (h *Handler) linkPage(w http.ResponseWriter, r *http.Request, svc *service.Service, kind, title string) {
	u, err := svc.CheckLink(r.Context(), kind, r.PathValue("token"))
	if err != nil {
		h.linkRefused(w, r, title, err)
		return
	}
	pages.Render(w, h.log, http.StatusOK, &pages.SetPassword{Common: h.common(title), CSRF: h.csrfToken(w, r),
		Action: r.URL.Path, Login: u.Login, Rules: service.PasswordRules()})
}

func (h *Handler) linkSubmit(w http.ResponseWriter, r *http.Request, svc *service.Service, kind, title string) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	tok := r.PathValue("token")
	u, err := svc.CheckLink(r.Context(), kind, tok)
	if err != nil {
		h.linkRefused(w, r, title, err)
		return
	}
	page := &pages.SetPassword{Common: h.common(title), Action: r.URL.Path, Login: u.Login, Rules: service.PasswordRules()}
	if err := r.ParseForm(); err != nil || !CheckCSRF(r) {
		page.CSRF = h.csrfToken(w, r)
		page.Error = "This page expired. Enter your new password again."
		pages.Render(w, h.log, http.StatusForbidden, page)
		return
	}
	page.CSRF = r.PostForm.Get("csrf")
	pw := r.PostForm.Get("password")
	if pw != r.PostForm.Get("confirm") {
		page.Error = "The two passwords are not the same."
		pages.Render(w, h.log, http.StatusBadRequest, page)
		return
	}
	u, err = svc.CompleteLink(r.Context(), audit.RequestFrom(r), kind, tok, pw)
	var oe *oktaerr.Error
	switch {
	case errors.As(err, &oe):
		page.Error = "This password does not meet the requirements listed."
		pages.Render(w, h.log, http.StatusBadRequest, page)
		return
	case err != nil:
		h.linkRefused(w, r, title, err)
		return
	}
	s, err := h.mgr.Start(r.Context(), w, r, u.ID, []string{"pwd"}, time.Time{})
	if err != nil {
		h.log.Error("starting session failed", "request_id", web.RequestID(r.Context()), "err", err)
		pages.Render(w, h.log, http.StatusInternalServerError, &pages.Message{Common: h.common(title),
			Error: "Your password is set, but signing you in failed. Sign in with your new password."})
		return
	}
	h.sessionStarted(audit.RequestFrom(r), u, s)
	h.signedIn(w, r, u)
}
