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
// fills the page.
func (s *Service) ListLogEvents(ctx context.Context, q store.AuditQuery, match func(*store.AuditEvent) bool) ([]*store.AuditEvent, error) {
	if match == nil {
		return s.Store.Audit().List(ctx, q)
	}
	limit := q.Limit
	q.Limit = max(limit, logScanBatch)
	var out []*store.AuditEvent
	for {
		batch, err := s.Store.Audit().List(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, e := range batch {
			if match(e) {
				out = append(out, e)
				if len(out) == limit {
					return out, nil
				}
			}
		}
		if len(batch) < q.Limit {
			return out, nil
		}
		last := batch[len(batch)-1]
		q.AfterPublished, q.AfterUUID = last.Published, last.UUID
	}
}
