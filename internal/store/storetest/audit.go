package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

var auditCases = []testCase{
	{"Audit", testAudit},
	{"AuditCursors", testAuditCursors},
}

func newEvent(uuid string, published time.Time, eventType string) *store.AuditEvent {
	return &store.AuditEvent{UUID: uuid, Published: published, EventType: eventType, Severity: "INFO",
		ActorID: "00u1", Data: []byte(`{"uuid":"` + uuid + `","eventType":"` + eventType + `"}`)}
}

func eventIDs(es []*store.AuditEvent) []string {
	return ids(es, func(e *store.AuditEvent) string { return e.UUID })
}

func testAudit(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	a := s.Audit()
	got, err := a.List(ctx, store.AuditQuery{})
	ok(t, err, "list empty log")
	if len(got) != 0 {
		t.Fatalf("empty log lists %d events", len(got))
	}

	// Appended out of order; "e2" and "e3" share a millisecond, and the
	// uuid order runs against the time order for "e0".
	events := []*store.AuditEvent{
		newEvent("e3", at(time.Second), "user.session.start"),
		newEvent("e1", at(0), "user.session.start"),
		newEvent("e2", at(time.Second+100*time.Microsecond), "app.oauth2.as.token.grant"),
		newEvent("e0", at(2*time.Second), "user.session.start"),
		newEvent("e4", at(3*time.Second), "app.oauth2.as.token.grant"),
	}
	events[1].Severity, events[1].ActorID, events[1].Data = "WARN", "", nil
	for _, e := range events {
		ok(t, a.Append(ctx, e), "append %s", e.UUID)
	}
	conflict(t, a.Append(ctx, newEvent("e1", at(time.Hour), "x")), "append an event with a taken uuid")

	got, err = a.List(ctx, store.AuditQuery{})
	ok(t, err, "list log")
	sameStrings(t, eventIDs(got), []string{"e1", "e2", "e3", "e0", "e4"}, "events by (published, uuid)")
	byID := map[string]*store.AuditEvent{}
	for _, e := range events {
		byID[e.UUID] = e
	}
	for _, g := range got {
		same(t, g, byID[g.UUID], "event %s", g.UUID)
	}

	got, err = a.List(ctx, store.AuditQuery{Descending: true})
	ok(t, err, "list log descending")
	sameStrings(t, eventIDs(got), []string{"e4", "e0", "e3", "e2", "e1"}, "events descending")

	// Since is inclusive and until exclusive, to the millisecond.
	got, err = a.List(ctx, store.AuditQuery{Since: at(time.Second), Until: at(3 * time.Second)})
	ok(t, err, "list a window")
	sameStrings(t, eventIDs(got), []string{"e2", "e3", "e0"}, "events in [1s, 3s)")
	got, err = a.List(ctx, store.AuditQuery{Since: at(time.Second + time.Millisecond)})
	ok(t, err, "list since")
	sameStrings(t, eventIDs(got), []string{"e0", "e4"}, "events since 1.001s")
	got, err = a.List(ctx, store.AuditQuery{Until: at(time.Second), Descending: true})
	ok(t, err, "list until")
	sameStrings(t, eventIDs(got), []string{"e1"}, "events until 1s")

	got, err = a.List(ctx, store.AuditQuery{EventType: "user.session.start"})
	ok(t, err, "list by type")
	sameStrings(t, eventIDs(got), []string{"e1", "e3", "e0"}, "events of a type")
	got, err = a.List(ctx, store.AuditQuery{EventType: "user.session", Limit: 10})
	ok(t, err, "list by a type prefix")
	if len(got) != 0 {
		t.Fatalf("event types match exactly, got %q", eventIDs(got))
	}
	got, err = a.List(ctx, store.AuditQuery{EventType: "app.oauth2.as.token.grant", Since: at(2 * time.Second), Descending: true, Limit: 5})
	ok(t, err, "list by type and time")
	sameStrings(t, eventIDs(got), []string{"e4"}, "events of a type since 2s")

	got, err = a.List(ctx, store.AuditQuery{Limit: 2})
	ok(t, err, "list with a limit")
	sameStrings(t, eventIDs(got), []string{"e1", "e2"}, "first two events")
	got, err = a.List(ctx, store.AuditQuery{Limit: 2, Descending: true})
	ok(t, err, "list with a limit, descending")
	sameStrings(t, eventIDs(got), []string{"e4", "e0"}, "last two events")

	// The cursor is strictly after (published, uuid), in the chosen order.
	e3 := byID["e3"]
	got, err = a.List(ctx, store.AuditQuery{AfterPublished: e3.Published, AfterUUID: e3.UUID})
	ok(t, err, "list after a cursor")
	sameStrings(t, eventIDs(got), []string{"e0", "e4"}, "events after e3")
	got, err = a.List(ctx, store.AuditQuery{AfterPublished: e3.Published, AfterUUID: e3.UUID, Descending: true})
	ok(t, err, "list after a cursor, descending")
	sameStrings(t, eventIDs(got), []string{"e2", "e1"}, "events before e3")
	got, err = a.List(ctx, store.AuditQuery{AfterPublished: e3.Published, AfterUUID: "e2"})
	ok(t, err, "list after a cursor between two events")
	sameStrings(t, eventIDs(got), []string{"e3", "e0", "e4"}, "events after (1s, e2)")
}

