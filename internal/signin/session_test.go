package signin

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// browser carries the session cookie from one call to the next, as a
// browser would; no HTTP server is involved.
type browser struct{ cookie *http.Cookie }

func (b *browser) request() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://sesame.test/", nil)
	if b.cookie != nil {
		r.AddCookie(b.cookie)
	}
	return r
}

func (b *browser) keep(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == CookieName {
			b.cookie = c
			return c
		}
	}
	t.Fatal("no session cookie set")
	return nil
}

// TestSessionLifetimes: a session ends after Idle without use or Lifetime
// after sign-in, whichever comes first; use moves the idle end (at most
// once a minute) but never past the lifetime. All on the injected clock.
func TestSessionLifetimes(t *testing.T) {
	f := newFixture(t, Options{OrgURL: "http://sesame.test", Idle: 2 * time.Hour, Lifetime: 5 * time.Hour})
	u := f.user(t, "ada@example.com", store.UserActive)
	var b browser
	w := httptest.NewRecorder()
	start := f.clock.now()
	s, err := f.m.Start(f.ctx, w, b.request(), u.ID, []string{"pwd"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	c := b.keep(t, w)
	if !s.ExpiresAt.Equal(start.Add(5*time.Hour)) || !s.IdleExpiresAt.Equal(start.Add(2*time.Hour)) || !s.Created.Equal(start) {
		t.Errorf("new session: created %v, ends %v, idle end %v", s.Created, s.ExpiresAt, s.IdleExpiresAt)
	}
	// The cookie lives as long as the session, in whole seconds, no less.
	if c.Expires.Before(s.ExpiresAt) || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Errorf("cookie over http: %+v", c)
	}

	// Used every 90 minutes: the idle end moves, the session lives on
	// until its lifetime.
	for i := 1; i <= 3; i++ {
		f.clock.add(90 * time.Minute)
		cur := f.m.Current(b.request())
		if cur == nil {
			t.Fatalf("gone after %d×90 minutes of use", i)
		}
		if want := minTime(f.clock.now().Add(2*time.Hour), s.ExpiresAt); !cur.IdleExpiresAt.Equal(want) {
			t.Errorf("idle end after use %d: %v, want %v", i, cur.IdleExpiresAt, want)
		}
	}
	// 4.5 h after sign-in; the idle end is now the lifetime's end.
	f.clock.add(30*time.Minute - time.Millisecond)
	if f.m.Current(b.request()) == nil {
		t.Fatal("gone a moment before its lifetime")
	}
	f.clock.add(time.Millisecond)
	if f.m.Current(b.request()) != nil {
		t.Fatal("alive at its lifetime's end")
	}

	// Idle: two hours without use end it. (Signed in again first: a
	// sign-in replaces the browser's session.)
	w = httptest.NewRecorder()
	s2, err := f.m.Start(f.ctx, w, b.request(), u.ID, []string{"pwd"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b.keep(t, w)
	w = httptest.NewRecorder()
	if _, err := f.m.Start(f.ctx, w, b.request(), u.ID, []string{"pwd"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	b.keep(t, w)
	if got, err := f.st.Sessions().Get(f.ctx, s2.ID); err == nil {
		t.Errorf("the session a sign-in replaced was kept: %v", got)
	}
	f.clock.add(2*time.Hour - time.Second)
	if f.m.Current(b.request()) == nil {
		t.Fatal("gone before two idle hours")
	}
	// That use moved the idle end: two more idle hours from now.
	f.clock.add(2 * time.Hour)
	if f.m.Current(b.request()) != nil {
		t.Fatal("alive after two idle hours")
	}
}

// TestSessionTouchOncePerMinute: reads within a minute do not write the
// idle end again (touchEvery); Refresh always does, within the lifetime.
func TestSessionTouchOncePerMinute(t *testing.T) {
	f := newFixture(t, Options{Idle: time.Hour, Lifetime: 90 * time.Minute})
	u := f.user(t, "ada@example.com", store.UserActive)
	var b browser
	w := httptest.NewRecorder()
	s, err := f.m.Start(f.ctx, w, b.request(), u.ID, []string{"pwd"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b.keep(t, w)
	f.clock.add(59 * time.Second)
	if cur := f.m.Current(b.request()); cur == nil || !cur.IdleExpiresAt.Equal(s.IdleExpiresAt) {
		t.Errorf("a read within the minute moved the idle end: %v", cur)
	}
	f.clock.add(time.Second)
	if cur := f.m.Current(b.request()); cur == nil || !cur.IdleExpiresAt.Equal(f.clock.now().Add(time.Hour)) {
		t.Errorf("a read after the minute: %v", cur)
	}
	f.clock.add(50 * time.Minute)
	if err := f.m.Refresh(f.ctx, s); err != nil {
		t.Fatal(err)
	}
	if !s.IdleExpiresAt.Equal(s.ExpiresAt) {
		t.Errorf("refresh moved the idle end to %v, past the lifetime's end %v", s.IdleExpiresAt, s.ExpiresAt)
	}
}

// TestSessionEnds: a session is not current once its user may no longer
// sign in, once it is ended, or for a cookie that names nothing.
func TestSessionEnds(t *testing.T) {
	f := newFixture(t, Options{OrgURL: "https://sesame.test"})
	u := f.user(t, "ada@example.com", store.UserActive)
	var b browser
	w := httptest.NewRecorder()
	s, err := f.m.Start(f.ctx, w, b.request(), u.ID, []string{"pwd"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if c := b.keep(t, w); !c.Secure || c.SameSite != http.SameSiteNoneMode {
		t.Errorf("cookie under an https org URL: %+v", c)
	}
	for _, bad := range []string{"", "nope", strings.Repeat("x", 201)} {
		r := httptest.NewRequest(http.MethodGet, "https://sesame.test/", nil)
		r.AddCookie(&http.Cookie{Name: CookieName, Value: bad})
		if f.m.Current(r) != nil {
			t.Errorf("cookie %.10q names a session", bad)
		}
	}
	u.Status = store.UserSuspended
	if err := f.st.Users().Update(f.ctx, u); err != nil {
		t.Fatal(err)
	}
	if f.m.Current(b.request()) != nil {
		t.Error("a suspended user's session is current")
	}
	u.Status = store.UserActive
	if err := f.st.Users().Update(f.ctx, u); err != nil {
		t.Fatal(err)
	}
	w = httptest.NewRecorder()
	if ended := f.m.End(f.ctx, w, b.request()); ended == nil || ended.ID != s.ID {
		t.Fatalf("End returned %v", ended)
	}
	if c := w.Result().Cookies(); len(c) != 1 || c[0].MaxAge != -1 {
		t.Errorf("End's cookie: %+v", c)
	}
	if f.m.Current(b.request()) != nil {
		t.Error("an ended session is current")
	}
}

// TestSessionToken: /api/v1/authn's sessionToken is one-time and lives five
// minutes (§4.13: short-lived; the length is Sesame's); only an ACTIVE
// user's token opens a session, which keeps the token's authentication
// time.
func TestSessionToken(t *testing.T) {
	f := newFixture(t, Options{})
	u := f.user(t, "ada@example.com", store.UserActive)
	issued := f.clock.now()
	tok, exp, err := f.m.NewSessionToken(f.ctx, u.ID, []string{"pwd"})
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(issued.Add(5 * time.Minute)) {
		t.Errorf("expires %v", exp)
	}
	f.clock.add(time.Minute)
	var b browser
	s, err := f.m.StartFromSessionToken(f.ctx, httptest.NewRecorder(), b.request(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Created.Equal(issued) || len(s.AMR) != 1 || s.AMR[0] != "pwd" {
		t.Errorf("session from a token: created %v amr %v", s.Created, s.AMR)
	}
	if _, err := f.m.StartFromSessionToken(f.ctx, httptest.NewRecorder(), b.request(), tok); !errors.Is(err, ErrInvalidSessionToken) {
		t.Errorf("second use: %v", err)
	}
	late, _, err := f.m.NewSessionToken(f.ctx, u.ID, []string{"pwd"})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.add(5 * time.Minute)
	if _, err := f.m.StartFromSessionToken(f.ctx, httptest.NewRecorder(), b.request(), late); !errors.Is(err, ErrInvalidSessionToken) {
		t.Errorf("after five minutes: %v", err)
	}
	expired, _, err := f.m.NewSessionToken(f.ctx, u.ID, []string{"pwd"})
	if err != nil {
		t.Fatal(err)
	}
	u.Status = store.UserPasswordExpired
	if err := f.st.Users().Update(f.ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.StartFromSessionToken(f.ctx, httptest.NewRecorder(), b.request(), expired); !errors.Is(err, ErrInvalidSessionToken) {
		t.Errorf("a user no longer ACTIVE: %v", err)
	}
	for _, bad := range []string{"", "nope", strings.Repeat("t", 201)} {
		if _, err := f.m.StartFromSessionToken(f.ctx, httptest.NewRecorder(), b.request(), bad); !errors.Is(err, ErrInvalidSessionToken) {
			t.Errorf("token %.10q: %v", bad, err)
		}
	}
}
