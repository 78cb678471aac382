package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/token"
)

var ephemeralCases = []testCase{
	{"Replays", testReplays},
	{"ReplaysConcurrent", testReplaysConcurrent},
	{"ReplaysMany", testReplaysMany},
	{"Revocations", testRevocations},
	{"RevokedFamily", testRevokedFamily},
	{"ConfigVersion", testConfigVersion},
}

func testReplays(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	now := time.Now()
	r := s.Replays()
	ok(t, r.Record(ctx, "jti-1", now.Add(time.Hour)), "record key")
	conflict(t, r.Record(ctx, "jti-1", now.Add(time.Hour)), "record a live key again")
	conflict(t, r.Record(ctx, "jti-1", now.Add(-time.Hour)), "record a live key again with a past expiry")
	ok(t, r.Record(ctx, "JTI-1", now.Add(time.Hour)), "keys are case-sensitive")

	// An expired entry gives its key up.
	ok(t, r.Record(ctx, "jti-2", now.Add(-time.Second)), "record an already expired key")
	ok(t, r.Record(ctx, "jti-2", now.Add(time.Hour)), "reuse an expired key")
	conflict(t, r.Record(ctx, "jti-2", now.Add(time.Hour)), "record a reused key again")

	ok(t, r.Record(ctx, "jti-3", now.Add(-time.Minute)), "record an expired key")
	ok(t, r.Record(ctx, "jti-4", now.Add(-2*time.Minute)), "record an expired key")
	n, err := r.Purge(ctx, now)
	ok(t, err, "purge")
	if n != 2 {
		t.Fatalf("purged %d keys, want 2", n)
	}
	n, err = r.Purge(ctx, now)
	ok(t, err, "purge again")
	if n != 0 {
		t.Fatalf("second purge removed %d keys", n)
	}
	conflict(t, r.Record(ctx, "jti-1", now.Add(time.Hour)), "purge keeps live keys")
	ok(t, r.Record(ctx, "jti-3", now.Add(time.Hour)), "record a purged key")

	// Purging at a later time takes the keys that will have expired by then.
	n, err = r.Purge(ctx, now.Add(2*time.Hour))
	ok(t, err, "purge in the future")
	if n != 4 {
		t.Fatalf("purged %d keys at now+2h, want 4", n)
	}
}

// Exactly one of many simultaneous recorders of a key wins, whether the key
// is new or an expired one being reused; every other one is told it is a
// replay, not some other error.
func testReplaysConcurrent(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	const n = 20
	exp := time.Now().Add(time.Hour)
	for round := range 5 {
		key := fmt.Sprintf("jti-race-%d", round)
		if round%2 == 1 {
			ok(t, s.Replays().Record(ctx, key, time.Now().Add(-time.Second)), "record an expired key")
		}
		errs := race(n, func(int) error { return s.Replays().Record(ctx, key, exp) })
		checkOneWinner(t, errs, key)
	}
}

// Many keys recorded at once, several times each (as a store that writes
// concurrent records together would put them in one batch), some of them
// taking over expired entries, with callers that have given up among them:
// each key has exactly one winner, and a caller whose context is done is
// neither told its key was recorded nor has it recorded.
func testReplaysMany(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	const keys, each, gaveUp = 16, 6, 8
	exp := time.Now().Add(time.Hour)
	for k := range keys {
		if k%2 == 1 {
			ok(t, s.Replays().Record(ctx, fmt.Sprintf("jti-many-%d", k), time.Now().Add(-time.Second)), "record an expired key")
		}
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	errs := race(keys*each+gaveUp, func(i int) error {
		if i >= keys*each {
			return s.Replays().Record(done, fmt.Sprintf("jti-gave-up-%d", i), exp)
		}
		return s.Replays().Record(ctx, fmt.Sprintf("jti-many-%d", i%keys), exp)
	})
	for k := range keys {
		var mine []error
		for i := k; i < keys*each; i += keys {
			mine = append(mine, errs[i])
		}
		checkOneWinner(t, mine, fmt.Sprintf("jti-many-%d", k))
		conflict(t, s.Replays().Record(ctx, fmt.Sprintf("jti-many-%d", k), exp), "record key %d again", k)
	}
	for i := keys * each; i < len(errs); i++ {
		if errs[i] == nil || errors.Is(errs[i], store.ErrConflict) {
			t.Fatalf("recording with a cancelled context: %v, want the context's error", errs[i])
		}
		ok(t, s.Replays().Record(ctx, fmt.Sprintf("jti-gave-up-%d", i), exp), "the key of a caller that gave up is not recorded")
	}
}

func checkOneWinner(t *testing.T, errs []error, key string) {
	t.Helper()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, store.ErrConflict):
		default:
			t.Fatalf("recording %s: unexpected error %v", key, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d recorders of %s succeeded, want exactly 1", wins, len(errs), key)
	}
}

