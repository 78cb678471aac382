package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

// TestThreeReplicasSurviveKillAndDatabaseRestart runs three `sesame serve`
// processes on one PostgreSQL behind a round-robin proxy, under a load of
// client-credentials grants, code exchanges with refresh-token rotation and
// user creations. One replica is killed with SIGKILL mid-load: only the
// requests in flight to it fail, and the two others keep serving. Then the
// database goes away (a TCP proxy in front of PostgreSQL cuts every
// connection and refuses new ones, as a restart does) and comes back:
// meanwhile requests fail with 503 in Okta's error shapes, and afterwards
// they succeed again without restarting Sesame. At the end every
// acknowledged grant, rotation and user is there, once.
func TestThreeReplicasSurviveKillAndDatabaseRestart(t *testing.T) {
	base := os.Getenv("SESAME_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("SESAME_TEST_DATABASE_URL is not set; make test sets it")
	}
	ctx := context.Background()
	dir := t.TempDir()
	pg, dbURL := postgresBehindProxy(t, base, "sesame_kill_")

	// The load balancer's address is the org URL of every replica.
	lb := newRoundRobin(t)
	orgURL := lb.url
	keyFile := filepath.Join(dir, "master.key")
	tokenFile := filepath.Join(dir, "api-token")
	if out, err := run(ctx, t, "", "init", "--database-url", dbURL.String(), "--master-key-file", keyFile, "--url", orgURL,
		"--admin-email", "ops@example.com", "--api-token-file", tokenFile); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	apiToken := strings.TrimSpace(string(tok))
	var procs []*process
	for range 3 {
		addr := freeAddr(t)
		p := startProcess(t, nil, "serve", "--addr", addr, "--url", orgURL, "--database-url", dbURL.String(), "--master-key-file", keyFile)
		procs = append(procs, p)
		lb.add("http://" + addr)
	}
	for _, p := range procs {
		p.waitFor(t, "Sesame is serving")
	}

	// Clients: a service app, and a single-page app a person signed in to.
	c := &loadClient{t: t, lb: lb, apiToken: apiToken}
	clientID, assertion := serviceClient(t, orgURL, apiToken)
	spaID := c.spa()

	// The load: each worker records what was acknowledged, and every
	// request that failed.
	var (
		stop     atomic.Bool
		phase    atomic.Int32 // 0 before the kill, 1 after it, 2 database down, 3 back
		wg       sync.WaitGroup
		mu       sync.Mutex
		ccTokens []ccGrant
		chains   []*refreshChain
		users    []string
		failures []failure
		okAfter  = map[int32]map[int]int{} // phase → backend → successes
	)
	record := func(r result) {
		mu.Lock()
		defer mu.Unlock()
		if r.err != nil {
			failures = append(failures, failure{result: r, phase: phase.Load()})
			return
		}
		if okAfter[phase.Load()] == nil {
			okAfter[phase.Load()] = map[int]int{}
		}
		okAfter[phase.Load()][r.backend]++
	}
	worker := func(fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				fn()
			}
		}()
	}
	for range 2 {
		worker(func() {
			as, err := assertion.Sign(time.Now())
			if err != nil {
				t.Error(err)
				return
			}
			r := c.tokenRequest(url.Values{"grant_type": {"client_credentials"},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {as}})
			record(r.result)
			if r.err == nil {
				mu.Lock()
				ccTokens = append(ccTokens, ccGrant{accessToken: r.body["access_token"].(string), assertion: as})
				mu.Unlock()
			}
		})
	}
	worker(func() {
		ch := &refreshChain{}
		code, verifier, res := c.authorizeCode(spaID)
		record(res)
		if res.err != nil {
			return
		}
		r := c.tokenRequest(url.Values{"grant_type": {"authorization_code"}, "client_id": {spaID}, "code": {code},
			"code_verifier": {verifier}, "redirect_uri": {spaRedirect}})
		record(r.result)
		if r.err != nil {
			return
		}
		ch.code, ch.verifier = code, verifier
		ch.tokens = append(ch.tokens, r.body["refresh_token"].(string))
		mu.Lock()
		chains = append(chains, ch)
		mu.Unlock()
		for range 3 {
			if stop.Load() {
				return
			}
			r := c.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "client_id": {spaID},
				"refresh_token": {ch.tokens[len(ch.tokens)-1]}, "scope": {"openid offline_access"}})
			record(r.result)
			if r.err != nil {
				// Unknown whether it rotated: this chain is done.
				ch.uncertain = true
				return
			}
			mu.Lock()
			ch.tokens = append(ch.tokens, r.body["refresh_token"].(string))
			mu.Unlock()
		}
	})
	var userN atomic.Int64
	worker(func() {
		login := fmt.Sprintf("load-%d@example.com", userN.Add(1))
		r := c.mgmt(http.MethodPost, "/api/v1/users?activate=false", fmt.Sprintf(`{"profile":{"login":%q,"email":%q,"firstName":"Load","lastName":"Test"}}`, login, login))
		record(r)
		if r.err == nil {
			mu.Lock()
			users = append(users, r.body["id"].(string))
			mu.Unlock()
		}
	})

	waitOK := func(ph int32, n int, backends ...int) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			enough := true
			for _, b := range backends {
				enough = enough && okAfter[ph][b] >= n
			}
			mu.Unlock()
			if enough {
				return
			}
			if time.Now().After(deadline) {
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("phase %d: successes by backend %v, want %d each from %v; failures %v", ph, okAfter[ph], n, backends, failures)
			}
		}
	}
	waitOK(0, 10, 0, 1, 2)

	// SIGKILL replica 2 while requests are in flight to it.
	killed := 2
	if err := procs[killed].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	procs[killed].waitExit(t)
	phase.Store(1)
	waitOK(1, 15, 0, 1)

	// The database goes away and comes back.
	// The phase changes first: a request the cut fails is then never
	// counted as a failure of the phase before.
	phase.Store(2)
	pg.cut()
	unavailable := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, f := range failures {
			if f.phase == 2 && f.status == http.StatusServiceUnavailable {
				n++
			}
		}
		return n
	}
	for deadline := time.Now().Add(60 * time.Second); unavailable() < 5; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no 503s while the database is down: %v", failures)
		}
	}
	pg.restore()
	phase.Store(3)
	waitOK(3, 10, 0, 1)
	stop.Store(true)
	wg.Wait()

	// Failures: before the database went away, only requests that were
	// in flight to the killed replica; while it was away, 503s in Okta's
	// shapes (and requests in flight when it went).
	var inFlight, down int
	for _, f := range failures {
		switch {
		case f.phase <= 1 && f.backend == killed && f.sent && f.started.Before(procs[killed].exitedAt()):
			inFlight++
		case f.phase >= 2 && f.status == http.StatusServiceUnavailable && f.oktaShaped:
			down++
		case f.phase >= 2 && f.status == http.StatusFound && strings.Contains(fmt.Sprint(f.body["location"]), "error=temporarily_unavailable"):
			// /authorize tells the app by redirect, in OAuth's shape.
			down++
		case f.phase == 2 && f.status == http.StatusServiceUnavailable:
			t.Errorf("a 503 not in Okta's shape: %s %s", f.what, f.body)
		case f.phase == 2 && f.status == http.StatusBadGateway && f.sent:
			// In flight when the connections were cut, on a request the
			// proxy could not retry.
		default:
			t.Errorf("unexpected failure in phase %d on backend %d: %s: status %d %v %s", f.phase, f.backend, f.what, f.status, f.err, f.body)
		}
	}

	// Everything acknowledged is there, once: each client-credentials
	// assertion is spent (replaying it fails) and its token is valid;
	// each code is spent and the newest refresh token of each chain works
	// (a lost rotation would leave an older one current); each user exists.
	mu.Lock()
	defer mu.Unlock()
	for _, g := range ccTokens {
		r := c.tokenRequest(url.Values{"grant_type": {"client_credentials"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {g.assertion}})
		if r.status != http.StatusUnauthorized || r.body["error"] != "invalid_client" {
			t.Fatalf("a used assertion replayed: %d %v", r.status, r.body)
		}
	}
	active := 0
	for _, g := range ccTokens[:min(len(ccTokens), 20)] {
		as2, err := tokenclient.Assertion{ClientID: clientID, Audience: orgURL + "/oauth2/default/v1/introspect", KID: assertion.KID, Key: assertion.Key}.Sign(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		r := c.form("/oauth2/default/v1/introspect", url.Values{"token": {g.accessToken},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {as2}})
		if r.err != nil || r.body["active"] != true {
			t.Fatalf("an acknowledged access token is not active: %v %v", r.err, r.body)
		}
		active++
	}
	rotations := 0
	for _, ch := range chains {
		if !ch.uncertain {
			rotations += len(ch.tokens) - 1
			r := c.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "client_id": {spaID},
				"refresh_token": {ch.tokens[len(ch.tokens)-1]}, "scope": {"openid offline_access"}})
			if r.err != nil {
				t.Fatalf("the newest refresh token of a chain of %d: %v %v", len(ch.tokens), r.err, r.body)
			}
		}
		// After the refresh: replaying a code revokes what it granted.
		r := c.tokenRequest(url.Values{"grant_type": {"authorization_code"}, "client_id": {spaID}, "code": {ch.code},
			"code_verifier": {ch.verifier}, "redirect_uri": {spaRedirect}})
		if r.status != http.StatusBadRequest || r.body["error"] != "invalid_grant" {
			t.Fatalf("a used code replayed: %d %v", r.status, r.body)
		}
	}
	for _, id := range users {
		r := c.mgmt(http.MethodGet, "/api/v1/users/"+id, "")
		if r.err != nil {
			t.Fatalf("acknowledged user %s: %v", id, r.err)
		}
	}
	t.Logf("acknowledged: %d client-credentials grants, %d code exchanges with %d rotations, %d users; failed: %d in flight to the killed replica, %d while the database was down",
		len(ccTokens), len(chains), rotations, len(users), inFlight, down)
	if inFlight+down == 0 {
		t.Log("note: no request was in flight to the killed replica")
	}
}

