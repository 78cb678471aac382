package token

import (
	"regexp"
	"testing"

	"github.com/sesame-idp/sesame/internal/secret"
)

// An access token's id carries its family's key in Okta's id form; ids of
// malformed families are refused, and other ids give no key.
func TestFamilyAccessJTI(t *testing.T) {
	fam := secret.NewID("fam")
	okta := regexp.MustCompile(`^AT\.[A-Za-z0-9]{40}$`)
	a, ok := FamilyAccessJTI(fam)
	b, ok2 := FamilyAccessJTI(fam)
	if !ok || !ok2 || a == b || !okta.MatchString(a) {
		t.Fatalf("FamilyAccessJTI(%s) = %q, %q (%v %v)", fam, a, b, ok, ok2)
	}
	if FamilyKeyOf(a) != FamilyKey(fam) || FamilyKeyOf(b) != FamilyKey(fam) || FamilyKey(fam) != fam[3:] {
		t.Fatalf("family key of %s: %q, of its tokens %q %q", fam, FamilyKey(fam), FamilyKeyOf(a), FamilyKeyOf(b))
	}
	if other := FamilyKeyOf(NewAccessJTI()); other == FamilyKey(fam) || len(other) != 17 {
		t.Fatalf("a token outside the family has key %q", other)
	}
	for _, bad := range []string{"", "fam", "fam1", "oar" + fam[3:], fam + "x"} {
		if _, ok := FamilyAccessJTI(bad); ok || FamilyKey(bad) != "" {
			t.Fatalf("family id %q accepted", bad)
		}
	}
	for _, bad := range []string{"", "AT.short", "ID." + a[3:], a + "x"} {
		if FamilyKeyOf(bad) != "" {
			t.Fatalf("FamilyKeyOf(%q) = %q", bad, FamilyKeyOf(bad))
		}
	}
}
