package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

// TestSystemLogPollAcrossReplicas is a SIEM connector against two
// replicas: while both write events — batched token events and management
// changes, each committing on its own schedule — a poller follows the
// polling next link from before the first write to after the last, asking
// each replica in turn, and must see every event exactly once.
func TestSystemLogPollAcrossReplicas(t *testing.T) {
	sharedBackends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ctx := context.Background()
		sealer, err := keys.NewSealer(secret.RawBytes(32))
		if err != nil {
			t.Fatal(err)
		}
		a := serveReplica(t, open(t), sealer, "", true)
		b := serveReplica(t, open(t), sealer, a.URL, false)
		b.APIToken = a.APIToken
		reps := []*testServer{a, b}
		clientID, key, kid := a.serviceApp(t, "log-writer")
		a.createScope(t, "default", "log:write", true)
		if err := b.App.Cache.Load(ctx, false); err != nil {
			t.Fatal(err)
		}
		a.App.Audit.Flush()

		// The poller starts before the load: its first poll takes what is
		// there, and it follows next from then on.
		first := a.mgmt(t, http.MethodGet, "/api/v1/logs?limit=7", nil)
		seen := map[string]int{}
		for _, e := range first.list(t) {
			seen[e["uuid"].(string)]++
		}
		next := nextLink(t, a, first)

		var (
			mu     sync.Mutex
			errs   []error
			polled int
		)
		fail := func(err error) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
		poll := func(ts *testServer) (int, error) {
			req, _ := http.NewRequest(http.MethodGet, ts.Addr+next, nil)
			req.Header.Set("Authorization", "SSWS "+a.APIToken)
			resp, err := ts.HTTP.Do(req)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				return 0, err // off the test's goroutine: no t.Fatal
			}
			var events []map[string]any
			if resp.StatusCode != 200 || json.Unmarshal(body, &events) != nil {
				return 0, fmt.Errorf("poll: %d %s", resp.StatusCode, body)
			}
			for _, e := range events {
				seen[e["uuid"].(string)]++
			}
			n := "" // the next link, as a client reads it
			for _, l := range resp.Header.Values("Link") {
				if strings.HasSuffix(l, `>; rel="next"`) {
					n = strings.TrimPrefix(strings.TrimSuffix(l, `>; rel="next"`), "<"+a.URL)
				}
			}
			if n == "" {
				return 0, fmt.Errorf("a polling answer without a next link: %v", resp.Header.Values("Link"))
			}
			next = n
			polled++
			return len(events), nil
		}
		loadDone := make(chan struct{})
		pollerDone := make(chan struct{})
		go func() {
			defer close(pollerDone)
			for i := 0; ; i++ {
				select {
				case <-loadDone:
					return
				default:
				}
				if _, err := poll(reps[i%2]); err != nil {
					fail(err)
					return
				}
			}
		}()

		// The load: on each replica, token requests (events queued and
		// written in batches) and trusted-origin changes (events written
		// in the change's transaction), side by side.
		const tokens, origins = 30, 12
		var wg sync.WaitGroup
		for r, ts := range reps {
			wg.Add(2)
			go func() {
				defer wg.Done()
				tokenURL := tokenclient.TokenURL(a.URL, "default")
				for range tokens {
					as, err := tokenclient.Assertion{ClientID: clientID, Audience: tokenURL, KID: kid, Key: key}.Sign(time.Now())
					if err == nil {
						_, err = tokenclient.ClientCredentials(ctx, ts.HTTP, ts.Addr+"/oauth2/default/v1/token", as, "")
					}
					if err != nil {
						fail(fmt.Errorf("token on replica %d: %w", r, err))
						return
					}
				}
			}()
			go func() {
				defer wg.Done()
				for i := range origins {
					body := fmt.Sprintf(`{"name":"r%d-%d","origin":"https://r%d-%d.example.com","scopes":[{"type":"CORS"}]}`, r, i, r, i)
					req, _ := http.NewRequest(http.MethodPost, ts.Addr+"/api/v1/trustedOrigins", strings.NewReader(body))
					req.Header.Set("Authorization", "SSWS "+a.APIToken)
					req.Header.Set("Content-Type", "application/json")
					resp, err := ts.HTTP.Do(req)
					if err != nil {
						fail(err)
						return
					}
					resp.Body.Close()
					if resp.StatusCode != 200 {
						fail(fmt.Errorf("create origin on replica %d: %d", r, resp.StatusCode))
						return
					}
				}
			}()
		}
		wg.Wait()
		a.App.Audit.Flush()
		b.App.Audit.Flush()
		close(loadDone)
		<-pollerDone
		if len(errs) > 0 {
			t.Fatal(errs)
		}

		stored, err := a.App.Store.Audit().List(ctx, store.AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		// The poller catches up: a transaction still open elsewhere in the
		// database may hold the last events back for a moment.
		for deadline := time.Now().Add(30 * time.Second); len(seen) < len(stored) && time.Now().Before(deadline); {
			if n, err := poll(reps[polled%2]); err != nil {
				t.Fatal(err)
			} else if n == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
		if n, err := poll(a); err != nil || n != 0 {
			t.Fatalf("a poll after catching up: %d events, %v", n, err)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("event %s polled %d times", id, n)
			}
		}
		for _, e := range stored {
			if seen[e.UUID] == 0 {
				t.Errorf("event %s (%s) never polled", e.UUID, e.EventType)
			}
		}
		if len(seen) != len(stored) {
			t.Errorf("polled %d events, %d stored", len(seen), len(stored))
		}
		want := 2*tokens + 2*origins
		if len(stored) < want {
			t.Errorf("%d events stored, want at least %d", len(stored), want)
		}
		t.Logf("%d events, %d polls while writing", len(stored), polled)
	})
}
