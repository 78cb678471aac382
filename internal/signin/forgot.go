package signin

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/pages"
	"github.com/sesame-idp/sesame/internal/service"
)

// "Forgot password?" on the hosted sign-in page (Okta's
// /signin/forgot-password): a person asks for a reset link by e-mail.
// The answer is the same page, at once, whether or not the username
// exists: the lookup and the e-mail happen after the answer, so that
// neither the words nor the time taken tell an account apart.

// Per minute: requests from one client address, and e-mails to one
// username (beyond which requests are answered the same and send nothing).
const (
	forgotPerIP       = 10
	forgotPerUsername = 3
)

// forgotTimeout bounds the work done after the answer.
const forgotTimeout = 2 * time.Minute

func (h *Handler) registerForgot(mux *http.ServeMux, svc *service.Service) {
	h.svc = svc
	h.forgotIPs, h.forgotUsers = newThrottle(forgotPerIP), newThrottle(forgotPerUsername)
	mux.HandleFunc("GET /signin/forgot-password", h.forgotPage)
	mux.HandleFunc("POST /signin/forgot-password", h.forgotSubmit)
}

// forgotAvailable says whether the sign-in page offers "Forgot password?".
func (h *Handler) forgotAvailable() bool { return h.svc != nil && h.svc.SelfResetAvailable() }

func (h *Handler) forgotPage(w http.ResponseWriter, r *http.Request) {
	p := &pages.Forgot{Common: h.common("Reset your password"), CSRF: h.csrfToken(w, r), Available: h.forgotAvailable()}
	if len(r.URL.Query().Get("username")) <= 256 {
		p.Username = r.URL.Query().Get("username")
	}
	pages.Render(w, h.log, http.StatusOK, p)
}

func (h *Handler) forgotSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	p := &pages.Forgot{Common: h.common("Reset your password"), Available: h.forgotAvailable()}
	if err := r.ParseForm(); err != nil || !CheckCSRF(r) {
		p.CSRF = h.csrfToken(w, r)
		p.Error = "This page expired. Enter your username again."
		pages.Render(w, h.log, http.StatusForbidden, p)
		return
	}
	p.CSRF = r.PostForm.Get("csrf")
	login := strings.TrimSpace(r.PostForm.Get("username"))
	p.Username = login
	switch {
	case !p.Available:
		pages.Render(w, h.log, http.StatusServiceUnavailable, p)
		return
	case login == "" || len(login) > 256:
		p.Username = ""
		p.Error = "Enter your username."
		pages.Render(w, h.log, http.StatusBadRequest, p)
		return
	}
	req := audit.RequestFrom(r)
	now := h.mgr.clock()
	if !h.forgotIPs.allowed(req.IP, now) {
		p.Error = "Too many requests. Wait a minute, then try again."
		pages.Render(w, h.log, http.StatusTooManyRequests, p)
		return
	}
	h.forgotIPs.fail(req.IP, now)
	key := strings.ToLower(login)
	if h.forgotUsers.allowed(key, now) {
		h.forgotUsers.fail(key, now)
		go func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), forgotTimeout)
			defer cancel()
			h.svc.ForgotPassword(ctx, req, login)
		}()
	}
	p.Sent = true
	pages.Render(w, h.log, http.StatusOK, p)
}
