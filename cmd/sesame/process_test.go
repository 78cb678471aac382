package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

// The test binary doubles as the sesame binary: run with
// SESAME_TEST_RUN_MAIN=1 it is main() with the arguments after "--", so
// tests can start real processes, signal them and kill them.
func TestMain(m *testing.M) {
	if os.Getenv("SESAME_TEST_RUN_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"sesame"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process is a sesame process the test started.
type process struct {
	cmd    *exec.Cmd
	out    *syncBuffer // stdout and stderr together
	exited chan struct{}
	err    error     // from Wait, once exited is closed
	ended  time.Time // when Wait returned
}

// exitedAt is when the process was seen to end (zero while it runs).
func (p *process) exitedAt() time.Time {
	select {
	case <-p.exited:
		return p.ended
	default:
		return time.Time{}
	}
}

// startProcess runs `sesame args...` with extra environment variables. The
// process is killed when the test ends if it still runs.
func startProcess(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(append(os.Environ(), "SESAME_TEST_RUN_MAIN=1"), env...)
	p := &process{cmd: cmd, out: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		p.ended = time.Now()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// waitFor waits until the process has printed s, and fails if it exits
// first or takes too long.
func (p *process) waitFor(t *testing.T, s string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(p.out.String(), s); time.Sleep(10 * time.Millisecond) {
		select {
		case <-p.exited:
			if strings.Contains(p.out.String(), s) {
				return
			}
			t.Fatalf("the process exited (%v) before printing %q:\n%s", p.err, s, p.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the process did not print %q:\n%s", s, p.out)
		}
	}
}

// waitExit waits for the process to end and returns its exit code.
func (p *process) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("the process did not exit:\n%s", p.out)
	}
	return p.cmd.ProcessState.ExitCode()
}

// serviceClient registers a private_key_jwt service app by DCR and gives
// the default server a default scope, so that client credentials work.
func serviceClient(t *testing.T, orgURL, apiToken string) (clientID string, a tokenclient.Assertion) {
	t.Helper()
	g, err := keys.GenerateSet(keys.GenerateOptions{KID: "proc", Alg: "RS256", Size: 2048, Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	call := func(path, body string) map[string]any {
		req, _ := http.NewRequest(http.MethodPost, orgURL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "SSWS "+apiToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %d %v", path, resp.StatusCode, m)
		}
		return m
	}
	client := call("/oauth2/v1/clients", fmt.Sprintf(`{"client_name":"proc","application_type":"service","grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt","jwks":%s}`, g.PublicJWKS))
	call("/api/v1/authorizationServers/default/scopes", `{"name":"proc","default":true}`)
	key, kid, err := keys.ParsePrivateKey([]byte(g.PrivateJWK))
	if err != nil {
		t.Fatal(err)
	}
	clientID = client["client_id"].(string)
	return clientID, tokenclient.Assertion{ClientID: clientID, Audience: tokenclient.TokenURL(orgURL, "default"), KID: kid, Key: key}
}

// TestServeShutsDownGracefully sends SIGTERM to a real `sesame serve` while
// a token request is in flight (the server reading its body): the server stops
// accepting connections at once, finishes the request, writes the System
// Log event the request queued, and exits 0.
func TestServeShutsDownGracefully(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	tokenFile := filepath.Join(dir, "api-token")
	addr := freeAddr(t)
	orgURL := "http://" + addr
	if out, err := run(ctx, t, "", "init", "--data", data, "--url", orgURL, "--admin-email", "ops@example.com", "--api-token-file", tokenFile); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := freeAddr(t)
	p := startProcess(t, nil, "serve", "--addr", addr, "--url", orgURL, "--data", data, "--shutdown-grace", "30s", "--metrics-addr", metricsAddr)
	p.waitFor(t, "Sesame is serving")
	readyz := func() int {
		resp, err := http.Get("http://" + metricsAddr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := readyz(); code != 200 {
		t.Fatalf("/readyz before SIGTERM: %d", code)
	}
	clientID, as := serviceClient(t, orgURL, strings.TrimSpace(string(tok)))

	assertion, err := as.Sign(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body := "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" + assertion
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Expect: 100-continue makes the server say when the handler starts
	// reading the body: from then on the request is in flight.
	fmt.Fprintf(conn, "POST /oauth2/default/v1/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", addr, len(body))
	br := bufio.NewReader(conn)
	if cont, err := http.ReadResponse(br, nil); err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("no 100 Continue: %v", err)
	}
	fmt.Fprint(conn, body[:len(body)/2])

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitFor(t, "shutting down")
	// No new connections.
	if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
		c.Close()
		t.Fatal("a new connection was accepted after SIGTERM")
	}
	// The metrics address still answers, and says the replica is not ready.
	if code := readyz(); code != 503 {
		t.Fatalf("/readyz while draining: %d", code)
	}
	// The request in flight completes.
	fmt.Fprint(conn, body[len(body)/2:])
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v\n%s", err, p.out)
	}
	var answer map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || answer["access_token"] == nil {
		t.Fatalf("the request in flight: %d %v", resp.StatusCode, answer)
	}
	if code := p.waitExit(t); code != 0 {
		t.Fatalf("exit code %d:\n%s", code, p.out)
	}

	// Its System Log event was written before the process ended.
	p2 := startProcess(t, nil, "serve", "--addr", addr, "--url", orgURL, "--data", data)
	p2.waitFor(t, "Sesame is serving")
	req, _ := http.NewRequest(http.MethodGet, orgURL+`/api/v1/logs?since=2000-01-01T00:00:00Z&filter=eventType+eq+"app.oauth2.as.token.grant.access_token"`, nil)
	req.Header.Set("Authorization", "SSWS "+strings.TrimSpace(string(tok)))
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	if err := json.NewDecoder(r2.Body).Decode(&events); err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if len(events) != 1 || events[0]["actor"].(map[string]any)["id"] != clientID {
		t.Fatalf("token events after the restart: %v", events)
	}
}

// TestServeDrainsBeforeStopping: with --shutdown-delay, SIGTERM first turns
// /readyz to 503 while the server keeps accepting and answering new
// connections (a load balancer's last requests), and only after the delay
// stops accepting and exits 0.
func TestServeDrainsBeforeStopping(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr := freeAddr(t)
	orgURL := "http://" + addr
	if out, err := run(ctx, t, "", "init", "--data", data, "--url", orgURL, "--admin-email", "ops@example.com", "--api-token-file", filepath.Join(dir, "tok")); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	const delay = 2 * time.Second
	p := startProcess(t, nil, "serve", "--addr", addr, "--url", orgURL, "--data", data, "--shutdown-delay", delay.String())
	p.waitFor(t, "Sesame is serving")
	// A fresh connection per request: the point is that new connections
	// are still accepted while draining.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	get := func(path string) int {
		t.Helper()
		resp, err := client.Get(orgURL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("/readyz"); code != 200 {
		t.Fatalf("/readyz before SIGTERM: %d", code)
	}
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitFor(t, "draining")
	if code := get("/readyz"); code != 503 {
		t.Fatalf("/readyz while draining: %d", code)
	}
	if code := get("/oauth2/default/.well-known/openid-configuration"); code != 200 {
		t.Fatalf("a new request while draining: %d", code)
	}
	if code := get("/healthz"); code != 200 {
		t.Fatalf("/healthz while draining: %d", code)
	}
	p.waitFor(t, `msg="shutting down"`) // not the probe's "not ready" warning, which says shutting down too
	if waited := time.Since(sent); waited < delay {
		t.Fatalf("stopped accepting %v after SIGTERM, before the %v delay:\n%s", waited, delay, p.out)
	}
	if code := p.waitExit(t); code != 0 {
		t.Fatalf("exit code %d:\n%s", code, p.out)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("still accepting after exit")
	}
}
