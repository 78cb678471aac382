package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
)

// BenchmarkRotationWrites measures the writes of one refresh-token rotation
// on a SQLite file: the transaction that claims the presented token and
// inserts its successor, with the access token recorded in its family as
// before migration 1702 and without, as now (the access token's id carries
// the family). On a shared machine wall time is mostly other work's, so
// the process's CPU time per rotation is reported too (cpu-ns/op).
//
//	go test -run '^$' -bench BenchmarkRotationWrites -benchtime 3000x -count 5 ./internal/store/sqlstore
func BenchmarkRotationWrites(b *testing.B) {
	for _, recorded := range []bool{true, false} {
		name := "family in the token id"
		if recorded {
			name = "access token recorded (before 1702)"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			st, err := sqlstore.OpenSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			now := time.Now()
			tok := func(i int) *store.RefreshToken {
				return &store.RefreshToken{ID: fmt.Sprintf("oar%017d", i), Hash: secret.Hash(fmt.Sprint(i)), FamilyID: "famBENCHMARKFAMILY1",
					ServerID: "default", ClientID: "0oabench", UserID: "00ubench", Scopes: []string{"offline_access"}, Data: []byte(`{"rule":{}}`),
					Created: now, IdleExpiresAt: now.Add(time.Hour)}
			}
			if err := st.RefreshTokens().Create(ctx, tok(0)); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := range b.N {
				err := st.InTx(ctx, func(tx store.Store) error {
					if won, err := tx.RefreshTokens().MarkRotated(ctx, tok(i).ID, now); err != nil || !won {
						return fmt.Errorf("rotating %d: %v %v", i, won, err)
					}
					if recorded {
						if err := tx.RefreshTokens().RecordAccessToken(ctx, &store.FamilyAccessToken{FamilyID: "famBENCHMARKFAMILY1",
							JTI: "AT." + secret.RandomString(40), UserID: "00ubench", ClientID: "0oabench", ExpiresAt: now.Add(time.Hour)}); err != nil {
							return err
						}
					}
					return tx.RefreshTokens().Create(ctx, tok(i+1))
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCodeExchangeWrites measures the writes of one code exchange
// without offline_access: the transaction that claims the code and records
// the access token (before 1702) or its family (now).
//
//	go test -run '^$' -bench BenchmarkCodeExchangeWrites -benchtime 3000x -count 5 ./internal/store/sqlstore
func BenchmarkCodeExchangeWrites(b *testing.B) {
	for _, recorded := range []bool{true, false} {
		name := "family recorded"
		if recorded {
			name = "access token recorded (before 1702)"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			st, err := sqlstore.OpenSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			now := time.Now()
			for i := range b.N {
				if err := st.Codes().Create(ctx, &store.Code{Kind: store.CodeAuthorization, Hash: secret.Hash(fmt.Sprint(i)), Data: []byte(`{"as":"default"}`),
					Created: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := range b.N {
				fam := secret.NewID("fam")
				err := st.InTx(ctx, func(tx store.Store) error {
					if _, err := tx.Codes().Use(ctx, store.CodeAuthorization, secret.Hash(fmt.Sprint(i)), now); err != nil {
						return err
					}
					if recorded {
						return tx.RefreshTokens().RecordAccessToken(ctx, &store.FamilyAccessToken{FamilyID: fam,
							JTI: "AT." + secret.RandomString(40), UserID: "00ubench", ClientID: "0oabench", ExpiresAt: now.Add(time.Hour)})
					}
					return tx.RefreshTokens().CreateFamily(ctx, &store.TokenFamily{ID: fam, UserID: "00ubench", ClientID: "0oabench", ExpiresAt: now.Add(time.Hour)})
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
