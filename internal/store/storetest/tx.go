package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

var txCases = []testCase{
	{"TxCommit", testTxCommit},
	{"TxRollbackOnError", testTxRollbackOnError},
	{"TxRollbackOnPanic", testTxRollbackOnPanic},
	{"TxNested", testTxNested},
	{"TxConflictInside", testTxConflictInside},
	{"TxConcurrent", testTxConcurrent},
}

var errBoom = errors.New("boom")

// writeEverything writes one record of each kind through tx.
func writeEverything(t *testing.T, tx store.Store) error {
	ctx := ctxOf(t)
	steps := []func() error{
		func() error { return tx.Users().Create(ctx, newUser("00u1", "tx@example.com")) },
		func() error { return tx.Groups().Create(ctx, newGroup("00g1", "TxGroup")) },
		func() error { return tx.Groups().AddMember(ctx, "00g1", "00u1") },
		func() error { return tx.Apps().Create(ctx, newApp(t, "0oa1", "tx-client")) },
		func() error { return tx.Apps().CreateGrant(ctx, newGrant("oag1", "0oa1", "okta.users.read")) },
		func() error { return tx.AuthServers().Create(ctx, newServer("aus1")) },
		func() error { return tx.AuthServers().CreateScope(ctx, newScope("aus1", "scp1", "openid")) },
		func() error { return tx.Keys().Create(ctx, newKey("aus1", "kid1", 0)) },
		func() error { return tx.APITokens().Create(ctx, newToken("00T1", "00u1", "tx-secret")) },
		func() error { return tx.Replays().Record(ctx, "tx-jti", time.Now().Add(time.Hour)) },
		func() error { return tx.Revocations().Revoke(ctx, "tx-revoked", time.Now().Add(time.Hour)) },
		func() error { return tx.Audit().Append(ctx, newEvent("tx-event", at(0), "user.lifecycle.create")) },
		func() error { return tx.Config().Bump(ctx) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
	}
	// A transaction reads its own writes.
	if _, err := tx.Users().GetByLogin(ctx, "TX@example.com"); err != nil {
		return fmt.Errorf("read own write: %w", err)
	}
	if members, err := tx.Groups().ListMembers(ctx, "00g1", store.Page{}); err != nil || len(members) != 1 {
		return fmt.Errorf("read own membership: %v %v", members, err)
	}
	return nil
}

// checkEverything checks that what writeEverything wrote is there, or that
// none of it is.
func checkEverything(t *testing.T, s store.Store, present bool) {
	t.Helper()
	ctx := ctxOf(t)
	errs := map[string]error{}
	_, errs["user"] = s.Users().Get(ctx, "00u1")
	_, errs["group"] = s.Groups().Get(ctx, "00g1")
	_, errs["app"] = s.Apps().Get(ctx, "0oa1")
	_, errs["grant"] = s.Apps().GetGrant(ctx, "0oa1", "oag1")
	_, errs["server"] = s.AuthServers().Get(ctx, "aus1")
	_, errs["scope"] = s.AuthServers().GetScope(ctx, "aus1", "scp1")
	_, errs["token"] = s.APITokens().Get(ctx, "00T1")
	for what, err := range errs {
		if present {
			ok(t, err, "%s written in a committed transaction", what)
		} else {
			notFound(t, err, "%s written in a rolled back transaction", what)
		}
	}
	keys, err := s.Keys().ListAll(ctx)
	ok(t, err, "list keys")
	groups, err := s.Groups().GroupsOf(ctx, "00u1")
	ok(t, err, "list groups of user")
	revoked, err := s.Revocations().IsRevoked(ctx, "tx-revoked")
	ok(t, err, "check revocation")
	events, err := s.Audit().List(ctx, store.AuditQuery{})
	ok(t, err, "list audit")
	version, err := s.Config().Get(ctx)
	ok(t, err, "get config version")
	// Replays can only be counted by purging them, which leaves the store
	// ready for writeEverything again.
	replays, err := s.Replays().Purge(ctx, time.Now().Add(2*time.Hour))
	ok(t, err, "purge replays")
	if present {
		if len(keys) != 1 || len(groups) != 1 || !revoked || len(events) != 1 || version != 1 || replays != 1 {
			t.Fatalf("committed transaction: %d keys, %d groups, revoked %v, %d events, version %d, %d replay keys",
				len(keys), len(groups), revoked, len(events), version, replays)
		}
	} else {
		if len(keys) != 0 || len(groups) != 0 || revoked || len(events) != 0 || version != 0 || replays != 0 {
			t.Fatalf("rolled back transaction left %d keys, %d groups, revoked %v, %d events, version %d, %d replay keys",
				len(keys), len(groups), revoked, len(events), version, replays)
		}
	}
}

func testTxCommit(t *testing.T, s store.Store) {
	ok(t, s.InTx(ctxOf(t), func(tx store.Store) error { return writeEverything(t, tx) }), "transaction")
	checkEverything(t, s, true)
}

func testTxRollbackOnError(t *testing.T, s store.Store) {
	err := s.InTx(ctxOf(t), func(tx store.Store) error {
		if err := writeEverything(t, tx); err != nil {
			return err
		}
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("InTx returned %v, want fn's error unchanged", err)
	}
	checkEverything(t, s, false)
	// The store is still usable, and the same writes now succeed.
	ok(t, s.InTx(ctxOf(t), func(tx store.Store) error { return writeEverything(t, tx) }), "transaction after a rollback")
	checkEverything(t, s, true)
}

func testTxRollbackOnPanic(t *testing.T, s store.Store) {
	func() {
		defer func() {
			if p := recover(); p != errBoom {
				t.Fatalf("recovered %v, want the panic to carry on", p)
			}
		}()
		_ = s.InTx(ctxOf(t), func(tx store.Store) error {
			if err := writeEverything(t, tx); err != nil {
				return err
			}
			panic(errBoom)
		})
		t.Fatal("InTx swallowed a panic")
	}()
	checkEverything(t, s, false)
	ok(t, s.InTx(ctxOf(t), func(tx store.Store) error { return writeEverything(t, tx) }), "transaction after a panic")
	checkEverything(t, s, true)
}

// InTx on a transaction's store joins that transaction: the outer one
// decides for both.
func testTxNested(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	err := s.InTx(ctx, func(tx store.Store) error {
		ok(t, tx.Users().Create(ctx, newUser("00u1", "outer@example.com")), "outer write")
		err := tx.InTx(ctx, func(inner store.Store) error {
			if _, err := inner.Users().Get(ctx, "00u1"); err != nil {
				return fmt.Errorf("inner does not see outer's write: %w", err)
			}
			return inner.Users().Create(ctx, newUser("00u2", "inner@example.com"))
		})
		ok(t, err, "nested transaction")
		if _, err := tx.Users().Get(ctx, "00u2"); err != nil {
			return fmt.Errorf("outer does not see inner's write: %w", err)
		}
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("InTx returned %v, want %v", err, errBoom)
	}
	for _, id := range []string{"00u1", "00u2"} {
		_, err := s.Users().Get(ctx, id)
		notFound(t, err, "user %s of a rolled back nested transaction", id)
	}

	// An error from the inner function reaches the outer one unchanged.
	err = s.InTx(ctx, func(tx store.Store) error {
		ok(t, tx.Users().Create(ctx, newUser("00u3", "x@example.com")), "outer write")
		return tx.InTx(ctx, func(store.Store) error { return errBoom })
	})
	if err != errBoom {
		t.Fatalf("nested InTx returned %v, want %v", err, errBoom)
	}
	_, err = s.Users().Get(ctx, "00u3")
	notFound(t, err, "user of a transaction whose inner part failed")

	ok(t, s.InTx(ctx, func(tx store.Store) error {
		return tx.InTx(ctx, func(inner store.Store) error {
			return inner.Users().Create(ctx, newUser("00u4", "y@example.com"))
		})
	}), "nested transactions that succeed")
	_, err = s.Users().Get(ctx, "00u4")
	ok(t, err, "user of a committed nested transaction")
}

// A conflict inside a transaction is reported as such, and the transaction
// then rolls back as a whole.
func testTxConflictInside(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	ok(t, s.Users().Create(ctx, newUser("00u1", "taken@example.com")), "create user")
	err := s.InTx(ctx, func(tx store.Store) error {
		ok(t, tx.Groups().Create(ctx, newGroup("00g1", "G")), "write before the conflict")
		return tx.Users().Create(ctx, newUser("00u2", "TAKEN@example.com"))
	})
	conflict(t, err, "conflict inside a transaction")
	_, err = s.Groups().Get(ctx, "00g1")
	notFound(t, err, "write before a conflict")
	err = s.InTx(ctx, func(tx store.Store) error { return tx.Replays().Record(ctx, "k", time.Now().Add(time.Hour)) })
	ok(t, err, "record in a transaction")
	err = s.InTx(ctx, func(tx store.Store) error { return tx.Replays().Record(ctx, "k", time.Now().Add(time.Hour)) })
	conflict(t, err, "replay in a transaction")
}

// Transactions that read, then write, run side by side without failing:
// the backend must serialize them, not report a busy database.
func testTxConcurrent(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	const n = 20
	errs := race(n, func(i int) error {
		return s.InTx(ctx, func(tx store.Store) error {
			v, err := tx.Config().Get(ctx)
			if err != nil {
				return err
			}
			if err := tx.Users().Create(ctx, newUser(fmt.Sprintf("00u%02d", i), fmt.Sprintf("u%d@example.com", i))); err != nil {
				return err
			}
			if err := tx.Audit().Append(ctx, newEvent(fmt.Sprintf("ev-%02d-%d", i, v), at(0), "x")); err != nil {
				return err
			}
			return tx.Config().Bump(ctx)
		})
	})
	for i, err := range errs {
		ok(t, err, "transaction %d", i)
	}
	count, err := s.Users().Count(ctx)
	ok(t, err, "count users")
	v, err := s.Config().Get(ctx)
	ok(t, err, "get config version")
	if count != n || v != n {
		t.Fatalf("after %d transactions: %d users, version %d", n, count, v)
	}
}
