package store

import (
	"context"
	"time"
)

// AuditEvent is one System Log event. Data holds the full LogEvent JSON;
// the other fields are indexed copies.
type AuditEvent struct {
	UUID      string
	Published time.Time
	EventType string
	Severity  string
	ActorID   string
	Data      []byte
	// Position is where the event stands in commit order; set by the store.
	Position AuditPosition
}

// AuditPosition orders events as they were committed: by Tx (the writing
// transaction on PostgreSQL, 0 on SQLite), then Seq (a sequence taken at
// insert). It is not a timestamp: two events published in one order can
// commit in the other.
type AuditPosition struct {
	Tx, Seq int64
}

// Less orders positions.
func (p AuditPosition) Less(q AuditPosition) bool {
	return p.Tx < q.Tx || (p.Tx == q.Tx && p.Seq < q.Seq)
}

type Audit interface {
	Append(ctx context.Context, e *AuditEvent) error
	// List returns events published in [since, until) ordered by (published,
	// uuid), ascending or descending, starting after the cursor.
	List(ctx context.Context, q AuditQuery) ([]*AuditEvent, error)
	// Poll returns up to q.Limit events after q.After in position order,
	// only among positions no transaction still in flight can come before,
	// so a later call can never find an event before one already returned.
	// resume is where the next call starts when every returned event was
	// consumed: the last event's position, or past every position this call
	// ruled out when it found fewer than q.Limit.
	Poll(ctx context.Context, q AuditPoll) (events []*AuditEvent, resume AuditPosition, err error)
	// Purge deletes the events published before before (the retention
	// period's start) and returns how many it deleted.
	Purge(ctx context.Context, before time.Time) (int64, error)
}

// AuditPoll selects the System Log events a poller has not seen yet.
type AuditPoll struct {
	// Since keeps events published at or after it (zero: all).
	Since time.Time
	After AuditPosition
	Limit int
}

// AuditQuery selects System Log events.
type AuditQuery struct {
	Since, Until time.Time
	EventType    string // exact match when set
	// ActorID selects the events of one actor when set, its ASCII letters
	// compared without case, as System Log filters compare.
	ActorID    string
	Descending bool
	// After is the (published, uuid) cursor of the last event already seen.
	AfterPublished time.Time
	AfterUUID      string
	Limit          int
}
