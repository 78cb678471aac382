package service

import (
	"context"

	"github.com/sesame-idp/sesame/internal/store"
)

// ListLogEvents returns up to q.Limit System Log events in q's window and
// order, after q's cursor, keeping only those match accepts (nil keeps
// all). A filtered query reads the store in batches of at least
// scanBatch so that a selective match still fills the page, up to
// ScanBudget events (Scan). next is the event the following page resumes
// after — the last one read, matched or not — or nil when nothing is left.
func (s *Service) ListLogEvents(ctx context.Context, q store.AuditQuery, match func(*store.AuditEvent) bool) (events []*store.AuditEvent, next *store.AuditEvent, err error) {
	first := q.Limit
	if match != nil {
		first = max(first, scanBatch)
	}
	events, next, _, err = Scan(q.Limit, first, func(after **store.AuditEvent, n int) ([]*store.AuditEvent, error) {
		page := q
		if after != nil {
			page.AfterPublished, page.AfterUUID = (*after).Published, (*after).UUID
		}
		page.Limit = n
		return s.Store.Audit().List(ctx, page)
	}, match)
	return events, next, err
}

// PollLogEvents is ListLogEvents for pollers: up to q.Limit events after
// q.After in commit order (store.Audit.Poll), keeping those match accepts
// (reading up to ScanBudget events), and the position the next poll
// resumes after. A poller that always resumes there sees every event once,
// whichever replica wrote it.
func (s *Service) PollLogEvents(ctx context.Context, q store.AuditPoll, match func(*store.AuditEvent) bool) (events []*store.AuditEvent, resume store.AuditPosition, err error) {
	limit := q.Limit
	if match != nil {
		q.Limit = max(limit, scanBatch)
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
		if len(batch) < q.Limit || read >= ScanBudget {
			return events, next, nil
		}
		q.After = next
	}
}
