package sqlstore

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// The token endpoints' database work, per backend, with every query run
// unprepared ("direct", as before the statement cache) and through the
// statement cache ("prepared"), in the same run so that the two compare on
// a shared machine:
//
//	go test -run '^$' -bench 'Subject|GrantWrites' -benchmem ./internal/store/sqlstore
//
// PostgreSQL runs too when SESAME_TEST_DATABASE_URL is set.

// benchStores opens each backend's store for a benchmark.
func benchStores(b *testing.B) map[string]*Store {
	out := map[string]*Store{}
	s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "sesame.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	out["sqlite"] = s
	if base := pgBaseOrEmpty(); base != "" {
		p, err := OpenPostgres(context.Background(), freshSchema(b, pgAdmin(b, base), base))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { p.Close() })
		out["postgres"] = p
	}
	return out
}

// withStatements runs fn on st with the statement cache off and on.
func withStatements(b *testing.B, stores map[string]*Store, fn func(b *testing.B, st *Store)) {
	for _, name := range []string{"sqlite", "postgres"} {
		st := stores[name]
		if st == nil {
			continue
		}
		if st.wstmts == nil {
			// PostgreSQL runs without a statement cache (OpenPostgres
			// says why); one is made here to measure that choice.
			st.prepareStatements()
		}
		for _, mode := range []string{"direct", "prepared"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				st.wstmts.off, st.rstmts.off = mode == "direct", mode == "direct"
				defer func() { st.wstmts.off, st.rstmts.off = false, false }()
				start := cpuTime()
				fn(b, st)
				// The process's CPU time per operation (this process is
				// client and SQLite at once; PostgreSQL's own is not in it)
				// holds better than the wall clock on a shared machine.
				b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op")
			})
		}
	}
}

// seedSubject makes a user in n groups, an app assigned to one of them,
// as a code exchange or refresh finds them.
func seedSubject(b *testing.B, st *Store, n int) (appID, userID string) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := &store.User{ID: "00ubench", Status: "ACTIVE", Login: "bench@example.com", Created: now, LastUpdated: now,
		Profile: map[string]any{"login": "bench@example.com", "email": "bench@example.com", "firstName": "B", "lastName": "Ench"}}
	if err := st.Users().Create(ctx, u); err != nil {
		b.Fatal(err)
	}
	a := &store.App{ID: "0oabench", Name: "oidc_client", ClientID: "bench-client", Status: "ACTIVE", SignOnMode: "OPENID_CONNECT", Created: now, LastUpdated: now}
	if err := st.Apps().Create(ctx, a); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		g := &store.Group{ID: fmt.Sprintf("00gbench%02d", i), Type: "OKTA_GROUP", Name: fmt.Sprintf("bench-%02d", i), Created: now, LastUpdated: now, LastMembershipUpdated: now}
		if err := st.Groups().Create(ctx, g); err != nil {
			b.Fatal(err)
		}
		if err := st.Groups().AddMember(ctx, g.ID, u.ID); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Apps().AssignGroup(ctx, &store.AppGroup{AppID: a.ID, GroupID: "00gbench00", LastUpdated: now}); err != nil {
		b.Fatal(err)
	}
	return a.ID, u.ID
}

