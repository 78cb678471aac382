package secret

import (
	"errors"
	"testing"
)

func TestCheckHash(t *testing.T) {
	good, err := HashPassword("Correct-Horse-42")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckHash(good); err != nil {
		t.Errorf("CheckHash(a fresh hash) = %v", err)
	}
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$a2V5",
		"$argon2id$v=18$m=19456,t=2,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=0,t=2,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=19456,t=2,p=1$not*base64$a2V5",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$",
	} {
		if err := CheckHash(bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("CheckHash(%q) = %v, want ErrBadHash", bad, err)
		}
		if _, err := VerifyPassword("x", bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("VerifyPassword(%q) = %v, want ErrBadHash", bad, err)
		}
	}
}
