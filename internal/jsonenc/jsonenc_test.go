package jsonenc

import (
	"encoding/json"
	"testing"
)

// TestSameAsEncodingJSON: every string and list is written byte for byte as
// json.Marshal writes it.
func TestSameAsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "https://idp.test/oauth2/default", "AT.abc-_.~", "a\"b", `a\b`, "<script>&", "tab\there", "nl\n",
		"\x00\x1f\x7f", "é ünïcode", "\u2028\u2029", "bad \xff utf-8", "okta.users.read"} {
		want, _ := json.Marshal(s)
		if got := String(nil, s); string(got) != string(want) {
			t.Errorf("String(%q) = %s, want %s", s, got, want)
		}
	}
	for _, l := range [][]string{nil, {}, {"a"}, {"openid", "x<y", ""}} {
		want, _ := json.Marshal(l)
		if got := Strings(nil, l); string(got) != string(want) {
			t.Errorf("Strings(%q) = %s, want %s", l, got, want)
		}
	}
	b := append(Int(Member([]byte("{"), "a", "x"), "n", -42), '}')
	if string(b) != `{"a":"x","n":-42}` {
		t.Errorf("object: %s", b)
	}
}

func FuzzString(f *testing.F) {
	f.Add("abc")
	f.Add("<\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := String(nil, s); string(got) != string(want) {
			t.Fatalf("String(%q) = %s, want %s", s, got, want)
		}
	})
}
