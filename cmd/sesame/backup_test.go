package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestBackupUnderLoadThenRestore takes a backup of a serving Sesame's
// SQLite database while users are being created, restores it into a new
// data directory and serves that: every user acknowledged before the
// backup began is there, no user whose request began after the backup
// ended is. Then the refusals: an existing backup file, an existing
// database without --force, a backup from a newer schema, PostgreSQL.
func TestBackupUnderLoadThenRestore(t *testing.T) {
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
	apiToken := strings.TrimSpace(string(tok))
	p := startProcess(t, nil, "serve", "--addr", addr, "--url", orgURL, "--data", data)
	p.waitFor(t, "Sesame is serving")

	type write struct {
		login          string
		started, acked time.Time
	}
	var (
		mu     sync.Mutex
		writes []write
		errs   []error
		wg     sync.WaitGroup
		stop   = make(chan struct{})
	)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				login := fmt.Sprintf("w%d-%d@example.com", w, i)
				started := time.Now()
				status, err := createUser(orgURL, apiToken, login)
				mu.Lock()
				if err != nil || status != 200 {
					errs = append(errs, fmt.Errorf("create %s: %d %v", login, status, err))
				} else {
					writes = append(writes, write{login, started, time.Now()})
				}
				mu.Unlock()
			}
		}()
	}
	acked := func() int { mu.Lock(); defer mu.Unlock(); return len(writes) }
	for deadline := time.Now().Add(60 * time.Second); acked() < 30; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d users created: %v", acked(), errs)
		}
	}
	backup := filepath.Join(dir, "backup.db")
	backupStart := time.Now()
	out, err := run(ctx, t, "", "backup", "--data", data, "--out", backup)
	backupEnd := time.Now()
	if err != nil || !strings.Contains(out, "Backed up") || !strings.Contains(out, "master key") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	for n := acked(); acked() < n+10; time.Sleep(5 * time.Millisecond) {
	}
	close(stop)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if st, err := os.Stat(backup); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", err, st)
	}

	// Restored into a new directory with the master key, and served.
	restored := filepath.Join(dir, "restored")
	if out, err := run(ctx, t, "", "restore", "--data", restored, "--from", backup); err != nil || !strings.Contains(out, "Restored") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	key, err := os.ReadFile(filepath.Join(data, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "master.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	addr2 := freeAddr(t)
	p2 := startProcess(t, nil, "serve", "--addr", addr2, "--url", "http://"+addr2, "--data", restored)
	p2.waitFor(t, "Sesame is serving")
	have := map[string]bool{}
	for next := "http://" + addr2 + "/api/v1/users?limit=200"; next != ""; {
		req, _ := http.NewRequest(http.MethodGet, next, nil)
		req.Header.Set("Authorization", "SSWS "+apiToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page []map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, u := range page {
			have[u["profile"].(map[string]any)["login"].(string)] = true
		}
		next = ""
		for _, l := range resp.Header.Values("Link") {
			if strings.HasSuffix(l, `>; rel="next"`) {
				next = strings.TrimSuffix(strings.TrimPrefix(l, "<"), `>; rel="next"`)
			}
		}
	}
	var before, during, after int
	for _, w := range writes {
		switch {
		case w.acked.Before(backupStart):
			before++
			if !have[w.login] {
				t.Errorf("%s was acknowledged before the backup began but is not in it", w.login)
			}
		case w.started.After(backupEnd):
			after++
			if have[w.login] {
				t.Errorf("%s began after the backup ended but is in it", w.login)
			}
		default:
			during++
		}
	}
	t.Logf("users acknowledged before the backup: %d, during it: %d, after it: %d", before, during, after)
	if after == 0 {
		t.Fatal("no write began after the backup ended")
	}

	// Refusals.
	if _, err := run(ctx, t, "", "backup", "--data", data, "--out", backup); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup over an existing file: %v", err)
	}
	if _, err := run(ctx, t, "", "restore", "--data", restored, "--from", backup); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore over a database without --force: %v", err)
	}
	// The server is still running on data: a restore over it is refused
	// even with --force, and the server keeps serving its database.
	if _, err := run(ctx, t, "", "restore", "--data", data, "--from", backup, "--force"); err == nil || !strings.Contains(err.Error(), "running") {
		t.Errorf("restore under a running server: %v", err)
	}
	if code, err := createUser(orgURL, apiToken, "after-refused-restore@example.com"); err != nil || code != 200 {
		t.Errorf("the server after a refused restore: %d %v", code, err)
	}
	// Once the server on restored has stopped, a restore over it goes ahead.
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p2.waitExit(t); code != 0 {
		t.Fatalf("the server on the restored database exited with %d", code)
	}
	if out, err := run(ctx, t, "", "restore", "--data", restored, "--from", backup, "--force"); err != nil || !strings.Contains(out, "Restored") {
		t.Errorf("restore --force over a stopped server's database: %v\n%s", err, out)
	}
	newer := filepath.Join(dir, "newer.db")
	copyFile(t, backup, newer)
	db, err := sql.Open("sqlite", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999999, '999999_from_the_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := run(ctx, t, "", "restore", "--data", filepath.Join(dir, "other"), "--from", newer); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("restore of a newer schema: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "other", "sesame.db")); !os.IsNotExist(err) {
		t.Error("a refused restore wrote a database")
	}
	if out, err := run(ctx, t, "", "migrate", "status", "--data", filepath.Join(dir, "data")); err != nil || strings.Contains(out, "pending") || !strings.Contains(out, "up to date") {
		t.Errorf("migrate status: %v\n%s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(dir, "future"), 0o700); err != nil {
		t.Fatal(err)
	}
	copyFile(t, newer, filepath.Join(dir, "future", "sesame.db"))
	if out, err := run(ctx, t, "", "migrate", "status", "--data", filepath.Join(dir, "future")); err != nil || !strings.Contains(out, "unknown to this Sesame") || !strings.Contains(out, "newer Sesame") {
		t.Errorf("migrate status of a newer database: %v\n%s", err, out)
	}
	if _, err := run(ctx, t, "", "restore", "--from", "/nonexistent/backup.db", "--data", filepath.Join(dir, "x")); err == nil {
		t.Error("restore from a missing file")
	}
	notDB := filepath.Join(dir, "not-a-db")
	if err := os.WriteFile(notDB, []byte("hello, this is not SQLite"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run(ctx, t, "", "restore", "--from", notDB, "--data", filepath.Join(dir, "x")); err == nil {
		t.Error("restore from a file that is not a database")
	}
	if _, err := run(ctx, t, "", "backup", "--database-url", "postgres://u@127.0.0.1:1/db", "--out", filepath.Join(dir, "pg.db")); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup on PostgreSQL: %v", err)
	}
}

func createUser(orgURL, apiToken, login string) (int, error) {
	body := fmt.Sprintf(`{"profile":{"login":%q,"email":%q,"firstName":"Load","lastName":"Test"}}`, login, login)
	req, _ := http.NewRequest(http.MethodPost, orgURL+"/api/v1/users?activate=false", strings.NewReader(body))
	req.Header.Set("Authorization", "SSWS "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

var _ = url.Values{}
