package audit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// Writer records events that no database change goes with — a token
// issued, a client refused — off the request's path: they are queued and
// written in batches, one transaction per batch, so a token request costs no
// database write of its own. Events still queued when the process dies
// are lost; Close writes what is queued.
type Writer struct {
	st    store.Store
	log   *slog.Logger
	queue chan item
	done  chan struct{}
	once  sync.Once
}

const (
	writerQueue = 65536
	writerBatch = 1000
	writerEvery = 100 * time.Millisecond
)

// item is a queued event, or a flush request whose ack is closed once
// everything queued before it is written.
type item struct {
	e   *store.AuditEvent
	ack chan struct{}
}

// NewWriter starts a writer.
func NewWriter(st store.Store, log *slog.Logger) *Writer {
	w := &Writer{st: st, log: log, queue: make(chan item, writerQueue), done: make(chan struct{})}
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
	t := time.NewTicker(writerEvery)
	defer t.Stop()
	var batch []*store.AuditEvent
	flush := func() {
		if len(batch) == 0 {
			return
		}
		err := w.st.InTx(context.Background(), func(tx store.Store) error {
			for _, e := range batch {
				if err := tx.Audit().Append(context.Background(), e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			w.log.Error("writing System Log events failed", "events", len(batch), "err", err)
		}
		batch = batch[:0]
	}
	for {
		select {
		case it, ok := <-w.queue:
			if !ok {
				flush()
				return
			}
			if it.ack != nil {
				flush()
				close(it.ack)
				continue
			}
			batch = append(batch, it.e)
			if len(batch) >= writerBatch {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}

// Flush waits until every event queued before the call is written.
func (w *Writer) Flush() {
	ack := make(chan struct{})
	w.queue <- item{ack: ack}
	<-ack
}

// Close writes what is queued and stops the writer.
func (w *Writer) Close() {
	w.once.Do(func() { close(w.queue) })
	<-w.done
}