// One family record revokes every access token that carries the family's
// key, and no other.
func testRevokedFamily(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	r := s.Revocations()
	fam, other := secret.NewID("fam"), secret.NewID("fam")
	jti, _ := token.FamilyAccessJTI(fam)
	sibling, _ := token.FamilyAccessJTI(fam)
	cousin, _ := token.FamilyAccessJTI(other)
	check := func(jti string, want bool, what string) {
		t.Helper()
		revoked, err := r.IsRevoked(ctx, jti)
		ok(t, err, "check revocation of %s", what)
		if revoked != want {
			t.Fatalf("%s: revoked %v, want %v", what, revoked, want)
		}
	}
	check(jti, false, "a family's token before any revocation")
	ok(t, r.Revoke(ctx, store.FamilyRevocationID(fam), time.Now().Add(time.Hour)), "revoke the family")
	check(jti, true, "a token of the revoked family")
	check(sibling, true, "another token of the revoked family")
	check(cousin, false, "a token of another family")
	check(token.NewAccessJTI(), false, "a token outside any family")
	check(store.FamilyRevocationID(fam), true, "the family's own record")
	ok(t, r.Revoke(ctx, cousin, time.Now().Add(time.Hour)), "revoke one token")
	check(cousin, true, "a token revoked by itself")
}

func testRevocations(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	r := s.Revocations()
	// The revocation time comes from the store's clock, which may be the
	// database's: allow for some skew.
	const skew = time.Minute
	start := time.Now()
	exp := time.Now().Add(time.Hour)

	got, err := r.Since(ctx, time.Time{})
	ok(t, err, "list revocations of an empty store")
	if len(got) != 0 {
		t.Fatalf("empty store lists %d revocations", len(got))
	}
	revoked, err := r.IsRevoked(ctx, "jti-1")
	ok(t, err, "check revocation")
	if revoked {
		t.Fatal("jti-1 revoked before Revoke")
	}
	ok(t, r.Revoke(ctx, "jti-1", exp), "revoke")
	ok(t, r.Revoke(ctx, "jti-1", exp), "revoke again")
	revoked, err = r.IsRevoked(ctx, "jti-1")
	ok(t, err, "check revocation")
	if !revoked {
		t.Fatal("jti-1 not revoked after Revoke")
	}
	revoked, err = r.IsRevoked(ctx, "jti-2")
	ok(t, err, "check revocation")
	if revoked {
		t.Fatal("jti-2 revoked without Revoke")
	}

	got, err = r.Since(ctx, start.Add(-skew))
	ok(t, err, "list revocations")
	if len(got) != 1 || got[0].JTI != "jti-1" || !got[0].ExpiresAt.Equal(exp.Truncate(time.Millisecond)) {
		t.Fatalf("revocations: %+v", got)
	}
	first := got[0]
	if first.RevokedAt.Before(start.Add(-skew)) || first.RevokedAt.After(time.Now().Add(skew)) || first.RevokedAt.Location() != time.UTC {
		t.Fatalf("revoked at %v, test ran from %v", first.RevokedAt, start)
	}

	time.Sleep(5 * time.Millisecond) // so that the next revocation is strictly later
	ok(t, r.Revoke(ctx, "jti-0", exp), "revoke")
	ok(t, r.Revoke(ctx, "jti-old", time.Now().Add(-time.Second)), "revoke an already expired token")
	got, err = r.Since(ctx, time.Time{})
	ok(t, err, "list revocations")
	if len(got) != 3 || got[0].JTI != "jti-1" {
		t.Fatalf("revocations in order: %+v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].RevokedAt.Before(got[i-1].RevokedAt) {
			t.Fatalf("revocations out of order: %+v", got)
		}
	}
	// Since is inclusive: asking from the newest time seen returns it again.
	got, err = r.Since(ctx, first.RevokedAt)
	ok(t, err, "list revocations since the first")
	if len(got) != 3 {
		t.Fatalf("since the first revocation: %+v", got)
	}
	got, err = r.Since(ctx, first.RevokedAt.Add(time.Millisecond))
	ok(t, err, "list revocations after the first")
	if len(got) != 2 || got[0].JTI == "jti-1" || got[1].JTI == "jti-1" {
		t.Fatalf("after the first revocation: %+v", got)
	}
	got, err = r.Since(ctx, time.Now().Add(time.Hour))
	ok(t, err, "list future revocations")
	if len(got) != 0 {
		t.Fatalf("future revocations: %+v", got)
	}

	n, err := r.Purge(ctx, time.Now())
	ok(t, err, "purge")
	if n != 1 {
		t.Fatalf("purged %d revocations, want 1", n)
	}
	revoked, err = r.IsRevoked(ctx, "jti-old")
	ok(t, err, "check purged revocation")
	if revoked {
		t.Fatal("purged revocation still revoked")
	}
	revoked, err = r.IsRevoked(ctx, "jti-1")
	ok(t, err, "check revocation")
	if !revoked {
		t.Fatal("purge removed a live revocation")
	}
	n, err = r.Purge(ctx, exp.Add(time.Second))
	ok(t, err, "purge after every expiry")
	if n != 2 {
		t.Fatalf("purged %d revocations, want 2", n)
	}
}

func testConfigVersion(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	v, err := s.Config().Get(ctx)
	ok(t, err, "get config version")
	if v != 0 {
		t.Fatalf("new store at version %d, want 0", v)
	}
	ok(t, s.Config().Bump(ctx), "bump")
	v, err = s.Config().Get(ctx)
	ok(t, err, "get config version")
	if v != 1 {
		t.Fatalf("version %d after one bump", v)
	}
	const n = 20
	for i, err := range race(n, func(int) error { return s.Config().Bump(ctx) }) {
		ok(t, err, "concurrent bump %d", i)
	}
	v, err = s.Config().Get(ctx)
	ok(t, err, "get config version")
	if v != 1+n {
		t.Fatalf("version %d after %d concurrent bumps, want %d", v, n, 1+n)
	}
}
