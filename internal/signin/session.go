// Package signin is how people authenticate to Sesame: the hosted sign-in
// page, the browser SSO session and its cookie, the classic Authentication
// API (/api/v1/authn) with its one-time session tokens, the Sessions API for
// the current session, and the brute-force defences around passwords.
package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// CookieName is the SSO session cookie, named as Okta names its own.
const CookieName = "sid"

// Options configures sessions and the password defences.
type Options struct {
	// OrgURL decides the cookie's attributes: over https the cookie is
	// SameSite=None; Secure so that a hidden iframe on another site (silent
	// renewal) carries it; over plain http browsers refuse SameSite=None
	// without Secure, so it is SameSite=Lax and works for apps on the same
	// site (localhost on another port).
	OrgURL string
	// Idle and Lifetime bound a session: it ends after Idle without use or
	// Lifetime after sign-in, whichever is first.
	Idle, Lifetime time.Duration
	// LockoutAttempts failures in a row lock a user out (0: never);
	// LockoutDuration later the lock lifts by itself (0: only an admin
	// unlocks).
	LockoutAttempts int
	LockoutDuration time.Duration
}

// Defaults as Okta's default policies have them.
const (
	DefaultIdle            = 2 * time.Hour
	DefaultLifetime        = 24 * time.Hour
	DefaultLockoutAttempts = 10
	DefaultLockoutDuration = time.Hour
	// sessionTokenLifetime is how long a sessionToken from /api/v1/authn
	// may wait to be redeemed.
	sessionTokenLifetime = 5 * time.Minute
	// touchEvery limits idle-expiry writes to one per session per minute.
	touchEvery = time.Minute
)

// Manager keeps sessions.
type Manager struct {
	st     store.Store
	log    *slog.Logger
	opts   Options
	secure bool
	now    func() time.Time
}

// NewManager returns a Manager; zero options take the defaults.
func NewManager(st store.Store, log *slog.Logger, o Options) *Manager {
	if o.Idle <= 0 {
		o.Idle = DefaultIdle
	}
	if o.Lifetime <= 0 {
		o.Lifetime = DefaultLifetime
	}
	if o.LockoutAttempts < 0 {
		o.LockoutAttempts = 0
	}
	return &Manager{st: st, log: log, opts: o, secure: strings.HasPrefix(o.OrgURL, "https://"), now: time.Now}
}

// SetClock replaces the clock (tests).
func (m *Manager) SetClock(now func() time.Time) { m.now = now }

func (m *Manager) clock() time.Time { return m.now().UTC().Truncate(time.Millisecond) }

// Current returns the live session the request's cookie names, or nil. Use
// moves the idle expiry.
func (m *Manager) Current(r *http.Request) *store.Session {
	s, _ := m.CurrentOrUnavailable(r)
	return s
}

// CurrentOrUnavailable is Current that tells a request whose session could
// not be read because the database is unreachable (store.ErrUnavailable)
// from one without a session, so that it is not answered as signed out.
func (m *Manager) CurrentOrUnavailable(r *http.Request) (*store.Session, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" || len(c.Value) > 200 {
		return nil, nil
	}
	ctx := r.Context()
	s, err := m.st.Sessions().GetByTokenHash(ctx, secret.Hash(c.Value))
	if err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			return nil, err
		}
		if !errors.Is(err, store.ErrNotFound) {
			m.log.Error("reading session failed", "request_id", web.RequestID(ctx), "err", err)
		}
		return nil, nil
	}
	now := m.clock()
	if !now.Before(s.IdleExpiresAt) || !now.Before(s.ExpiresAt) {
		return nil, nil
	}
	if now.Sub(s.LastActive) >= touchEvery {
		idle := minTime(now.Add(m.opts.Idle), s.ExpiresAt)
		if err := m.st.Sessions().Touch(ctx, s.ID, now, idle); err == nil {
			s.LastActive, s.IdleExpiresAt = now, idle
		}
	}
	u, err := m.st.Users().Get(ctx, s.UserID)
	if errors.Is(err, store.ErrUnavailable) {
		return nil, err
	}
	if err != nil || !u.CanSignIn() {
		return nil, nil
	}
	return s, nil
}

// Refresh extends the session's idle expiry now (Sessions API).
func (m *Manager) Refresh(ctx context.Context, s *store.Session) error {
	now := m.clock()
	idle := minTime(now.Add(m.opts.Idle), s.ExpiresAt)
	if err := m.st.Sessions().Touch(ctx, s.ID, now, idle); err != nil {
		return err
	}
	s.LastActive, s.IdleExpiresAt = now, idle
	return nil
}

