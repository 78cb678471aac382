package signin

import (
	"errors"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/store"
)

// TestPasswordCheck: who a right password signs in, and that every other
// case is the same ErrInvalidCredentials, so that the answer never tells
// whether a username exists or what state its user is in.
func TestPasswordCheck(t *testing.T) {
	f := newFixture(t, Options{LockoutAttempts: DefaultLockoutAttempts, LockoutDuration: DefaultLockoutDuration})
	p := f.m.NewPasswords(nil)
	for _, s := range []string{store.UserActive, store.UserPasswordExpired, store.UserStaged, store.UserProvisioned,
		store.UserSuspended, store.UserDeprovisioned, store.UserRecovery} {
		f.user(t, s+"@example.com", s)
	}
	req := audit.Request{IP: "192.0.2.1"}
	for _, c := range []struct {
		login, password string
		want            error
	}{
		{"ACTIVE@example.com", testPassword, nil},
		{"  active@EXAMPLE.com ", testPassword, nil}, // logins compare trimmed, in any case
		{"PASSWORD_EXPIRED@example.com", testPassword, nil},
		{"STAGED@example.com", testPassword, ErrInvalidCredentials},
		{"PROVISIONED@example.com", testPassword, ErrInvalidCredentials},
		{"SUSPENDED@example.com", testPassword, ErrInvalidCredentials},
		{"DEPROVISIONED@example.com", testPassword, ErrInvalidCredentials},
		{"RECOVERY@example.com", testPassword, ErrInvalidCredentials},
		{"nobody@example.com", testPassword, ErrInvalidCredentials},
		{"", "", ErrInvalidCredentials},
		{"ACTIVE@example.com", "wrong", ErrInvalidCredentials},
		{"ACTIVE@example.com", "", ErrInvalidCredentials},
	} {
		u, err := p.Check(f.ctx, req, c.login, c.password)
		if !errors.Is(err, c.want) || (err == nil) != (u != nil) {
			t.Errorf("%q / %q: %v %v, want %v", c.login, c.password, u, err, c.want)
		}
	}
	// A success records the sign-in and clears the failure count.
	active, err := f.st.Users().GetByLogin(f.ctx, "active@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Check(f.ctx, req, "active@example.com", testPassword); err != nil {
		t.Fatal(err)
	}
	if u := f.reload(t, active.ID); u.FailedLogins != 0 || !u.LastLogin.Equal(f.clock.now()) {
		t.Errorf("after a success: %d failures, last login %v", u.FailedLogins, u.LastLogin)
	}
}

