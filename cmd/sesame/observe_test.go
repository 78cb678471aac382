package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestServeJSONLogsAndProbes runs a real `sesame serve --log-format json
// --metrics-addr …`: the probes answer on both addresses, every request
// gets one JSON access-log line with its method, route, status, duration
// and request id (the one the response carried), probes get none, and no
// credential the requests carried — API token, password, client secret,
// cookie, query — reaches the log.
func TestServeJSONLogsAndProbes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	tokenFile := filepath.Join(dir, "api-token")
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	orgURL := "http://" + addr
	if out, err := run(ctx, t, "", "init", "--data", data, "--url", orgURL, "--admin-email", "ops@example.com", "--api-token-file", tokenFile); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	tokb, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	apiToken := strings.TrimSpace(string(tokb))
	p := startProcess(t, []string{"SESAME_LOG_FORMAT=json"}, "serve", "--addr", addr, "--url", orgURL, "--data", data, "--metrics-addr", metricsAddr)
	p.waitFor(t, "Sesame is serving")

	for _, base := range []string{orgURL, "http://" + metricsAddr} {
		for _, path := range []string{"/healthz", "/readyz"} {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != `{"status":"ok"}` {
				t.Fatalf("%s%s: %d %s", base, path, resp.StatusCode, b)
			}
		}
	}
	if resp, err := http.Get("http://" + metricsAddr + "/api/v1/users"); err != nil || resp.StatusCode != 404 {
		t.Fatalf("the metrics address serves the API: %v %v", resp, err)
	}

	const (
		password     = "Pa55word-never-logged"
		clientSecret = "client-secret-never-logged"
		cookie       = "cookie-never-logged"
		querySecret  = "query-never-logged"
	)
	type sent struct{ method, route, id string }
	var requests []sent
	do := func(method, path, route, body string, hdr map[string]string) {
		t.Helper()
		req, _ := http.NewRequest(method, orgURL+path, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		requests = append(requests, sent{method, route, resp.Header.Get("X-Okta-Request-Id")})
	}
	do("GET", "/api/v1/users?limit=1", "/api/v1/users", "", map[string]string{"Authorization": "SSWS " + apiToken})
	do("POST", "/api/v1/authn", "/api/v1/authn", `{"username":"ops@example.com","password":"`+password+`"}`,
		map[string]string{"Content-Type": "application/json"})
	do("POST", "/oauth2/default/v1/token", "/oauth2/{as}/v1/token", "grant_type=client_credentials&client_id=nobody&client_secret="+clientSecret,
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic " + clientSecret})
	do("GET", "/oauth2/default/v1/authorize?client_id=x&state="+querySecret, "/oauth2/{as}/v1/authorize", "", map[string]string{"Cookie": "sid=" + cookie})
	do("GET", "/no/such/"+querySecret, "unmatched", "", nil)

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.waitExit(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, p.out)
	}
	out := p.out.String()
	for _, s := range []string{apiToken, password, clientSecret, cookie, querySecret} {
		if strings.Contains(out, s) {
			t.Errorf("the log holds %q:\n%s", s, out)
		}
	}
	logged := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "{") {
			continue // serve's banner on standard output
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not one JSON object a line: %q: %v", line, err)
		}
		if rec["msg"] == "request" {
			id, _ := rec["request_id"].(string)
			if logged[id] != nil {
				t.Fatalf("two access-log lines for %s", id)
			}
			logged[id] = rec
		}
	}
	if len(logged) != len(requests) {
		t.Fatalf("%d access-log lines for %d requests (probes must not be logged):\n%s", len(logged), len(requests), out)
	}
	for _, r := range requests {
		rec := logged[r.id]
		if rec == nil {
			t.Fatalf("no access-log line for request %s (%s %s)", r.id, r.method, r.route)
		}
		if rec["level"] != "INFO" || rec["method"] != r.method || rec["route"] != r.route {
			t.Errorf("access log for %s %s: %v", r.method, r.route, rec)
		}
		if st, _ := rec["status"].(float64); st < 200 {
			t.Errorf("status %v", rec["status"])
		}
		if d, ok := rec["duration_ms"].(float64); !ok || d <= 0 {
			t.Errorf("duration %v", rec["duration_ms"])
		}
	}
}