// Start opens a new session for a user who just authenticated and sets its
// cookie. A session the browser already had ends: every sign-in gets a new
// session id, so that an id planted before sign-in is worth nothing.
func (m *Manager) Start(ctx context.Context, w http.ResponseWriter, r *http.Request, userID string, amr []string, authTime time.Time) (*store.Session, error) {
	if old := m.Current(r); old != nil {
		if err := m.st.Sessions().Delete(ctx, old.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	now := m.clock()
	if authTime.IsZero() {
		authTime = now
	}
	tok := secret.RandomString(43)
	s := &store.Session{
		ID: secret.NewID("102"), TokenHash: secret.Hash(tok), UserID: userID, AMR: amr,
		Created: authTime, LastPasswordVerification: authTime, LastActive: now,
		ExpiresAt: authTime.Add(m.opts.Lifetime),
	}
	s.IdleExpiresAt = minTime(now.Add(m.opts.Idle), s.ExpiresAt)
	if err := m.st.Sessions().Create(ctx, s); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	// Cookie dates have whole seconds: round up, so that the browser keeps
	// the cookie as long as the session lives (the server decides the end).
	http.SetCookie(w, m.cookie(r, tok, s.ExpiresAt.Truncate(time.Second).Add(time.Second)))
	return s, nil
}

// End deletes the request's session, if any, and clears the cookie. It
// returns the session that ended.
func (m *Manager) End(ctx context.Context, w http.ResponseWriter, r *http.Request) *store.Session {
	s := m.Current(r)
	if s != nil {
		if err := m.st.Sessions().Delete(ctx, s.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			m.log.Error("ending session failed", "request_id", web.RequestID(ctx), "err", err)
		}
	}
	c := m.cookie(r, "", time.Unix(0, 0))
	c.MaxAge = -1
	http.SetCookie(w, c)
	return s
}

// secureFor says whether r's cookies are Secure: when the org URL is https,
// and also when this request really came over https (TLS served by Sesame,
// or a trusted proxy's X-Forwarded-Proto/Forwarded) under an http org URL.
func (m *Manager) secureFor(r *http.Request) bool {
	return m.secure || web.Scheme(r) == "https"
}

func (m *Manager) cookie(r *http.Request, value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{Name: CookieName, Value: value, Path: "/", HttpOnly: true, Expires: expires}
	if m.secureFor(r) {
		c.Secure, c.SameSite = true, http.SameSiteNoneMode
	} else {
		c.SameSite = http.SameSiteLaxMode
	}
	return c
}

// sessionTokenData is what a one-time session token stands for.
type sessionTokenData struct {
	UserID   string    `json:"uid"`
	AMR      []string  `json:"amr"`
	AuthTime time.Time `json:"auth_time"`
}

// NewSessionToken issues the one-time token /api/v1/authn returns.
func (m *Manager) NewSessionToken(ctx context.Context, userID string, amr []string) (string, time.Time, error) {
	now := m.clock()
	tok := secret.Token("20111", 40)
	data, _ := json.Marshal(sessionTokenData{UserID: userID, AMR: amr, AuthTime: now})
	exp := now.Add(sessionTokenLifetime)
	err := m.st.Codes().Create(ctx, &store.Code{Kind: store.CodeSessionToken, Hash: secret.Hash(tok), Data: data, Created: now, ExpiresAt: exp})
	return tok, exp, err
}

// ErrInvalidSessionToken means the token is unknown, expired or used.
var ErrInvalidSessionToken = errors.New("invalid session token")

// StartFromSessionToken redeems a session token into a new session.
func (m *Manager) StartFromSessionToken(ctx context.Context, w http.ResponseWriter, r *http.Request, tok string) (*store.Session, error) {
	if tok == "" || len(tok) > 200 {
		return nil, ErrInvalidSessionToken
	}
	c, err := m.st.Codes().Use(ctx, store.CodeSessionToken, secret.Hash(tok), m.clock())
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
			return nil, ErrInvalidSessionToken
		}
		return nil, err
	}
	var d sessionTokenData
	if err := json.Unmarshal(c.Data, &d); err != nil {
		return nil, ErrInvalidSessionToken
	}
	u, err := m.st.Users().Get(ctx, d.UserID)
	if err != nil || u.Status != store.UserActive {
		return nil, ErrInvalidSessionToken
	}
	return m.Start(ctx, w, r, d.UserID, d.AMR, d.AuthTime)
}

// LoginURL is the hosted sign-in page that continues to fromURI (a path
// on this server) after sign-in.
func LoginURL(fromURI string) string {
	return "/login/login.htm?fromURI=" + url.QueryEscape(fromURI)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// csrfCookie holds the double-submit token of every form Sesame serves.
const csrfCookie = "sesame_csrf"

// CSRFToken returns the browser's CSRF token for a form, setting a new one
// when it has none.
func (m *Manager) CSRFToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 20 && len(c.Value) <= 100 {
		return c.Value
	}
	tok := secret.RandomString(32)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true,
		Secure: m.secureFor(r), SameSite: http.SameSiteLaxMode})
	return tok
}
