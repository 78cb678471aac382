package cache_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// BenchmarkSnapshotApps: what the configuration snapshot costs per app,
// to build (every configuration change and every start) and to hold (the
// server's memory), with apps shaped as bench -scale seeds them (an OIDC
// web client with one secret and one redirect URI).
//
//	go test -run '^$' -bench BenchmarkSnapshotApps -benchtime 3x ./internal/cache
func BenchmarkSnapshotApps(b *testing.B) {
	for _, n := range []int{1000, 10_000} {
		b.Run(fmt.Sprintf("apps=%d", n), func(b *testing.B) {
			ctx := context.Background()
			st, sealer := newStore(b)
			now := time.Now().UTC()
			for lo := 0; lo < n; lo += 1000 {
				err := st.InTx(ctx, func(tx store.Store) error {
					for i := lo; i < min(lo+1000, n); i++ {
						id := secret.NewID("0oa")
						a := &store.App{ID: id, Name: "oidc_client", Label: fmt.Sprintf("App %d", i), Status: store.StatusActive,
							SignOnMode: "OPENID_CONNECT", ClientID: id, Profile: map[string]any{}, Created: now, LastUpdated: now,
							Secrets: []store.AppSecret{{ID: secret.NewID("ocs"), Status: store.StatusActive, Hash: secret.Hash(secret.Token("", 32)),
								Created: now, LastUpdated: now}}}
						a.Credentials.OAuthClient = store.OAuthClientCreds{ClientID: id, TokenEndpointAuthMethod: "client_secret_basic"}
						a.Settings.OAuthClient = store.OAuthClientSettings{ApplicationType: "web",
							RedirectURIs:  []string{fmt.Sprintf("https://app%d.example.com/callback", i)},
							ResponseTypes: []string{"code"}, GrantTypes: []string{"authorization_code", "refresh_token", "client_credentials"},
							ConsentMethod: "TRUSTED", IssuerMode: "ORG_URL"}
						if err := tx.Apps().Create(ctx, a); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			c := cache.New(st, sealer, slog.New(slog.NewTextHandler(io.Discard, nil)))
			heap := func() uint64 {
				var m runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&m)
				return m.HeapAlloc
			}
			before := heap()
			b.ResetTimer()
			for range b.N {
				if err := c.Load(ctx, true); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			held := heap() - before
			if len(c.Current().Apps()) != n {
				b.Fatalf("snapshot has %d apps, want %d", len(c.Current().Apps()), n)
			}
			b.ReportMetric(float64(held)/1e6, "MB-held")
			b.ReportMetric(float64(held)/float64(n), "B-held/app")
		})
	}
}