// BenchmarkSubject is the reads of a code exchange or refresh before it
// signs: the user, their groups, their assignment to the app.
func BenchmarkSubject(b *testing.B) {
	stores := benchStores(b)
	ids := map[*Store][2]string{}
	for _, st := range stores {
		appID, userID := seedSubject(b, st, 5)
		ids[st] = [2]string{appID, userID}
	}
	withStatements(b, stores, func(b *testing.B, st *Store) {
		ctx := context.Background()
		appID, userID := ids[st][0], ids[st][1]
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.Users().Get(ctx, userID); err != nil {
				b.Fatal(err)
			}
			gs, err := st.Groups().Of(ctx, userID)
			if err != nil {
				b.Fatal(err)
			}
			gids := make([]string, len(gs))
			for i, g := range gs {
				gids[i] = g.ID
			}
			ok, err := st.Apps().AssignedTo(ctx, appID, userID, gids)
			if err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
}

// BenchmarkGrantWrites is the transaction of a code exchange: the code
// claimed with UPDATE … RETURNING, the access-token record and the refresh
// token stored; then a refresh's rotation read and mark.
func BenchmarkGrantWrites(b *testing.B) {
	stores := benchStores(b)
	withStatements(b, stores, func(b *testing.B, st *Store) {
		ctx := context.Background()
		now := time.Now()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			hash := []byte(fmt.Sprintf("code-%s-%d-%d", b.Name(), now.UnixNano(), i))
			if err := st.Codes().Create(ctx, &store.Code{Kind: store.CodeAuthorization, Hash: hash, Data: []byte(`{}`), Created: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
				b.Fatal(err)
			}
			id := fmt.Sprintf("rt-%d-%d", now.UnixNano(), i)
			rh := []byte("h" + id)
			err := st.InTx(ctx, func(tx store.Store) error {
				if _, err := tx.Codes().Use(ctx, store.CodeAuthorization, hash, now); err != nil {
					return err
				}
				if err := tx.RefreshTokens().RecordAccessToken(ctx, &store.FamilyAccessToken{FamilyID: "fam" + id, JTI: "jti" + id, UserID: "00ubench", ClientID: "c", ExpiresAt: now.Add(time.Hour)}); err != nil {
					return err
				}
				return tx.RefreshTokens().Create(ctx, &store.RefreshToken{ID: id, Hash: rh, FamilyID: "fam" + id, ServerID: "default", ClientID: "c", UserID: "00ubench",
					Scopes: []string{"openid"}, Data: []byte(`{}`), Created: now, IdleExpiresAt: now.Add(time.Hour)})
			})
			if err != nil {
				b.Fatal(err)
			}
			rt, err := st.RefreshTokens().GetByHash(ctx, rh)
			if err != nil {
				b.Fatal(err)
			}
			if err := st.InTx(ctx, func(tx store.Store) error {
				_, err := tx.RefreshTokens().MarkRotated(ctx, rt.ID, now)
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func pgBaseOrEmpty() string { return os.Getenv("SESAME_TEST_DATABASE_URL") }

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSubjectCached is BenchmarkSubject through Store.Subject, the
// grants' path: "read" with the subject cache off (each lookup reads the
// database through prepared statements), "held" with it on.
func BenchmarkSubjectCached(b *testing.B) {
	stores := benchStores(b)
	for _, name := range []string{"sqlite", "postgres"} {
		st := stores[name]
		if st == nil {
			continue
		}
		appID, userID := seedSubject(b, st, 5)
		for _, mode := range []string{"read", "held"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				st.subjects.live.Store(mode == "held")
				defer st.subjects.live.Store(!st.subjects.listened)
				ctx := context.Background()
				start := cpuTime()
				b.ReportAllocs()
				for b.Loop() {
					s, err := st.Subject(ctx, userID, appID)
					if err != nil || !s.Assigned {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op")
			})
		}
	}
}

// BenchmarkReplayRecord is the client-assertion jti record of a
// private_key_jwt token request, unique keys from 16 goroutines at once:
// "single" is one autocommit statement per key, "batched" the group commit
// of replays.go (on PostgreSQL, the same batcher, measured to decide whether
// to use it there). Run with -count to alternate the two:
//
//	go test -run '^$' -bench ReplayRecord -count 5 ./internal/store/sqlstore
func BenchmarkReplayRecord(b *testing.B) {
	replayModes(b, func(b *testing.B, name string, st *Store, batcher *replayBatcher) {
		batches, keys := batcher.batches.Load(), batcher.keys.Load()
		var seq atomic.Int64
		prefix := fmt.Sprintf("%s-%d-", b.Name(), time.Now().UnixNano())
		exp := time.Now().Add(time.Hour)
		b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
		b.ReportAllocs()
		pgStart := backendCPU(b, st)
		start := cpuTime()
		var mu sync.Mutex
		var waits []time.Duration
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			var mine []time.Duration
			for pb.Next() {
				t0 := time.Now()
				if err := st.Replays().Record(ctx, prefix+strconv.FormatInt(seq.Add(1), 10), exp); err != nil {
					b.Fatal(err)
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			waits = append(waits, mine...)
			mu.Unlock()
		})
		b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op")
		// Each caller's wall time: what group commit may add to a
		// caller's tail is waiting behind a whole batch.
		slices.Sort(waits)
		b.ReportMetric(float64(waits[len(waits)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds()), "p99-µs")
		if name == "postgres" {
			b.ReportMetric(float64((backendCPU(b, st)-pgStart).Microseconds())/float64(b.N), "pg-cpu-µs/op")
		}
		if n := batcher.batches.Load() - batches; n > 0 {
			b.ReportMetric(float64(batcher.keys.Load()-keys)/float64(n), "keys/batch")
		}
	})
}

// backendCPU is the CPU time of the PostgreSQL backends serving st's
// database (the server must run on this machine), 0 on SQLite: with the
// process's own, what a replay record costs in all. The server's shared
// processes (WAL writer, checkpointer) are left out.
func backendCPU(b *testing.B, st *Store) time.Duration {
	if st.pg == nil {
		return 0
	}
	rows, err := st.read.QueryContext(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var total time.Duration
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // gone, or not on this machine
		}
		// Fields after the command's closing parenthesis; utime and stime
		// are the 14th and 15th of the line, in clock ticks (100 a second).
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		stt, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(ut+stt) * 10 * time.Millisecond
	}
	return total
}

// BenchmarkReplayRecordIdle is BenchmarkReplayRecord one caller at a time:
// the batcher must cost nothing when there is nobody to batch with.
func BenchmarkReplayRecordIdle(b *testing.B) {
	replayModes(b, func(b *testing.B, name string, st *Store, _ *replayBatcher) {
		prefix := fmt.Sprintf("%s-%d-", b.Name(), time.Now().UnixNano())
		exp := time.Now().Add(time.Hour)
		ctx := context.Background()
		b.ReportAllocs()
		start := cpuTime()
		i := 0
		for b.Loop() {
			i++
			if err := st.Replays().Record(ctx, prefix+strconv.Itoa(i), exp); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op")
	})
}

// replayModes runs f for each backend the benchmarks reach and each way of
// recording: "single" (one autocommit statement per key) and "batched" (the
// group commit of replays.go), restoring the store's own batcher after.
func replayModes(b *testing.B, f func(b *testing.B, name string, st *Store, batcher *replayBatcher)) {
	stores := benchStores(b)
	for _, name := range []string{"sqlite", "postgres"} {
		st := stores[name]
		if st == nil {
			continue
		}
		batcher := newReplayBatcher(st)
		for _, mode := range []string{"single", "batched"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				saved := st.replayq
				defer func() { st.replayq = saved }()
				st.replayq = nil
				if mode == "batched" {
					st.replayq = batcher
				}
				f(b, name, st, batcher)
			})
		}
	}
}
