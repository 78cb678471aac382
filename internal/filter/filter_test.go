package filter

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

var updated = time.Date(2026, 3, 1, 12, 0, 0, 123_456_789, time.UTC)

var user = map[string]any{
	"status":            "ACTIVE",
	"id":                "00uABC",
	"not":               "an attribute called not",
	"profile.login":     "Isaac.Brock@example.com",
	"profile.firstName": "Isaac",
	"profile.title":     `say "hi" \o/`,
	"profile.city":      "Zürich",
	"profile.age":       int64(42),
	"profile.big":       int64(1<<53 + 1),
	"profile.small":     int32(-7),
	"profile.score":     3.5,
	"profile.nan":       math.NaN(),
	"profile.count":     json.Number("12"),
	"profile.admin":     true,
	"profile.nickName":  "",
	"profile.manager":   nil, // present in the map but null
	"lastUpdated":       updated,
	"groups":            []string{"Engineering", "Everyone"},
	"profile.tags":      []any{"blue", int64(7)},
	"profile.none":      []string{},
	"profile.odd":       struct{}{},
}

func get(attr string) (any, bool) { v, ok := user[attr]; return v, ok }

func TestMatch(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		// Operators, keywords and string values ignore case; attributes do not.
		{`status eq "ACTIVE"`, true},
		{`status EQ "active"`, true},
		{`status Eq "AcTiVe"`, true},
		{`Status eq "ACTIVE"`, false},
		{`status ne "ACTIVE"`, false},
		{`status ne "SUSPENDED"`, true},
		{`status eq "SUSPENDED" OR status eq "ACTIVE"`, true},
		{`status eq "ACTIVE" AND id eq "00uXYZ"`, false},
		{`NOT (status eq "ACTIVE")`, false},
		{`not (status eq "SUSPENDED")`, true},
		{`not(status eq "SUSPENDED")`, true},
		{`not eq "an attribute called not"`, true}, // "not" before no "(" is an attribute
		// Precedence: not > and > or; parentheses override.
		{`status eq "ACTIVE" or id eq "x" and id eq "y"`, true},
		{`(status eq "ACTIVE" or id eq "x") and id eq "y"`, false},
		{`id eq "y" and id eq "x" or status eq "ACTIVE"`, true},
		{`id eq "y" and (id eq "x" or status eq "ACTIVE")`, false},
		{`not (id eq "x") and id eq "00uABC"`, true},
		{`not (id eq "00uABC" or status eq "ACTIVE")`, false},
		{`not (not (status eq "ACTIVE"))`, true},
		{`((((status eq "ACTIVE"))))`, true},
		{`status eq "A" or status eq "B" or status eq "C" or status eq "ACTIVE"`, true},
		{`status pr and id pr and profile.login pr and profile.nickName pr`, false},
		// sw co ew, case-insensitive, including non-ASCII.
		{`profile.login sw "isaac"`, true},
		{`profile.login sw "brock"`, false},
		{`profile.login co "BROCK@"`, true},
		{`profile.login ew ".COM"`, true},
		{`profile.login ew "example"`, false},
		{`profile.city eq "ZÜRICH"`, true},
		{`profile.login sw ""`, true},
		// Ordering on strings is lexicographic, consistent with case-insensitive eq.
		{`profile.firstName gt "isaab"`, true},
		{`profile.firstName ge "ISAAC" and profile.firstName le "isaac"`, true},
		{`profile.firstName lt "Isaac"`, false},
		// pr: present and non-empty.
		{`profile.login pr`, true},
		{`profile.nickName pr`, false},
		{`profile.missing pr`, false},
		{`profile.manager pr`, false},
		{`profile.none pr`, false},
		{`profile.admin pr`, true},
		{`profile.age PR`, true},
		// null and missing attributes.
		{`profile.missing eq null`, true},
		{`profile.manager eq null`, true},
		{`profile.login eq null`, false},
		{`profile.login ne null`, true},
		{`profile.missing ne null`, false},
		{`profile.missing eq "x"`, false},
		{`profile.missing ne "x"`, true},
		{`profile.missing gt 1`, false},
		{`profile.missing sw "x"`, false},
		{`profile.manager ne "x"`, true},
		// Numbers: integers exactly, floats numerically, mixed.
		{`profile.age eq 42`, true},
		{`profile.age gt 41`, true},
		{`profile.age ge 42 and profile.age le 42`, true},
		{`profile.age lt 42`, false},
		{`profile.age lt 42.5`, true},
		{`profile.age eq 4.2e1`, true},
		{`profile.age ne 42`, false},
		{`profile.big eq 9007199254740992`, false}, // 2^53: equal only if compared as float64
		{`profile.big gt 9007199254740992`, true},
		{`profile.small lt -6`, true},
		{`profile.small eq -7`, true},
		{`profile.score gt 3.25`, true},
		{`profile.score eq 3.5`, true},
		{`profile.score lt 4`, true},
		{`profile.nan eq 0`, false},
		{`profile.nan ne 0`, false},
		{`profile.count eq 12`, true},
		{`profile.count ge 12.5`, false},
		// Booleans.
		{`profile.admin eq true`, true},
		{`profile.admin eq TRUE`, true},
		{`profile.admin ne true`, false},
		{`profile.admin eq false`, false},
		{`profile.admin ne false`, true},
		// A type mismatch matches nothing, ne included.
		{`profile.age eq "42"`, false},
		{`profile.age ne "42"`, false},
		{`status eq 1`, false},
		{`status ne true`, false},
		{`profile.admin eq "true"`, false},
		{`profile.odd eq "x"`, false},
		{`profile.odd ne "x"`, false},
		{`profile.odd pr`, true},
		// Timestamps: any ISO-8601 spelling, compared at millisecond precision.
		{`lastUpdated gt "2026-01-01T00:00:00.000Z"`, true},
		{`lastUpdated eq "2026-03-01T12:00:00.123Z"`, true},
		{`lastUpdated ge "2026-03-01T12:00:00.123Z" and lastUpdated le "2026-03-01T12:00:00.123Z"`, true},
		{`lastUpdated gt "2026-03-01T12:00:00.123Z"`, false},
		{`lastUpdated lt "2026-03-01T12:00:00Z"`, false},
		{`lastUpdated gt "2026-03-01T12:00:00Z"`, true},
		{`lastUpdated eq "2026-03-01T14:00:00.123+02:00"`, true},
		{`lastUpdated eq "2026-03-01T12:00:00.123"`, true},
		{`lastUpdated lt "2026-03-02"`, true},
		{`lastUpdated gt "2026-03-02"`, false},
		{`lastUpdated ne "2026-03-02T00:00:00Z"`, true},
		{`lastUpdated gt "yesterday"`, false},
		{`lastUpdated ne "yesterday"`, false},
		{`lastUpdated sw "2026"`, false},
		// A string attribute compares as a string even with a timestamp literal: '0' < '2'.
		{`id lt "2026-01-01"`, true},
		{`id gt "2026-01-01"`, false},
		// Multi-valued: any element.
		{`groups eq "everyone"`, true},
		{`groups sw "Eng"`, true},
		{`groups eq "Sales"`, false},
		{`groups ne "Everyone"`, true}, // "Engineering" is not "Everyone"
		{`groups pr`, true},
		{`profile.tags eq 7`, true},
		{`profile.tags eq "BLUE"`, true},
		{`profile.tags gt 7`, false},
		{`profile.none eq "x"`, false},
		{`profile.none ne "x"`, false},
		// String escapes are JSON's.
		{`profile.title eq "say \"hi\" \\o/"`, true},
		{`profile.title eq "say \"hi\" \\o\/"`, true},
		{`status eq "\u0041CTIVE"`, true},
		{`profile.firstName eq "Is\"aac"`, false},
		// Whitespace of any kind separates tokens.
		{"status\teq\n\"ACTIVE\"\r\nand\tid pr", true},
		{`  status eq "ACTIVE"  `, true},
		{`status eq"ACTIVE"`, true},
	}
	for _, c := range cases {
		e, err := Parse(c.in, nil)
		if err != nil {
			t.Errorf("%s: %v %+v", c.in, err, err.Causes)
			continue
		}
		if got := e.Match(get); got != c.want {
			t.Errorf("%s: got %v, want %v", c.in, got, c.want)
		}
	}
}