// Walking the log page by page with the cursor, in either direction, sees
// every event exactly once, however many share a millisecond.
func testAuditCursors(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	var want []string
	for i := range 23 {
		// Groups of up to four events in the same millisecond, uuids
		// deliberately not in time order.
		uuid := fmt.Sprintf("%02d-%c", (i*7)%23, 'a'+i%4)
		published := at(time.Duration(i/4) * time.Millisecond)
		eventType := "user.session.start"
		if i%3 == 0 {
			eventType = "user.session.end"
		}
		ok(t, s.Audit().Append(ctx, newEvent(uuid, published, eventType)), "append")
		want = append(want, uuid)
	}
	all, err := s.Audit().List(ctx, store.AuditQuery{})
	ok(t, err, "list all")
	if len(all) != len(want) {
		t.Fatalf("listed %d of %d events", len(all), len(want))
	}
	for _, desc := range []bool{false, true} {
		for _, limit := range []int{1, 3, 4, 5} {
			var seen []string
			q := store.AuditQuery{Descending: desc, Limit: limit}
			for range 100 {
				page, err := s.Audit().List(ctx, q)
				ok(t, err, "list a page")
				for _, e := range page {
					seen = append(seen, e.UUID)
				}
				if len(page) < limit {
					break
				}
				last := page[len(page)-1]
				q.AfterPublished, q.AfterUUID = last.Published, last.UUID
			}
			wantOrder := eventIDs(all)
			if desc {
				wantOrder = slices.Clone(wantOrder)
				slices.Reverse(wantOrder)
			}
			sameStrings(t, seen, wantOrder, "walk descending=%v, %d at a time", desc, limit)
		}
	}
	// A walk restricted to a type and a window (on millisecond bounds, the
	// store's precision).
	ms0 := at(0).Truncate(time.Millisecond)
	q := store.AuditQuery{EventType: "user.session.start", Since: ms0.Add(time.Millisecond), Until: ms0.Add(5 * time.Millisecond), Limit: 2}
	var seen []string
	for range 100 {
		page, err := s.Audit().List(ctx, q)
		ok(t, err, "list a filtered page")
		for _, e := range page {
			if e.EventType != q.EventType || e.Published.Before(q.Since) || !e.Published.Before(q.Until) {
				t.Fatalf("event %s outside the query", e.UUID)
			}
			seen = append(seen, e.UUID)
		}
		if len(page) < q.Limit {
			break
		}
		last := page[len(page)-1]
		q.AfterPublished, q.AfterUUID = last.Published, last.UUID
	}
	var wantFiltered []string
	for _, e := range all {
		if e.EventType == q.EventType && !e.Published.Before(q.Since) && e.Published.Before(q.Until) {
			wantFiltered = append(wantFiltered, e.UUID)
		}
	}
	sameStrings(t, seen, wantFiltered, "filtered walk")
}
