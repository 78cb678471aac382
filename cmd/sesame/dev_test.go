package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// TestApplyAndExportCommands: apply (dry run, then for real, then again),
// a refused file with its line, and export to a file, on a --data
// database as a person types them.
func TestApplyAndExportCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if out, err := run(ctx, t, "", "init", "--data", data, "--admin-email", "admin@example.com"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	org := filepath.Join(dir, "org.yaml")
	if err := os.WriteFile(org, []byte("groups:\n  - name: Engineering\npeople:\n  - profile: {login: ada@example.com, firstName: Ada, lastName: L}\n    groups: [Engineering]\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	out, err := run(ctx, t, "", "apply", "--data", data, "-f", org, "--dry-run")
	if err != nil || out != "+ create group \"Engineering\"\n+ create person \"ada@example.com\"\nPlan: 2 to create, 0 to change, 0 to delete.\n" {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if out, err = run(ctx, t, "", "apply", "--data", data, "-f", org); err != nil || !strings.HasSuffix(out, "Applied: 2 to create, 0 to change, 0 to delete.\n") {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if out, err = run(ctx, t, "", "apply", "--data", data, "-f", org); err != nil || out != "No changes: the org matches the file.\n" {
		t.Fatalf("apply again: %v\n%s", err, out)
	}
	// Standard input, a bad value: refused with its place.
	_, err = run(ctx, t, "people:\n  - profile: {login: x@example.com}\n    status: GONE\n", "apply", "--data", data, "-f", "-")
	if err == nil || !strings.Contains(err.Error(), "(stdin):3:13: people[0].status") {
		t.Fatalf("bad file: %v", err)
	}
	// No org yet: said so.
	if _, err = run(ctx, t, "", "apply", "--data", filepath.Join(dir, "empty"), "-f", org); err == nil || !strings.Contains(err.Error(), "has no org yet") {
		t.Fatalf("empty database: %v", err)
	}

	exp := filepath.Join(dir, "export.yaml")
	if out, err = run(ctx, t, "", "export", "--data", data, "-o", exp); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	b, err := os.ReadFile(exp)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "login: ada@example.com") || !strings.Contains(string(b), "- Engineering") {
		t.Fatalf("export:\n%s", b)
	}
	if out, err = run(ctx, t, "", "apply", "--data", data, "-f", exp); err != nil || out != "No changes: the org matches the file.\n" {
		t.Fatalf("apply the export: %v\n%s", err, out)
	}
}

// startDev runs `sesame dev` with args until the test ends and returns its
// URL and what it printed once it answers.
func startDev(t *testing.T, args ...string) (string, *syncBuffer, func()) {
	t.Helper()
	addr := freeAddr(t)
	for i, a := range args {
		if a == "--addr" {
			addr = args[i+1]
		}
	}
	orgURL := "http://" + addr
	out, stop := runServer(t, orgURL, append([]string{"dev", "--addr", addr}, args...)...)
	// dev serves before it prints the org's credentials: wait for the end
	// of what it prints, not only for an answer.
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), "Ctrl-C stops it."); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("dev printed no end of its start-up:\n%s", out)
		}
	}
	return orgURL, out, stop
}

// TestDevDefaultOrg: the default org's printed credentials work, and with
// --keys a token issued before a restart still verifies after it.
func TestDevDefaultOrg(t *testing.T) {
	keysFile := filepath.Join(t.TempDir(), "keys.json")
	orgURL, out, stop := startDev(t, "--keys", keysFile)
	text := out.String()
	for _, want := range []string{"NEVER FOR PRODUCTION", "Administrator: admin@example.com  password: ", "Test user:     user@example.com  password: ", "client_id dev-spa"} {
		if !strings.Contains(text, want) {
			t.Fatalf("dev printed no %q:\n%s", want, text)
		}
	}
	secret := regexp.MustCompile(`client_id dev-service  client_secret (\S+)`).FindStringSubmatch(text)
	if secret == nil {
		t.Fatalf("no service secret:\n%s", text)
	}
	req, _ := http.NewRequest(http.MethodPost, orgURL+"/oauth2/default/v1/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("dev-service", secret[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if tok.AccessToken == "" || tok.Scope != "api" {
		t.Fatalf("service token: %d %+v", resp.StatusCode, tok)
	}
	if fi, err := os.Stat(keysFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys file: %v %v", err, fi)
	}
	stop()

	// A new temporary database, the same keys: the old token verifies
	// against the new server's key set.
	startDev(t, "--keys", keysFile, "--addr", strings.TrimPrefix(orgURL, "http://"))
	ks := oidc.NewRemoteKeySet(context.Background(), orgURL+"/oauth2/default/v1/keys")
	if _, err := ks.VerifySignature(context.Background(), tok.AccessToken); err != nil {
		t.Fatalf("a token from before the restart: %v", err)
	}
}

