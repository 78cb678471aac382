package orgfile

import (
	"strings"
	"testing"
)

// TestEnvironment: ${NAME} and ${NAME:-default} come from the environment,
// $${ is a literal, Okta's ${source.login} is left alone, an unset variable
// without a default is an error at its line, and export escapes what apply
// would expand.
func TestEnvironment(t *testing.T) {
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"OM_URL": "http://om.test:8585", "EMPTY": ""}[k]
		return v, ok
	}
	text := `trustedOrigins:
  - name: "$${literal} ${source.login}"
    origin: ${OM_URL}
  - name: b
    origin: ${NOT_SET:-http://localhost:8585}
  - name: c
    origin: ${EMPTY:-http://default.test}
`
	f, err := ParseEnv("org.yaml", []byte(text), env)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, it := range f.list("trustedOrigins") {
		got = append(got, getStr(it.m, "name")+"|"+getStr(it.m, "origin"))
	}
	want := "${literal} ${source.login}|http://om.test:8585,b|http://localhost:8585,c|http://default.test"
	if strings.Join(got, ",") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
	_, err = ParseEnv("org.yaml", []byte("groups:\n  - name: x\n    description: ${NOPE}\n"), env)
	if err == nil || !strings.Contains(err.Error(), "org.yaml:3:18: groups[0].description: the environment variable NOPE is not set") {
		t.Fatalf("unset variable: %v", err)
	}
	for _, s := range []string{"${A}", "$${A}", "a ${B:-x} b", "${source.login}", "$$"} {
		back, err := expand(escapeEnv(s), env)
		if err != nil || back != s {
			t.Fatalf("escape %q → %q → %q (%v)", s, escapeEnv(s), back, err)
		}
	}
}
