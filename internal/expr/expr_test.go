package expr

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func testEnv() Env {
	return Env{
		User: &User{
			ID:         "00u1",
			Profile:    map[string]any{"email": "Joe.Smith@Example.com", "login": "joe@example.com", "firstName": "Joe", "age": 42.0, "tags": []any{"a", "b"}, "dept": map[string]any{"code": "R&D"}},
			GroupIDs:   []string{"00gA", "00gB"},
			GroupNames: []string{"Everyone", "app-admins", "App-Users", "staff"},
		},
		AppUser: map[string]any{"userName": "joe"},
		App:     &App{ID: "0oa1", ClientID: "client1", Label: "My App", Profile: map[string]any{"tier": "gold"}},
		Org:     Org{ID: "00o1", Name: "Acme"},
	}
}

func TestEval(t *testing.T) {
	full := testEnv()
	noUser := Env{App: full.App, Org: full.Org}
	tests := []struct {
		src  string
		env  Env
		want any
	}{
		{`user.email`, full, "Joe.Smith@Example.com"},
		{`user.id`, full, "00u1"},
		{`user.dept.code`, full, "R&D"},
		{`user.missing`, full, nil},
		{`user.email.x`, full, nil},
		{`appuser.userName`, full, "joe"},
		{`app.clientId + "@svc"`, noUser, "client1@svc"},
		{`app.id`, full, "0oa1"},
		{`app.label`, full, "My App"},
		{`app.profile.tier`, full, "gold"},
		{`org.name + "/" + org.id`, full, "Acme/00o1"},
		{`'single' + "double"`, full, "singledouble"},
		{`"a\"b"`, full, `a"b`},
		{`1 + 2`, full, 3.0},
		{`"n" + 1.5`, full, "n1.5"},
		{`user.age + 1`, full, 43.0},
		{`null`, full, nil},
		{`user.email + null`, full, "Joe.Smith@Example.com"},
		{`null + null`, full, nil},
		{`user.email`, noUser, nil},
		{`user.email + "x"`, noUser, "x"},
		{`(appuser != null) ? appuser.userName : app.clientId`, full, "joe"},
		{`(appuser != null) ? appuser.userName : app.clientId`, noUser, "client1"},
		{`user.firstName == "Joe"`, full, true},
		{`user.firstName != "Joe"`, full, false},
		{`null == null`, full, true},
		{`user.x == null`, full, true},
		{`true && !false`, full, true},
		{`false || user.firstName == "Joe" && true`, full, true},
		{`false OR user.firstName == "Joe" AND true`, full, true},
		{`user.firstName == "Ann" or user.firstName == "Joe"`, full, true},
		{`user.firstName == "Joe" AND false`, full, false},
		{`user.and == null`, full, true},
		{`!(1 == 1)`, full, false},
		{`user.missing ? "y" : "n"`, full, "n"},
		{`true ? false ? "a" : "b" : "c"`, full, "b"},
		{`String.substringBefore(user.login, "@")`, full, "joe"},
		{`String.substringAfter(user.login, "@")`, full, "example.com"},
		{`String.substringAfter(user.login, "#")`, full, ""},
		{`String.toLowerCase(user.email)`, full, "joe.smith@example.com"},
		{`String.toUpperCase(org.name)`, full, "ACME"},
		{`String.stringContains(user.email, "Smith")`, full, true},
		{`String.len("héllo")`, full, 5.0},
		{`String.replace(user.login, "example", "corp")`, full, "joe@corp.com"},
		{`String.join("-", "a", user.missing, "b", 3)`, full, "a-b-3"},
		{`String.toLowerCase(user.missing)`, full, nil},
		{`Arrays.contains(user.tags, "b")`, full, true},
		{`Arrays.contains(user.tags, "z")`, full, false},
		{`Arrays.size(user.tags)`, full, 2.0},
		{`Arrays.isEmpty(user.tags)`, full, false},
		{`Arrays.isEmpty(user.nothing)`, full, true},
		{`Arrays.toCsvString(user.tags)`, full, "a,b"},
		{`isMemberOfGroupName("staff")`, full, true},
		{`isMemberOfGroupName("Staff")`, full, false},
		{`isMemberOfGroupName("staff")`, noUser, false},
		{`isMemberOfGroup("00gB")`, full, true},
		{`isMemberOfAnyGroup("00gX", "00gA")`, full, true},
		{`isMemberOfAnyGroup("00gX", "00gY")`, full, false},
		{`isMemberOfGroupName("staff") ? "member" : "guest"`, full, "member"},
		{`Groups.startsWith("OKTA", "app", 10)`, full, []any{"app-admins", "App-Users"}},
		{`Groups.startsWith("OKTA", "app", 1)`, full, []any{"app-admins"}},
		{`Groups.contains("OKTA", "ERY", 10)`, full, []any{"Everyone"}},
		{`Groups.contains("OKTA", "a", 10)`, noUser, []any{}},
		{` ( ( "x" ) ) `, full, "x"},
		{`appuser == null`, noUser, true},
		{`org`, full, map[string]any{"id": "00o1", "name": "Acme"}},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		got, err := e.Eval(tt.env)
		if err != nil {
			t.Errorf("Eval(%q): %v", tt.src, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Eval(%q) = %#v, want %#v", tt.src, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		src string
		pos int
		msg string
	}{
		{`user.email +`, 13, "unexpected end of expression"},
		{`"abc`, 1, "unterminated string"},
		{`user.email # 1`, 12, "unexpected character"},
		{`foo.bar`, 1, "unknown variable 'foo'"},
		{`String.nope("x")`, 1, "unknown function 'String.nope'"},
		{`String.len("a", "b")`, 1, "takes 1 argument(s), got 2"},
		{`isMemberOfAnyGroup()`, 1, "takes at least 1 argument(s)"},
		{`(user.email`, 12, "expected ')'"},
		{`true ? "a"`, 11, "expected ':'"},
		{`user.`, 6, "expected an attribute name"},
		{`"a" "b"`, 5, `unexpected string "b"`},
		{`1.2.3`, 1, "invalid number"},
		{``, 1, "unexpected end of expression"},
		{strings.Repeat("(", 40) + "1" + strings.Repeat(")", 40), 33, "nested more than 32"},
		{strings.Repeat("!", 40) + "true", 33, "nested more than 32"},
		{`"` + strings.Repeat("a", MaxSourceLen) + `"`, MaxSourceLen + 1, "longer than 1024"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.src)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%.40q) = %v, want *Error", tt.src, err)
			continue
		}
		if pe.Pos != tt.pos || !strings.Contains(pe.Msg, tt.msg) {
			t.Errorf("Parse(%.40q) = %d %q, want %d containing %q", tt.src, pe.Pos, pe.Msg, tt.pos, tt.msg)
		}
	}
	// The nesting limit itself is allowed.
	if _, err := Parse(strings.Repeat("(", 31) + "1" + strings.Repeat(")", 31)); err != nil {
		t.Errorf("31 levels: %v", err)
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		src string
		pos int
		msg string
	}{
		{`"x" ? 1 : 2`, 1, "expected a boolean but found a string"},
		{`true && 3`, 9, "expected a boolean but found a number"},
		{`String.toLowerCase(user.tags)`, 20, "expects a string but found an array"},
		{`Arrays.size("x")`, 13, "expects an array"},
		{`Groups.startsWith("OKTA", "a", "ten")`, 32, "non-negative whole number"},
		{`Groups.startsWith("OKTA", "a", 1.5)`, 32, "non-negative whole number"},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.src, err)
		}
		_, err = e.Eval(testEnv())
		var pe *Error
		if !errors.As(err, &pe) || pe.Pos != tt.pos || !strings.Contains(pe.Msg, tt.msg) {
			t.Errorf("Eval(%q) = %v, want position %d containing %q", tt.src, err, tt.pos, tt.msg)
		}
	}
}

