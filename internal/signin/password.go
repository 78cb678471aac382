package signin

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/metrics"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// Outcomes of a password check. The messages shown to people never tell
// whether a username exists: ErrLockedOut is only returned to someone who
// typed the right password.
var (
	ErrInvalidCredentials = errors.New("invalid credentials")
	ErrLockedOut          = errors.New("user locked out")
	ErrThrottled          = errors.New("too many attempts")
)

// Throttle budgets: failures within one window per username and per client
// address before further attempts are refused without checking the
// password. They slow guessing on one replica; the lockout count is the
// limit shared by every replica.
const (
	throttleWindow      = time.Minute
	failuresPerUsername = 5
	failuresPerIP       = 30
)

// throttle counts failures per key in fixed windows.
type throttle struct {
	mu      sync.Mutex
	windows map[string]*window
	limit   int
}

type window struct {
	start time.Time
	n     int
}

func newThrottle(limit int) *throttle { return &throttle{windows: map[string]*window{}, limit: limit} }

func (t *throttle) allowed(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.windows[key]
	return w == nil || now.Sub(w.start) >= throttleWindow || w.n < t.limit
}

func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.windows[key]
	if w == nil || now.Sub(w.start) >= throttleWindow {
		if len(t.windows) > 100_000 {
			t.sweep(now)
		}
		t.windows[key] = &window{start: now, n: 1}
		return
	}
	w.n++
}

func (t *throttle) sweep(now time.Time) {
	for k, w := range t.windows {
		if now.Sub(w.start) >= throttleWindow {
			delete(t.windows, k)
		}
	}
}

// Passwords checks passwords with throttling and lockout.
type Passwords struct {
	st    store.Store
	audit *audit.Writer
	opts  Options
	now   func() time.Time
	users *throttle
	ips   *throttle
}

// NewPasswords returns the password checker of a Manager's options.
func (m *Manager) NewPasswords(aw *audit.Writer) *Passwords {
	return &Passwords{st: m.st, audit: aw, opts: m.opts, now: m.now,
		users: newThrottle(failuresPerUsername), ips: newThrottle(failuresPerIP)}
}

// Check verifies a username and password and returns the user. Every
// failure is recorded in the System Log.
func (p *Passwords) Check(ctx context.Context, req audit.Request, login, password string) (*store.User, error) {
	now := p.now()
	key := strings.ToLower(strings.TrimSpace(login))
	if !p.users.allowed(key, now) || !p.ips.allowed(req.IP, now) {
		p.event(req, "user.session.start", "User login to Okta", login, nil, "FAILURE", "RATE_LIMIT")
		metrics.SignIns.WithLabelValues("throttled").Inc()
		return nil, ErrThrottled
	}
	u, err := p.st.Users().GetByLogin(ctx, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if u == nil || u.PasswordHash == "" || key == "" {
		secret.VerifyPassword(password, secret.DummyHash)
		p.fail(key, req.IP, now)
		p.event(req, "user.session.start", "User login to Okta", login, nil, "FAILURE", "INVALID_CREDENTIALS")
		metrics.SignIns.WithLabelValues("failure").Inc()
		return nil, ErrInvalidCredentials
	}
	// A lock that has run its course lifts before the password is checked.
	if u.Status == store.UserLockedOut && p.opts.LockoutDuration > 0 && now.Sub(u.StatusChanged) >= p.opts.LockoutDuration {
		u.Status, u.StatusChanged, u.FailedLogins, u.LastUpdated = store.UserActive, now.UTC(), 0, now.UTC()
		if err := p.st.Users().Update(ctx, u); err != nil {
			return nil, err
		}
		p.event(req, "user.account.unlock", "Unlock user account", u.Login, u, "SUCCESS", "")
	}
	ok, err := secret.VerifyPassword(password, u.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		p.fail(key, req.IP, now)
		if u.Status == store.UserActive {
			nu, err := p.st.Users().RecordLoginFailure(ctx, u.ID, p.opts.LockoutAttempts, now)
			if err != nil {
				return nil, err
			}
			if nu.Status == store.UserLockedOut && u.Status != store.UserLockedOut {
				p.event(req, "user.account.lock", "Max sign in attempts exceeded", u.Login, u, "SUCCESS", "")
				metrics.Lockouts.Inc()
			}
		}
		p.event(req, "user.session.start", "User login to Okta", login, u, "FAILURE", "INVALID_CREDENTIALS")
		metrics.SignIns.WithLabelValues("failure").Inc()
		return nil, ErrInvalidCredentials
	}
	switch {
	case u.CanSignIn():
	case u.Status == store.UserLockedOut:
		p.event(req, "user.session.start", "User login to Okta", login, u, "FAILURE", "LOCKED_OUT")
		metrics.SignIns.WithLabelValues("locked_out").Inc()
		return nil, ErrLockedOut
	default:
		p.event(req, "user.session.start", "User login to Okta", login, u, "FAILURE", "INVALID_CREDENTIALS")
		metrics.SignIns.WithLabelValues("failure").Inc()
		return nil, ErrInvalidCredentials
	}
	if secret.NeedsUpgrade(u.PasswordHash) {
		if err := p.upgradeHash(ctx, req, u, password); err != nil {
			return nil, err
		}
	}
	if err := p.st.Users().RecordLogin(ctx, u.ID, now); err != nil {
		return nil, err
	}
	metrics.SignIns.WithLabelValues("success").Inc()
	return u, nil
}

func (p *Passwords) fail(key, ip string, now time.Time) {
	p.users.fail(key, now)
	p.ips.fail(ip, now)
}

func (p *Passwords) event(req audit.Request, typ, msg, login string, u *store.User, result, reason string) {
	if p.audit == nil {
		return
	}
	actor := audit.Actor{ID: "unknown", Type: "User", AlternateID: login, DisplayName: "unknown"}
	if u != nil {
		actor = audit.UserActor(u)
	}
	p.audit.Event(req, typ, msg, actor, result, reason)
}

// upgradeHash replaces an imported hash (bcrypt, a salted digest, PBKDF2)
// by the argon2id hash of the password just verified against it: the only
// moment Sesame knows the password. The user is read again first so that
// the failure count RecordLoginFailure may have changed is not undone.
func (p *Passwords) upgradeHash(ctx context.Context, req audit.Request, u *store.User, password string) error {
	phc, err := secret.HashPassword(password)
	if err != nil {
		return err
	}
	cur, err := p.st.Users().Get(ctx, u.ID)
	if err != nil {
		return err
	}
	if cur.PasswordHash != u.PasswordHash {
		return nil // changed meanwhile: the new one is not ours to replace
	}
	cur.PasswordHash = phc
	if err := p.st.Users().Update(ctx, cur); err != nil {
		return err
	}
	u.PasswordHash = phc
	p.event(req, "user.account.update_password", "Imported password hash upgraded to argon2id", u.Login, u, "SUCCESS", "")
	return nil
}
