package app

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

// TestChangesReachEveryReplica runs three replicas on one PostgreSQL, each
// watching for changes as `serve` does. A token revoked on one is refused
// by the two others as soon as the notification arrives, and a client
// deactivated on one is refused by the others; the time each took is
// measured and reported (not asserted: the target is 100 ms, and a loaded
// machine must not fail the test). With the notification connections
// killed, the replicas fall back to polling and then listen again.
func TestChangesReachEveryReplica(t *testing.T) {
	base := os.Getenv("SESAME_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("SESAME_TEST_DATABASE_URL is not set; make test sets it")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dbURL := freshPostgresURL(t, base)
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	a := serveReplica(t, openPostgres(t, dbURL), sealer, "", true)
	reps := []*testServer{a}
	for range 2 {
		r := serveReplica(t, openPostgres(t, dbURL), sealer, a.URL, false)
		r.APIToken = a.APIToken
		reps = append(reps, r)
	}
	for _, r := range reps {
		go r.App.Cache.Watch(ctx, time.Second)
	}
	waitListening := func() {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			n := 0
			for _, r := range reps {
				if r.App.Cache.Listening() {
					n++
				}
			}
			if n == len(reps) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d replicas listening", n, len(reps))
			}
		}
	}
	waitListening()

	clientID, key, kid := a.serviceApp(t, "revoker")
	a.createScope(t, "default", "notify:read", true)
	for _, r := range reps[1:] {
		eventually(t, "the app reaches every replica", func() bool { return r.App.Cache.Current().AppByClientID(clientID) != nil })
	}
	tokenURL := tokenclient.TokenURL(a.URL, "default")
	introspect := func(r *testServer, tok string) bool {
		t.Helper()
		ans := r.form(t, "/oauth2/default/v1/introspect", "", url.Values{"token": {tok},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {a.assertion(t, clientID, key, kid, a.URL+"/oauth2/default/v1/introspect")}})
		if ans.status != 200 {
			t.Fatalf("introspect: %d %s", ans.status, ans.body)
		}
		return ans.json(t)["active"] == true
	}
	revokeOnA := func(tok string) {
		t.Helper()
		ans := a.form(t, "/oauth2/default/v1/revoke", "", url.Values{"token": {tok},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {a.assertion(t, clientID, key, kid, a.URL+"/oauth2/default/v1/revoke")}})
		if ans.status != 200 {
			t.Fatalf("revoke: %d %s", ans.status, ans.body)
		}
	}
	issue := func() (string, string) {
		t.Helper()
		tok, err := tokenclient.ClientCredentials(ctx, a.HTTP, a.Addr+"/oauth2/default/v1/token", a.assertion(t, clientID, key, kid, tokenURL), "")
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken, decodeClaims(t, tok.AccessToken)["jti"].(string)
	}

	// Revocations: the time from the revocation's answer on A until B's
	// and C's caches hold it (what every token check consults).
	var lat []time.Duration
	for range 10 {
		tok, jti := issue()
		for _, r := range reps[1:] {
			if !introspect(r, tok) {
				t.Fatal("a fresh token is inactive on another replica")
			}
		}
		revokeOnA(tok)
		revoked := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, r := range reps[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for deadline := revoked.Add(10 * time.Second); !r.App.Cache.IsRevoked(jti) && time.Now().Before(deadline); {
					time.Sleep(100 * time.Microsecond)
				}
				mu.Lock()
				lat = append(lat, time.Since(revoked))
				mu.Unlock()
			}()
		}
		wg.Wait()
		for _, r := range reps[1:] {
			if introspect(r, tok) {
				t.Fatal("a token revoked on A is still active on another replica")
			}
		}
	}
	slices.Sort(lat)
	t.Logf("revocation reached the other replicas: median %v, max %v over %d measurements (target 100ms)", lat[len(lat)/2], lat[len(lat)-1], len(lat))

	// Configuration: the app deactivated on A is refused by the others.
	if ans := a.mgmt(t, "POST", "/api/v1/apps/"+clientID+"/lifecycle/deactivate", nil); ans.status != 200 {
		t.Fatalf("deactivate: %d %s", ans.status, ans.body)
	}
	deactivated := time.Now()
	for _, r := range reps[1:] {
		eventually(t, "the deactivation reaches every replica", func() bool {
			app := r.App.Cache.Current().AppByClientID(clientID)
			return app != nil && app.Status == "INACTIVE"
		})
	}
	t.Logf("deactivation reached the other replicas in %v", time.Since(deactivated))
	for _, r := range reps[1:] {
		_, err := tokenclient.ClientCredentials(ctx, r.HTTP, r.Addr+"/oauth2/default/v1/token", a.assertion(t, clientID, key, kid, tokenURL), "")
		if err == nil || !strings.Contains(err.Error(), "invalid_client") {
			t.Fatalf("a deactivated client on another replica: %v", err)
		}
	}

	// The notification connections killed: the replicas notice, poll,
	// and listen again; a change made meanwhile is not lost.
	if ans := a.mgmt(t, "POST", "/api/v1/apps/"+clientID+"/lifecycle/activate", nil); ans.status != 200 {
		t.Fatalf("activate: %d %s", ans.status, ans.body)
	}
	admin, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var killed int
	if err := admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != len(reps) {
		t.Fatalf("killed %d notification connections, want %d", killed, len(reps))
	}
	tok, jti := issue()
	revokeOnA(tok)
	for _, r := range reps[1:] {
		eventually(t, "a revocation made while the listeners reconnect", func() bool { return r.App.Cache.IsRevoked(jti) })
		eventually(t, "the activation", func() bool { return r.App.Cache.Current().AppByClientID(clientID).Status == "ACTIVE" })
	}
	waitListening()
}

// eventually waits, up to a generous deadline, until ok holds.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15s", what)
		}
	}
}
