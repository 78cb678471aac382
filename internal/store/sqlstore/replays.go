package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

type replays struct{ s *Store }

// recordReplay inserts a key, or takes over an expired entry of the same
// key, in one statement: the database's row lock on the key decides between
// concurrent callers on every connection and replica, and the loser sees no
// row affected.
const recordReplay = `INSERT INTO replays (replay_key, expires_at) VALUES (?, ?)
		ON CONFLICT (replay_key) DO UPDATE SET expires_at = excluded.expires_at
		WHERE replays.expires_at <= ?`

// Record stores key. Outside a transaction it goes through the store's
// replay batcher (one transaction for the keys of concurrent callers); in
// one, it is one statement of that transaction.
func (r replays) Record(ctx context.Context, key string, expiresAt time.Time) error {
	now := time.Now().UnixMilli()
	if r.s.tx == nil && r.s.replayq != nil {
		return r.s.replayq.record(ctx, key, ms(expiresAt), now)
	}
	return r.s.recordReplay(ctx, key, ms(expiresAt), now)
}

func (s *Store) recordReplay(ctx context.Context, key string, expiresAt, now int64) error {
	n, err := s.exec(ctx, "record replay key", recordReplay, key, expiresAt, now)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: record replay key: %w", store.ErrConflict)
	}
	return nil
}

// Purge deletes the entries that have expired at now, as Record counts them.
func (r replays) Purge(ctx context.Context, now time.Time) (int64, error) {
	return r.s.exec(ctx, "purge replay keys", `DELETE FROM replays WHERE expires_at <= ?`, ms(now))
}

// maxReplayBatch bounds the keys written in one transaction, so that one
// batch holds SQLite's write lock (and its callers wait) for a bounded time.
const maxReplayBatch = 64

// replayBatcher is group commit for Record. On SQLite every write queues
// for the one writer connection anyway, and an autocommit INSERT pays a
// whole transaction (BEGIN, WAL frames, COMMIT) for one row; on PostgreSQL
// each autocommit statement pays its own commit and WAL flush on the
// server (bench/README.md has the figures of both). The keys that
// arrive while a batch is being written are written together in the next
// one, each with its own statement and verdict, and every caller returns
// only after the COMMIT of its own key. There is no timer: an idle caller
// writes its key at once, on its own goroutine; the batches only form when
// callers arrive faster than transactions commit.
type replayBatcher struct {
	s *Store

	mu    sync.Mutex
	queue []*replayReq
	// running is whether a goroutine is writing batches; it takes every
	// batch until the queue is empty.
	running bool

	// batches and keys count what was written, for the benchmark's mean
	// batch size.
	batches, keys atomic.Int64
}

type replayReq struct {
	ctx       context.Context
	key       string
	expiresAt int64
	now       int64
	// done receives the verdict; buffered, so the writer never waits for a
	// caller that has gone.
	done chan error
}

func newReplayBatcher(s *Store) *replayBatcher { return &replayBatcher{s: s} }

func (b *replayBatcher) record(ctx context.Context, key string, expiresAt, now int64) error {
	req := &replayReq{ctx: ctx, key: key, expiresAt: expiresAt, now: now, done: make(chan error, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, req)
	if !b.running {
		// Nobody is writing: this caller writes its own batch (itself,
		// and whoever queued since) without a hand-off, and passes what
		// queues meanwhile to a goroutine of its own, so that a caller
		// waits for at most the batch in progress and its own.
		b.running = true
		b.mu.Unlock()
		b.writeNext()
		if b.more() {
			go b.drain()
		}
		return <-req.done
	}
	b.mu.Unlock()
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		// Taken out of the queue if the writer has not taken it yet;
		// otherwise its key may still be committed, but this caller is
		// not told it was recorded, and the others' verdicts are theirs.
		b.mu.Lock()
		for i, q := range b.queue {
			if q == req {
				b.queue = append(b.queue[:i], b.queue[i+1:]...)
				break
			}
		}
		b.mu.Unlock()
		return fmt.Errorf("sqlstore: record replay key: %w", ctx.Err())
	}
}

// more reports whether keys are queued; when not, the writer stops
// (running is cleared under the same lock as the queue is seen empty, so a
// caller queueing after that starts writing itself).
func (b *replayBatcher) more() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.running = false
		return false
	}
	return true
}

func (b *replayBatcher) drain() {
	for {
		b.writeNext()
		if !b.more() {
			return
		}
	}
}

// writeNext writes the batch at the head of the queue and tells each of its
// callers their verdict.
func (b *replayBatcher) writeNext() {
	b.mu.Lock()
	n := min(len(b.queue), maxReplayBatch)
	batch := make([]*replayReq, 0, n)
	for _, q := range b.queue[:n] {
		// A caller that has given up is not written (its own select has
		// returned, or is about to, with its context's error).
		if q.ctx.Err() != nil {
			q.done <- fmt.Errorf("sqlstore: record replay key: %w", q.ctx.Err())
			continue
		}
		batch = append(batch, q)
	}
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	b.mu.Unlock()
	if len(batch) > 0 {
		b.batches.Add(1)
		b.keys.Add(int64(len(batch)))
	}
	switch len(batch) {
	case 0:
		return
	case 1:
		// Alone: the autocommit statement is one transaction already,
		// and its context is its caller's alone.
		q := batch[0]
		q.done <- b.s.recordReplay(q.ctx, q.key, q.expiresAt, q.now)
		return
	}
	verdicts, err := b.writeBatch(batch)
	if err != nil {
		// The transaction failed as a whole (begin, a statement, the
		// commit): nothing of it is acknowledged. Each key is written
		// again on its own, so that each caller gets the verdict or the
		// error the statement gives its key alone; a commit that did
		// happen despite its error turns these into conflicts, refusing
		// rather than accepting twice.
		for _, q := range batch {
			q.done <- b.s.recordReplay(q.ctx, q.key, q.expiresAt, q.now)
		}
		return
	}
	for i, q := range batch {
		q.done <- verdicts[i]
	}
}

// writeBatch runs each key's statement (recordReplay) in one transaction of
// the store (atomic: the writer connection and its statement cache). A key
// already recorded and live, in the database or earlier in the same batch,
// gets ErrConflict. The context is none of the callers': one giving up must
// not roll back the others' keys.
func (b *replayBatcher) writeBatch(batch []*replayReq) ([]error, error) {
	ctx := context.WithoutCancel(batch[0].ctx)
	verdicts := make([]error, len(batch))
	// In key order (keeping arrival order within a key): on PostgreSQL
	// each statement locks its key's row until COMMIT, and two replicas'
	// batches taking the same keys in different orders could deadlock.
	order := make([]int, len(batch))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(batch[a].key, batch[b].key) })
	err := b.s.atomic(ctx, func(tx *Store) error {
		for _, i := range order {
			q := batch[i]
			err := tx.recordReplay(ctx, q.key, q.expiresAt, q.now)
			if err != nil && !errors.Is(err, store.ErrConflict) {
				return err
			}
			verdicts[i] = err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return verdicts, nil
}