const spaRedirect = "http://spa.test/callback"

type ccGrant struct{ accessToken, assertion string }

// refreshChain is one sign-in's refresh tokens, each rotated from the one
// before; uncertain when a rotation's answer was lost.
type refreshChain struct {
	code, verifier string
	tokens         []string
	uncertain      bool
}

// result is one request through the load balancer.
type result struct {
	what       string
	backend    int
	sent       bool // the request reached the backend
	started    time.Time
	status     int
	body       map[string]any
	raw        string
	oktaShaped bool
	err        error
}

type failure struct {
	result
	phase int32
}

type tokenResult struct{ result }

// loadClient sends requests through the load balancer.
type loadClient struct {
	t        *testing.T
	lb       *roundRobin
	apiToken string
	browser  *http.Client
}

func (c *loadClient) do(what string, req *http.Request) result {
	r := result{what: what, started: time.Now(), backend: -1}
	client := c.browser
	if client == nil {
		client = c.lb.client
	}
	resp, err := client.Do(req)
	if err != nil {
		r.err = err
		return r
	}
	defer resp.Body.Close()
	fmt.Sscan(resp.Header.Get("X-Test-Backend"), &r.backend)
	r.sent = resp.Header.Get("X-Test-Sent") == "1"
	b, _ := io.ReadAll(resp.Body)
	r.status, r.raw = resp.StatusCode, string(b)
	json.Unmarshal(b, &r.body)
	_, hasOAuth := r.body["error"].(string)
	_, hasOkta := r.body["errorCode"].(string)
	r.oktaShaped = hasOAuth || hasOkta
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusFound {
		r.err = fmt.Errorf("%s: %d %s", what, resp.StatusCode, b)
	}
	if resp.StatusCode == http.StatusFound {
		r.body = map[string]any{"location": resp.Header.Get("Location")}
	}
	return r
}

