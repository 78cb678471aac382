package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthURL(t *testing.T) {
	for _, c := range []struct {
		addr, path string
		tls        bool
		want       string
	}{
		{":8080", "/healthz", false, "http://127.0.0.1:8080/healthz"},
		{"0.0.0.0:8080", "/readyz", false, "http://127.0.0.1:8080/readyz"},
		{"[::]:8080", "/healthz", false, "http://[::1]:8080/healthz"},
		{"localhost:9000", "/healthz", true, "https://localhost:9000/healthz"},
		{"10.1.2.3:8080", "/healthz", false, "http://10.1.2.3:8080/healthz"},
	} {
		got, err := healthURL(c.addr, c.path, c.tls)
		if err != nil || got != c.want {
			t.Errorf("healthURL(%q, %q, %v) = %q, %v; want %q", c.addr, c.path, c.tls, got, err, c.want)
		}
	}
	for _, c := range [][2]string{{"8080", "/healthz"}, {":8080", "healthz"}, {":8080", ""}} {
		if got, err := healthURL(c[0], c[1], false); err == nil {
			t.Errorf("healthURL(%q, %q) = %q, want an error", c[0], c[1], got)
		}
	}
}

// TestHealthcheckCommand runs the command against real HTTP servers: healthy
// only on a 200 from the path asked, unhealthy on any other status, on a
// redirect and on a closed port.
func TestHealthcheckCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte("ok"))
		case "/readyz":
			http.Error(w, "draining", http.StatusServiceUnavailable)
		case "/moved":
			http.Redirect(w, r, "/healthz", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	run := func(args ...string) (string, error) {
		root := newRootCommand()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(append([]string{"healthcheck"}, args...))
		err := root.Execute()
		return out.String(), err
	}
	if out, err := run("--addr", addr); err != nil || !strings.Contains(out, "healthy: http://"+addr+"/healthz") {
		t.Fatalf("healthy server: %q, %v", out, err)
	}
	t.Setenv("SESAME_ADDR", addr)
	if _, err := run(); err != nil {
		t.Fatalf("SESAME_ADDR not used: %v", err)
	}
	for _, path := range []string{"/readyz", "/moved", "/missing"} {
		if _, err := run("--path", path); err == nil || !strings.Contains(err.Error(), "unhealthy") {
			t.Errorf("%s: err = %v, want unhealthy", path, err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if _, err := run("--addr", closed); err == nil || !strings.Contains(err.Error(), "unhealthy") {
		t.Errorf("closed port: err = %v, want unhealthy", err)
	}
}
