package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

// TestManagementErrors: every bad input gets an Okta error object, never a
// 500, and nothing stored is lost.
func TestManagementErrors(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		check := func(name string, a answer, status int, code string) {
			t.Helper()
			if a.status != status || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") || a.header.Get("X-Okta-Request-Id") == "" {
				t.Errorf("%s: %d %s %v", name, a.status, a.body, a.header)
				return
			}
			m := a.json(t)
			if m["errorCode"] != code || m["errorId"] == nil || m["errorLink"] != code {
				t.Errorf("%s: %s", name, a.body)
			}
			if _, ok := m["errorCauses"].([]any); !ok {
				t.Errorf("%s: errorCauses is not an array: %s", name, a.body)
			}
		}
		check("no credentials", ts.do(t, http.MethodGet, "/api/v1/apps", "", "", nil), 401, "E0000011")
		check("wrong SSWS", ts.do(t, http.MethodGet, "/api/v1/apps", "SSWS 00nope", "", nil), 401, "E0000011")
		check("garbage bearer", ts.do(t, http.MethodGet, "/api/v1/apps", "Bearer x.y.z", "", nil), 401, "E0000011")
		check("unknown app", ts.mgmt(t, http.MethodGet, "/api/v1/apps/0oaNOPE", nil), 404, "E0000007")
		check("malformed JSON", ts.do(t, http.MethodPost, "/api/v1/apps", "SSWS "+ts.APIToken, "application/json", []byte(`{"label":`)), 400, "E0000003")
		check("huge body", ts.do(t, http.MethodPost, "/api/v1/apps", "SSWS "+ts.APIToken, "application/json", []byte(`{"label":"`+strings.Repeat("a", 2<<20)+`"}`)), 400, "E0000003")
		check("unknown path", ts.mgmt(t, http.MethodGet, "/api/v1/nothing-here", nil), 404, "E0000008")
		check("wrong method", ts.mgmt(t, http.MethodPatch, "/api/v1/apps", nil), 405, "E0000022")
		check("validation", ts.mgmt(t, http.MethodPost, "/api/v1/apps", map[string]any{"name": "oidc_client", "signOnMode": "OPENID_CONNECT",
			"settings": map[string]any{"oauthClient": map[string]any{"application_type": "service", "grant_types": []string{"client_credentials"}}}}), 400, "E0000001")
		check("unknown grant scope", ts.mgmt(t, http.MethodPost, "/api/v1/apps/0oaNOPE/grants", map[string]string{"scopeId": "okta.users.read", "issuer": ts.URL}), 404, "E0000007")

		clientID, _, _ := ts.serviceApp(t, "errs")
		check("grant of a non-Okta scope", ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+clientID+"/grants", map[string]string{"scopeId": "profile", "issuer": ts.URL}), 400, "E0000001")
		check("grant for another issuer", ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+clientID+"/grants", map[string]string{"scopeId": "okta.users.read", "issuer": "https://elsewhere.example.com"}), 400, "E0000001")
		check("delete active", ts.mgmt(t, http.MethodDelete, "/api/v1/apps/"+clientID, nil), 403, "E0000056")
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+clientID, nil); a.status != 200 || a.json(t)["status"] != "ACTIVE" {
			t.Fatalf("refused delete changed the app: %d %s", a.status, a.body)
		}

		// Pagination follows one Link header per relation.
		for i := 0; i < 4; i++ {
			ts.serviceApp(t, "page-"+string(rune('a'+i)))
		}
		seen := map[string]bool{}
		next := "/api/v1/apps?limit=2"
		for pages := 0; next != "" && pages < 10; pages++ {
			a := ts.mgmt(t, http.MethodGet, next, nil)
			var apps []map[string]any
			if err := json.Unmarshal(a.body, &apps); err != nil || a.status != 200 {
				t.Fatalf("list: %d %s", a.status, a.body)
			}
			for _, app := range apps {
				if seen[app["id"].(string)] {
					t.Fatalf("app %s listed twice", app["id"])
				}
				seen[app["id"].(string)] = true
			}
			next = ""
			links := a.header.Values("Link")
			if len(links) == 0 || !strings.HasSuffix(links[0], `>; rel="self"`) {
				t.Fatalf("links %v", links)
			}
			for _, l := range links[1:] {
				if strings.HasSuffix(l, `>; rel="next"`) {
					next = strings.TrimPrefix(strings.TrimSuffix(l, `>; rel="next"`), "<"+ts.URL)
				}
			}
		}
		if len(seen) != 5 {
			t.Fatalf("walked %d apps, want 5", len(seen))
		}
	})
}