func (c *loadClient) form(path string, v url.Values) result {
	req, _ := http.NewRequest(http.MethodPost, c.lb.url+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(path, req)
}

func (c *loadClient) tokenRequest(v url.Values) tokenResult {
	return tokenResult{c.form("/oauth2/default/v1/token", v)}
}

func (c *loadClient) mgmt(method, path, body string) result {
	req, _ := http.NewRequest(method, c.lb.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "SSWS "+c.apiToken)
	req.Header.Set("Content-Type", "application/json")
	return c.do(method+" "+path, req)
}

// spa creates a public single-page app with rotating refresh tokens, a
// person assigned to it, and signs the person in (the browser keeps the
// session cookie); it returns the app's client id.
func (c *loadClient) spa() string {
	t := c.t
	r := c.mgmt(http.MethodPost, "/api/v1/apps", `{"name":"oidc_client","label":"Load SPA","signOnMode":"OPENID_CONNECT",
		"credentials":{"oauthClient":{"token_endpoint_auth_method":"none"}},
		"settings":{"oauthClient":{"application_type":"browser","grant_types":["authorization_code","refresh_token"],
		"response_types":["code"],"redirect_uris":["`+spaRedirect+`"],"consent_method":"TRUSTED",
		"refresh_token":{"rotation_type":"ROTATE","leeway":0}}}}`)
	if r.err != nil {
		t.Fatal(r.err)
	}
	appID := r.body["id"].(string)
	clientID := r.body["credentials"].(map[string]any)["oauthClient"].(map[string]any)["client_id"].(string)
	r = c.mgmt(http.MethodPost, "/api/v1/users?activate=true", `{"profile":{"login":"ada@example.com","email":"ada@example.com","firstName":"Ada","lastName":"Lovelace"},
		"credentials":{"password":{"value":"Correct-Horse-42"}}}`)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r = c.mgmt(http.MethodPost, "/api/v1/apps/"+appID+"/users", fmt.Sprintf(`{"id":%q}`, r.body["id"])); r.err != nil {
		t.Fatal(r.err)
	}
	jar, _ := cookiejar.New(nil)
	c.browser = &http.Client{Jar: jar, Transport: c.lb.client.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodPost, c.lb.url+"/api/v1/authn", strings.NewReader(`{"username":"ada@example.com","password":"Correct-Horse-42"}`))
	req.Header.Set("Content-Type", "application/json")
	if r = c.do("authn", req); r.err != nil {
		t.Fatal(r.err)
	}
	if _, _, res := c.authorizeWith(clientID, url.Values{"sessionToken": {r.body["sessionToken"].(string)}}); res.err != nil {
		t.Fatal(res.err)
	}
	return clientID
}

// authorizeCode gets a code for the signed-in person without a prompt.
func (c *loadClient) authorizeCode(clientID string) (code, verifier string, r result) {
	return c.authorizeWith(clientID, url.Values{"prompt": {"none"}})
}

func (c *loadClient) authorizeWith(clientID string, extra url.Values) (code, verifier string, r result) {
	verifier = secret.RandomString(64)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {clientID}, "response_type": {"code"}, "scope": {"openid offline_access"},
		"redirect_uri": {spaRedirect}, "state": {"s"}, "nonce": {"n"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	for k, v := range extra {
		q[k] = v
	}
	req, _ := http.NewRequest(http.MethodGet, c.lb.url+"/oauth2/default/v1/authorize?"+q.Encode(), nil)
	r = c.do("authorize", req)
	if r.err != nil {
		return "", "", r
	}
	loc, err := url.Parse(fmt.Sprint(r.body["location"]))
	if err != nil || loc.Query().Get("code") == "" {
		r.err = fmt.Errorf("authorize: no code in %v (%d)", r.body["location"], r.status)
		return "", "", r
	}
	return loc.Query().Get("code"), verifier, r
}

// roundRobin is the load balancer: each request goes to the next backend
// that is not known to be down. A backend that refuses a connection is
// marked down and the request goes to the next one (it never reached a
// replica, so that is safe, as load balancers do); a request that fails
// after it was sent is answered 502 — it was in flight. Answers say which
// backend had the request (X-Test-Backend) and whether it reached it
// (X-Test-Sent).
type roundRobin struct {
	url      string
	client   *http.Client
	mu       sync.Mutex
	backends []string
	down     map[int]bool
	next     int
	tr       *http.Transport
}

func newRoundRobin(t *testing.T) *roundRobin {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rr := &roundRobin{url: "http://" + ln.Addr().String(), down: map[int]bool{},
		tr:     &http.Transport{MaxIdleConnsPerHost: 16, ResponseHeaderTimeout: 60 * time.Second},
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 90 * time.Second}}
	srv := &http.Server{Handler: rr}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return rr
}

func (rr *roundRobin) add(backend string) {
	rr.mu.Lock()
	rr.backends = append(rr.backends, backend)
	rr.mu.Unlock()
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	for range 3 * len(rr.backends) {
		rr.mu.Lock()
		i := -1
		for range len(rr.backends) {
			j := rr.next % len(rr.backends)
			rr.next++
			if !rr.down[j] {
				i = j
				break
			}
		}
		backend := ""
		if i >= 0 {
			backend = rr.backends[i]
		}
		rr.mu.Unlock()
		if i < 0 {
			http.Error(w, "no backend up", http.StatusBadGateway)
			return
		}
		out := req.Clone(req.Context())
		u, _ := url.Parse(backend)
		out.URL.Scheme, out.URL.Host = u.Scheme, u.Host
		out.RequestURI = ""
		out.Body = io.NopCloser(bytes.NewReader(body))
		w.Header().Set("X-Test-Backend", fmt.Sprint(i))
		resp, err := rr.tr.RoundTrip(out)
		var op *net.OpError
		if err != nil && errors.As(err, &op) && op.Op == "dial" {
			rr.mu.Lock()
			rr.down[i] = true
			rr.mu.Unlock()
			continue
		}
		w.Header().Set("X-Test-Sent", "1")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	http.Error(w, "no backend answered", http.StatusBadGateway)
}

// postgresBehindProxy creates a database of its own on the server of base
// (dropped when the test ends) and returns the URL that reaches it through
// a TCP proxy the test can cut.
func postgresBehindProxy(t *testing.T, base, prefix string) (*tcpProxy, url.URL) {
	t.Helper()
	dbName := prefix + strings.ToLower(secret.RandomString(10))
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE DATABASE " + dbName); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)")
		admin.Close()
	})
	baseURL, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	pg := startTCPProxy(t, baseURL.Host)
	dbURL := *baseURL
	dbURL.Host = pg.addr()
	dbURL.Path = "/" + dbName
	return pg, dbURL
}

// tcpProxy forwards TCP connections to target until cut, which closes
// every connection and refuses new ones (as a restarting database does),
// until restore.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]bool
	isCut  bool
}

func startTCPProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.isCut {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c] = true
	p.mu.Unlock()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.isCut {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[up] = true
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close(); c.Close() }()
	io.Copy(c, up)
	c.Close()
	up.Close()
}

func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isCut = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *tcpProxy) restore() {
	p.mu.Lock()
	p.isCut = false
	p.mu.Unlock()
}
