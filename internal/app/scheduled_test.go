package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
)

// TestScheduledWork runs the scheduled clean-up as time passes (an injected
// now, ten minutes a round) while every round adds short-lived records of
// each kind that expires: the tables stay at what is still alive instead of
// growing. And the work runs on one replica at a time.
func TestScheduledWork(t *testing.T) {
	sharedBackends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ctx := context.Background()
		sealer, err := keys.NewSealer(secret.RawBytes(32))
		if err != nil {
			t.Fatal(err)
		}
		a := serveReplica(t, open(t), sealer, "", true)
		b := serveReplica(t, open(t), sealer, a.URL, false)
		st := a.App.Store
		user := a.newUser(t, "sched@example.com")
		rows := func(table string) int64 {
			t.Helper()
			n, err := st.(*sqlstore.Store).TableRows(ctx, table)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		tables := []string{"replays", "revocations", "sessions", "one_time_codes", "refresh_tokens", "token_families", "family_access_tokens"}

		// Each round adds, per kind, perRound records that live 25 minutes
		// (alive at the two runs after their own, gone at the third) and one that lives a day.
		const perRound, rounds = 4, 5
		start := time.Now()
		for round := range rounds {
			now := start.Add(time.Duration(round) * 10 * time.Minute)
			for i := range perRound + 1 {
				exp := now.Add(25 * time.Minute)
				if i == perRound {
					exp = now.Add(24 * time.Hour)
				}
				id := fmt.Sprintf("%d-%d", round, i)
				must(t, st.Replays().Record(ctx, "jti-"+id, exp))
				must(t, st.Revocations().Revoke(ctx, "at-"+id, exp))
				must(t, st.Sessions().Create(ctx, &store.Session{ID: "102" + id, TokenHash: secret.Hash("s" + id), UserID: user.ID,
					AMR: []string{"pwd"}, Created: now, LastPasswordVerification: now, LastActive: now, IdleExpiresAt: exp, ExpiresAt: exp}))
				must(t, st.Codes().Create(ctx, &store.Code{Kind: "code", Hash: secret.Hash("c" + id), Data: []byte(`{}`), Created: now, ExpiresAt: exp}))
				// A refresh token is kept as long after it expired as the
				// access tokens issued with it may live.
				rtExp := exp.Add(-store.MaxAccessTokenLife)
				must(t, st.RefreshTokens().Create(ctx, &store.RefreshToken{ID: "oar" + id, Hash: secret.Hash("r" + id), FamilyID: "fam" + id,
					ServerID: "default", ClientID: "client", UserID: user.ID, Scopes: []string{"openid"}, Data: []byte(`{}`),
					Created: now, ExpiresAt: rtExp, IdleExpiresAt: rtExp}))
				must(t, st.RefreshTokens().CreateFamily(ctx, &store.TokenFamily{ID: "famx" + id, UserID: user.ID, ClientID: "client", ExpiresAt: exp}))
				must(t, st.RefreshTokens().RecordAccessToken(ctx, &store.FamilyAccessToken{FamilyID: "fam" + id, JTI: "at-" + id,
					UserID: user.ID, ClientID: "client", ExpiresAt: exp}))
			}
			ran, purged, err := a.App.RunScheduled(ctx, now)
			if err != nil || !ran {
				t.Fatalf("round %d: ran %v, %v", round, ran, err)
			}
			// Alive now: the short-lived records of this round and the two
			// before it, and every long-lived one.
			alive := int64(min(round+1, 3)*perRound + round + 1)
			for _, table := range tables {
				if n := rows(table); n != alive {
					t.Fatalf("round %d: %s has %d rows, want %d (purged %v)", round, table, n, alive, purged)
				}
			}
		}
		t.Logf("after %d rounds of %d records per kind: %d rows per table", rounds, perRound+1, rows("replays"))

		// One replica at a time: while A holds the scheduled work's lock,
		// B's run does nothing; once A is done, B runs.
		held, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := st.Exclusive(ctx, "scheduled", func(context.Context) error {
				close(held)
				<-release
				return nil
			})
			done <- err
		}()
		<-held
		if ran, _, err := b.App.RunScheduled(ctx, time.Now()); err != nil || ran {
			t.Fatalf("B ran the scheduled work while A held it: ran %v, %v", ran, err)
		}
		close(release)
		must(t, <-done)
		if ran, _, err := b.App.RunScheduled(ctx, time.Now()); err != nil || !ran {
			t.Fatalf("B after A: ran %v, %v", ran, err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSystemLogRetention: without --log-retention the scheduled clean-up
// keeps every System Log event; with 30 days it deletes exactly the events
// published before then — more than one delete batch of them — and the
// events of the last 30 days, and polling them, stay.
func TestSystemLogRetention(t *testing.T) {
	sharedBackends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ctx := context.Background()
		sealer, err := keys.NewSealer(secret.RawBytes(32))
		if err != nil {
			t.Fatal(err)
		}
		retention := 30 * 24 * time.Hour
		a := serveReplica(t, open(t), sealer, "", true, func(c *config.Config) { c.LogRetention = retention })
		st := a.App.Store
		a.App.Audit.Close() // everything the start-up queued is in the table
		rows := func() int64 {
			t.Helper()
			n, err := st.(*sqlstore.Store).TableRows(ctx, "audit_events")
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		now := time.Now()
		const old, recent = 5300, 40
		must(t, st.InTx(ctx, func(tx store.Store) error {
			for i := range old + recent {
				// old events from 31 to ~60 days ago; recent ones within the last 29 days
				published := now.Add(-retention - 24*time.Hour - time.Duration(i)*7*time.Minute)
				if i >= old {
					published = now.Add(-time.Duration(i-old) * 17 * time.Hour)
				}
				e := &store.AuditEvent{UUID: fmt.Sprintf("ret-%05d", i), Published: published, EventType: "user.session.start",
					Severity: "INFO", ActorID: "00u1", Data: []byte(`{}`)}
				if err := tx.Audit().Append(ctx, e); err != nil {
					return err
				}
			}
			return nil
		}))
		before := rows()

		// Retention off: nothing goes.
		a.App.Config.LogRetention = 0
		if _, purged, err := a.App.RunScheduled(ctx, now); err != nil || purged["system_log"] != 0 || rows() != before {
			t.Fatalf("without retention: purged %v, %v; rows %d, want %d", purged, err, rows(), before)
		}
		a.App.Config.LogRetention = retention
		ran, purged, err := a.App.RunScheduled(ctx, now)
		if err != nil || !ran || purged["system_log"] != old {
			t.Fatalf("with 30 days: ran %v, purged %v, %v; want %d", ran, purged, err, old)
		}
		if n := rows(); n != before-old {
			t.Fatalf("audit_events has %d rows after the clean-up, want %d", n, before-old)
		}
		left, err := st.Audit().List(ctx, store.AuditQuery{Since: now.Add(-retention)})
		if err != nil {
			t.Fatal(err)
		}
		kept := 0
		for _, e := range left {
			if strings.HasPrefix(e.UUID, "ret-") {
				kept++
			}
		}
		if kept != recent {
			t.Fatalf("%d of the %d recent events are left", kept, recent)
		}
		// A second run finds nothing more.
		if _, purged, err := a.App.RunScheduled(ctx, now); err != nil || purged["system_log"] != 0 {
			t.Fatalf("second run: purged %v, %v", purged, err)
		}
	})
}
