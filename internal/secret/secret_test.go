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

func TestMatchesAny(t *testing.T) {
	a, b := Token("", 32), Token("", 32)
	hashes := [][]byte{Hash(a), nil, Hash(b)[:10], Hash(b)}
	if !MatchesAny(a, hashes) || !MatchesAny(b, hashes) {
		t.Fatal("a secret does not match its hash among others")
	}
	if MatchesAny(a+"x", hashes) || MatchesAny(a, nil) || MatchesAny("", [][]byte{nil}) {
		t.Fatal("mismatch accepted")
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected PHC string %q", h)
	}
	if ok, err := VerifyPassword("correct horse", h); !ok || err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if ok, err := VerifyPassword("correct horse!", h); err != nil || ok {
		t.Fatal("wrong password accepted")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=0,t=1,p=1$AA$AA", strings.Replace(h, "v=19", "v=1", 1)} {
		if _, err := VerifyPassword("x", bad); err == nil {
			t.Errorf("hash %q accepted", bad)
		}
	}
}

// The dummy hash must be one VerifyPassword fully computes (a malformed one
// would answer at once and tell unknown usernames apart by timing), with
// the parameters real hashes get.
func TestDummyHash(t *testing.T) {
	ok, err := VerifyPassword("anything", DummyHash)
	if err != nil || ok {
		t.Fatalf("VerifyPassword(DummyHash) = %v, %v", ok, err)
	}
	real, err := HashPassword("x")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Split(real, "$")[3] != strings.Split(DummyHash, "$")[3] {
		t.Fatalf("dummy parameters %s differ from real ones %s", strings.Split(DummyHash, "$")[3], strings.Split(real, "$")[3])
	}
}
