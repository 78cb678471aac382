package sqlstore

import (
	"context"

	"github.com/sesame-idp/sesame/internal/store"
)

type audit struct{ s *Store }

const auditCols = `uuid, published, event_type, severity, actor_id, data`

func (r audit) Append(ctx context.Context, e *store.AuditEvent) error {
	_, err := r.s.exec(ctx, "append audit event "+e.UUID,
		`INSERT INTO audit_events (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		e.UUID, ms(e.Published), e.EventType, e.Severity, e.ActorID, blob(e.Data))
	return err
}

func (r audit) List(ctx context.Context, q store.AuditQuery) ([]*store.AuditEvent, error) {
	query := `SELECT ` + auditCols + ` FROM audit_events WHERE 1=1`
	var args []any
	if !q.Since.IsZero() {
		query += ` AND published >= ?`
		args = append(args, ms(q.Since))
	}
	if !q.Until.IsZero() {
		query += ` AND published < ?`
		args = append(args, ms(q.Until))
	}
	if q.EventType != "" {
		query += ` AND event_type = ?`
		args = append(args, q.EventType)
	}
	dir, cmp := "ASC", ">"
	if q.Descending {
		dir, cmp = "DESC", "<"
	}
	if !q.AfterPublished.IsZero() || q.AfterUUID != "" {
		// A row-value comparison is what both databases can answer from
		// the (published, uuid) index.
		query += ` AND (published, uuid) ` + cmp + ` (?, ?)`
		args = append(args, ms(q.AfterPublished), q.AfterUUID)
	}
	query += ` ORDER BY published ` + dir + `, uuid ` + dir
	if q.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	return list(ctx, r.s, "list audit events", func(row scanner) (*store.AuditEvent, error) {
		var e store.AuditEvent
		err := row.Scan(&e.UUID, msTime{&e.Published}, &e.EventType, &e.Severity, &e.ActorID, bytesCol{&e.Data})
		return &e, err
	}, query, args...)
}
