package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

// TestReplicasShareOneDatabase runs two Sesame replicas on one database, as
// several processes behind a load balancer would: configuration made on one
// reaches the other through the config version, a client assertion used on
// one is refused on the other, and a revocation on one holds on the other.
func TestReplicasShareOneDatabase(t *testing.T) {
	sharedBackends(t, replicas)
}

func replicas(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	a := serveReplica(t, open(t), sealer, "", true)
	b := serveReplica(t, open(t), sealer, a.URL, false)
	b.APIToken = a.APIToken

	// Made on A, in force on B once B has polled the config version.
	clientID, key, kid := a.serviceApp(t, "replicated")
	a.createScope(t, "default", "shared:read", true)
	if err := b.App.Cache.Load(ctx, false); err != nil {
		t.Fatal(err)
	}
	orgTokenURL := tokenclient.TokenURL(a.URL, "default")
	onB := b.Addr + "/oauth2/default/v1/token"
	tok, err := tokenclient.ClientCredentials(ctx, b.HTTP, onB, a.assertion(t, clientID, key, kid, orgTokenURL), "")
	if err != nil {
		t.Fatalf("replica B does not know the app made on A: %v", err)
	}

	// One assertion, two replicas: the second use fails.
	assertion := a.assertion(t, clientID, key, kid, orgTokenURL)
	if _, err := tokenclient.ClientCredentials(ctx, a.HTTP, a.Addr+"/oauth2/default/v1/token", assertion, ""); err != nil {
		t.Fatal(err)
	}
	_, err = tokenclient.ClientCredentials(ctx, b.HTTP, onB, assertion, "")
	expectOAuthError(t, err, 401, "invalid_client", "The client_assertion token has already been used.")

	// Revoked on A; B says inactive after its revocation sync.
	basicForm := func(ts *testServer, path string) answer {
		return ts.form(t, path, "", url.Values{"token": {tok.AccessToken},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {a.assertion(t, clientID, key, kid, a.URL+path)}})
	}
	// Introspected on both first, twice, so that each holds the token as
	// verified: the revocation must hold on the cached path too.
	for _, ts := range []*testServer{a, b, a, b} {
		if r := basicForm(ts, "/oauth2/default/v1/introspect"); r.status != 200 || r.json(t)["active"] != true {
			t.Fatalf("introspect before revoke: %d %s", r.status, r.body)
		}
	}
	if r := basicForm(a, "/oauth2/default/v1/revoke"); r.status != 200 {
		t.Fatalf("revoke on A: %d %s", r.status, r.body)
	}
	if r := basicForm(a, "/oauth2/default/v1/introspect"); r.status != 200 || r.json(t)["active"] != false {
		t.Fatalf("introspect on A right after its revoke: %d %s", r.status, r.body)
	}
	if err := b.App.Cache.SyncRevocations(ctx); err != nil {
		t.Fatal(err)
	}
	if r := basicForm(b, "/oauth2/default/v1/introspect"); r.status != 200 || r.json(t)["active"] != false {
		t.Fatalf("introspect on B after revoke on A: %d %s", r.status, r.body)
	}

	// Deactivated on A: B refuses the client after its next reload, which
	// its watcher does on its own.
	if r := a.mgmt(t, http.MethodPost, "/api/v1/apps/"+clientID+"/lifecycle/deactivate", nil); r.status != 200 {
		t.Fatalf("deactivate: %d %s", r.status, r.body)
	}
	watchCtx, stop := context.WithCancel(ctx)
	defer stop()
	go b.App.Cache.Watch(watchCtx, 50*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err = tokenclient.ClientCredentials(ctx, b.HTTP, onB, a.assertion(t, clientID, key, kid, orgTokenURL), "")
		if err != nil && strings.Contains(err.Error(), "invalid_client") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica B still accepts a client deactivated on A: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
