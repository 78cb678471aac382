package signin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/oktajson"
	"github.com/sesame-idp/sesame/internal/pages"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// Handler serves the hosted sign-in page and the session APIs.
type Handler struct {
	mgr    *Manager
	pw     *Passwords
	cache  *cache.Cache
	audit  *audit.Writer
	orgURL string
	log    *slog.Logger
	// svc evaluates the sign-on policy and checks second factors (set by
	// RegisterMFA; without it sign-in asks for the password only) and
	// serves "Forgot password?" (forgot.go) with its throttles.
	svc                    *service.Service
	forgotIPs, forgotUsers *throttle
}

// NewHandler returns the sign-in handler.
func NewHandler(m *Manager, pw *Passwords, c *cache.Cache, aw *audit.Writer, orgURL string, log *slog.Logger) *Handler {
	return &Handler{mgr: m, pw: pw, cache: c, audit: aw, orgURL: strings.TrimRight(orgURL, "/"), log: log}
}

// Register adds the routes.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /login/login.htm", h.loginPage)
	mux.HandleFunc("POST /login/login.htm", h.loginSubmit)
	mux.HandleFunc("POST /login/signout", h.signOut)
	mux.HandleFunc("GET /login/sessionCookieRedirect", h.sessionCookieRedirect)
	mux.HandleFunc("POST /api/v1/authn", h.authn)
	mux.HandleFunc("GET /api/v1/sessions/me", h.getMySession)
	mux.HandleFunc("DELETE /api/v1/sessions/me", h.deleteMySession)
	mux.HandleFunc("POST /api/v1/sessions/me/lifecycle/refresh", h.refreshMySession)
}

func (h *Handler) common(title string) pages.Common {
	c := pages.Common{Title: title, OrgName: "Sesame"}
	if org := h.cache.Current().Org; org != nil {
		c.OrgName = org.Name
	}
	return c
}

func (h *Handler) csrfToken(w http.ResponseWriter, r *http.Request) string {
	return h.mgr.CSRFToken(w, r)
}

// CheckCSRF compares a form's token with the cookie in constant time.
func CheckCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	form := r.PostForm.Get("csrf")
	return err == nil && form != "" && secret.Matches(form, secret.Hash(c.Value))
}

// safeFromURI accepts only a path on this server, so that the page cannot
// be used to redirect anywhere else.
func safeFromURI(s string) string {
	if s == "" || len(s) > 8192 || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return ""
	}
	return s
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	from := safeFromURI(r.URL.Query().Get("fromURI"))
	p := &pages.Login{Common: h.common("Sign in"), CSRF: h.csrfToken(w, r), FromURI: from, Forgot: h.forgotAvailable()}
	if from != "" {
		if u, err := url.Parse(from); err == nil {
			p.Username = u.Query().Get("login_hint")
		}
	}
	pages.Render(w, h.log, http.StatusOK, p)
}

