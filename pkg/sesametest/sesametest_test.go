package sesametest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/pkg/sesametest"
)

func jsonDecode(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestParallelServers: servers started at once in one binary share
// nothing — each its own org, port, clock and data.
func TestParallelServers(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	urls := map[string]bool{}
	clocks := map[*sesametest.Server]time.Duration{}
	t.Run("group", func(t *testing.T) {
		for i := range 8 {
			name := fmt.Sprintf("only-in-%d", i)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				s := sesametest.New(t, sesametest.WithOrg(`groups: [{name: "`+name+`"}]`))
				s.Advance(time.Duration(i) * time.Hour)
				req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/groups", nil)
				req.Header.Set("Authorization", "SSWS "+s.APIToken())
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var groups []struct {
					Profile struct{ Name string } `json:"profile"`
				}
				jsonDecode(t, resp, &groups)
				resp.Body.Close()
				var names []string
				for _, g := range groups {
					names = append(names, g.Profile.Name)
				}
				if len(names) != 2 || !slices.Contains(names, name) {
					t.Fatalf("groups %v, want Everyone and %s only", names, name)
				}
				mu.Lock()
				defer mu.Unlock()
				if urls[s.URL] {
					t.Fatalf("two servers at %s", s.URL)
				}
				urls[s.URL] = true
				clocks[s] = time.Duration(i) * time.Hour
			})
		}
	})
	if len(urls) != 8 {
		t.Fatalf("%d servers ran", len(urls))
	}
	// Each clock moved by its own test only.
	for s, d := range clocks {
		if off := s.Now().Sub(time.Now()); off < d-time.Minute || off > d+time.Minute {
			t.Fatalf("a server moved %v is %v ahead", d, off)
		}
	}
}

// TestBadOrgFile: a bad org file fails the test that starts the server,
// with the line of the bad value.
func TestBadOrgFile(t *testing.T) {
	ft := &fakeT{TB: t}
	func() {
		defer func() { recover() }()
		sesametest.New(ft, sesametest.WithOrg("people:\n  - profile: {login: ada@example.com}\n    status: HAPPY\n"))
	}()
	if !ft.failed || !contains(ft.msg, "WithOrg:3:13: people[0].status") {
		t.Fatalf("failed=%v msg=%q", ft.failed, ft.msg)
	}
}

type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = true
	f.msg = fmtSprintf(format, args...)
	panic("fatal")
}

// BenchmarkNew measures starting a server (the package promises well
// under 50 ms): an empty org, and the org of testdata/org.yaml.
func BenchmarkNew(b *testing.B) {
	b.Run("empty", func(b *testing.B) {
		for b.Loop() {
			sesametest.New(b)
		}
	})
	b.Run("org-file", func(b *testing.B) {
		for b.Loop() {
			sesametest.New(b, sesametest.WithOrgFile("testdata/org.yaml"))
		}
	})
}

func contains(s, sub string) bool                  { return strings.Contains(s, sub) }
func fmtSprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