// TestLockout: LockoutAttempts failures in a row lock an ACTIVE user out;
// only the right password learns of the lock (ErrLockedOut); the lock lifts
// by itself LockoutDuration after it began, on the injected clock.
func TestLockout(t *testing.T) {
	f := newFixture(t, Options{LockoutAttempts: 3, LockoutDuration: time.Hour})
	p := f.m.NewPasswords(nil)
	u := f.user(t, "ada@example.com", store.UserActive)
	// Each attempt from its own address and a minute apart: the throttles
	// are not what is tested here.
	try := func(ip, pw string) error {
		f.clock.add(time.Minute)
		_, err := p.Check(f.ctx, audit.Request{IP: ip}, "ada@example.com", pw)
		return err
	}
	for i := range 2 {
		if err := try("192.0.2.1", "wrong"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if got := f.reload(t, u.ID); got.Status != store.UserActive || got.FailedLogins != 2 {
		t.Fatalf("after 2 failures: %s with %d", got.Status, got.FailedLogins)
	}
	if err := try("192.0.2.1", "wrong"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("third failure: %v", err)
	}
	locked := f.reload(t, u.ID)
	if locked.Status != store.UserLockedOut || !locked.StatusChanged.Equal(f.clock.now()) {
		t.Fatalf("after 3 failures: %s since %v", locked.Status, locked.StatusChanged)
	}
	if err := try("192.0.2.2", "wrong"); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("a wrong password while locked: %v", err)
	}
	if err := try("192.0.2.3", testPassword); !errors.Is(err, ErrLockedOut) {
		t.Errorf("the right password while locked: %v", err)
	}
	// The lock began when the third failure was recorded: 59 minutes
	// later it holds, an hour later it has lifted.
	f.clock.add(56 * time.Minute)
	if err := try("192.0.2.4", testPassword); !errors.Is(err, ErrLockedOut) {
		t.Errorf("59 minutes into the lock: %v", err)
	}
	f.clock.add(2 * time.Minute)
	if err := try("192.0.2.5", testPassword); err != nil {
		t.Errorf("after the lock's hour: %v", err)
	}
	if got := f.reload(t, u.ID); got.Status != store.UserActive || got.FailedLogins != 0 {
		t.Errorf("after the lock lifted: %s with %d", got.Status, got.FailedLogins)
	}

	// LockoutDuration 0: only an administrator unlocks.
	f2 := newFixture(t, Options{LockoutAttempts: 1})
	p2 := f2.m.NewPasswords(nil)
	v := f2.user(t, "bob@example.com", store.UserActive)
	if _, err := p2.Check(f2.ctx, audit.Request{IP: "192.0.2.9"}, "bob@example.com", "wrong"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatal(err)
	}
	f2.clock.add(30 * 24 * time.Hour)
	if _, err := p2.Check(f2.ctx, audit.Request{IP: "192.0.2.9"}, "bob@example.com", testPassword); !errors.Is(err, ErrLockedOut) {
		t.Errorf("a month later without a lock duration: %v", err)
	}
	if got := f2.reload(t, v.ID); got.Status != store.UserLockedOut {
		t.Errorf("status %s", got.Status)
	}

	// LockoutAttempts 0: failures are counted but never lock.
	f3 := newFixture(t, Options{})
	p3 := f3.m.NewPasswords(nil)
	w := f3.user(t, "cy@example.com", store.UserActive)
	for i := range 3 {
		f3.clock.add(time.Minute)
		if _, err := p3.Check(f3.ctx, audit.Request{IP: "192.0.2.10"}, "cy@example.com", "wrong"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if got := f3.reload(t, w.ID); got.Status != store.UserActive {
		t.Errorf("locked without a lockout policy: %s", got.Status)
	}
}

// TestThrottles: within one minute, 5 failures per username or 30 per
// client address refuse further attempts before the password is checked —
// also the right password; the next window starts afresh.
func TestThrottles(t *testing.T) {
	f := newFixture(t, Options{})
	p := f.m.NewPasswords(nil)
	f.user(t, "ada@example.com", store.UserActive)
	for i := range failuresPerUsername {
		if _, err := p.Check(f.ctx, audit.Request{IP: "192.0.2.1"}, "ada@example.com", "wrong"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	f.clock.add(59 * time.Second)
	if _, err := p.Check(f.ctx, audit.Request{IP: "192.0.2.2"}, "ADA@example.com", testPassword); !errors.Is(err, ErrThrottled) {
		t.Errorf("right password, username over its budget, from another address: %v", err)
	}
	f.clock.add(time.Second)
	if _, err := p.Check(f.ctx, audit.Request{IP: "192.0.2.1"}, "ada@example.com", testPassword); err != nil {
		t.Errorf("a minute after the first failure: %v", err)
	}

	// Per address: failures for many usernames (unknown ones: the cheap
	// path still costs a dummy hash, so the budget is used by few calls).
	q := f.m.NewPasswords(nil)
	q.ips = newThrottle(3)
	for i := range 3 {
		if _, err := q.Check(f.ctx, audit.Request{IP: "198.51.100.7"}, "nobody"+string(rune('a'+i))+"@example.com", "x"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if _, err := q.Check(f.ctx, audit.Request{IP: "198.51.100.7"}, "ada@example.com", testPassword); !errors.Is(err, ErrThrottled) {
		t.Errorf("address over its budget: %v", err)
	}
	if _, err := q.Check(f.ctx, audit.Request{IP: "198.51.100.8"}, "ada@example.com", testPassword); err != nil {
		t.Errorf("another address: %v", err)
	}
}

// TestThrottleWindows checks the fixed windows themselves.
func TestThrottleWindows(t *testing.T) {
	th := newThrottle(2)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if !th.allowed("k", t0) {
		t.Fatal("a fresh key is refused")
	}
	th.fail("k", t0)
	th.fail("k", t0.Add(10*time.Second))
	if th.allowed("k", t0.Add(59*time.Second)) {
		t.Error("two failures of a budget of two still allowed within the window")
	}
	if !th.allowed("other", t0.Add(59*time.Second)) {
		t.Error("keys share a budget")
	}
	if !th.allowed("k", t0.Add(time.Minute)) {
		t.Error("refused after the window")
	}
	// A failure after the window starts a new one.
	th.fail("k", t0.Add(time.Minute))
	if !th.allowed("k", t0.Add(time.Minute+time.Second)) {
		t.Error("the new window inherited the old count")
	}
}
