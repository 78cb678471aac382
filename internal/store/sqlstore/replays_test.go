package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

func (b *replayBatcher) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

func queuedAt(b *replayBatcher, n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.running && len(b.queue) == n
}

func TestSQLiteReplayBatch(t *testing.T) {
	t.Parallel()
	testReplayBatch(t, openSQLite(t, filepath.Join(t.TempDir(), "sesame.db")))
}

func TestPostgresReplayBatch(t *testing.T) {
	t.Parallel()
	base := pgBase(t)
	testReplayBatch(t, openPostgres(t, freshSchema(t, pgAdmin(t, base), base)))
}

// The records that queue while the first one waits are written in one
// batch: a key twice in it has one winner, an expired entry is taken over
// and then held, a caller that gives up while queued returns at once with
// its context's error and its key unrecorded, and nobody returns before the
// batch has committed.
func testReplayBatch(t *testing.T, s *Store) {
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	if err := s.Replays().Record(ctx, "expired", time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}

	// A transaction that records the first caller's key, uncommitted,
	// makes it wait (for SQLite's one writer, or PostgreSQL's lock on the
	// key), then rolls back.
	held, release, txDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	errRollback := errors.New("roll back")
	go func() {
		txDone <- s.InTx(ctx, func(tx store.Store) error {
			if err := tx.Replays().Record(ctx, "lead", exp); err != nil {
				return err
			}
			close(held)
			<-release
			return errRollback
		})
	}()
	<-held

	type call struct {
		key string
		ctx context.Context
	}
	gaveUp, cancel := context.WithCancel(ctx)
	defer cancel()
	// The first caller writes its own key and waits for the writer; the
	// rest queue behind it, in this order.
	calls := []call{{"lead", ctx}, {"dup", ctx}, {"a", ctx}, {"dup", ctx}, {"expired", ctx}, {"gave-up", gaveUp}, {"expired", ctx}, {"dup", ctx}, {"b", ctx}}
	errs := make([]chan error, len(calls))
	for i, c := range calls {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- s.Replays().Record(c.ctx, c.key, exp) }()
		// Queued in order: wait for this one before the next (the
		// first, until it has taken its own key to write).
		for !queuedAt(s.replayq, i) {
			time.Sleep(time.Millisecond)
		}
	}
	cancel()
	select {
	case err := <-errs[5]:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("a queued caller that gave up: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a queued caller that gave up is still waiting")
	}
	if n := s.replayq.queued(); n != len(calls)-2 {
		t.Fatalf("%d keys queued, want %d", n, len(calls)-2)
	}
	for i, e := range errs {
		select {
		case err := <-e:
			if i != 5 {
				t.Fatalf("call %d (%s) returned before the writer was free: %v", i, calls[i].key, err)
			}
		default:
		}
	}

	close(release)
	if err := <-txDone; !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	want := []error{nil, nil, nil, store.ErrConflict, nil, nil, store.ErrConflict, store.ErrConflict, nil}
	for i, e := range errs {
		if i == 5 {
			continue
		}
		err := <-e
		if want[i] == nil && err != nil || want[i] != nil && !errors.Is(err, want[i]) {
			t.Errorf("call %d (%s): %v, want %v", i, calls[i].key, err, want[i])
		}
	}
	if err := s.Replays().Record(ctx, "gave-up", exp); err != nil {
		t.Errorf("the key of the caller that gave up was recorded: %v", err)
	}
	for _, k := range []string{"lead", "dup", "a", "expired", "b"} {
		if err := s.Replays().Record(ctx, k, exp); !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s recorded again: %v", k, err)
		}
	}
	if n := s.replayq.queued(); n != 0 {
		t.Errorf("%d keys left queued", n)
	}
}

// Unique keys from many goroutines, several batches' worth: every caller is
// told its key was recorded, every key is in the table, and the writer
// stops when the queue is empty.
func TestSQLiteReplayBatchMany(t *testing.T) {
	t.Parallel()
	testReplayBatchMany(t, openSQLite(t, filepath.Join(t.TempDir(), "sesame.db")))
}

func TestPostgresReplayBatchMany(t *testing.T) {
	t.Parallel()
	base := pgBase(t)
	testReplayBatchMany(t, openPostgres(t, freshSchema(t, pgAdmin(t, base), base)))
}

func testReplayBatchMany(t *testing.T, s *Store) {
	ctx := t.Context()
	const n = 4 * maxReplayBatch
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- s.Replays().Record(ctx, fmt.Sprint("k", i), time.Now().Add(time.Hour)) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if rows, err := s.TableRows(ctx, "replays"); err != nil || rows != n {
		t.Fatalf("%d rows (%v), want %d", rows, err, n)
	}
	s.replayq.mu.Lock()
	running := s.replayq.running
	s.replayq.mu.Unlock()
	if running {
		t.Error("the writer still runs with nothing queued")
	}
}