// TestDynamicClientRegistration covers /oauth2/v1/clients (§2.10).
func TestDynamicClientRegistration(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		a := ts.mgmt(t, http.MethodPost, "/oauth2/v1/clients", map[string]any{"client_name": "Web", "redirect_uris": []string{"https://web.example.com/cb"}})
		if a.status != 201 {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		c := a.json(t)
		id, secret := c["client_id"].(string), c["client_secret"].(string)
		if c["application_type"] != "web" || c["token_endpoint_auth_method"] != "client_secret_basic" || secret == "" || c["client_secret_expires_at"] != float64(0) {
			t.Fatalf("defaults: %s", a.body)
		}
		if g := ts.mgmt(t, http.MethodGet, "/oauth2/v1/clients/"+id, nil); g.status != 200 || strings.Contains(string(g.body), secret) {
			t.Fatalf("get: %d %s", g.status, g.body)
		}
		// DCR apps default to consent REQUIRED; the Apps API shows it.
		if g := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+id, nil); !strings.Contains(string(g.body), `"consent_method":"REQUIRED"`) {
			t.Fatalf("apps view: %s", g.body)
		}
		bad := ts.mgmt(t, http.MethodPost, "/oauth2/v1/clients", map[string]any{"redirect_uris": []string{"https://x.example.com/cb"}})
		if m := bad.json(t); bad.status != 400 || m["error"] != "invalid_client_metadata" || m["error_description"] != "client_name: The field cannot be left blank" {
			t.Fatalf("no client_name: %d %s", bad.status, bad.body)
		}
		bad = ts.do(t, http.MethodPost, "/oauth2/v1/clients", "SSWS "+ts.APIToken, "application/json", []byte("[1,2"))
		if bad.status != 400 || bad.json(t)["error"] != "invalid_client_metadata" {
			t.Fatalf("malformed: %d %s", bad.status, bad.body)
		}
		// New secret: the old one stops working, the new one works.
		ns := ts.mgmt(t, http.MethodPost, "/oauth2/v1/clients/"+id+"/lifecycle/newSecret", nil)
		secret2, _ := ns.json(t)["client_secret"].(string)
		if ns.status != 200 || secret2 == "" || secret2 == secret {
			t.Fatalf("newSecret: %d %s", ns.status, ns.body)
		}
		// Replace, then delete.
		put := ts.mgmt(t, http.MethodPut, "/oauth2/v1/clients/"+id, map[string]any{"client_name": "Web 2", "redirect_uris": []string{"https://web.example.com/cb2"}})
		if put.status != 200 || put.json(t)["client_name"] != "Web 2" {
			t.Fatalf("put: %d %s", put.status, put.body)
		}
		if d := ts.mgmt(t, http.MethodDelete, "/oauth2/v1/clients/"+id, nil); d.status != 204 || len(d.body) != 0 {
			t.Fatalf("delete: %d %s", d.status, d.body)
		}
		if g := ts.mgmt(t, http.MethodGet, "/oauth2/v1/clients/"+id, nil); g.status != 404 || g.json(t)["errorCode"] != "E0000007" {
			t.Fatalf("after delete: %d %s", g.status, g.body)
		}
	})
}

