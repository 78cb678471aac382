package service

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// BenchmarkUsersSearchNoIndex is one request of a users search no index
// answers (profile.department, a value nobody has) on an org of
// SESAME_BENCH_USERS users (default 100,000), on SQLite: "unbounded" reads
// until the users run out (ListUsers before the read bound), "bounded"
// stops at ScanBudget. rows/op is the users read per request, cpu-ms/op
// the process's CPU time per request. Run both in one window:
//
//	go test -run '^$' -bench UsersSearchNoIndex -count 3 ./internal/service
func BenchmarkUsersSearchNoIndex(b *testing.B) {
	n := 100_000
	if s := os.Getenv("SESAME_BENCH_USERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	f := newFixture(b)
	if err := seedUsers(f, n); err != nil {
		b.Fatal(err)
	}
	where := store.UserWhere{Attr: store.UserAttrStatus, Op: "ne", Value: store.UserDeprovisioned}
	for _, c := range []struct {
		name   string
		budget int
	}{{"unbounded", math.MaxInt}, {"bounded", ScanBudget}} {
		b.Run(c.name, func(b *testing.B) {
			old := ScanBudget
			ScanBudget = c.budget
			defer func() { ScanBudget = old }()
			read := 0
			match := func(u *store.User) bool {
				read++
				return u.Profile["department"] == "nobody"
			}
			start := cpuTime()
			for b.Loop() {
				if _, _, err := f.svc.ListUsers(f.ctx, "", 200, where, match); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(read)/float64(b.N), "rows/op")
			b.ReportMetric(float64((cpuTime()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// seedUsers stores n users in transactions of 5,000.
func seedUsers(f *fixture, n int) error {
	now := time.Now()
	for i := 0; i < n; i += 5000 {
		err := f.st.InTx(f.ctx, func(tx store.Store) error {
			for j := i; j < min(i+5000, n); j++ {
				login := fmt.Sprintf("user%07d@example.com", j)
				u := &store.User{ID: secret.NewID("00u"), Status: store.UserActive, Login: login,
					Profile: map[string]any{"login": login, "email": login, "firstName": "Test", "lastName": "User", "department": "Hay"},
					Created: now, StatusChanged: now, LastUpdated: now}
				if err := tx.Users().Create(f.ctx, u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