func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		pages.Render(w, h.log, http.StatusBadRequest, &pages.Login{Common: h.common("Sign in"), CSRF: h.csrfToken(w, r), Error: "The form could not be read. Try again."})
		return
	}
	from := safeFromURI(r.PostForm.Get("fromURI"))
	username := strings.TrimSpace(r.PostForm.Get("username"))
	page := &pages.Login{Common: h.common("Sign in"), FromURI: from, Username: username, Forgot: h.forgotAvailable()}
	if !CheckCSRF(r) {
		page.CSRF = h.csrfToken(w, r)
		page.Error = "This page expired. Enter your username and password again."
		pages.Render(w, h.log, http.StatusForbidden, page)
		return
	}
	page.CSRF = r.PostForm.Get("csrf")
	req := audit.RequestFrom(r)
	u, err := h.pw.Check(r.Context(), req, username, r.PostForm.Get("password"))
	if err != nil {
		status := http.StatusUnauthorized
		switch {
		case errors.Is(err, ErrInvalidCredentials):
			page.Error = "Unable to sign in: the username or password is not right."
		case errors.Is(err, ErrLockedOut):
			page.Error = "Your account is locked after too many failed sign-ins. Try again later or ask your administrator to unlock it."
		case errors.Is(err, ErrThrottled):
			status = http.StatusTooManyRequests
			page.Error = "Too many sign-in attempts. Wait a minute, then try again."
		default:
			status, page.Error = h.trouble(w, r, "sign-in failed", err)
		}
		pages.Render(w, h.log, status, page)
		return
	}
	d, err := h.factorDue(r.Context(), r, u)
	if errors.Is(err, ErrInvalidCredentials) {
		page.Error = "Unable to sign in: the username or password is not right."
		pages.Render(w, h.log, http.StatusUnauthorized, page)
		return
	}
	if err != nil {
		status, msg := h.trouble(w, r, "evaluating the sign-on policy failed", err)
		page.Error = msg
		pages.Render(w, h.log, status, page)
		return
	}
	if d != nil {
		tx, tok, _, err := h.startTx(r.Context(), u, d, from)
		if err != nil {
			status, msg := h.trouble(w, r, "starting the factor step failed", err)
			page.Error = msg
			pages.Render(w, h.log, status, page)
			return
		}
		h.renderFactor(w, r, http.StatusOK, tx, tok, "")
		return
	}
	s, err := h.mgr.Start(r.Context(), w, r, u.ID, []string{"pwd"}, time.Time{})
	if err != nil {
		status, msg := h.trouble(w, r, "starting session failed", err)
		page.Error = msg
		pages.Render(w, h.log, status, page)
		return
	}
	h.sessionStarted(req, u, s)
	if from == "" {
		h.signedIn(w, r, u)
		return
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, from, http.StatusFound)
}

func (h *Handler) sessionStarted(req audit.Request, u *store.User, s *store.Session) {
	if h.audit != nil {
		h.audit.Event(req, "user.session.start", "User login to Okta", audit.UserActor(u),
			"SUCCESS", "", audit.Target{ID: s.ID, Type: "Session"})
	}
}

func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request, u *store.User) {
	pages.Render(w, h.log, http.StatusOK, &pages.Message{Common: h.common("You are signed in"),
		Lines: []string{"Signed in as " + u.Login + ". You can close this page or go back to your app."}, SignOut: true, CSRF: h.csrfToken(w, r)})
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil || !CheckCSRF(r) {
		pages.Render(w, h.log, http.StatusForbidden, &pages.Message{Common: h.common("Sign out"), Error: "This page expired. Reload it and try again."})
		return
	}
	h.endSession(w, r)
	pages.Render(w, h.log, http.StatusOK, &pages.Message{Common: h.common("Signed out"), Lines: []string{"You are signed out."}})
}

func (h *Handler) endSession(w http.ResponseWriter, r *http.Request) *store.Session {
	s := h.mgr.End(r.Context(), w, r)
	if s != nil && h.audit != nil {
		h.audit.Event(audit.RequestFrom(r),
			"user.session.end", "User logout from Okta", audit.UserActorByID(r.Context(), h.mgr.st, s.UserID), "SUCCESS", "", audit.Target{ID: s.ID, Type: "Session"})
	}
	return s
}

// sessionCookieRedirect turns a session token into a session cookie and
// goes on to redirectUrl, which must be on this server or a trusted origin
// allowed to be redirected to.
func (h *Handler) sessionCookieRedirect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	target := q.Get("redirectUrl")
	if !h.redirectAllowed(target) {
		pages.Render(w, h.log, http.StatusBadRequest, &pages.Message{Common: h.common("Sign-in error"), Error: "The redirect URL is not allowed: it is neither on this server nor a trusted origin."})
		return
	}
	if _, err := h.mgr.StartFromSessionToken(r.Context(), w, r, q.Get("token")); err != nil {
		if !errors.Is(err, ErrInvalidSessionToken) {
			h.log.Error("redeeming session token failed", "request_id", web.RequestID(r.Context()), "err", err)
			status, msg := web.PageFailure(w, err)
			pages.Render(w, h.log, status, &pages.Message{Common: h.common("Sign-in error"), Error: msg})
			return
		}
		pages.Render(w, h.log, http.StatusUnauthorized, &pages.Message{Common: h.common("Sign-in error"), Error: "The session token is invalid, expired or was used already. Sign in again."})
		return
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, target, http.StatusFound)
}

