package app

import (
	"bytes"
	"context"
	"crypto"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

// testServer is a real Sesame serving HTTP on a loopback port.
type testServer struct {
	URL      string // the org URL
	Addr     string // where this replica listens
	APIToken string
	App      *App
	HTTP     *http.Client
}

// backends runs fn once per storage backend: SQLite always, PostgreSQL when
// SESAME_TEST_DATABASE_URL is set (make test always sets it).
func backends(t *testing.T, fn func(t *testing.T, open func(t *testing.T) store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, func(t *testing.T) store.Store {
			st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "sesame.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		})
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("SESAME_TEST_DATABASE_URL")
		if base == "" {
			t.Skip("SESAME_TEST_DATABASE_URL is not set; make test sets it")
		}
		fn(t, func(t *testing.T) store.Store { return freshPostgres(t, base) })
	})
}

// freshPostgresURL creates a database of its own for one test, dropped
// afterwards, and returns its URL.
func freshPostgresURL(t *testing.T, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	name := "sesame_it_" + strings.ToLower(secret.RandomString(12))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	// Cleanups run last-registered first: the stores opened on the
	// database close before it is dropped.
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// openPostgres opens a store on url, closed when the test ends.
func openPostgres(t *testing.T, url string) store.Store {
	t.Helper()
	st, err := sqlstore.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// freshPostgres opens a store on a database of its own.
func freshPostgres(t *testing.T, base string) store.Store {
	return openPostgres(t, freshPostgresURL(t, base))
}

// startServer initializes an org on st and serves it.
func startServer(t *testing.T, st store.Store) *testServer {
	t.Helper()
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	return serveReplica(t, st, sealer, "", true)
}

// serveReplica serves st on a loopback port. orgURL is the public org URL
// every replica of one install shares (empty: this replica's own address);
// initialize creates the org first.
func serveReplica(t *testing.T, st store.Store, sealer *keys.Sealer, orgURL string, initialize bool, opts ...func(*config.Config)) *testServer {
	t.Helper()
	return serveReplicaWith(t, st, sealer, orgURL, initialize, opts, nil)
}

// startServerWith is startServer with app options (a clock, say).
func startServerWith(t *testing.T, st store.Store, appOpts ...Option) *testServer {
	t.Helper()
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	return serveReplicaWith(t, st, sealer, "", true, nil, appOpts)
}

func serveReplicaWith(t *testing.T, st store.Store, sealer *keys.Sealer, orgURL string, initialize bool, opts []func(*config.Config), appOpts []Option) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if orgURL == "" {
		orgURL = "http://" + ln.Addr().String()
	}
	cfg := config.Config{Addr: ln.Addr().String(), URL: orgURL, DataDir: t.TempDir()}
	for _, o := range opts {
		o(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx := context.Background()
	a, err := New(ctx, cfg, st, sealer, log, appOpts...)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after the store's cleanup, so it runs first: the queued
	// System Log events are written while the store is still open.
	t.Cleanup(a.Audit.Close)
	ts := &testServer{URL: orgURL, App: a}
	if initialize {
		res, err := a.Service.Initialize(ctx, "Test Org", service.Admin{Email: "admin@example.com"}, true)
		if err != nil {
			t.Fatal(err)
		}
		ts.APIToken = res.APIToken
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: a.Handler()}}
	srv.Start()
	t.Cleanup(srv.Close)
	ts.Addr = "http://" + ln.Addr().String()
	ts.HTTP = srv.Client()
	return ts
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// serveWithOptions initializes an org on a fresh SQLite store built with
// opts and serves it.
func serveWithOptions(t *testing.T, opts ...Option) *testServer {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "sesame.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	orgURL := "http://" + ln.Addr().String()
	a, err := New(ctx, config.Config{Addr: ln.Addr().String(), URL: orgURL, DataDir: t.TempDir()}, st, sealer,
		slog.New(slog.NewTextHandler(io.Discard, nil)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Service.Initialize(ctx, "Test Org", service.Admin{Email: "admin@example.com"}, true)
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: a.Handler()}}
	srv.Start()
	t.Cleanup(srv.Close)
	return &testServer{URL: orgURL, Addr: orgURL, APIToken: res.APIToken, App: a, HTTP: srv.Client()}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("status %d, body is not a JSON object: %s", a.status, a.body)
	}
	return m
}

func (ts *testServer) do(t *testing.T, method, path, auth, contentType string, body []byte) answer {
	t.Helper()
	a, err := ts.tryDo(method, path, auth, contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// tryDo is do for goroutines other than the test's, which must not call
// t.Fatal: it returns the error instead.
func (ts *testServer) tryDo(method, path, auth, contentType string, body []byte) (answer, error) {
	req, err := http.NewRequest(method, ts.Addr+path, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{resp.StatusCode, resp.Header, b}, nil
}

func (ts *testServer) mgmt(t *testing.T, method, path string, body any) answer {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	return ts.do(t, method, path, "SSWS "+ts.APIToken, "application/json", b)
}

func (ts *testServer) form(t *testing.T, path, auth string, v url.Values) answer {
	t.Helper()
	return ts.do(t, http.MethodPost, path, auth, "application/x-www-form-urlencoded", []byte(v.Encode()))
}

// serviceApp registers a private_key_jwt service app by DCR with a key made
// the way `sesame keys generate` makes it.
func (ts *testServer) serviceApp(t *testing.T, name string) (clientID string, key crypto.Signer, kid string) {
	t.Helper()
	g, err := keys.GenerateSet(keys.GenerateOptions{KID: name + "-key", Alg: "RS256", Size: 2048, Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	var jwks map[string]any
	if err := json.Unmarshal([]byte(g.PublicJWKS), &jwks); err != nil {
		t.Fatal(err)
	}
	a := ts.mgmt(t, http.MethodPost, "/oauth2/v1/clients", map[string]any{
		"client_name": name, "application_type": "service", "grant_types": []string{"client_credentials"},
		"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks,
	})
	if a.status != http.StatusCreated {
		t.Fatalf("DCR: %d %s", a.status, a.body)
	}
	m := a.json(t)
	if _, ok := m["client_secret"]; ok {
		t.Fatalf("private_key_jwt client got a secret: %s", a.body)
	}
	key, fileKID, err := keys.ParsePrivateKey([]byte(g.PrivateJWK))
	if err != nil {
		t.Fatal(err)
	}
	return m["client_id"].(string), key, fileKID
}

func (ts *testServer) assertion(t *testing.T, clientID string, key crypto.Signer, kid, aud string) string {
	t.Helper()
	s, err := tokenclient.Assertion{ClientID: clientID, Audience: aud, KID: kid, Key: key}.Sign(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// createScope adds a custom scope through the management API, as the
// guide's step 5 does.
func (ts *testServer) createScope(t *testing.T, server, name string, def bool) {
	t.Helper()
	a := ts.mgmt(t, http.MethodPost, "/api/v1/authorizationServers/"+server+"/scopes",
		map[string]any{"name": name, "description": "test scope", "default": def, "metadataPublish": "ALL_CLIENTS"})
	if a.status != http.StatusCreated {
		t.Fatalf("create scope %s: %d %s", name, a.status, a.body)
	}
}

func expectOAuthError(t *testing.T, err error, status int, code, desc string) {
	t.Helper()
	te, ok := err.(*tokenclient.Error)
	if !ok {
		t.Fatalf("want OAuth error %s, got %v", code, err)
	}
	if te.Response.Status != status || te.Response.Error != code || te.Response.ErrorDescription != desc {
		t.Fatalf("got %d %s %q, want %d %s %q", te.Response.Status, te.Response.Error, te.Response.ErrorDescription, status, code, desc)
	}
}

func decodeClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// nextLink returns the path and query of the rel="next" Link header, or "";
// it fails unless rel="self" comes first, one header per relation.
func nextLink(t *testing.T, ts *testServer, a answer) string {
	t.Helper()
	links := a.header.Values("Link")
	if len(links) == 0 || !strings.HasSuffix(links[0], `>; rel="self"`) {
		t.Fatalf("links %v", links)
	}
	for _, l := range links[1:] {
		if strings.HasSuffix(l, `>; rel="next"`) {
			return strings.TrimPrefix(strings.TrimSuffix(l, `>; rel="next"`), "<"+ts.URL)
		}
	}
	return ""
}

func (a answer) list(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(a.body, &out); err != nil || a.status != 200 {
		t.Fatalf("list: %d %s", a.status, a.body)
	}
	return out
}

// errorCode checks an Okta error answer and returns its code.
func (a answer) errorCode(t *testing.T, status int) string {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	m := a.json(t)
	code, _ := m["errorCode"].(string)
	if code == "" || m["errorId"] == nil {
		t.Fatalf("not an Okta error object: %s", a.body)
	}
	return code
}

// orgBearer returns an org-server access token of a new service app granted
// the given Okta scopes.
func (ts *testServer) orgBearer(t *testing.T, name string, scopes ...string) string {
	t.Helper()
	clientID, key, kid := ts.serviceApp(t, name)
	for _, sc := range scopes {
		if g := ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+clientID+"/grants", map[string]string{"scopeId": sc, "issuer": ts.URL}); g.status != http.StatusCreated {
			t.Fatalf("grant %s: %d %s", sc, g.status, g.body)
		}
	}
	orgToken := tokenclient.TokenURL(ts.URL, "org")
	tok, err := tokenclient.ClientCredentials(context.Background(), ts.HTTP, orgToken, ts.assertion(t, clientID, key, kid, orgToken), strings.Join(scopes, " "))
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func urlQuery(s string) string { return url.QueryEscape(s) }

const strongPassword = "Correct-Horse-9-Battery"

// person is a create-user body with the four required attributes.
func person(login string) map[string]any {
	return map[string]any{"firstName": "Isaac", "lastName": "Brock", "email": login, "login": login}
}

func (ts *testServer) createUser(t *testing.T, query string, profile map[string]any, password string) map[string]any {
	t.Helper()
	body := map[string]any{"profile": profile}
	if password != "" {
		body["credentials"] = map[string]any{"password": map[string]any{"value": password}}
	}
	a := ts.mgmt(t, http.MethodPost, "/api/v1/users"+query, body)
	if a.status != 200 {
		t.Fatalf("create user %v: %d %s", profile["login"], a.status, a.body)
	}
	return a.json(t)
}

// wantError checks an Okta error answer and returns its causes.
func wantError(t *testing.T, name string, a answer, status int, code string) []string {
	t.Helper()
	if a.status != status {
		t.Errorf("%s: status %d, want %d: %s", name, a.status, status, a.body)
		return nil
	}
	m := a.json(t)
	if m["errorCode"] != code {
		t.Errorf("%s: errorCode %v, want %s: %s", name, m["errorCode"], code, a.body)
	}
	var causes []string
	cs, _ := m["errorCauses"].([]any)
	for _, c := range cs {
		causes = append(causes, c.(map[string]any)["errorSummary"].(string))
	}
	return causes
}

// newUser creates an active user through the Users API and returns its
// stored record.
// storedUser reads a user from the store, failing the test when it cannot.
func (ts *testServer) storedUser(t *testing.T, id string) *store.User {
	t.Helper()
	u, err := ts.App.Store.Users().Get(t.Context(), id)
	if err != nil {
		t.Fatalf("read user %s: %v", id, err)
	}
	return u
}

func (ts *testServer) newUser(t *testing.T, login string) *store.User {
	t.Helper()
	m := ts.createUser(t, "", map[string]any{"login": login, "email": login, "firstName": "Grace", "lastName": "Hopper"}, "Correct-Horse-42")
	u, err := ts.App.Store.Users().Get(context.Background(), m["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func eventTypes(t *testing.T, ts *testServer) map[string]int {
	t.Helper()
	ts.App.Audit.Flush() // token and sign-in events are written in batches
	events, err := ts.App.Store.Audit().List(context.Background(), store.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range events {
		out[e.EventType]++
	}
	return out
}

func (ts *testServer) create(t *testing.T, path string, body any) map[string]any {
	t.Helper()
	a := ts.mgmt(t, http.MethodPost, path, body)
	if a.status != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", path, a.status, a.body)
	}
	return a.json(t)
}

// sharedBackends runs fn once per storage backend with open returning a new
// store on one shared database each time, as separate replicas have: SQLite
// (one file, opened by several stores as several processes would) always,
// PostgreSQL when SESAME_TEST_DATABASE_URL is set.
func sharedBackends(t *testing.T, fn func(t *testing.T, open func(t *testing.T) store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sesame.db")
		fn(t, func(t *testing.T) store.Store {
			st, err := sqlstore.OpenSQLite(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		})
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("SESAME_TEST_DATABASE_URL")
		if base == "" {
			t.Skip("SESAME_TEST_DATABASE_URL is not set; make test sets it")
		}
		dbURL := freshPostgresURL(t, base)
		fn(t, func(t *testing.T) store.Store { return openPostgres(t, dbURL) })
	})
}

// exchange redeems a code at the token endpoint as a public client.
func exchange(t *testing.T, ts *testServer, clientID, code, verifier, redirect string) answer {
	t.Helper()
	return ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID},
		"code": {code}, "code_verifier": {verifier}, "redirect_uri": {redirect}})
}

func wantOAuth(t *testing.T, name string, a answer, status int, code, desc string) {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatal(err)
	}
	if a.status != status || m["error"] != code || m["error_description"] != desc {
		t.Errorf("%s: got %d %s, want %d %s %q", name, a.status, a.body, status, code, desc)
	}
}

func introspectActive(t *testing.T, ts *testServer, clientID, tok string) bool {
	t.Helper()
	a := ts.form(t, "/oauth2/default/v1/introspect", "Basic "+basic(clientID), url.Values{"token": {tok}})
	if a.status != 200 {
		t.Fatalf("introspect: %d %s", a.status, a.body)
	}
	return a.json(t)["active"] == true
}

// basic is okta-auth-js's Basic base64(client_id) for public clients.
func basic(clientID string) string { return base64.StdEncoding.EncodeToString([]byte(clientID)) }

func basicSecret(id, secret string) string { return basic(id + ":" + secret) }

func hasAll(v any, want ...string) bool {
	arr, _ := v.([]any)
	var got []string
	for _, x := range arr {
		if s, ok := x.(string); ok {
			got = append(got, s)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}