func TestValueLimit(t *testing.T) {
	// Each replace multiplies the length by 16; unbounded, this would need
	// petabytes.
	src := `"aaaaaaaaaaaaaaaa"`
	for range 12 {
		src = `String.replace(` + src + `, "a", "aaaaaaaaaaaaaaaa")`
	}
	e, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Eval(testEnv()); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("Eval = %v, want a length error", err)
	}
}

var fuzzSeeds = []string{
	`user.email`, `app.clientId + "@svc"`, `(appuser != null) ? appuser.userName : app.clientId`,
	`String.join(",", "a", 'b')`, `Groups.startsWith("OKTA", "app", 100)`, `isMemberOfAnyGroup("00g1","00g2")`,
	`!true || false && 1 == 1.0`, `Arrays.toCsvString(user.tags)`, `String.replace(user.x, "a", "b")`,
	`"unterminated`, `((((`, `user.`, `1.2.3`, `a ? b`, "\x00\xff",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Pos < 1 || pe.Pos > len(src)+1 {
				t.Fatalf("Parse(%q): error %v has a position outside the source", src, err)
			}
			return
		}
		if e.String() != src {
			t.Fatalf("String() = %q", e.String())
		}
	})
}

func FuzzEval(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			return
		}
		for _, env := range []Env{testEnv(), {}} {
			v, err := e.Eval(env)
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) || pe.Pos < 1 || pe.Pos > len(src)+1 {
					t.Fatalf("Eval(%q): error %v has a position outside the source", src, err)
				}
				continue
			}
			switch v.(type) {
			case nil, string, float64, bool, []any, map[string]any:
			default:
				t.Fatalf("Eval(%q) = %T", src, v)
			}
		}
	})
}

// TestCheck: Check accepts what Okta stores unevaluated (names this
// implementation does not know) and refuses what is malformed.
func TestCheck(t *testing.T) {
	for _, ok := range []string{`cool`, `aa`, `String.nope(1, user.email)`, `foo.bar + "x"`, `user.email`} {
		if err := Check(ok); err != nil {
			t.Errorf("Check(%q) = %v", ok, err)
		}
		if _, err := Parse(ok); ok != `user.email` && err == nil {
			t.Errorf("Parse(%q) accepted an unknown name", ok)
		}
	}
	for _, bad := range []string{`cool +`, `String.nope(1`, `user.`, `(a`, `"unterminated`} {
		if err := Check(bad); err == nil {
			t.Errorf("Check(%q) accepted it", bad)
		}
	}
}
