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
	{"AuditPoll", testAuditPoll},
	{"AuditPollInFlight", testAuditPollInFlight},
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
	events[3].ActorID = "00uAbC9"
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
		// The position is the store's to assign; checked below.
		read := *g
		read.Position = store.AuditPosition{}
		same(t, &read, byID[g.UUID], "event %s", g.UUID)
	}
	// Appended one after the other, the events stand in append order.
	pos := map[string]store.AuditPosition{}
	for _, g := range got {
		pos[g.UUID] = g.Position
	}
	for i := 1; i < len(events); i++ {
		if prev, cur := pos[events[i-1].UUID], pos[events[i].UUID]; !prev.Less(cur) {
			t.Fatalf("event %s appended after %s stands at %v, not after %v", events[i].UUID, events[i-1].UUID, cur, prev)
		}
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

	// One actor's events, the id's ASCII letters in any case, in either
	// order and after a cursor.
	got, err = a.List(ctx, store.AuditQuery{ActorID: "00UaBc9"})
	ok(t, err, "list by actor")
	sameStrings(t, eventIDs(got), []string{"e0"}, "events of 00uAbC9, any case")
	got, err = a.List(ctx, store.AuditQuery{ActorID: "00u1", Descending: true, Limit: 2})
	ok(t, err, "list by actor, descending")
	sameStrings(t, eventIDs(got), []string{"e4", "e3"}, "last two events of 00u1")
	got, err = a.List(ctx, store.AuditQuery{ActorID: "00u1", AfterPublished: e3.Published, AfterUUID: e3.UUID, Since: at(0)})
	ok(t, err, "list by actor after a cursor")
	sameStrings(t, eventIDs(got), []string{"e4"}, "events of 00u1 after e3")
	got, err = a.List(ctx, store.AuditQuery{ActorID: "00u"})
	ok(t, err, "list by an id prefix")
	sameStrings(t, eventIDs(got), nil, "events of 00u (a prefix selects nothing)")
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

	// The same window walked backwards, and walks whose cursor lies
	// outside the window (the window's bound still holds).
	q.Descending, q.AfterPublished, q.AfterUUID = true, time.Time{}, ""
	seen = nil
	for range 100 {
		page, err := s.Audit().List(ctx, q)
		ok(t, err, "list a filtered page, descending")
		for _, e := range page {
			seen = append(seen, e.UUID)
		}
		if len(page) < q.Limit {
			break
		}
		last := page[len(page)-1]
		q.AfterPublished, q.AfterUUID = last.Published, last.UUID
	}
	slices.Reverse(wantFiltered)
	sameStrings(t, seen, wantFiltered, "filtered walk, descending")
	slices.Reverse(wantFiltered)
	q.Limit = 100
	q.AfterPublished, q.AfterUUID = ms0.Add(20*time.Millisecond), "zz"
	got, err := s.Audit().List(ctx, q)
	ok(t, err, "list descending from a cursor after the window")
	slices.Reverse(wantFiltered)
	sameStrings(t, eventIDs(got), wantFiltered, "descending from a cursor after until")
	slices.Reverse(wantFiltered)
	q.Descending, q.AfterPublished, q.AfterUUID = false, ms0.Add(-time.Second), ""
	got, err = s.Audit().List(ctx, q)
	ok(t, err, "list ascending from a cursor before the window")
	sameStrings(t, eventIDs(got), wantFiltered, "ascending from a cursor before since")
}

