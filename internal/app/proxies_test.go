package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
	"github.com/sesame-idp/sesame/internal/web"
)

// dialFrom is an HTTP client whose connections leave from one loopback
// address; Linux routes all of 127.0.0.0/8 to the loopback device, so one
// machine can play a client, a proxy and a server with distinct addresses.
func dialFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// TestTrustedProxies puts a real reverse proxy (net/http/httputil, which
// appends the client's address to X-Forwarded-For as nginx and ingress
// controllers do) on 127.0.0.3 in front of Sesame, which trusts only that
// address. A client on 127.0.0.2 fails a sign-in through the proxy and once
// directly, both times with a forged X-Forwarded-For: the System Log names
// 127.0.0.2 both times — never the proxy, never the forged address.
func TestTrustedProxies(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, t.TempDir()+"/sesame.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, err := keys.NewSealer(secret.RawBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	proxies, err := web.ParseProxies("127.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	ts := serveReplicaWith(t, st, sealer, "", true, []func(*config.Config){func(c *config.Config) { c.TrustedProxies = proxies }}, nil)

	target, err := url.Parse(ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = dialFrom("127.0.0.3").Transport
	ln, err := net.Listen("tcp", "127.0.0.3:0")
	if err != nil {
		t.Skipf("no second loopback address here: %v", err)
	}
	proxy := &httptest.Server{Listener: ln, Config: &http.Server{Handler: rp}}
	proxy.Start()
	t.Cleanup(proxy.Close)

	client := dialFrom("127.0.0.2")
	signIn := func(base, login string) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"username": login, "password": "wrong-password"})
		req, _ := http.NewRequest("POST", base+"/api/v1/authn", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "198.51.100.66")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("sign-in as %s through %s: %d, want 401", login, base, resp.StatusCode)
		}
	}
	// The org URL is http: a cookie is Secure (and the session cookie
	// SameSite=None) only when the request really came over https — as
	// the trusted proxy says, never as a client on its own says.
	csrfCookie := func(base string) *http.Cookie {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/login/login.htm", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Name == "sesame_csrf" || strings.Contains(c.Name, "csrf") {
				return c
			}
		}
		t.Fatalf("GET %s/login/login.htm set no CSRF cookie: %v", base, resp.Header["Set-Cookie"])
		return nil
	}
	if c := csrfCookie(proxy.URL); !c.Secure {
		t.Errorf("through the trusted proxy, which received https: CSRF cookie not Secure")
	}
	if c := csrfCookie(ts.Addr); c.Secure {
		t.Errorf("directly over http with a forged X-Forwarded-Proto: CSRF cookie Secure")
	}
	signIn(proxy.URL, "through-proxy@example.com")
	signIn(ts.Addr, "direct@example.com")
	ts.App.Audit.Flush()

	a := ts.mgmt(t, "GET", "/api/v1/logs?filter="+url.QueryEscape(`eventType eq "user.session.start"`), nil)
	if a.status != 200 {
		t.Fatalf("logs: %d %s", a.status, a.body)
	}
	var events []struct {
		Actor  struct{ AlternateID string } `json:"actor"`
		Client struct {
			IPAddress string `json:"ipAddress"`
		} `json:"client"`
	}
	if err := json.Unmarshal(a.body, &events); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, e := range events {
		seen[e.Actor.AlternateID] = e.Client.IPAddress
	}
	for _, login := range []string{"through-proxy@example.com", "direct@example.com"} {
		if got := seen[login]; got != "127.0.0.2" {
			t.Errorf("%s: client.ipAddress %q, want 127.0.0.2 (events: %s)", login, got, a.body)
		}
	}
}
