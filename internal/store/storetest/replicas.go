package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

type replicaCase struct {
	name string
	fn   func(t *testing.T, open func(t *testing.T, n int) []store.Store)
}

var replicaCases = []replicaCase{
	{"SharedWrites", testReplicasShareWrites},
	{"ReplayRace", testReplicasReplayRace},
	{"BumpRace", testReplicasBumpRace},
	{"TxRace", testReplicasTxRace},
}

func testReplicasShareWrites(t *testing.T, open func(t *testing.T, n int) []store.Store) {
	ctx := ctxOf(t)
	rs := open(t, 2)
	ok(t, rs[0].Users().Create(ctx, newUser("00u1", "a@example.com")), "create user on replica 0")
	u, err := rs[1].Users().GetByLogin(ctx, "A@example.com")
	ok(t, err, "read user on replica 1")
	if u.ID != "00u1" {
		t.Fatalf("replica 1 read %s", u.ID)
	}
	ok(t, rs[1].Config().Bump(ctx), "bump on replica 1")
	v, err := rs[0].Config().Get(ctx)
	ok(t, err, "get version on replica 0")
	if v != 1 {
		t.Fatalf("replica 0 sees version %d", v)
	}
	ok(t, rs[0].Revocations().Revoke(ctx, "jti", time.Now().Add(time.Hour)), "revoke on replica 0")
	revoked, err := rs[1].Revocations().IsRevoked(ctx, "jti")
	ok(t, err, "check on replica 1")
	if !revoked {
		t.Fatal("replica 1 does not see the revocation")
	}
}

// A client assertion replayed to several replicas at once is accepted by
// exactly one of them.
func testReplicasReplayRace(t *testing.T, open func(t *testing.T, n int) []store.Store) {
	ctx := ctxOf(t)
	rs := open(t, 4)
	exp := time.Now().Add(time.Hour)
	for round := range 5 {
		key := fmt.Sprintf("jti-%d", round)
		if round%2 == 1 {
			ok(t, rs[0].Replays().Record(ctx, key, time.Now().Add(-time.Second)), "record an expired key")
		}
		errs := race(20, func(i int) error { return rs[i%len(rs)].Replays().Record(ctx, key, exp) })
		checkOneWinner(t, errs, key)
	}
}

func testReplicasBumpRace(t *testing.T, open func(t *testing.T, n int) []store.Store) {
	ctx := ctxOf(t)
	rs := open(t, 4)
	const n = 20
	for i, err := range race(n, func(i int) error { return rs[i%len(rs)].Config().Bump(ctx) }) {
		ok(t, err, "bump %d", i)
	}
	for i, r := range rs {
		v, err := r.Config().Get(ctx)
		ok(t, err, "get version on replica %d", i)
		if v != n {
			t.Fatalf("replica %d sees version %d after %d bumps", i, v, n)
		}
	}
}

// Read-then-write transactions on several replicas (several connections to
// one database) neither fail as busy nor lose a write.
func testReplicasTxRace(t *testing.T, open func(t *testing.T, n int) []store.Store) {
	ctx := ctxOf(t)
	rs := open(t, 4)
	const n = 20
	errs := race(n, func(i int) error {
		return rs[i%len(rs)].InTx(ctx, func(tx store.Store) error {
			if _, err := tx.Users().Count(ctx); err != nil {
				return err
			}
			if err := tx.Users().Create(ctx, newUser(fmt.Sprintf("00u%02d", i), fmt.Sprintf("u%d@example.com", i))); err != nil {
				return err
			}
			return tx.Config().Bump(ctx)
		})
	})
	for i, err := range errs {
		ok(t, err, "transaction %d", i)
	}
	count, err := rs[0].Users().Count(ctx)
	ok(t, err, "count users")
	v, err := rs[1].Config().Get(ctx)
	ok(t, err, "get version")
	if count != n || v != n {
		t.Fatalf("after %d transactions on %d replicas: %d users, version %d", n, len(rs), count, v)
	}
}
