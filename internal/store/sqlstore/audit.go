package sqlstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

type audit struct{ s *Store }

const auditCols = `uuid, published, event_type, severity, actor_id, data, tx, seq`

func (r audit) Append(ctx context.Context, e *store.AuditEvent) error {
	// tx and seq come from the columns' defaults, as the event is inserted.
	_, err := r.s.exec(ctx, "append audit event "+e.UUID,
		`INSERT INTO audit_events (uuid, published, event_type, severity, actor_id, data) VALUES (?, ?, ?, ?, ?, ?)`,
		e.UUID, ms(e.Published), e.EventType, e.Severity, e.ActorID, blob(e.Data))
	return err
}

func scanAuditEvent(row scanner) (*store.AuditEvent, error) {
	var e store.AuditEvent
	err := row.Scan(&e.UUID, msTime{&e.Published}, &e.EventType, &e.Severity, &e.ActorID, bytesCol{&e.Data},
		&e.Position.Tx, &e.Position.Seq)
	return &e, err
}

func (r audit) List(ctx context.Context, q store.AuditQuery) ([]*store.AuditEvent, error) {
	query, args := auditListSQL(q)
	return list(ctx, r.s, "list audit events", scanAuditEvent, query, args...)
}

// auditListSQL is the query of List.
func auditListSQL(q store.AuditQuery) (string, []any) {
	query := `SELECT ` + auditCols + ` FROM audit_events WHERE 1=1`
	var args []any
	cursor := !q.AfterPublished.IsZero() || q.AfterUUID != ""
	// The window's bound on the side the walk moves toward becomes the
	// cursor's time once the cursor is past it: the row-value comparison
	// below implies it. SQLite seeks the index to a plain bound on
	// published but not to the row value, so without it every page would
	// read the index from the start of the window to the cursor.
	lo, hasLo := ms(q.Since), !q.Since.IsZero()
	hi, hiOp, hasHi := ms(q.Until), "<", !q.Until.IsZero()
	if cursor && !q.Descending && (!hasLo || ms(q.AfterPublished) > lo) {
		lo, hasLo = ms(q.AfterPublished), true
	}
	if cursor && q.Descending && (!hasHi || ms(q.AfterPublished) < hi) {
		hi, hiOp, hasHi = ms(q.AfterPublished), "<=", true
	}
	if hasLo {
		query += ` AND published >= ?`
		args = append(args, lo)
	}
	if hasHi {
		query += ` AND published ` + hiOp + ` ?`
		args = append(args, hi)
	}
	if q.EventType != "" {
		query += ` AND event_type = ?`
		args = append(args, q.EventType)
	}
	if q.ActorID != "" {
		// lower() as the index of migration 1750 holds it; both
		// databases fold ASCII alike.
		query += ` AND lower(actor_id) = ?`
		args = append(args, asciiLower(q.ActorID))
	}
	dir, cmp := "ASC", ">"
	if q.Descending {
		dir, cmp = "DESC", "<"
	}
	if cursor {
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
	return query, args
}

func (r audit) Poll(ctx context.Context, q store.AuditPoll) ([]*store.AuditEvent, store.AuditPosition, error) {
	// The horizon is read before the events, in its own statement: every
	// transaction below it had finished when it was read, so the events
	// query, whose snapshot is later, sees all of their rows.
	// Inside a transaction PostgreSQL would answer pg_stat_activity from
	// the transaction's first look at it, which can miss a newer writer.
	if r.s.inTx() {
		return nil, store.AuditPosition{}, errors.New("sqlstore: poll audit events: not inside a transaction")
	}
	var h store.AuditPosition
	if err := r.s.get(ctx, "read audit horizon", func(row scanner) error { return row.Scan(&h.Tx, &h.Seq) },
		r.s.d.auditHorizon()); err != nil {
		return nil, store.AuditPosition{}, err
	}
	query := `SELECT ` + auditCols + ` FROM audit_events WHERE (tx, seq) > (?, ?) AND (tx, seq) < (?, ?)`
	args := []any{q.After.Tx, q.After.Seq, h.Tx, h.Seq}
	if q.After.Tx == h.Tx {
		// The same bounds, which SQLite (where tx is always 0) seeks the
		// position index to; from the row values it would read every
		// position from the start of tx to q.After, more with each page.
		query = `SELECT ` + auditCols + ` FROM audit_events WHERE tx = ? AND seq > ? AND seq < ?`
		args = []any{h.Tx, q.After.Seq, h.Seq}
	}
	if !q.Since.IsZero() {
		query += ` AND published >= ?`
		args = append(args, ms(q.Since))
	}
	query += ` ORDER BY tx, seq`
	if q.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	events, err := list(ctx, r.s, "poll audit events", scanAuditEvent, query, args...)
	if err != nil {
		return nil, store.AuditPosition{}, err
	}
	resume := q.After
	switch {
	case q.Limit > 0 && len(events) == q.Limit:
		resume = events[len(events)-1].Position
	case q.After.Less(store.AuditPosition{Tx: h.Tx, Seq: h.Seq - 1}):
		// Nothing is left below the horizon: resume just before it.
		resume = store.AuditPosition{Tx: h.Tx, Seq: h.Seq - 1}
	}
	return events, resume, nil
}

// auditPurgeBatch bounds each delete of the retention clean-up: one short
// transaction per batch, so that a first clean-up of a large log neither
// holds a long write lock (SQLite) nor keeps a transaction open that the
// System Log's pollers would wait behind (PostgreSQL).
const auditPurgeBatch = 5000

func (r audit) Purge(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		n, err := r.s.exec(ctx, "purge audit events",
			`DELETE FROM audit_events WHERE uuid IN (SELECT uuid FROM audit_events WHERE published < ? ORDER BY published LIMIT `+strconv.Itoa(auditPurgeBatch)+`)`,
			ms(before))
		total += n
		if err != nil || n < auditPurgeBatch {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// asciiLower folds ASCII letters only, as SQLite's lower() does.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}
