package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/openmetadata/omtest"
)

// omOrg is a Sesame with an initialized org, for the OpenMetadata tests.
type omOrg struct {
	url, tokenFile string
}

func newOMOrg(t *testing.T, host string) omOrg {
	t.Helper()
	dir := t.TempDir()
	data, tokenFile := filepath.Join(dir, "data"), filepath.Join(dir, "api-token")
	if out, err := run(context.Background(), t, "", "init", "--data", data, "--admin-email", "dana@acme.example", "--api-token-file", tokenFile); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	orgURL, _ := startServeOn(t, data, host)
	return omOrg{orgURL, tokenFile}
}

// setup runs `sesame openmetadata setup` and fails the test when it fails.
func (o omOrg) setup(t *testing.T, om, outDir string, extra ...string) string {
	t.Helper()
	out, err := o.trySetup(t, om, outDir, extra...)
	if err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	return out
}

func (o omOrg) trySetup(t *testing.T, om, outDir string, extra ...string) (string, error) {
	t.Helper()
	args := []string{"openmetadata", "setup", "--org-url", o.url, "--api-token-file", o.tokenFile, "--om-url", om, "--out-dir", outDir}
	if !slices.Contains(extra, "--admin-email") {
		args = append(args, "--admin-email", "dana@acme.example")
	}
	return run(context.Background(), t, "", append(args, extra...)...)
}

