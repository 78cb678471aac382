package app

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestProbes: /healthz and /readyz answer without credentials and without
// detail, are not rate limited, refuse other methods in Okta's shape, and
// /readyz says no once the database is gone or shutdown has begun.
func TestProbes(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		st := open(t)
		ts := startServer(t, st)
		get := func(method, path string) (int, string, http.Header) {
			t.Helper()
			req, _ := http.NewRequest(method, ts.Addr+path, nil)
			resp, err := ts.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode, string(b), resp.Header
		}
		for _, p := range []string{"/healthz", "/readyz"} {
			// Probes come every few seconds from every kubelet and load
			// balancer: they are answered before the rate limiter.
			for range 30 {
				if code, body, h := get(http.MethodGet, p); code != 200 || strings.TrimSpace(body) != `{"status":"ok"}` || h.Get("Cache-Control") != "no-store" {
					t.Fatalf("GET %s: %d %q %v", p, code, body, h)
				}
			}
			if code, body, _ := get(http.MethodHead, p); code != 200 || body != "" {
				t.Fatalf("HEAD %s: %d %q", p, code, body)
			}
			code, body, h := get(http.MethodPost, p)
			var e map[string]any
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatal(err)
			}
			if code != 405 || e["errorCode"] != "E0000022" || h.Get("Allow") != "GET, HEAD" {
				t.Fatalf("POST %s: %d %s", p, code, body)
			}
		}

		ts.App.draining.Store(true)
		if code, body, _ := get(http.MethodGet, "/readyz"); code != 503 || strings.TrimSpace(body) != `{"status":"unavailable"}` {
			t.Fatalf("draining /readyz: %d %q", code, body)
		}
		if code, _, _ := get(http.MethodGet, "/healthz"); code != 200 {
			t.Fatalf("draining /healthz: %d", code)
		}
		ts.App.draining.Store(false)

		st.Close()
		if code, body, _ := get(http.MethodGet, "/readyz"); code != 503 || strings.Contains(body, "sql") {
			t.Fatalf("database closed /readyz: %d %q", code, body)
		}
		if code, _, _ := get(http.MethodGet, "/healthz"); code != 200 {
			t.Fatalf("database closed /healthz: %d", code)
		}
	})
}
