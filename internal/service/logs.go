package service

import (
	"context"

	"github.com/sesame-idp/sesame/internal/store"
)

// logScanBatch is how many events a filtered System Log query reads from
// the store at a time.
const logScanBatch = 1000

// logScanBudget bounds the events one filtered query reads: a filter that
// selects few events (a keyword, an attribute no index holds) would
// otherwise read the whole window for one page. The page then ends early,
// with a cursor where the reading stopped, so that every page costs about
// the same wherever it is in the log.
const logScanBudget = 20 * logScanBatch

// ListLogEvents returns up to q.Limit System Log events in q's window and
// order, after q's cursor, keeping only those match accepts (nil keeps
// all). It reads the store in batches so that a selective match still
// fills the page, up to logScanBudget events. next is the event the
// following page resumes after — the last one read, matched or not — or
// nil when nothing is left.
func (s *Service) ListLogEvents(ctx context.Context, q store.AuditQuery, match func(*store.AuditEvent) bool) (events []*store.AuditEvent, next *store.AuditEvent, err error) {
	if match == nil {
		events, err = s.Store.Audit().List(ctx, q)
		if q.Limit > 0 && len(events) == q.Limit {
			next = events[len(events)-1]
		}
		return events, next, err
	}
	limit := q.Limit
	q.Limit = max(limit, logScanBatch)
	read := 0
	for {
		batch, err := s.Store.Audit().List(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range batch {
			read++
			if match(e) {
				events = append(events, e)
				if len(events) == limit {
					return events, e, nil
				}
			}
		}
		if len(batch) < q.Limit {
			return events, nil, nil
		}
		last := batch[len(batch)-1]
		if read >= logScanBudget {
			return events, last, nil
		}
		q.AfterPublished, q.AfterUUID = last.Published, last.UUID
	}
}

// PollLogEvents is ListLogEvents for pollers: up to q.Limit events after
// q.After in commit order (store.Audit.Poll), keeping those match accepts
// (reading up to logScanBudget events), and the position the next poll
// resumes after. A poller that always resumes there sees every event once,
// whichever replica wrote it.
func (s *Service) PollLogEvents(ctx context.Context, q store.AuditPoll, match func(*store.AuditEvent) bool) (events []*store.AuditEvent, resume store.AuditPosition, err error) {
	limit := q.Limit
	if match != nil {
		q.Limit = max(limit, logScanBatch)
	}
	read := 0
	for {
		batch, next, err := s.Store.Audit().Poll(ctx, q)
		if err != nil {
			return nil, store.AuditPosition{}, err
		}
		for _, e := range batch {
			read++
			if match == nil || match(e) {
				events = append(events, e)
				if len(events) == limit {
					return events, e.Position, nil
				}
			}
		}
		if len(batch) < q.Limit || read >= logScanBudget {
			return events, next, nil
		}
		q.After = next
	}
}