func TestErrors(t *testing.T) {
	const syntax = "E0000031"
	long := strings.Repeat("x", 100)
	cases := []struct{ in, cause string }{
		{`status eq`, "Expected a value at position 10, found end of expression."},
		{`status "ACTIVE"`, `Expected an operator at position 8, found "ACTIVE".`},
		{`status eq "ACTIVE" and`, "Expected an attribute at position 23, found end of expression."},
		{`status eq "ACTIVE" or or`, "Expected an operator at position 25, found end of expression."}, // "or" may name an attribute
		{`(status eq "ACTIVE"`, "Expected ')' at position 20, found end of expression."},
		{`(status eq "ACTIVE" id pr`, "Expected ')' at position 21, found 'id'."},
		{`status eq "ACTIVE")`, "Unexpected token ')' at position 19."},
		{`id pr and (status eq "ACTIVE"))`, "Unexpected token ')' at position 31."},
		{`status eq "ACTIVE" id pr`, "Unexpected token 'id' at position 20."},
		{`status eq "ACTIVE`, "Unterminated string starting at position 11."},
		{`status eq "ACTIVE\"`, "Unterminated string starting at position 11."},
		{`status eq "a\`, "Unterminated string starting at position 11."},
		{`profile.title eq "say \"hi\" \o/"`, "Invalid string starting at position 18."},
		{"status eq \"A\x01\"", "Invalid string starting at position 11."},
		{`status eq ACTIVE`, "Expected a value at position 11, found 'ACTIVE'."},
		{`status eq (`, "Expected a value at position 11, found '('."},
		{`status eq inf`, "Expected a value at position 11, found 'inf'."},
		{`status eq NaN`, "Expected a value at position 11, found 'NaN'."},
		{`status eq 0x10`, "Expected a value at position 11, found '0x10'."},
		{`status eq 1_000`, "Expected a value at position 11, found '1_000'."},
		{`status eq 01`, "Expected a value at position 11, found '01'."},
		{`status eq 1.`, "Expected a value at position 11, found '1.'."},
		{`status eq 1e`, "Expected a value at position 11, found '1e'."},
		{`status eq +1`, "Expected a value at position 11, found '+1'."},
		{`status eq 1e309`, "Expected a value at position 11, found '1e309'."},
		{`status gt null`, "The operator 'gt' at position 8 cannot compare with null."},
		{`status le TRUE`, "The operator 'le' at position 8 cannot compare with true."},
		{`status sw 3`, "The operator 'sw' at position 8 needs a string value."},
		{`status CO null`, "The operator 'co' at position 8 needs a string value."},
		{`status eq "A" ; drop`, "Unexpected character ';' at position 15."},
		{`status eq "A" or st;tus pr`, "Unexpected character ';' at position 20."},
		{`status eq "A" or id=1`, "Unexpected character '=' at position 20."},
		{"status eq \"A\" or \xff pr", `Unexpected character '\xff' at position 18.`},
		{`status xx "A"`, "Expected an operator at position 8, found 'xx'."},
		{`status`, "Expected an operator at position 7, found end of expression."},
		{`.status eq "A"`, "Expected an attribute at position 1, found '.status'."},
		{`status. eq "A"`, "Expected an attribute at position 1, found 'status.'."},
		{`a..b eq "A"`, "Expected an attribute at position 1, found 'a..b'."},
		{`1a eq "A"`, "Expected an attribute at position 1, found '1a'."},
		{`"status" eq "A"`, `Expected an attribute at position 1, found "status".`},
		{`not status eq "A"`, "Expected an operator at position 5, found 'status'."},
		{`()`, "Expected an attribute at position 2, found ')'."},
		{``, "Expected an attribute at position 1, found end of expression."},
		{`   `, "Expected an attribute at position 4, found end of expression."},
		{`status eq "` + long + `" x`, `Unexpected token 'x' at position 114.`},
		{`status eq ` + long, "Expected a value at position 11, found '" + strings.Repeat("x", 40) + "…'."},
		{strings.Repeat("(", 51) + `status eq "A"` + strings.Repeat(")", 51), "The expression nests deeper than 50 levels at position 51."},
		{strings.Repeat("not (", 51) + `status eq "A"` + strings.Repeat(")", 51), "The expression nests deeper than 50 levels at position 255."},
		{strings.Repeat("(", 100000), "The expression is longer than 4096 characters."},
		{strings.Repeat("a", MaxLength+1), "The expression is longer than 4096 characters."},
	}
	for _, c := range cases {
		e, err := Parse(c.in, nil)
		if err == nil {
			t.Errorf("%q: accepted as %v", c.in, e)
			continue
		}
		want := "filter: " + c.cause
		if err.Code != syntax || err.Link != syntax || err.Status != 400 || err.Summary != "Invalid search criteria." ||
			len(err.Causes) != 1 || err.Causes[0].Summary != want || !strings.HasPrefix(err.ID, "oae") {
			t.Errorf("%q:\n got %+v\nwant cause %q", c.in, err, want)
		}
	}
}

func TestLimitsAccepted(t *testing.T) {
	nested := strings.Repeat("(", MaxDepth) + `status eq "ACTIVE"` + strings.Repeat(")", MaxDepth)
	notted := strings.Repeat("not (", MaxDepth) + `status eq "ACTIVE"` + strings.Repeat(")", MaxDepth)
	// A flat chain of MaxLength bytes: and/or chains are not nesting.
	clause := `status eq "ACTIVE" and `
	chain := strings.Repeat(clause, (MaxLength-len("id pr"))/len(clause)) + "id pr"
	chain += strings.Repeat(" ", MaxLength-len(chain))
	for _, c := range []struct {
		in   string
		want bool
	}{{nested, true}, {notted, MaxDepth%2 == 0}, {chain, true}} {
		if len(c.in) > MaxLength {
			t.Fatalf("test input is %d bytes", len(c.in))
		}
		e, err := Parse(c.in, nil)
		if err != nil {
			t.Fatalf("%.40q…: %v %+v", c.in, err, err.Causes)
		}
		if got := e.Match(get); got != c.want {
			t.Errorf("%.40q…: got %v", c.in, got)
		}
	}
	if len(chain) != MaxLength {
		t.Fatalf("chain is %d bytes", len(chain))
	}
}

func TestAllowedAttributesAndOperators(t *testing.T) {
	opt := Options{Allowed: []string{"status", "profile.*"}, Operators: []string{"EQ", "Sw"}}
	for _, s := range []string{
		`status eq "A" and profile.login eq "x"`,
		`profile.login SW "x"`,
		`not (profile.a.b eq "x")`,
	} {
		if _, err := ParseWith(s, opt); err != nil {
			t.Errorf("%s: refused: %+v", s, err)
		}
	}
	refused := []struct {
		in     string
		causes []string
	}{
		{`created eq "A" or profile.login gt "x"`, []string{
			"filter: The attribute 'created' is not supported.",
			"filter: The operator 'gt' is not supported for 'profile.login'.",
		}},
		{`profile eq "x"`, []string{"filter: The attribute 'profile' is not supported."}},
		{`Status eq "x"`, []string{"filter: The attribute 'Status' is not supported."}},
		{`statusX eq "x"`, []string{"filter: The attribute 'statusX' is not supported."}},
		{`profileX.login eq "x"`, []string{"filter: The attribute 'profileX.login' is not supported."}},
		{`status pr`, []string{"filter: The operator 'pr' is not supported for 'status'."}},
		{`status eq "A" and (id eq "1" or id eq "2")`, []string{
			"filter: The attribute 'id' is not supported.",
			"filter: The attribute 'id' is not supported.",
		}},
	}
	for _, c := range refused {
		_, err := ParseWith(c.in, opt)
		if err == nil || err.Code != "E0000094" || err.Link != "E0000094" || err.Status != 400 ||
			err.Summary != "The provided filter is unsupported." || len(err.Causes) != len(c.causes) {
			t.Errorf("%s: got %+v", c.in, err)
			continue
		}
		for i, want := range c.causes {
			if err.Causes[i].Summary != want {
				t.Errorf("%s: cause %d is %q, want %q", c.in, i, err.Causes[i].Summary, want)
			}
		}
	}
	// A syntax error wins over an unsupported attribute: it is found first.
	if _, err := ParseWith(`created eq`, opt); err == nil || err.Code != "E0000031" {
		t.Errorf("got %+v", err)
	}
	// "*" alone or without a dot is not a wildcard.
	if _, err := Parse(`x eq "1"`, []string{"*"}); err == nil || err.Code != "E0000094" {
		t.Errorf("bare * allowed x: %+v", err)
	}
	if _, err := Parse(`profilex eq "1"`, []string{"profile*"}); err == nil || err.Code != "E0000094" {
		t.Errorf("profile* allowed profilex: %+v", err)
	}
}

func TestAttrs(t *testing.T) {
	e, err := Parse(`a eq "1" or not (b pr and c.d gt 3) or a ne "2" and b pr`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.Attrs(), ","); got != "a,b,c.d" {
		t.Fatalf("attrs %s", got)
	}
	// The caller may keep and change the slice it gets.
	e.Attrs()[0] = "changed"
	if got := e.Attrs()[0]; got != "a" {
		t.Fatalf("Attrs shares its slice: %s", got)
	}
}

// TestGetterType: a plain func literal, as handlers write it, is a Getter.
func TestGetterType(t *testing.T) {
	e, _ := Parse(`x eq "y"`, []string{"x"})
	var asked []string
	f := func(attr string) (any, bool) { asked = append(asked, attr); return "Y", true }
	if !e.Match(f) || strings.Join(asked, ",") != "x" {
		t.Fatalf("asked %v", asked)
	}
}

var fuzzAllowed = []string{"a", "b", "status", "groups", "lastUpdated", "c.*"}

// allowedByHand is the allow-list rule written out independently of
// attrAllowed, so the fuzzer does not check the code with itself.
func allowedByHand(attr string) bool {
	switch attr {
	case "a", "b", "status", "groups", "lastUpdated":
		return true
	}
	return len(attr) > 2 && attr[:2] == "c."
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`status eq "ACTIVE"`,
		`not (a pr) or b gt 3 and lastUpdated lt "2026-01-01T00:00:00Z"`,
		`((a eq "x\"y"))`,
		`a eq null`, `a ne null`, `a sw`, `"`, `(((`, `a eq 1e309`, `a eq -0.5e-3`,
		`groups co "E" OR groups EW "e"`, `c.d.e ge 9223372036854775807`,
		`not (not (a eq true)) and b le false`, `a eq "\u00e9\\"`, "a eq \"\xff\"",
		`status eq "A" and (b lt 1 or c.x pr)`, `d eq "1"`, `not eq "x"`,
	} {
		f.Add(s)
	}
	values := []any{
		"x", "", "ACTIVE", "2026-01-01T00:00:00Z", true, false, int64(-3), int64(math.MaxInt64), 2.5, math.NaN(),
		math.Inf(-1), int(7), int32(1), float32(1.5), json.Number("1e400"), json.Number("x"),
		time.Unix(0, 0), time.Time{}, []string{"a", "B"}, []string{}, []any{nil, "x", int64(2), []any{}},
		nil, struct{}{}, map[string]any{},
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseWith(s, Options{Allowed: fuzzAllowed})
		if err != nil {
			if err.Code != "E0000031" && err.Code != "E0000094" || err.Status != 400 || len(err.Causes) == 0 {
				t.Fatalf("unexpected error %+v", err)
			}
			return
		}
		if len(s) > MaxLength {
			t.Fatalf("accepted %d bytes", len(s))
		}
		for _, a := range e.Attrs() {
			if !allowedByHand(a) {
				t.Fatalf("attribute %q escaped the allow-list", a)
			}
		}
		getters := []Getter{func(string) (any, bool) { return nil, false }}
		for i, v := range values {
			getters = append(getters, func(string) (any, bool) { return v, i%3 != 0 })
		}
		getters = append(getters, func(attr string) (any, bool) { return values[len(attr)%len(values)], true })

		// Wrapping in parentheses keeps the meaning; not (…) inverts it.
		// Only checked when the wrapper stays within the limits.
		paren, perr := ParseWith("("+s+")", Options{Allowed: fuzzAllowed})
		negated, nerr := ParseWith("not ("+s+")", Options{Allowed: fuzzAllowed})
		for _, g := range getters {
			m := e.Match(g)
			if perr == nil && paren.Match(g) != m {
				t.Fatalf("(%s) differs from %s", s, s)
			}
			if nerr == nil && negated.Match(g) == m {
				t.Fatalf("not (%s) agrees with %s", s, s)
			}
		}
	})
}

// TestStringsOf: the literals compared with an attribute, as written.
func TestStringsOf(t *testing.T) {
	e, err := Parse(`user.id eq "00uAbC" or (user.id eq "00uXyZ" and status eq "ACTIVE") or user.id eq "00uAbC" or n eq 3`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.StringsOf("user.id"), ","); got != "00uAbC,00uXyZ" {
		t.Fatalf("user.id literals %s", got)
	}
	if got := e.StringsOf("n"); len(got) != 0 {
		t.Fatalf("numbers are not strings: %v", got)
	}
}
