package filter

import (
	"strings"
	"testing"
	"time"
)

var user = map[string]any{
	"status":            "ACTIVE",
	"id":                "00uABC",
	"profile.login":     "Isaac.Brock@example.com",
	"profile.firstName": "Isaac",
	"profile.age":       int64(42),
	"profile.score":     3.5,
	"profile.admin":     true,
	"profile.nickName":  "",
	"lastUpdated":       time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
	"groups":            []string{"Engineering", "Everyone"},
}

func get(attr string) (any, bool) { v, ok := user[attr]; return v, ok }

func TestMatch(t *testing.T) {
	cases := map[string]bool{
		`status eq "ACTIVE"`:                              true,
		`status EQ "active"`:                              true, // operators and string values are case-insensitive
		`status ne "ACTIVE"`:                              false,
		`status eq "SUSPENDED" or status eq "ACTIVE"`:     true,
		`status eq "ACTIVE" and id eq "00uXYZ"`:           false,
		`not (status eq "ACTIVE")`:                        false,
		`not status eq "SUSPENDED"`:                       true,
		`status eq "ACTIVE" or id eq "x" and id eq "y"`:   true, // and binds tighter
		`(status eq "ACTIVE" or id eq "x") and id eq "y"`: false,
		`profile.login sw "isaac"`:                        true,
		`profile.login co "BROCK@"`:                       true,
		`profile.login ew ".com"`:                         true,
		`profile.login pr`:                                true,
		`profile.nickName pr`:                             false,
		`profile.missing pr`:                              false,
		`profile.missing eq null`:                         true,
		`profile.login eq null`:                           false,
		`profile.login ne null`:                           true,
		`profile.missing eq "x"`:                          false,
		`profile.missing ne "x"`:                          true,
		`profile.age gt 41`:                               true,
		`profile.age ge 42 and profile.age le 42`:         true,
		`profile.age lt 42`:                               false,
		`profile.score gt 3.25`:                           true,
		`profile.age eq "42"`:                             false, // type mismatch matches nothing
		`profile.admin eq true`:                           true,
		`profile.admin ne true`:                           false,
		`lastUpdated gt "2026-01-01T00:00:00.000Z"`:       true,
		`lastUpdated lt "2026-03-01T12:00:00Z"`:           false,
		`lastUpdated ge "2026-03-01T12:00:00.000Z"`:       true,
		`lastUpdated gt "2026-03-02"`:                     false,
		`lastUpdated gt "yesterday"`:                      false,
		`groups eq "everyone"`:                            true, // any element of a multi-valued attribute
		`groups sw "Eng"`:                                 true,
		`groups eq "Sales"`:                               false,
		`profile.firstName eq "Is\"aac"`:                  false,
		`((((status eq "ACTIVE"))))`:                      true,
	}
	for s, want := range cases {
		e, err := Parse(s, nil)
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if got := e.Match(get); got != want {
			t.Errorf("%s: got %v, want %v", s, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := []struct{ in, code, cause string }{
		{`status eq`, "E0000031", "filter: Expected a value at position 10, found 'end of expression'."},
		{`status "ACTIVE"`, "E0000031", "filter: Expected an operator at position 8, found 'ACTIVE'."},
		{`status eq "ACTIVE" and`, "E0000031", "filter: Expected an attribute at position 23, found 'end of expression'."},
		{`(status eq "ACTIVE"`, "E0000031", "filter: Expected ')' at position 20, found 'end of expression'."},
		{`status eq "ACTIVE")`, "E0000031", "filter: Unexpected token ')' at position 19."},
		{`status eq "ACTIVE`, "E0000031", "filter: Unterminated string starting at position 11."},
		{`status eq ACTIVE`, "E0000031", "filter: Expected a value at position 11, found 'ACTIVE'."},
		{`status gt null`, "E0000031", "filter: The operator 'gt' cannot compare with null."},
		{`status eq "A" ; drop`, "E0000031", "filter: Unexpected character ';' at position 15."},
		{`status xx "A"`, "E0000031", "filter: Expected an operator at position 8, found 'xx'."},
		{`.status eq "A"`, "E0000031", "filter: Expected an attribute at position 1, found '.status'."},
		{``, "E0000031", "filter: Expected an attribute at position 1, found 'end of expression'."},
		{strings.Repeat("(", 60) + `status eq "A"` + strings.Repeat(")", 60), "E0000031", "filter: The expression nests deeper than 50 levels."},
		{strings.Repeat("a", MaxLength+1), "E0000031", "filter: The expression is longer than 4096 characters."},
	}
	for _, c := range cases {
		_, err := Parse(c.in, nil)
		if err == nil || err.Code != c.code || len(err.Causes) != 1 || err.Causes[0].Summary != c.cause || err.Summary != "Invalid search criteria." || err.Status != 400 {
			t.Errorf("%q: got %+v", c.in, err)
		}
	}
}

func TestAllowedAttributesAndOperators(t *testing.T) {
	opt := Options{Allowed: []string{"status", "profile.*"}, Operators: []string{"eq"}}
	if _, err := ParseWith(`status eq "A" and profile.login eq "x"`, opt); err != nil {
		t.Fatalf("allowed expression refused: %v", err)
	}
	_, err := ParseWith(`created eq "A" or profile.login sw "x"`, opt)
	if err == nil || err.Code != "E0000094" || err.Summary != "The provided filter is unsupported." || len(err.Causes) != 2 {
		t.Fatalf("got %+v", err)
	}
	if _, err := ParseWith(`profile eq "x"`, opt); err == nil || err.Code != "E0000094" {
		t.Fatalf("profile.* must not allow profile itself: %+v", err)
	}
	e, _ := Parse(`a eq "1" or not (b pr and c.d gt 3)`, nil)
	if got := strings.Join(e.Attrs(), ","); got != "a,b,c.d" {
		t.Fatalf("attrs %s", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`status eq "ACTIVE"`, `not (a pr) or b gt 3 and c lt "2026-01-01T00:00:00Z"`, `((a eq "x\"y"))`, `a eq null`, `a sw`, `"`, `(((`, `a eq 1e309`, `groups co "E"`} {
		f.Add(s)
	}
	values := []any{"x", "", true, int64(-3), 2.5, time.Unix(0, 0), []string{"a", "B"}, []string{}, nil, struct{}{}}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseWith(s, Options{Allowed: []string{"a", "b", "status", "groups", "c.*"}})
		if err != nil {
			if err.Code != "E0000031" && err.Code != "E0000094" {
				t.Fatalf("unexpected code %s", err.Code)
			}
			return
		}
		for _, a := range e.Attrs() {
			if !attrAllowed(a, []string{"a", "b", "status", "groups", "c.*"}) {
				t.Fatalf("attribute %q escaped the allow-list", a)
			}
		}
		e.Match(func(string) (any, bool) { return nil, false })
		for i, v := range values {
			e.Match(func(string) (any, bool) { return v, i%3 != 0 })
		}
	})
}
