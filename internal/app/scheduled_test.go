package app

import (
	"context"
	"fmt"
	"testing"
	"time"

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
		tables := []string{"replays", "revocations", "sessions", "one_time_codes", "refresh_tokens", "family_access_tokens"}

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
				must(t, st.RefreshTokens().Create(ctx, &store.RefreshToken{ID: "oar" + id, Hash: secret.Hash("r" + id), FamilyID: "fam" + id,
					ServerID: "default", ClientID: "client", UserID: user.ID, Scopes: []string{"openid"}, Data: []byte(`{}`),
					Created: now, ExpiresAt: exp, IdleExpiresAt: exp}))
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
