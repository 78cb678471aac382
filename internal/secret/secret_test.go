package secret

import (
	"strings"
	"testing"
)

func TestNewIDShape(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := NewID("0oa")
		if len(id) != 20 || !strings.HasPrefix(id, "0oa") {
			t.Fatalf("bad id %q", id)
		}
		for _, c := range id[3:] {
			if !strings.ContainsRune(alphabet, c) {
				t.Fatalf("bad character in %q", id)
			}
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
}

func TestHashMatches(t *testing.T) {
	tok := Token("00", 30)
	h := Hash(tok)
	if !Matches(tok, h) {
		t.Fatal("token does not match its hash")
	}
	if Matches(tok+"x", h) || Matches(tok, h[:10]) || Matches("", nil) {
		t.Fatal("mismatch accepted")
	}
}
