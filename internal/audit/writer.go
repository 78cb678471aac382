package audit

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// Writer records events that no database change goes with — a token
// issued, a client refused — off the request's path: they are queued and
// written in batches, one transaction per batch, so a token request costs no
// database write of its own.
//
// What a crash can lose is bounded: a batch is written at the latest
// WriterInterval after its first event, so a process killed outright loses
// the events of about the last WriterInterval (at most WriterBatch of them
// being written, plus what is queued behind). While the database is
// unreachable the writer keeps its batch and retries; events queue up to
// WriterQueue and beyond that are dropped (and logged) rather than slowing
// requests down. Close writes everything queued, retrying for up to
// closeRetry.
type Writer struct {
	st     store.Store
	log    *slog.Logger
	queue  chan item
	closed chan struct{}
	done   chan struct{}
	once   sync.Once
}

// The writer's bounds, documented in docs/operations.md.
const (
	WriterQueue    = 65536
	WriterBatch    = 1000
	WriterInterval = 100 * time.Millisecond
	closeRetry     = 10 * time.Second
)

// item is a queued event, or a flush request whose ack is closed once
// everything queued before it is written (or could not be).
type item struct {
	e   *store.AuditEvent
	ack chan struct{}
}

// NewWriter starts a writer.
func NewWriter(st store.Store, log *slog.Logger) *Writer {
	w := &Writer{st: st, log: log, queue: make(chan item, WriterQueue), closed: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

// Add queues an event. When the queue is full the event is dropped and
// logged rather than slowing the request down.
func (w *Writer) Add(e *store.AuditEvent) {
	select {
	case w.queue <- item{e: e}:
	default:
		w.log.Warn("System Log queue full; event dropped", "eventType", e.EventType, "uuid", e.UUID)
	}
}

// Queued is how many events wait to be written.
func (w *Writer) Queued() int { return len(w.queue) }

// Event builds and queues an event.
func (w *Writer) Event(req Request, eventType, message string, actor Actor, result, reason string, targets ...Target) {
	e, err := New(req, eventType, message, actor, result, reason, targets...)
	if err != nil {
		w.log.Error("building System Log event failed", "eventType", eventType, "err", err)
		return
	}
	w.Add(e)
}

func (w *Writer) run() {
	defer close(w.done)
	t := time.NewTicker(WriterInterval)
	defer t.Stop()
	var (
		batch    []*store.AuditEvent
		failures int
	)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := w.write(batch); err != nil {
			// Kept for the next tick: the database may be restarting.
			if failures++; failures == 1 || failures%100 == 0 {
				w.log.Error("writing System Log events failed; retrying", "events", len(batch), "attempts", failures, "err", err)
			}
			return
		}
		if failures > 0 {
			w.log.Info("System Log events written after retrying", "attempts", failures+1)
		}
		failures = 0
		batch = batch[:0]
	}
	for {
		// A full batch that cannot be written stops taking events, which
		// then wait in the queue (and are dropped by Add when it is full).
		in := w.queue
		if len(batch) >= WriterBatch {
			in = nil
		}
		select {
		case it := <-in:
			if it.ack != nil {
				flush()
				close(it.ack)
				continue
			}
			batch = append(batch, it.e)
			if len(batch) >= WriterBatch {
				flush()
			}
		case <-t.C:
			flush()
		case <-w.closed:
			w.drain(batch)
			return
		}
	}
}

// drain writes the batch and everything still queued, retrying each write
// until closeRetry has passed since the writer was closed.
func (w *Writer) drain(batch []*store.AuditEvent) {
	deadline := time.Now().Add(closeRetry)
	lost := 0
	writeOut := func() {
		for len(batch) > 0 {
			err := w.write(batch)
			if err == nil {
				batch = batch[:0]
				return
			}
			if !time.Now().Before(deadline) {
				w.log.Error("writing System Log events at shutdown failed", "events", len(batch), "err", err)
				lost += len(batch)
				batch = batch[:0]
				return
			}
			time.Sleep(WriterInterval)
		}
	}
	for {
		select {
		case it := <-w.queue:
			if it.ack != nil {
				writeOut()
				close(it.ack)
				continue
			}
			batch = append(batch, it.e)
			if len(batch) >= WriterBatch {
				writeOut()
			}
		default:
			writeOut()
			if lost > 0 {
				w.log.Error("System Log events lost at shutdown", "events", lost)
			}
			return
		}
	}
}

// write stores a batch in one transaction. A batch retried after a commit
// whose answer was lost meets its own events: it is then written event by
// event, skipping those already stored, so that a retry never duplicates.
func (w *Writer) write(batch []*store.AuditEvent) error {
	ctx := context.Background()
	err := w.st.InTx(ctx, func(tx store.Store) error {
		for _, e := range batch {
			if err := tx.Audit().Append(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, store.ErrConflict) {
		return err
	}
	for _, e := range batch {
		if err := w.st.Audit().Append(ctx, e); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return nil
}

// Flush waits until every event queued before the call is written (or,
// with the database unreachable, one attempt failed).
func (w *Writer) Flush() {
	ack := make(chan struct{})
	select {
	case w.queue <- item{ack: ack}:
	case <-w.done:
		return
	}
	<-ack
}

// Close writes what is queued and stops the writer. Events added after
// Close are queued but never written.
func (w *Writer) Close() {
	w.once.Do(func() { close(w.closed) })
	<-w.done
}