func (h *Handler) redirectAllowed(target string) bool {
	if safeFromURI(target) != "" {
		return true
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return false
	}
	origin := u.Scheme + "://" + u.Host
	return strings.EqualFold(origin, h.orgURL) || h.cache.Current().OriginAllowed(origin, "REDIRECT")
}

// authnRequest is the body of POST /api/v1/authn.
type authnRequest struct {
	StateToken string         `json:"stateToken"`
	Username   *string        `json:"username"`
	Password   *string        `json:"password"`
	Options    map[string]any `json:"options"`
}

func (h *Handler) authn(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		web.WriteError(w, oktaerr.MalformedBody())
		return
	}
	var req authnRequest
	if err := json.Unmarshal(b, &req); err != nil {
		web.WriteError(w, oktaerr.MalformedBody())
		return
	}
	if req.StateToken != "" && req.Username == nil {
		h.authnState(w, r, req.StateToken)
		return
	}
	if req.Username == nil || req.Password == nil || *req.Username == "" {
		web.WriteError(w, oktaerr.Validation("username", "username: The field cannot be left blank"))
		return
	}
	areq := audit.RequestFrom(r)
	u, err := h.pw.Check(r.Context(), areq, *req.Username, *req.Password)
	switch {
	case errors.Is(err, ErrInvalidCredentials):
		web.WriteError(w, oktaerr.New(http.StatusUnauthorized, oktaerr.CodeAuthnFailed, "Authentication failed"))
		return
	case errors.Is(err, ErrLockedOut):
		web.WriteJSON(w, http.StatusOK, map[string]any{"status": "LOCKED_OUT"})
		return
	case errors.Is(err, ErrThrottled):
		web.WriteError(w, oktaerr.RateLimited())
		return
	case err != nil:
		web.Fail(w, r, h.log, fmt.Errorf("checking the password: %w", err))
		return
	}
	h.afterPasswordAPI(w, r, u)
}

func (h *Handler) sessionJSON(s *store.Session, u *store.User) map[string]any {
	orgID := ""
	if org := h.cache.Current().Org; org != nil {
		orgID = org.ID
	}
	return oktajson.Session(s, u, h.orgURL, orgID, true)
}

func errNoSession() *oktaerr.Error {
	return oktaerr.NotFound("me", "Session")
}

func (h *Handler) getMySession(w http.ResponseWriter, r *http.Request) {
	s := h.mgr.Current(r)
	if s == nil {
		web.WriteError(w, errNoSession())
		return
	}
	u, _ := h.mgr.st.Users().Get(r.Context(), s.UserID)
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, h.sessionJSON(s, u))
}

func (h *Handler) refreshMySession(w http.ResponseWriter, r *http.Request) {
	s := h.mgr.Current(r)
	if s == nil {
		web.WriteError(w, errNoSession())
		return
	}
	if err := h.mgr.Refresh(r.Context(), s); err != nil {
		web.Fail(w, r, h.log, fmt.Errorf("refreshing the session: %w", err))
		return
	}
	u, _ := h.mgr.st.Users().Get(r.Context(), s.UserID)
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, h.sessionJSON(s, u))
}

func (h *Handler) deleteMySession(w http.ResponseWriter, r *http.Request) {
	if s := h.endSession(w, r); s == nil {
		web.WriteError(w, errNoSession())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// trouble logs a failure the person cannot fix and says what to tell them
// (web.PageFailure): while the database is unreachable, 503 and that it
// will pass; otherwise 500.
func (h *Handler) trouble(w http.ResponseWriter, r *http.Request, what string, err error) (int, string) {
	h.log.Error(what, "request_id", web.RequestID(r.Context()), "err", err)
	return web.PageFailure(w, err)
}