func (o omOrg) get(t *testing.T, path string, out any) {
	t.Helper()
	tok, err := os.ReadFile(o.tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, o.url+path, nil)
	req.Header.Set("Authorization", "SSWS "+strings.TrimSpace(string(tok)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// botKID is the kid setup registers for the key in dir: its RFC 7638 thumbprint.
func botKID(t *testing.T, dir string) string {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(dir, "ingestion-bot.private-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	signer, _, err := keys.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	return keys.Thumbprint(signer.Public())
}

func lineWith(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestOpenMetadataSetupNeverBreaksAnEarlierRun: a second setup in another
// directory, for a second OpenMetadata, adds its bot key and redirect URIs
// and keeps the first run's, so both bots get tokens; --rotate-bot-key is
// the one way to remove keys, and says which.
func TestOpenMetadataSetupNeverBreaksAnEarlierRun(t *testing.T) {
	ctx := context.Background()
	org := newOMOrg(t, "127.0.0.1")
	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	const omA, omB = "http://127.0.0.1:8585", "http://127.0.0.1:8586"
	first := org.setup(t, omA, dirA)
	kidA := botKID(t, dirA)
	if os.Geteuid() != 1000 && !strings.Contains(first, "OpenMetadata's server image runs as uid 1000, which cannot read them") {
		t.Errorf("setup does not say the server's user cannot read the keys:\n%s", first)
	}

	second := org.setup(t, omB, dirB)
	kidB := botKID(t, dirB)
	if kidA == kidB {
		t.Fatal("the second directory got the first one's bot key")
	}
	for _, want := range []string{"+ added the key " + kidB + " to the bot's key set (kept 1 registered before)",
		"(kept its other redirect URIs)", "+ trusted the origin " + omB} {
		if !strings.Contains(second, want) {
			t.Errorf("second run does not say %q:\n%s", want, second)
		}
	}
	if l := lineWith(second, "Bot key set:"); !strings.Contains(l, kidA) || !strings.Contains(l, kidB) {
		t.Errorf("key set line %q lacks %s or %s", l, kidA, kidB)
	}
	var apps []map[string]any
	org.get(t, "/api/v1/apps?q=OpenMetadata", &apps)
	var redirects []any
	for _, a := range apps {
		if a["label"] == "OpenMetadata" {
			redirects = a["settings"].(map[string]any)["oauthClient"].(map[string]any)["redirect_uris"].([]any)
		}
	}
	for _, om := range []string{omA, omB} {
		if !slices.Contains(redirects, any(om+"/callback")) || !slices.Contains(redirects, any(om+"/silent-callback")) {
			t.Errorf("redirect URIs %v lack %s's", redirects, om)
		}
	}
	check := func(om, dir string) (string, error) {
		return run(ctx, t, "", "openmetadata", "check", "--org-url", org.url, "--om-url", om, "--config-dir", dir)
	}
	for _, c := range []struct{ om, dir string }{{omA, dirA}, {omB, dirB}} {
		if out, err := check(c.om, c.dir); err != nil || !strings.Contains(out, "[ok  ] ingestion bot gets a token") {
			t.Fatalf("check %s after the second run: %v\n%s", c.dir, err, out)
		}
	}
	if out, _ := check(omA, dirA); os.Geteuid() != 1000 && !strings.Contains(out, "[warn] OpenMetadata's server (uid 1000) can read its key pair from a bind mount of "+dirA) {
		t.Errorf("check does not warn that uid 1000 cannot read the keys:\n%s", out)
	}
	if os.Geteuid() == 0 {
		owned := org.setup(t, omB, dirB, "--key-owner", "1000:1000")
		out, _ := check(omB, dirB)
		if !strings.Contains(owned, "readable by OpenMetadata's server (uid 1000)") || !strings.Contains(out, "[ok  ] OpenMetadata's server (uid 1000) can read its key pair") {
			t.Errorf("--key-owner 1000:1000 as root:\n%s\n%s", owned, out)
		}
	}
	if again := org.setup(t, omB, dirB); !strings.Contains(again, "nothing changed") {
		t.Fatalf("a third run changed something:\n%s", again)
	}

	rotated := org.setup(t, omB, dirB, "--rotate-bot-key")
	kidB2 := botKID(t, dirB)
	removed := lineWith(rotated, "Removed keys:")
	if kidB2 == kidB || !strings.Contains(removed, kidA) || !strings.Contains(removed, kidB) || strings.Contains(removed, kidB2) {
		t.Fatalf("rotation: new key %s (was %s), removed line %q\n%s", kidB2, kidB, removed, rotated)
	}
	if l := lineWith(rotated, "Bot key set:"); strings.TrimSpace(strings.TrimPrefix(l, "Bot key set:")) != kidB2 {
		t.Errorf("after rotation the key set line is %q, want only %s", l, kidB2)
	}
	if out, err := check(omA, dirA); err == nil || !strings.Contains(out, "[FAIL] ingestion bot gets a token") || !strings.Contains(out, "invalid_client") {
		t.Fatalf("the first directory's bot still authenticates after --rotate-bot-key: %v\n%s", err, out)
	}
	if out, err := check(omB, dirB); err != nil {
		t.Fatalf("check after rotation: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dirB, "ingestion-bot.private-key.pem.new")); !os.IsNotExist(err) {
		t.Errorf("the rotation left its temporary key file: %v", err)
	}
}

// TestOpenMetadataSetupKeepsOpenMetadatasOwnJWTKey: setup asks OpenMetadata
// which key its tokens are signed with and makes a new pair only when that
// is the key shipped in OpenMetadata's repository, or when told to.
func TestOpenMetadataSetupKeepsOpenMetadatasOwnJWTKey(t *testing.T) {
	org := newOMOrg(t, "127.0.0.1")
	own := omtest.New(t, omtest.Options{KID: "kid-of-its-own"})
	dir := filepath.Join(t.TempDir(), "om")
	out, err := org.trySetup(t, own.URL, dir)
	if err == nil || !strings.Contains(err.Error(), "already signs its tokens with a key of its own (kid-of-its-own)") ||
		!strings.Contains(err.Error(), "--rotate-jwt-key") {
		t.Fatalf("setup against an OpenMetadata with its own key: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "private_key.der")); !os.IsNotExist(err) {
		t.Fatal("the refused run wrote a key pair")
	}
	var apps []map[string]any
	org.get(t, "/api/v1/apps", &apps)
	for _, a := range apps {
		if strings.HasPrefix(a["label"].(string), "OpenMetadata") {
			t.Fatalf("the refused run created %q in Sesame", a["label"])
		}
	}
	out = org.setup(t, own.URL, dir, "--rotate-jwt-key")
	if !strings.Contains(out, "replacing kid-of-its-own: every bot token signed with it stops working") {
		t.Fatalf("--rotate-jwt-key does not say what it replaces:\n%s", out)
	}

	shipped := omtest.New(t, omtest.Options{})
	out = org.setup(t, shipped.URL, filepath.Join(t.TempDir(), "om2"))
	if !strings.Contains(out, "! OpenMetadata at "+shipped.URL+" still signs with the key pair shipped in its public repository") {
		t.Fatalf("setup does not say it replaces the shipped key:\n%s", out)
	}
	if !strings.Contains(out, "Principal domain: acme.example, enforced") {
		t.Errorf("one admin domain is not enforced:\n%s", out)
	}
	var sec map[string]any
	two := filepath.Join(t.TempDir(), "two")
	out = org.setup(t, shipped.URL, two, "--admin-email", "dana@acme.example", "--admin-email", "lee@other.example")
	if !strings.Contains(out, "Principal domain: acme.example, not enforced") {
		t.Errorf("two admin domains:\n%s", out)
	}
	raw, err := os.ReadFile(filepath.Join(two, "openmetadata-security.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &sec); err != nil {
		t.Fatal(err)
	}
	authz := sec["authorizerConfiguration"].(map[string]any)
	if authz["enforcePrincipalDomain"] != false || len(authz["adminPrincipals"].([]any)) != 2 {
		t.Errorf("authorizer for two domains: %v", authz)
	}
	if env := readEnvFile(t, filepath.Join(two, "openmetadata.env")); env["AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN"] != "false" {
		t.Errorf("env: %v", env["AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN"])
	}
}

// TestOpenMetadataApply: an OpenMetadata that has been running on basic
// authentication switches to Sesame with setup and apply, through its
// settings API, and apply reads back what it now serves.
func TestOpenMetadataApply(t *testing.T) {
	ctx := context.Background()
	org := newOMOrg(t, "localhost")
	om := omtest.New(t, omtest.Options{AllowInternal: true, AdminPassword: "S3cret-om-admin"})
	dir := filepath.Join(t.TempDir(), "om")
	setupOut := org.setup(t, om.URL, dir)
	for _, want := range []string{"! --org-url " + org.url + " resolves to ", "OPENMETADATA_ALLOW_INTERNAL_URL_TARGETS=true, which the files below set",
		"! --om-url " + om.URL + " resolves to ", "! " + org.url + "/oauth2/aus"} {
		if !strings.Contains(setupOut, want) {
			t.Errorf("setup does not say %q up front:\n%s", want, setupOut)
		}
	}
	if !strings.Contains(setupOut, ": an OpenMetadata server in a container reaches its own localhost there, not Sesame") {
		t.Errorf("setup does not say a container cannot reach a localhost issuer:\n%s", setupOut)
	}
	if env := readEnvFile(t, filepath.Join(dir, "openmetadata.env")); env["OPENMETADATA_ALLOW_INTERNAL_URL_TARGETS"] != "true" {
		t.Errorf("the .env lines lack OPENMETADATA_ALLOW_INTERNAL_URL_TARGETS=true")
	}
	var sec struct {
		Auth map[string]any `json:"authenticationConfiguration"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "openmetadata-security.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &sec); err != nil {
		t.Fatal(err)
	}
	issuer, _ := sec.Auth["authority"].(string)
	if !strings.HasPrefix(issuer, org.url+"/oauth2/aus") {
		t.Fatalf("authority %q", issuer)
	}
	apply := func(stdin string, args ...string) (string, error) {
		return run(ctx, t, stdin, append([]string{"openmetadata", "apply", "--om-url", om.URL, "--config-dir", dir}, args...)...)
	}

	out, err := apply("not-the-password\n", "--om-password-stdin")
	if err == nil || !strings.Contains(err.Error(), "refused the sign-in of admin@open-metadata.org: 401") || om.Saves() != 0 {
		t.Fatalf("a wrong password: %v (saves %d)\n%s", err, om.Saves(), out)
	}
	out, err = apply("S3cret-om-admin\n", "--om-password-stdin", "--validate-only")
	if err != nil || !strings.Contains(out, "OpenMetadata validated the configuration") || om.Saves() != 0 {
		t.Fatalf("--validate-only: %v (saves %d)\n%s", err, om.Saves(), out)
	}

	out, err = apply("S3cret-om-admin\n", "--om-password-stdin")
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	for _, want := range []string{`OpenMetadata uses provider "basic" now`, "OpenMetadata validated the configuration",
		"OpenMetadata saved it", "  provider         okta", "  authority        " + issuer, "  principalDomain  acme.example"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply does not say %q:\n%s", want, out)
		}
	}
	stored := om.Stored()
	auth := stored["authenticationConfiguration"].(map[string]any)
	authz := stored["authorizerConfiguration"].(map[string]any)
	keysURLs := auth["publicKeyUrls"].([]any)
	if auth["provider"] != "okta" || auth["clientType"] != "public" || keysURLs[0] != issuer+"/v1/keys" || auth["oidcConfiguration"] != nil {
		t.Errorf("stored authentication: %v", auth)
	}
	if authz["enforcePrincipalDomain"] != true || !slices.Equal(authz["adminPrincipals"].([]any), []any{"dana"}) ||
		!slices.Equal(authz["allowedEmailRegistrationDomains"].([]any), []any{"all"}) {
		t.Errorf("stored authorizer (what apply does not set must stay): %v", authz)
	}
	logins := 0
	for _, r := range om.Requests() {
		if r == "POST /api/v1/users/login" {
			logins++
		}
	}
	if logins != 3 {
		t.Errorf("%d sign-ins for three runs with a password", logins)
	}

	out, err = apply("S3cret-om-admin\n", "--om-password-stdin")
	if err == nil || !strings.Contains(err.Error(), "no longer uses basic authentication") || !strings.Contains(err.Error(), "--om-jwt-file") {
		t.Fatalf("a password once OpenMetadata uses SSO: %v\n%s", err, out)
	}
	jwtFile := filepath.Join(t.TempDir(), "om-admin.jwt")
	if err := os.WriteFile(jwtFile, []byte(om.Token("admin")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err = apply("", "--om-jwt-file", jwtFile); err != nil || !strings.Contains(out, `OpenMetadata uses provider "okta" now`) || om.Saves() != 2 {
		t.Fatalf("apply again with an admin JWT: %v (saves %d)\n%s", err, om.Saves(), out)
	}
	if err := os.WriteFile(jwtFile, []byte(om.Token("someone")), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err = apply("", "--om-jwt-file", jwtFile); err == nil || !strings.Contains(err.Error(), "is not admin") {
		t.Fatalf("a JWT of a non-admin: %v\n%s", err, out)
	}
}

// TestOpenMetadataApplyRefusals: what OpenMetadata's validation refuses
// reaches the person verbatim, with what to do, and nothing is saved.
func TestOpenMetadataApplyRefusals(t *testing.T) {
	ctx := context.Background()
	org := newOMOrg(t, "localhost")
	apply := func(om *omtest.Server, dir string) (string, error) {
		return run(ctx, t, "admin\n", "openmetadata", "apply", "--om-url", om.URL, "--config-dir", dir, "--om-password-stdin")
	}
	expectRefusal := func(om *omtest.Server, dir string, wants ...string) {
		t.Helper()
		out, err := apply(om, dir)
		if err == nil {
			t.Fatalf("apply was not refused:\n%s", out)
		}
		for _, want := range append(wants, "OpenMetadata refused the configuration; nothing was saved", "what to do:") {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the refusal does not say %q:\n%v", want, err)
			}
		}
		if om.Saves() != 0 || om.Stored()["authenticationConfiguration"].(map[string]any)["provider"] != "basic" {
			t.Errorf("a refused configuration was saved")
		}
	}

	strict := omtest.New(t, omtest.Options{})
	dir := filepath.Join(t.TempDir(), "strict")
	org.setup(t, strict.URL, dir)
	expectRefusal(strict, dir, "authenticationConfiguration.authority: Domain validation failed: Invalid or unsafe URL: "+org.url+"/oauth2/",
		"OPENMETADATA_ALLOW_INTERNAL_URL_TARGETS=true")

	lenient := omtest.New(t, omtest.Options{AllowInternal: true})
	dir = filepath.Join(t.TempDir(), "rewritten")
	org.setup(t, lenient.URL, dir)
	secFile := filepath.Join(dir, "openmetadata-security.json")
	raw, err := os.ReadFile(secFile)
	if err != nil {
		t.Fatal(err)
	}
	var sec map[string]any
	if err := json.Unmarshal(raw, &sec); err != nil {
		t.Fatal(err)
	}
	auth := sec["authenticationConfiguration"].(map[string]any)
	issuer := auth["authority"].(string)
	auth["publicKeyUrls"] = []string{strings.Replace(issuer, "localhost", "sesame", 1) + "/v1/keys"}
	raw, _ = json.Marshal(sec)
	if err := os.WriteFile(secFile, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	expectRefusal(lenient, dir, "authenticationConfiguration.publicKeyUrls: Public key URL validation failed: At least one public key URL must match the Okta JWKS endpoint: "+issuer+"/v1/keys",
		"the first must be {authority}/v1/keys exactly")

	byAddress := newOMOrg(t, "127.0.0.1")
	dir = filepath.Join(t.TempDir(), "address")
	if out := byAddress.setup(t, lenient.URL, dir); !strings.Contains(out, "! --org-url "+byAddress.url+" is written as a loopback or private IP address") {
		t.Errorf("setup does not say up front that OpenMetadata refuses an IP address:\n%s", out)
	}
	expectRefusal(lenient, dir, "Invalid or unsafe URL: "+byAddress.url+"/oauth2/", "written as a private or loopback IP address (127.0.0.1)")
}
