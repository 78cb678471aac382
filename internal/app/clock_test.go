package app

import (
	"context"
	"crypto"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

// TestAppClock: one clock given to app.New moves token expiry, sessions and
// stored times together, with no sleep.
func TestAppClock(t *testing.T) {
	clock := &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	ts := serveWithOptions(t, WithClock(clock.now))
	ctx := context.Background()

	clientID, key, kid := ts.serviceApp(t, "bot")
	tokenURL := tokenclient.TokenURL(ts.URL, "default")
	ts.createScope(t, "default", "api", true)
	// The assertion is judged by the server's clock too.
	assertion, err := tokenclient.Assertion{ClientID: clientID, Audience: tokenURL, KID: kid, Key: key}.Sign(clock.now())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, assertion, "api")
	if err != nil {
		t.Fatal(err)
	}
	claims := decodeClaims(t, tok.AccessToken)
	if int64(claims["iat"].(float64)) != clock.now().Unix() {
		t.Fatalf("iat %v, want the fake clock's %d", claims["iat"], clock.now().Unix())
	}
	introspect := func() bool {
		assertion, err := tokenclient.Assertion{ClientID: clientID, Audience: ts.URL + "/oauth2/default/v1/introspect", KID: kid, Key: key}.Sign(clock.now())
		if err != nil {
			t.Fatal(err)
		}
		a := ts.form(t, "/oauth2/default/v1/introspect", "", url.Values{"token": {tok.AccessToken},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}})
		if a.status != 200 {
			t.Fatalf("introspect: %d %s", a.status, a.body)
		}
		return a.json(t)["active"] == true
	}
	if !introspect() {
		t.Fatal("a fresh token is inactive")
	}
	clock.add(59 * time.Minute)
	if !introspect() {
		t.Fatal("the token expired before its hour")
	}
	clock.add(2 * time.Minute)
	if introspect() {
		t.Fatal("the token is active after its hour on the app's clock")
	}

	// Sessions follow the same clock: two idle hours end one.
	ts.newUser(t, "ada@example.com")
	b := signedInBrowser(t, ts, "ada@example.com", "Correct-Horse-42")
	if p := b.get(t, ts.Addr+"/api/v1/sessions/me"); p.status != 200 {
		t.Fatalf("fresh session: %d", p.status)
	}
	clock.add(2*time.Hour + time.Second)
	if p := b.get(t, ts.Addr+"/api/v1/sessions/me"); p.status != 404 {
		t.Fatalf("session after two idle hours on the app's clock: %d", p.status)
	}
}

// TestFixedKeys: servers get the key named after them, so two orgs made
// with the same keys publish the same key set.
func TestFixedKeys(t *testing.T) {
	fixed, err := keys.GenerateServerKeys("org", "default")
	if err != nil {
		t.Fatal(err)
	}
	data, err := fixed.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := keys.ParseServerKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		ts := serveWithOptions(t, WithFixedKeys(loaded.Lookup))
		for server, path := range map[string]string{"org": "/oauth2/v1/keys", "default": "/oauth2/default/v1/keys"} {
			a := ts.do(t, http.MethodGet, path, "", "", nil)
			ks := a.json(t)["keys"].([]any)
			if len(ks) != 1 || ks[0].(map[string]any)["kid"] != keys.Thumbprint(fixed[server].Public()) {
				t.Fatalf("%s publishes %s, want only the fixed key", server, a.body)
			}
		}
	}
	if _, err := keys.ParseServerKeys([]byte(`{"servers":{"org":{"kty":"oct","k":"AAAA"}}}`)); err == nil {
		t.Fatal("a symmetric key was accepted as a server key")
	}
	dup := []byte(`{"servers":{"a":` + string(mustPrivateJWK(t, fixed["org"])) + `,"b":` + string(mustPrivateJWK(t, fixed["org"])) + `}}`)
	if _, err := keys.ParseServerKeys(dup); err == nil {
		t.Fatal("one key for two servers was accepted")
	}
}

func mustPrivateJWK(t *testing.T, k crypto.Signer) []byte {
	t.Helper()
	b, err := keys.PrivateJWK(k, keys.Thumbprint(k.Public()), "RS256", "sig")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
