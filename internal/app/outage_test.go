package app

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/web"
)

// cuttable is a TCP forwarder to the database that the test can cut: every
// connection through it is closed and new ones are refused (closed at
// once) until it is restored — the database as a replica sees it when the
// network or PostgreSQL goes away.
type cuttable struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newCuttable(t *testing.T, target string) *cuttable {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cuttable{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); c.cut() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			go c.pipe(in)
		}
	}()
	return c
}

func (c *cuttable) pipe(in net.Conn) {
	c.mu.Lock()
	down := c.down
	c.mu.Unlock()
	if down {
		in.Close()
		return
	}
	out, err := net.Dial("tcp", c.target)
	if err != nil {
		in.Close()
		return
	}
	c.mu.Lock()
	c.conns[in], c.conns[out] = true, true
	c.mu.Unlock()
	go func() { io.Copy(out, in); out.Close() }()
	io.Copy(in, out)
	in.Close()
}

func (c *cuttable) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.down = true
	for conn := range c.conns {
		conn.Close()
	}
	clear(c.conns)
}

func (c *cuttable) restore() {
	c.mu.Lock()
	c.down = false
	c.mu.Unlock()
}

// TestHostedPagesDuringOutage: while PostgreSQL cannot be reached, a
// sign-in answers a 503 HTML page that says so (with Retry-After), not a
// 500; the management API answers 503 in Okta's error shape; once the
// database is back, the same sign-in works without restarting Sesame.
func TestHostedPagesDuringOutage(t *testing.T) {
	base := os.Getenv("SESAME_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("SESAME_TEST_DATABASE_URL is not set; make test sets it")
	}
	dbURL, err := url.Parse(freshPostgresURL(t, base))
	if err != nil {
		t.Fatal(err)
	}
	fwd := newCuttable(t, dbURL.Host)
	dbURL.Host = fwd.ln.Addr().String()
	ts := startServer(t, openPostgres(t, dbURL.String()))
	const login, pw = "outage@example.com", "Abcd1234-quiet"
	ts.createUser(t, "?activate=true", person(login), pw)

	b := newBrowser(t, ts)
	lp := b.get(t, ts.Addr+"/login/login.htm")
	if lp.status != 200 {
		t.Fatalf("sign-in page: %d", lp.status)
	}
	csrf := field(t, csrfField, lp.body)
	signIn := func() page {
		return b.post(t, ts.Addr+"/login/login.htm", url.Values{"csrf": {csrf}, "username": {login}, "password": {pw}})
	}

	fwd.cut()
	p := signIn()
	if p.status != http.StatusServiceUnavailable || !strings.Contains(p.body, web.UnavailableText) ||
		p.header.Get("Retry-After") == "" || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Fatalf("sign-in during the outage: %d %v\n%s", p.status, p.header, p.body)
	}
	if strings.Contains(p.body, "sqlstore") || strings.Contains(p.body, dbURL.Host) {
		t.Fatalf("the page shows the database error:\n%s", p.body)
	}
	// The person's form is kept, their password is not.
	if !strings.Contains(p.body, `value="`+login+`"`) || strings.Contains(p.body, pw) {
		t.Fatalf("the page during the outage does not keep the username, or shows the password:\n%s", p.body)
	}
	a := ts.mgmt(t, http.MethodGet, "/api/v1/users?limit=1", nil)
	if e := a.json(t); a.status != http.StatusServiceUnavailable || e["errorCode"] == nil || e["errorId"] == nil || e["errorSummary"] == nil {
		t.Fatalf("management API during the outage: %d %s", a.status, a.body)
	}

	fwd.restore()
	deadline := time.Now().Add(15 * time.Second)
	for {
		p = signIn()
		if p.status == http.StatusFound || p.status == http.StatusOK && !strings.Contains(p.body, web.UnavailableText) {
			break
		}
		if p.status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("sign-in after the database came back: %d\n%s", p.status, p.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if a := ts.mgmt(t, http.MethodGet, "/api/v1/users?limit=1", nil); a.status != 200 {
		t.Fatalf("management API after the outage: %d %s", a.status, a.body)
	}
}