// TestDevRefusesNonLoopback: without --i-know, no listening on every
// interface.
func TestDevRefusesNonLoopback(t *testing.T) {
	_, err := run(context.Background(), t, "", "dev", "--addr", "0.0.0.0:0")
	if err == nil || !strings.Contains(err.Error(), "--i-know") {
		t.Fatalf("got %v", err)
	}
}

// TestOpenMetadataExample: docs/examples/openmetadata.yaml applied by
// sesame dev passes sesame openmetadata check, and applied again remotely
// through the management API it changes nothing.
func TestOpenMetadataExample(t *testing.T) {
	ctx := context.Background()
	example := filepath.Join("..", "..", "docs", "examples", "openmetadata.yaml")
	orgURL, out, _ := startDev(t, "--org", example)
	out2, err := run(ctx, t, "", "openmetadata", "check", "--org-url", orgURL, "--om-url", "http://localhost:8585",
		"--issuer", orgURL+"/oauth2/default", "--client-id", "openmetadata", "--config-dir", t.TempDir())
	if err != nil || !regexp.MustCompile(`all \d+ checks passed`).MatchString(out2) {
		t.Fatalf("check: %v\n%s", err, out2)
	}
	tok := regexp.MustCompile(`API token:\s+SSWS (\S+)`).FindStringSubmatch(out.String())
	if tok == nil {
		t.Fatalf("no API token printed:\n%s", out)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(tok[1]), 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := run(ctx, t, "", "apply", "--org-url", orgURL, "--api-token-file", tokenFile, "-f", example)
	if err != nil || !strings.HasSuffix(again, "No changes: the org matches the file.\n") {
		t.Fatalf("remote apply of the same file: %v\n%s", err, again)
	}
}

// TestContainerDevArgs: the image's default command becomes sesame dev only
// with SESAME_DEV=1, on /org.yaml only when it is mounted and no other org
// is named; any other command is left alone.
func TestContainerDevArgs(t *testing.T) {
	mounted := func(p string) bool { return p == "/org.yaml" }
	none := func(string) bool { return false }
	for _, c := range []struct {
		env    map[string]string
		exists func(string) bool
		args   []string
		want   string
	}{
		{nil, mounted, []string{"serve"}, "serve"},
		{map[string]string{"SESAME_DEV": "0"}, mounted, []string{"serve"}, "serve"},
		{map[string]string{"SESAME_DEV": "1"}, mounted, []string{"serve"}, "dev --i-know --org /org.yaml"},
		{map[string]string{"SESAME_DEV": "1"}, none, []string{"serve"}, "dev --i-know"},
		{map[string]string{"SESAME_DEV": "1"}, mounted, []string{"serve", "--keys", "/k.json"}, "dev --i-know --keys /k.json --org /org.yaml"},
		{map[string]string{"SESAME_DEV": "1", "SESAME_DEV_ORG": "/other.yaml"}, mounted, []string{"serve"}, "dev --i-know"},
		{map[string]string{"SESAME_DEV": "1", "SESAME_DEV_ORG_YAML": "groups: []"}, mounted, []string{"serve"}, "dev --i-know"},
		{map[string]string{"SESAME_DEV": "1"}, mounted, []string{"export"}, "export"},
		{map[string]string{"SESAME_DEV": "1"}, mounted, nil, ""},
	} {
		got := strings.Join(containerDevArgs(c.args, func(k string) string { return c.env[k] }, c.exists), " ")
		if got != c.want {
			t.Errorf("%v %v: got %q, want %q", c.env, c.args, got, c.want)
		}
	}
}