// pollN follows Poll's resume positions, limit events at a time, until it
// has n events, and returns their uuids and where to resume. On PostgreSQL
// a transaction in flight anywhere in the database (other tests' schemas)
// holds committed events back for a while, so it polls on until a deadline.
func pollN(t *testing.T, s store.Store, q store.AuditPoll, n int) ([]string, store.AuditPosition) {
	t.Helper()
	var seen []string
	for deadline := time.Now().Add(20 * time.Second); ; {
		page, resume, err := s.Audit().Poll(ctxOf(t), q)
		ok(t, err, "poll")
		seen = append(seen, eventIDs(page)...)
		if resume.Less(q.After) {
			t.Fatalf("poll after %v resumes before it, at %v", q.After, resume)
		}
		if len(page) > q.Limit || (len(page) < q.Limit && resume.Less(q.After)) {
			t.Fatalf("poll of %d returned %d", q.Limit, len(page))
		}
		q.After = resume
		switch {
		case len(seen) > n:
			t.Fatalf("polled %q, more than the %d events there are", seen, n)
		case len(seen) == n:
			return seen, resume
		case len(page) < q.Limit:
			if time.Now().After(deadline) {
				t.Fatalf("polled %q, fewer than %d events", seen, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Polling walks the log in append order, each event once, whatever the
// page size; an empty poll resumes where it started from, and a later event
// is found there.
func testAuditPoll(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	got, resume, err := s.Audit().Poll(ctx, store.AuditPoll{Limit: 10})
	ok(t, err, "poll an empty log")
	if len(got) != 0 {
		t.Fatalf("an empty log polls %d events", len(got))
	}
	var want []string
	for i := range 9 {
		// Published times run backwards: polling follows commits, not them.
		uuid := fmt.Sprintf("poll-%d", i)
		ok(t, s.Audit().Append(ctx, newEvent(uuid, at(-time.Duration(i)*time.Second), "x")), "append %s", uuid)
		want = append(want, uuid)
	}
	for _, limit := range []int{1, 2, 4, 9, 10} {
		seen, _ := pollN(t, s, store.AuditPoll{After: resume, Limit: limit}, len(want))
		sameStrings(t, seen, want, "poll %d at a time from the empty log's cursor", limit)
	}
	seen, end := pollN(t, s, store.AuditPoll{Limit: 4}, len(want))
	sameStrings(t, seen, want, "poll from the start")
	ok(t, s.Audit().Append(ctx, newEvent("late", at(-time.Hour), "x")), "append late")
	seen, end = pollN(t, s, store.AuditPoll{After: end, Limit: 4}, 1)
	sameStrings(t, seen, []string{"late"}, "poll after a later append")
	again, _, err := s.Audit().Poll(ctx, store.AuditPoll{After: end, Limit: 4})
	ok(t, err, "poll at the end")
	if len(again) != 0 {
		t.Fatalf("poll at the end finds %q", eventIDs(again))
	}

	// since keeps the events published at or after it, in commit order.
	seen, _ = pollN(t, s, store.AuditPoll{Since: at(-3 * time.Second), Limit: 2}, 4)
	sameStrings(t, seen, want[:4], "poll since -3s")

	// Not inside a transaction, where PostgreSQL's view of the writers in
	// flight would be stale.
	if err := s.InTx(ctx, func(tx store.Store) error {
		_, _, err := tx.Audit().Poll(ctx, store.AuditPoll{Limit: 1})
		return err
	}); err == nil {
		t.Fatal("poll inside a transaction succeeds")
	}
}

// On a database with concurrent writers, an event committed while an older
// transaction that wrote one is still open is held back until that one
// ends, so that a poller never moves past an event that commits later.
// SQLite has one writer at a time, so there nothing is ever in flight.
func testAuditPollInFlight(t *testing.T, s store.Store) {
	if s.Backend() != "postgres" {
		t.Skip("SQLite commits one transaction at a time")
	}
	ctx := ctxOf(t)
	for round, slowFirst := range []bool{true, false} {
		_, start := pollN(t, s, store.AuditPoll{Limit: 100}, 2*round)
		inserted, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		slow := fmt.Sprintf("slow-%v", slowFirst)
		fast := fmt.Sprintf("fast-%v", slowFirst)
		if !slowFirst {
			// The fast transaction takes its position first but commits
			// after the slow one has taken a later one.
			ok(t, s.InTx(ctx, func(tx store.Store) error {
				ok(t, tx.Audit().Append(ctx, newEvent(fast, at(0), "x")), "append fast")
				go func() {
					done <- s.InTx(ctx, func(tx store.Store) error {
						if err := tx.Audit().Append(ctx, newEvent(slow, at(0), "x")); err != nil {
							return err
						}
						close(inserted)
						<-release
						return nil
					})
				}()
				<-inserted
				return nil
			}), "fast transaction")
		} else {
			go func() {
				done <- s.InTx(ctx, func(tx store.Store) error {
					if err := tx.Audit().Append(ctx, newEvent(slow, at(0), "x")); err != nil {
						return err
					}
					close(inserted)
					<-release
					return nil
				})
			}()
			<-inserted
			ok(t, s.Audit().Append(ctx, newEvent(fast, at(0), "x")), "append fast")
		}
		// fast is committed, slow is not.
		page, mid, err := s.Audit().Poll(ctx, store.AuditPoll{After: start, Limit: 100})
		ok(t, err, "poll with a writer in flight")
		if slowFirst && len(page) != 0 {
			t.Fatalf("a poll while an older writer is in flight returns %q", eventIDs(page))
		}
		close(release)
		ok(t, <-done, "slow transaction")
		rest, _ := pollN(t, s, store.AuditPoll{After: mid, Limit: 100}, 2-len(page))
		all := append(eventIDs(page), rest...)
		slices.Sort(all)
		sameStrings(t, all, []string{fast, slow}, "events polled across the slow commit (slow first: %v)", slowFirst)
	}
}
