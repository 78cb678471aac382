package service

import (
	"context"

	"github.com/sesame-idp/sesame/internal/store"
)

// logScanBatch is how many events a filtered System Log query reads from
// the store at a time.
const logScanBatch = 1000

// ListLogEvents returns up to q.Limit System Log events in q's window and
// order, after q's cursor, keeping only those match accepts (nil keeps
// all). It reads the store in batches so that a selective match still
// fills the page. last is the last event it read, matched or not (nil when
// none): a poller resumes after it instead of reading the skipped events
// again.
func (s *Service) ListLogEvents(ctx context.Context, q store.AuditQuery, match func(*store.AuditEvent) bool) (events []*store.AuditEvent, last *store.AuditEvent, err error) {
	if match == nil {
		events, err = s.Store.Audit().List(ctx, q)
		if len(events) > 0 {
			last = events[len(events)-1]
		}
		return events, last, err
	}
	limit := q.Limit
	q.Limit = max(limit, logScanBatch)
	for {
		batch, err := s.Store.Audit().List(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range batch {
			last = e
			if match(e) {
				events = append(events, e)
				if len(events) == limit {
					return events, last, nil
				}
			}
		}
		if len(batch) < q.Limit {
			return events, last, nil
		}
		q.AfterPublished, q.AfterUUID = last.Published, last.UUID
	}
}

// PollLogEvents is ListLogEvents for pollers: up to q.Limit events after
// q.After in commit order (store.Audit.Poll), keeping those match accepts,
// and the position the next poll resumes after. A poller that always
// resumes there sees every event once, whichever replica wrote it.
func (s *Service) PollLogEvents(ctx context.Context, q store.AuditPoll, match func(*store.AuditEvent) bool) (events []*store.AuditEvent, resume store.AuditPosition, err error) {
	limit := q.Limit
	if match != nil {
		q.Limit = max(limit, logScanBatch)
	}
	for {
		batch, next, err := s.Store.Audit().Poll(ctx, q)
		if err != nil {
			return nil, store.AuditPosition{}, err
		}
		for _, e := range batch {
			if match == nil || match(e) {
				events = append(events, e)
				if len(events) == limit {
					return events, e.Position, nil
				}
			}
		}
		if len(batch) < q.Limit {
			return events, next, nil
		}
		q.After = next
	}
}
