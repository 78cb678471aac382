package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSignInPageDuringDatabaseOutage: while PostgreSQL is unreachable the
// hosted sign-in page answers 503 with a page that says it will pass (not
// a 500), and once the database is back the same person signs in without
// Sesame being restarted.
func TestSignInPageDuringDatabaseOutage(t *testing.T) {
	base := os.Getenv("SESAME_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("SESAME_TEST_DATABASE_URL is not set; make test sets it")
	}
	ctx := context.Background()
	dir := t.TempDir()
	pg, dbURL := postgresBehindProxy(t, base, "sesame_outage_")

	addr := freeAddr(t)
	orgURL := "http://" + addr
	keyFile, tokenFile := filepath.Join(dir, "master.key"), filepath.Join(dir, "api-token")
	if out, err := run(ctx, t, "", "init", "--database-url", dbURL.String(), "--master-key-file", keyFile, "--url", orgURL,
		"--admin-email", "ops@example.com", "--api-token-file", tokenFile); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, nil, "serve", "--addr", addr, "--url", orgURL, "--database-url", dbURL.String(), "--master-key-file", keyFile)
	p.waitFor(t, "Sesame is serving")

	body, _ := json.Marshal(map[string]any{"profile": map[string]any{"login": "ada@example.com", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"},
		"credentials": map[string]any{"password": map[string]any{"value": "Correct-Horse-42"}}})
	req, _ := http.NewRequest(http.MethodPost, orgURL+"/api/v1/users", bytes.NewReader(body))
	req.Header.Set("Authorization", "SSWS "+strings.TrimSpace(string(tok)))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("create user: %v %v", err, resp)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	signIn := func() (int, string) {
		t.Helper()
		resp, err := browser.Get(orgURL + "/login/login.htm")
		if err != nil {
			t.Fatal(err)
		}
		page, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		m := csrf.FindSubmatch(page)
		if m == nil {
			t.Fatalf("sign-in page: %d %s", resp.StatusCode, page)
		}
		resp, err = browser.PostForm(orgURL+"/login/login.htm", url.Values{"csrf": {string(m[1])}, "fromURI": {""},
			"username": {"ada@example.com"}, "password": {"Correct-Horse-42"}})
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, string(out)
	}

	pg.cut()
	status, page := signIn()
	if status != http.StatusServiceUnavailable || !strings.Contains(page, "cannot reach its database") || !strings.Contains(page, `role="alert"`) {
		t.Fatalf("sign-in with the database down: %d %s", status, page)
	}
	pg.restore()
	// The pool's connections died with the cut: the first requests after
	// the restore may still meet one, then new connections are made.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		status, page := signIn()
		if status == http.StatusFound || status == http.StatusOK && strings.Contains(page, "Signed in as") {
			break
		}
		if status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("sign-in after the database came back: %d %s", status, page)
		}
	}
}
