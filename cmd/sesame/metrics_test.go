package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/sesame-idp/sesame/internal/secret"
)

// scrape reads a real /metrics answer with Prometheus' own text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value is the value of the series of family name whose labels include
// want (counter, gauge, or a histogram's count); -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
	sum, found := 0.0, false
next:
	for _, m := range f.Metric {
		for k, v := range want {
			ok := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					ok = true
				}
			}
			if !ok {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	if !found {
		return -1
	}
	return sum
}

// TestServeMetrics scrapes a real `sesame serve --metrics-addr`: before and
// after a known mix of token requests, sign-ins and rate-limited calls the
// counters moved by exactly what was done, the histograms, gauges and build
// info are there, and no label carries a client id, user id or raw path.
func TestServeMetrics(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	tokenFile := filepath.Join(dir, "api-token")
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	orgURL := "http://" + addr
	metricsURL := "http://" + metricsAddr + "/metrics"
	if out, err := run(ctx, t, "", "init", "--data", data, "--url", orgURL, "--admin-email", "ops@example.com", "--api-token-file", tokenFile); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	tokb, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	apiToken := strings.TrimSpace(string(tokb))
	// GOMEMLIMIT empty is unset for the runtime and for Sesame, whatever the
	// test's own environment says.
	p := startProcess(t, []string{"GOMEMLIMIT="}, "serve", "--addr", addr, "--url", orgURL, "--data", data, "--metrics-addr", metricsAddr,
		"--lockout-attempts", "3", "--rate-limits", "logs=2")
	p.waitFor(t, "Sesame is serving")
	if resp, err := http.Get(orgURL + "/metrics"); err != nil || resp.StatusCode != 404 {
		t.Fatalf("/metrics on the public address: %v %v", resp, err)
	}

	clientID, as := serviceClient(t, orgURL, apiToken)
	call := func(method, path, body string, hdr ...string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, orgURL+path, strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		// Only objects are read; an array (the System Log) leaves m nil.
		_ = json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	_, user := call("POST", "/api/v1/users?activate=true", `{"profile":{"login":"ada@example.com","email":"ada@example.com","firstName":"Ada","lastName":"L"},
		"credentials":{"password":{"value":"Correct-Horse-42"}}}`, "Authorization", "SSWS "+apiToken, "Content-Type", "application/json")
	userID, _ := user["id"].(string)
	if userID == "" {
		t.Fatalf("create user: %v", user)
	}

	before := scrape(t, metricsURL)
	tokenRoute := map[string]string{"method": "POST", "route": "/oauth2/{as}/v1/token", "code": "200"}
	issued := map[string]string{"grant_type": "client_credentials", "auth_server": "default"}
	b0 := map[string]float64{
		"req":  max(value(before, "sesame_http_requests_total", tokenRoute), 0),
		"hist": max(value(before, "sesame_http_request_duration_seconds", tokenRoute), 0),
		"iss":  max(value(before, "sesame_oauth_tokens_issued_total", issued), 0),
		"sig":  value(before, "sesame_jwt_signatures_total", nil),
		"read": value(before, "sesame_db_query_duration_seconds", map[string]string{"kind": "read", "outcome": "ok"}),
	}

	const tokens = 3
	form := "application/x-www-form-urlencoded"
	for range tokens {
		a, err := as.Sign(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if code, m := call("POST", "/oauth2/default/v1/token", "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion="+a,
			"Content-Type", form); code != 200 {
			t.Fatalf("token: %d %v", code, m)
		}
	}
	if code, _ := call("POST", "/oauth2/default/v1/token", "grant_type=client_credentials&client_id=nobody&client_secret=x", "Content-Type", form); code != 401 {
		t.Fatalf("bad client: %d", code)
	}
	if code, _ := call("POST", "/oauth2/default/v1/token", "grant_type=client_credentials", "Content-Type", form); code != 400 && code != 401 {
		t.Fatalf("no client: %d", code)
	}
	authn := func(pw string) (int, any) {
		code, m := call("POST", "/api/v1/authn", fmt.Sprintf(`{"username":"ada@example.com","password":%q}`, pw), "Content-Type", "application/json")
		return code, m["status"]
	}
	if code, st := authn("Correct-Horse-42"); code != 200 || st != "SUCCESS" {
		t.Fatalf("sign-in: %d %v", code, st)
	}
	for range 3 {
		if code, _ := authn("wrong"); code != 401 {
			t.Fatalf("wrong password: %d", code)
		}
	}
	if code, st := authn("Correct-Horse-42"); st != "LOCKED_OUT" {
		t.Fatalf("a locked account: %d %v", code, st)
	}
	for i := range 3 {
		code, _ := call("GET", "/api/v1/logs", "", "Authorization", "SSWS "+apiToken)
		if want := map[bool]int{true: 429, false: 200}[i == 2]; code != want {
			t.Fatalf("logs call %d: %d, want %d", i, code, want)
		}
	}
	call("GET", "/api/v1/users/"+userID, "", "Authorization", "SSWS "+apiToken)

	after := scrape(t, metricsURL)
	checks := []struct {
		name  string
		got   float64
		delta float64
	}{
		{"token requests (200)", value(after, "sesame_http_requests_total", tokenRoute) - b0["req"], tokens},
		{"token latency observations (200)", value(after, "sesame_http_request_duration_seconds", tokenRoute) - b0["hist"], tokens},
		{"tokens issued", value(after, "sesame_oauth_tokens_issued_total", issued) - b0["iss"], tokens},
		{"refusals invalid_client", value(after, "sesame_oauth_token_refusals_total", map[string]string{"error": "invalid_client"}), 2},
		{"signatures", value(after, "sesame_jwt_signatures_total", nil) - b0["sig"], tokens},
		{"sign-ins success", value(after, "sesame_signins_total", map[string]string{"result": "success"}), 1},
		{"sign-ins failure", value(after, "sesame_signins_total", map[string]string{"result": "failure"}), 3},
		{"sign-ins locked_out", value(after, "sesame_signins_total", map[string]string{"result": "locked_out"}), 1},
		{"lockouts", value(after, "sesame_user_lockouts_total", nil), 1},
		{"rate-limited logs", value(after, "sesame_rate_limit_rejections_total", map[string]string{"class": "logs"}), 1},
		{"429 answers", value(after, "sesame_http_requests_total", map[string]string{"route": "/api/v1/logs", "code": "429"}), 1},
		{"user by id route", value(after, "sesame_http_requests_total", map[string]string{"route": "/api/v1/users/{id}", "method": "GET", "code": "200"}), 1},
		{"build info", value(after, "sesame_build_info", nil), 1},
	}
	for _, c := range checks {
		if c.got != c.delta {
			t.Errorf("%s: moved by %v, want %v", c.name, c.got, c.delta)
		}
	}
	if d := value(after, "sesame_db_query_duration_seconds", map[string]string{"kind": "read", "outcome": "ok"}) - b0["read"]; d <= 0 {
		t.Errorf("database reads did not move: %v", d)
	}
	if v := value(after, "sesame_db_query_duration_seconds", map[string]string{"kind": "transaction", "outcome": "ok"}); v <= 0 {
		t.Errorf("database transactions: %v", v)
	}
	for _, pool := range []string{"write", "read"} {
		if v := value(after, "sesame_db_pool_max_open_connections", map[string]string{"pool": pool}); v <= 0 {
			t.Errorf("pool %s: max open %v", pool, v)
		}
	}
	for _, name := range []string{"sesame_audit_queue_depth", "sesame_http_requests_in_flight", "go_goroutines", "process_resident_memory_bytes"} {
		if value(after, name, nil) < 0 {
			t.Errorf("%s is missing", name)
		}
	}
	// The memory limit Sesame sets itself (memory.go), which the Go
	// collector exports by default: at least the password hashes' room and
	// the headroom, far below the runtime's "no limit".
	if v := value(after, "go_gc_gomemlimit_bytes", nil); v < float64(secret.HashMemory()+limitHeadroom) || v > 1<<30 {
		t.Errorf("go_gc_gomemlimit_bytes = %v, want Sesame's own limit", v)
	}
	var names []string
	for name, f := range after {
		names = append(names, name)
		for _, m := range f.Metric {
			for _, l := range m.Label {
				v := l.GetValue()
				if v == clientID || v == userID || strings.Contains(v, userID) || strings.Contains(v, "ada@") || v == "nobody" {
					t.Errorf("%s has an unbounded label %s=%q", name, l.GetName(), v)
				}
			}
		}
	}
	sort.Strings(names)
	t.Logf("families: %s", strings.Join(names, " "))
}

// TestServeKeepsOperatorMemoryLimit: with GOMEMLIMIT set, Sesame leaves the
// runtime's limit as the operator set it, including after its own
// collections at start.
func TestServeKeepsOperatorMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	p := startProcess(t, []string{"GOMEMLIMIT=300MiB"}, "serve", "--addr", addr, "--url", "http://"+addr,
		"--data", filepath.Join(dir, "data"), "--metrics-addr", metricsAddr)
	p.waitFor(t, "Sesame is serving")
	for range 10 {
		if v := value(scrape(t, "http://"+metricsAddr+"/metrics"), "go_gc_gomemlimit_bytes", nil); v != 300<<20 {
			t.Fatalf("go_gc_gomemlimit_bytes = %v, want the operator's 300 MiB", v)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
