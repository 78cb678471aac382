package orgfile_test

import (
	"context"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/devserver"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/mgmt"
	"github.com/sesame-idp/sesame/internal/mgmtclient"
	"github.com/sesame-idp/sesame/internal/orgfile"
)

// startOrg serves a fresh org (admin@example.com and an API token) on a
// loopback port with the published test keys.
func startOrg(t *testing.T) *devserver.Server {
	t.Helper()
	data, err := os.ReadFile("../../pkg/sesametest/testkeys.json")
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.ParseServerKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := devserver.Start(context.Background(), devserver.Config{Dir: t.TempDir(), Listener: ln, Keys: k.Lookup,
		AdminPassword: "Correct-Horse-42"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func local(s *devserver.Server) orgfile.Target {
	return orgfile.LocalTarget(s.App.Service, mgmt.New(s.App.Service, s.App.OAuth, s.App.Log))
}

func remote(s *devserver.Server) orgfile.Target {
	return orgfile.Target{API: mgmtclient.New(s.URL, s.APIToken)}
}

func parse(t *testing.T, name, text string) *orgfile.File {
	t.Helper()
	f, err := orgfile.Parse(name, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// apply applies text and returns the printed plan.
func apply(t *testing.T, target orgfile.Target, text string, o orgfile.Options) string {
	t.Helper()
	plan, err := orgfile.Apply(context.Background(), parse(t, "org.yaml", text), target, o)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	var b strings.Builder
	plan.Write(&b, !o.DryRun)
	return b.String()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var fixed = orgfile.Options{AllowFixedSecrets: true}

// countLine reads "Applied: N to create, …".
var summary = regexp.MustCompile(`(?m)^(Plan|Applied): (\d+) to create, (\d+) to change, (\d+) to delete\.$`)

// TestApplyTwice: the second apply of a file changes nothing, locally
// and remotely, and a dry run changes nothing either.
func TestApplyTwice(t *testing.T) {
	text := readFile(t, "testdata/org.yaml")
	for name, target := range map[string]func(*devserver.Server) orgfile.Target{"local": local, "remote": remote} {
		t.Run(name, func(t *testing.T) {
			s := startOrg(t)
			tg := target(s)
			if name == "remote" {
				// API tokens are made only on a local database.
				text = text[:strings.Index(text, "apiTokens:")]
			}
			dry := apply(t, tg, text, orgfile.Options{AllowFixedSecrets: true, DryRun: true})
			m := summary.FindStringSubmatch(dry)
			if m == nil || m[1] != "Plan" || m[2] == "0" {
				t.Fatalf("dry run plan:\n%s", dry)
			}
			if again := apply(t, tg, text, orgfile.Options{AllowFixedSecrets: true, DryRun: true}); again != dry {
				t.Fatalf("a dry run changed something: first\n%s\nthen\n%s", dry, again)
			}
			first := apply(t, tg, text, fixed)
			if strings.Replace(first, "Applied:", "Plan:", 1) != dry {
				t.Fatalf("apply did other than the dry run said:\n%s\nvs\n%s", first, dry)
			}
			second := apply(t, tg, text, fixed)
			want := "No changes: the org matches the file.\n"
			if name == "remote" {
				// What the API never reveals is said, not compared.
				want = "! passwords of people who exist already are not compared on a remote Sesame (the API never reveals them); they were left as they are\n" +
					"! app \"Backend\": a remote Sesame never reveals client secrets, so the fixed one was not compared (it was set when the app was created)\n" + want
			}
			if second != want {
				t.Fatalf("second apply:\n%s", second)
			}
		})
	}
}

// TestChangedFile: a changed file changes exactly what differs, and the
// plan says exactly that.
func TestChangedFile(t *testing.T) {
	s := startOrg(t)
	tg := local(s)
	text := readFile(t, "testdata/org.yaml")
	apply(t, tg, text, fixed)

	changed := strings.NewReplacer(
		"redirect_uris: [http://localhost:3000/callback]", "redirect_uris: [http://localhost:3000/callback, http://localhost:3000/other]",
		"description: Builders", "description: Makers",
		"password: Correct-Horse-42", "password: Correct-Horse-43",
		"roles: [READ_ONLY_ADMIN]", "roles: [APP_ADMIN, REPORT_ADMIN]",
		"grants: [okta.users.read]", "grants: [okta.users.read, okta.clients.read]",
		"{name: api, description: The API, default: true}", "{name: api, description: The API, default: false}",
		"    origin: http://localhost:3000\n", "    origin: http://localhost:3000\n    status: INACTIVE\n",
	).Replace(text)
	want := `~ update group "Engineering"
    profile.description: "Builders" → "Makers"
~ update person "ada@example.com"
    password: (secret) → (secret)
    roles: ["READ_ONLY_ADMIN"] → ["APP_ADMIN","REPORT_ADMIN"]
~ update app "My SPA"
    settings.oauthClient.redirect_uris: ["http://localhost:3000/callback"] → ["http://localhost:3000/callback","http://localhost:3000/other"]
~ update app "Backend"
    grants: ["okta.users.read"] → ["okta.clients.read","okta.users.read"]
~ update trusted origin "http://localhost:3000"
    status: "ACTIVE" → "INACTIVE"
~ update scope "default/api"
    default: true → false
Plan: 0 to create, 6 to change, 0 to delete.
`
	if got := apply(t, tg, changed, orgfile.Options{AllowFixedSecrets: true, DryRun: true}); got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if got := apply(t, tg, changed, fixed); got != strings.Replace(want, "Plan:", "Applied:", 1) {
		t.Fatalf("applied:\n%s", got)
	}
	if got := apply(t, tg, changed, fixed); got != "No changes: the org matches the file.\n" {
		t.Fatalf("after the change:\n%s", got)
	}
	// The new password works; the old one does not.
	ok, err := tg.Local.PasswordMatches(context.Background(), userID(t, s, "ada@example.com"), "Correct-Horse-43")
	if err != nil || !ok {
		t.Fatalf("the changed password does not match: %v", err)
	}
}

func userID(t *testing.T, s *devserver.Server, login string) string {
	t.Helper()
	u, err := s.App.Store.Users().GetByLogin(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// TestPrune: objects the file does not name stay unless --prune, which
// deletes them from the lists the file has and never the administrator,
// Everyone, the default server or system scopes.
func TestPrune(t *testing.T) {
	s := startOrg(t)
	tg := local(s)
	apply(t, tg, readFile(t, "testdata/org.yaml"), fixed)
	small := `
people:
  - profile: {login: ada@example.com, firstName: Ada, lastName: Lovelace}
groups: []
apps:
  - label: My SPA
    credentials: {oauthClient: {client_id: spa-client}}
authorizationServers:
  - name: default
    scopes: []
    policies:
      - name: Default Policy
`
	if got := apply(t, tg, small, orgfile.Options{}); got != "No changes: the org matches the file.\n" {
		t.Fatalf("without --prune:\n%s", got)
	}
	want := `- delete scope "default/api"
- delete policy "default/SPA policy"
- delete authorization server "Internal"
- delete app "Backend"
- delete person "bob@example.com"
- delete group "Engineering"
Plan: 0 to create, 0 to change, 6 to delete.
`
	if got := apply(t, tg, small, orgfile.Options{Prune: true, DryRun: true}); got != want {
		t.Fatalf("prune plan:\n%s\nwant:\n%s", got, want)
	}
	apply(t, tg, small, orgfile.Options{Prune: true})
	if got := apply(t, tg, small, orgfile.Options{Prune: true}); got != "No changes: the org matches the file.\n" {
		t.Fatalf("after prune:\n%s", got)
	}
	// What prune never touches is there still.
	if _, err := s.App.Store.Users().GetByLogin(context.Background(), "admin@example.com"); err != nil {
		t.Fatalf("the administrator: %v", err)
	}
	if _, err := s.App.Store.AuthServers().Get(context.Background(), "default"); err != nil {
		t.Fatalf("the default server: %v", err)
	}
	scopes, err := s.App.Store.AuthServers().ListScopes(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if len(scopes) != 7 {
		t.Fatalf("%d scopes left, want the 7 system scopes", len(scopes))
	}
}

// TestExportRoundTrip: export → apply to a fresh org → export gives the
// same file, and applying it again changes nothing.
func TestExportRoundTrip(t *testing.T) {
	a := startOrg(t)
	apply(t, local(a), readFile(t, "testdata/org.yaml"), fixed)
	first, err := orgfile.Export(context.Background(), local(a), orgfile.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := startOrg(t)
	apply(t, local(b), string(first), orgfile.Options{})
	second, err := orgfile.Export(context.Background(), remote(b), orgfile.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(second) {
		t.Fatalf("round trip differs:\n%s\n----\n%s", first, second)
	}
	if got := apply(t, local(b), string(first), orgfile.Options{}); got != "No changes: the org matches the file.\n" {
		t.Fatalf("applying the export again:\n%s", got)
	}
	for _, want := range []string{"client_id: spa-client", "- okta.users.read", "- Engineering", "name: SPA policy", "owner: admin@example.com", "- READ_ONLY_ADMIN", "- SUPER_ADMIN"} {
		if !strings.Contains(string(first), want) {
			t.Fatalf("the export lacks %q:\n%s", want, first)
		}
	}
}

// TestSecretsNeverPrinted: plans, errors and exports never carry a
// password, client secret or token value from the file or made by Sesame.
func TestSecretsNeverPrinted(t *testing.T) {
	s := startOrg(t)
	tg := local(s)
	text := readFile(t, "testdata/org.yaml")
	secrets := []string{"Correct-Horse-42", "backend-secret-0123456789", "00ci-token-0123456789abcdef"}
	var out strings.Builder
	out.WriteString(apply(t, tg, text, orgfile.Options{AllowFixedSecrets: true, DryRun: true}))
	out.WriteString(apply(t, tg, text, fixed))
	changed := strings.NewReplacer("Correct-Horse-42", "Other-Horse-42", "backend-secret-0123456789", "backend-secret-9876543210",
		"00ci-token-0123456789abcdef", "00ci-token-fedcba9876543210").Replace(text)
	secrets = append(secrets, "Other-Horse-42", "backend-secret-9876543210", "00ci-token-fedcba9876543210")
	out.WriteString(apply(t, tg, changed, fixed))
	// Refusals too: a fixed secret without the option names the place only.
	_, err := orgfile.Apply(context.Background(), parse(t, "org.yaml", changed), tg, orgfile.Options{})
	if err == nil {
		t.Fatal("fixed secrets were accepted without AllowFixedSecrets")
	}
	out.WriteString(err.Error())
	exp, err := orgfile.Export(context.Background(), tg, orgfile.ExportOptions{WithSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	out.Write(exp)
	plan, err := orgfile.Apply(context.Background(), parse(t, "new.yaml", "apiTokens: [{name: generated, owner: admin@example.com}]"), tg, orgfile.Options{})
	if err != nil || len(plan.Secrets) != 1 {
		t.Fatalf("a generated token: %v %+v", err, plan)
	}
	plan.Write(&out, true)
	secrets = append(secrets, plan.Secrets[0].Value)
	for _, sec := range secrets {
		if strings.Contains(out.String(), sec) {
			t.Fatalf("%q was printed:\n%s", sec, out.String())
		}
	}
	if !strings.Contains(out.String(), "password: (secret) → (secret)") || !strings.Contains(string(exp), "passwordHash: $argon2id$") {
		t.Fatalf("the secret changes are not shown as such:\n%s", out.String())
	}
}

// TestInvalidFiles: every bad file is refused with the file, line, column
// and path of the bad value, and changes nothing.
func TestInvalidFiles(t *testing.T) {
	for _, c := range []struct{ name, text, want string }{
		{"not YAML", "people: [", "org.yaml: line 1: did not find expected node content"},
		{"not a mapping", "- a\n- b\n", "org.yaml:1:1: the file must be a mapping"},
		{"unknown top-level key", "peeple: []\n", "org.yaml:1:1: peeple: unknown key; expected one of people, groups, apps, trustedOrigins, authorizationServers, apiTokens"},
		{"unknown person key", "people:\n  - profile: {login: a@example.com}\n    pasword: x\n", "org.yaml:3:5: people[0].pasword: unknown key"},
		{"wrong type", "groups:\n  - name: [a, b]\n", "org.yaml:2:11: groups[0].name: want a string, not a list"},
		{"bad enum", "people:\n  - profile: {login: a@example.com}\n    status: HAPPY\n", `org.yaml:3:13: people[0].status: "HAPPY" is not one of ACTIVE, STAGED, SUSPENDED, DEPROVISIONED`},
		{"unknown role", "people:\n  - profile: {login: a@example.com}\n    roles: [GOD_MODE]\n", `org.yaml:3:13: people[0].roles[0]: "GOD_MODE" is not one of SUPER_ADMIN, ORG_ADMIN`},
		{"missing required", "apps:\n  - name: oidc_client\n", "org.yaml:2:5: apps[0]: label is required"},
		{"duplicate key", "groups:\n  - name: a\n    name: b\n", "org.yaml:3:5: groups[0].name: this key is given twice"},
		{"duplicate login", "people:\n  - profile: {login: a@example.com}\n  - profile: {login: A@example.com}\n",
			`org.yaml:3:22: people[1].profile.login: a second person "a@example.com" (the first is people[0])`},
		{"two documents", "groups: []\n---\ngroups: []\n", "org.yaml:2: one document per file: a second one starts here"},
		{"password and hash", "people:\n  - profile: {login: a@example.com}\n    password: x\n    passwordHash: y\n", "org.yaml:4:19: people[0].passwordHash: give a password or a passwordHash, not both"},
		{"bad number", "authorizationServers:\n  - name: s\n    policies:\n      - name: p\n        priority: 1.5\n", "org.yaml:5:19: authorizationServers[0].policies[0].priority: want a whole number"},
		{"tagged value", "groups:\n  - name: !!binary aGVsbG8=\n", "org.yaml:2:11: groups[0].name: values tagged !!binary are not supported"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := orgfile.Parse("org.yaml", []byte(c.text))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}

	// Problems only the org shows: a name that refers to nothing, a
	// status no lifecycle reaches, a value the server refuses — at the
	// value's line, before anything changes.
	s := startOrg(t)
	tg := local(s)
	for _, c := range []struct{ name, text, want string }{
		{"unknown group", "people:\n  - profile: {login: a@example.com, firstName: A, lastName: B}\n    groups: [Nobody]\n",
			`org.yaml:3:14: people[0].groups[0]: there is no group named "Nobody" in the file or the org`},
		{"unknown app in a policy", "authorizationServers:\n  - name: default\n    policies:\n      - name: p\n        conditions: {clients: {include: [Ghost]}}\n",
			`org.yaml:5:42: authorizationServers[0].policies[0].conditions.clients.include[0]: there is no app labelled or with the client id "Ghost"`},
		{"fixed secret without the option", "apps:\n  - label: x\n    credentials: {oauthClient: {client_secret: abcdefghijklmnopqrstu}}\n",
			"org.yaml:3:48: apps[0].credentials.oauthClient.client_secret: a fixed client secret is for tests only: pass --allow-fixed-secrets"},
		{"server refuses", "apps:\n  - label: x\n    settings:\n      oauthClient:\n        application_type: browser\n        redirect_uris: [not-a-url]\n",
			"org.yaml:6:24: apps[0].settings.oauthClient.redirect_uris: create the app: the server refused it (400 E0000001"},
		{"built-in group", "groups:\n  - name: Everyone\n", `org.yaml:2:11: groups[0].name: "Everyone" is a built-in group`},
		{"weak password", "people:\n  - profile: {login: b@example.com, firstName: A, lastName: B}\n    password: short\n",
			"org.yaml:3:15: people[0].password: create the person: the server refused it (403 E0000080"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := orgfile.Apply(context.Background(), parse(t, "org.yaml", c.text), tg, orgfile.Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	// None of it changed the org.
	exp, err := orgfile.Export(context.Background(), tg, orgfile.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(exp), "a@example.com") || strings.Contains(string(exp), "label: x") {
		t.Fatalf("a refused file changed the org:\n%s", exp)
	}
}

// TestSystemLog: a local apply records the same events the management API
// does, with "sesame apply" as the actor.
func TestSystemLog(t *testing.T) {
	s := startOrg(t)
	apply(t, local(s), "groups: [{name: Engineering}]\npeople:\n  - profile: {login: ada@example.com, firstName: Ada, lastName: L}\n    groups: [Engineering]\n", orgfile.Options{})
	var events []struct {
		EventType string `json:"eventType"`
		Actor     struct {
			DisplayName string `json:"displayName"`
		} `json:"actor"`
	}
	if err := remote(s).API.Do(context.Background(), "GET", "/api/v1/logs?limit=100", nil, &events); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range events {
		got[e.EventType] = e.Actor.DisplayName
	}
	for _, ev := range []string{"group.lifecycle.create", "user.lifecycle.create", "group.user_membership.add"} {
		if got[ev] != "sesame apply" {
			t.Fatalf("event %s by %q; events: %v", ev, got[ev], got)
		}
	}
}