// TestClientSecretJWTAndJWKSURI covers the two remaining ways to sign an
// assertion: HMAC with the client secret, and a key published at the
// client's jwks_uri.
func TestClientSecretJWTAndJWKSURI(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ts.createScope(t, "default", "jobs:run", true)
		tokenURL := tokenclient.TokenURL(ts.URL, "default")
		ctx := context.Background()

		a := ts.mgmt(t, http.MethodPost, "/oauth2/v1/clients", map[string]any{"client_name": "HMAC", "application_type": "service",
			"grant_types": []string{"client_credentials"}, "token_endpoint_auth_method": "client_secret_jwt"})
		if a.status != 201 {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		c := a.json(t)
		id, sec := c["client_id"].(string), c["client_secret"].(string)
		hmacAssertion := func(key []byte) string {
			s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: key}, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(map[string]any{"iss": id, "sub": id, "aud": tokenURL, "exp": time.Now().Add(time.Minute).Unix(), "jti": time.Now().String()})
			o, err := s.Sign(b)
			if err != nil {
				t.Fatal(err)
			}
			out, err := o.CompactSerialize()
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		if _, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, hmacAssertion([]byte(sec)), ""); err != nil {
			t.Fatalf("client_secret_jwt: %v", err)
		}
		_, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, hmacAssertion([]byte(sec+"-wrong-secret-padding")), "")
		expectOAuthError(t, err, 401, "invalid_client", "The client_assertion signature is invalid.")

		// Rotation: a second secret is an HMAC key too, sealed like the
		// first; once the first is deactivated only the second signs.
		added := ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+id+"/credentials/secrets", nil)
		if added.status != 201 {
			t.Fatalf("add secret: %d %s", added.status, added.body)
		}
		sec2 := added.json(t)["client_secret"].(string)
		for _, k := range []string{sec, sec2} {
			if _, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, hmacAssertion([]byte(k)), ""); err != nil {
				t.Fatalf("client_secret_jwt with either of two secrets: %v", err)
			}
		}
		var secrets []map[string]any
		if err := json.Unmarshal(ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+id+"/credentials/secrets", nil).body, &secrets); err != nil {
			t.Fatal(err)
		}
		if d := ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+id+"/credentials/secrets/"+secrets[0]["id"].(string)+"/lifecycle/deactivate", nil); d.status != 200 {
			t.Fatalf("deactivate: %d %s", d.status, d.body)
		}
		_, err = tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, hmacAssertion([]byte(sec)), "")
		expectOAuthError(t, err, 401, "invalid_client", "The client_assertion signature is invalid.")
		if _, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, hmacAssertion([]byte(sec2)), ""); err != nil {
			t.Fatalf("the remaining secret: %v", err)
		}

		// jwks_uri served on loopback, with a key that rotates.
		k1, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		current := k1
		jwksSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			pub, err := keys.PublicJWK(&current.PublicKey, "k-"+current.N.String()[:8], "RS256", "sig")
			if err != nil {
				// A handler: no t.Fatal here; the client sees the failure.
				t.Error(err)
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(keys.JWKS(pub))
		}))
		defer jwksSrv.Close()
		a = ts.mgmt(t, http.MethodPost, "/oauth2/v1/clients", map[string]any{"client_name": "URI", "application_type": "service",
			"grant_types": []string{"client_credentials"}, "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": jwksSrv.URL + "/keys"})
		if a.status != 201 {
			t.Fatalf("create jwks_uri client: %d %s", a.status, a.body)
		}
		uriID := a.json(t)["client_id"].(string)
		if _, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, ts.assertion(t, uriID, k1, "k-"+k1.N.String()[:8], tokenURL), ""); err != nil {
			t.Fatalf("jwks_uri key: %v", err)
		}
		k2, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		current = k2
		// A new kid makes Sesame refetch (after the minimum interval); until
		// then the unknown kid is refused, never a 500.
		_, err = tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, ts.assertion(t, uriID, k2, "k-"+k2.N.String()[:8], tokenURL), "")
		if err == nil {
			return
		}
		expectOAuthError(t, err, 401, "invalid_client", "The client_assertion JWT kid is invalid.")
	})
}

