package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

var factorCases = []testCase{
	{"Factors", testFactors},
	{"FactorAdvanceConcurrent", testFactorAdvanceConcurrent},
}

func newFactor(id, userID string, created time.Duration) *store.Factor {
	return &store.Factor{ID: id, UserID: userID, Type: store.FactorTOTP, Provider: "OKTA", Status: store.FactorPending,
		Profile: []byte(`{"credentialId":"ada@example.com"}`), SecretSealed: []byte{1, 2, 3},
		Created: at(created), LastUpdated: at(created)}
}

func testFactors(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	ok(t, s.Users().Create(ctx, newUser("00u1", "ada@example.com")), "create user")
	ok(t, s.Users().Create(ctx, newUser("00u2", "bob@example.com")), "create user")
	f := newFactor("ost1", "00u1", time.Minute)
	ok(t, s.Factors().Create(ctx, f), "create factor")
	conflict(t, s.Factors().Create(ctx, newFactor("ost1", "00u2", 0)), "create factor with a taken id")
	ok(t, s.Factors().Create(ctx, newFactor("ost0", "00u1", 2*time.Minute)), "create second factor")
	ok(t, s.Factors().Create(ctx, newFactor("ost9", "00u2", 0)), "create factor of another user")
	got, err := s.Factors().Get(ctx, "ost1")
	ok(t, err, "get factor")
	same(t, got, f, "factor")
	_, err = s.Factors().Get(ctx, "ostnope")
	notFound(t, err, "get missing factor")

	list, err := s.Factors().ListByUser(ctx, "00u1")
	ok(t, err, "list factors")
	sameStrings(t, ids(list, func(f *store.Factor) string { return f.ID }), []string{"ost1", "ost0"}, "factors in creation order")

	f.Status, f.Profile, f.SecretSealed, f.LastUpdated = store.FactorActive, []byte(`{"x":1}`), nil, at(time.Hour)
	ok(t, s.Factors().Update(ctx, f), "update factor")
	got, _ = s.Factors().Get(ctx, "ost1")
	same(t, got, f, "updated factor")
	notFound(t, s.Factors().Update(ctx, newFactor("ostnope", "00u1", 0)), "update missing factor")

	// Failures count within the window and start again after it.
	for i, want := range []int{1, 2, 3} {
		n, err := s.Factors().Fail(ctx, "ost1", at(time.Hour+time.Duration(i)*time.Second), 15*time.Minute)
		ok(t, err, "fail %d", i)
		if n != want {
			t.Fatalf("failure %d counted %d", want, n)
		}
	}
	if n, _ := s.Factors().Fail(ctx, "ost1", at(2*time.Hour), 15*time.Minute); n != 1 {
		t.Fatalf("failure after the window counted %d, want 1", n)
	}
	_, err = s.Factors().Fail(ctx, "ostnope", at(0), time.Minute)
	notFound(t, err, "fail missing factor")

	// Advance takes only a counter beyond the stored one, and clears failures.
	adv, err := s.Factors().Advance(ctx, "ost1", 100, at(3*time.Hour))
	ok(t, err, "advance")
	if !adv {
		t.Fatal("advance to 100 refused")
	}
	for _, c := range []int64{100, 99} {
		if adv, _ := s.Factors().Advance(ctx, "ost1", c, at(3*time.Hour)); adv {
			t.Fatalf("advance to %d after 100 accepted", c)
		}
	}
	got, _ = s.Factors().Get(ctx, "ost1")
	if got.Counter != 100 || got.FailedAttempts != 0 || !got.LastVerified.Equal(at(3*time.Hour).Truncate(time.Millisecond)) {
		t.Fatalf("after advance: counter %d, failures %d, verified %v", got.Counter, got.FailedAttempts, got.LastVerified)
	}

	ok(t, s.Factors().Delete(ctx, "ost0"), "delete factor")
	notFound(t, s.Factors().Delete(ctx, "ost0"), "delete factor twice")
	n, err := s.Factors().DeleteByUser(ctx, "00u1")
	ok(t, err, "delete factors of user")
	if n != 1 {
		t.Fatalf("deleted %d factors, want 1", n)
	}
	list, _ = s.Factors().ListByUser(ctx, "00u2")
	if len(list) != 1 {
		t.Fatalf("another user's factors: %d, want 1", len(list))
	}
	// A deleted user takes its factors along.
	ok(t, s.Users().Delete(ctx, "00u2"), "delete user")
	list, _ = s.Factors().ListByUser(ctx, "00u2")
	if len(list) != 0 {
		t.Fatalf("factors of a deleted user: %d", len(list))
	}
}

// testFactorAdvanceConcurrent: one code sent twice at once is accepted once.
func testFactorAdvanceConcurrent(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	ok(t, s.Users().Create(ctx, newUser("00u1", "ada@example.com")), "create user")
	ok(t, s.Factors().Create(ctx, newFactor("ost1", "00u1", 0)), "create factor")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			adv, err := s.Factors().Advance(ctx, "ost1", 42, at(time.Minute))
			if err != nil {
				t.Error(err)
			}
			if adv {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent uses of one code succeeded, want 1", wins)
	}
}