// TestScopesAPI covers /api/v1/authorizationServers/{id}/scopes (§4.3): the
// guide's default scope.
func TestScopesAPI(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		base := "/api/v1/authorizationServers/default/scopes"
		a := ts.mgmt(t, http.MethodPost, base, map[string]any{"name": "om:ingest", "default": true, "metadataPublish": "ALL_CLIENTS", "extra": 1})
		if a.status != 201 {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		sc := a.json(t)
		if !strings.HasPrefix(sc["id"].(string), "scp") || sc["consent"] != "IMPLICIT" || sc["default"] != true || sc["system"] != false || sc["displayName"] != "" {
			t.Fatalf("scope: %s", a.body)
		}
		id := sc["id"].(string)
		for name, body := range map[string]map[string]any{
			"duplicate": {"name": "om:ingest"}, "reserved": {"name": "okta.users.read"}, "blank": {"name": ""},
			"space": {"name": "a b"}, "bad consent": {"name": "x", "consent": "SOMETIMES"},
		} {
			if r := ts.mgmt(t, http.MethodPost, base, body); r.status != 400 || r.json(t)["errorCode"] != "E0000001" {
				t.Errorf("%s: %d %s", name, r.status, r.body)
			}
		}
		if r := ts.mgmt(t, http.MethodPost, "/api/v1/authorizationServers/ausNOPE/scopes", map[string]any{"name": "x"}); r.status != 404 || r.json(t)["errorCode"] != "E0000007" {
			t.Errorf("unknown server: %d %s", r.status, r.body)
		}
		var list []map[string]any
		if err := json.Unmarshal(ts.mgmt(t, http.MethodGet, base, nil).body, &list); err != nil {
			t.Fatal(err)
		}
		var openidID string
		names := map[string]bool{}
		for _, s := range list {
			names[s["name"].(string)] = true
			if s["name"] == "openid" {
				openidID = s["id"].(string)
				if s["system"] != true {
					t.Errorf("openid is not a system scope: %v", s)
				}
			}
		}
		for _, n := range []string{"openid", "profile", "email", "address", "phone", "offline_access", "device_sso", "om:ingest"} {
			if !names[n] {
				t.Errorf("scope %s missing from %v", n, names)
			}
		}
		if r := ts.mgmt(t, http.MethodDelete, base+"/"+openidID, nil); r.status != 403 {
			t.Errorf("deleting a system scope: %d %s", r.status, r.body)
		}
		// Published scopes appear in discovery.
		if m := ts.do(t, http.MethodGet, "/oauth2/default/.well-known/openid-configuration", "", "", nil).json(t); !hasAll(m["scopes_supported"], "om:ingest") {
			t.Errorf("published scope not in discovery: %v", m["scopes_supported"])
		}
		put := ts.mgmt(t, http.MethodPut, base+"/"+id, map[string]any{"name": "om:ingest", "default": false, "consent": "REQUIRED"})
		if put.status != 200 || put.json(t)["consent"] != "REQUIRED" {
			t.Fatalf("put: %d %s", put.status, put.body)
		}
		// A REQUIRED-consent scope cannot be had by client_credentials.
		clientID, key, kid := ts.serviceApp(t, "consent")
		tokenURL := tokenclient.TokenURL(ts.URL, "default")
		_, err := tokenclient.ClientCredentials(context.Background(), ts.HTTP, tokenURL, ts.assertion(t, clientID, key, kid, tokenURL), "om:ingest")
		expectOAuthError(t, err, 400, "consent_required", "The following scopes require user consent and cannot be granted for the client credentials grant type: [om:ingest].")
		if d := ts.mgmt(t, http.MethodDelete, base+"/"+id, nil); d.status != 204 {
			t.Fatalf("delete: %d %s", d.status, d.body)
		}
		_, err = tokenclient.ClientCredentials(context.Background(), ts.HTTP, tokenURL, ts.assertion(t, clientID, key, kid, tokenURL), "om:ingest")
		expectOAuthError(t, err, 400, "invalid_scope", "One or more scopes are not configured for the authorization server resource.")
	})
}

// TestRateLimits: every limited response carries Okta's headers, and a
// request over the limit gets what the Okta SDKs back off from.
func TestRateLimits(t *testing.T) {
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The limiter's one-minute windows follow the app clock, held still
	// here, so that the requests cannot straddle a minute.
	clock := &fakeClock{t: time.Now().Truncate(time.Minute).Add(10 * time.Second)}
	ts := serveReplicaWith(t, st, sealer, "", true, []func(*config.Config){func(c *config.Config) { c.RateLimits = map[string]int{"apps": 2, "token": 100} }}, []Option{WithClock(clock.now)})
	for i := 0; i < 2; i++ {
		a := ts.mgmt(t, http.MethodGet, "/api/v1/apps", nil)
		if a.status != 200 || a.header.Get("X-Rate-Limit-Limit") != "2" || a.header.Get("X-Rate-Limit-Reset") == "" {
			t.Fatalf("request %d: %d %v", i, a.status, a.header)
		}
	}
	a := ts.mgmt(t, http.MethodGet, "/api/v1/apps", nil)
	reset, err := strconv.ParseInt(a.header.Get("X-Rate-Limit-Reset"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	date, derr := http.ParseTime(a.header.Get("Date"))
	if a.status != 429 || a.json(t)["errorCode"] != "E0000047" || derr != nil || date.Unix() != clock.now().Unix() || reset != date.Unix()+50 || a.header.Get("X-Okta-Request-Id") == "" {
		t.Fatalf("over the limit: %d %s %v", a.status, a.body, a.header)
	}
	// Another class is not affected.
	if r := ts.do(t, http.MethodPost, "/oauth2/default/v1/token", "", "application/x-www-form-urlencoded", []byte("grant_type=client_credentials")); r.status == 429 || r.header.Get("X-Rate-Limit-Limit") != "100" {
		t.Fatalf("token class: %d %v", r.status, r.header)
	}
}
