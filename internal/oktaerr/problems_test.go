package oktaerr

import (
	"slices"
	"strings"
	"testing"
)

func TestShowSanitizes(t *testing.T) {
	if got := Show("a\x00b\u200bc"); got != "a?b\u200bc" {
		t.Errorf("show = %q", got)
	}
	long := strings.Repeat("ü", 150)
	if got := Show(long); got != strings.Repeat("ü", 100)+"…" {
		t.Errorf("show long = %q", got)
	}
}

func TestProblems(t *testing.T) {
	var p Problems
	if p.Err() != nil {
		t.Fatal("no problems gave an error")
	}
	p.Add("grant_types", "'%s' is not a valid grant type.", "x")
	if !p.Enum("consent_method", "TRUSTED", "TRUSTED", "REQUIRED") {
		p.Add("never", "valid value reported")
	}
	p.Enum("refresh_token.rotation_type", "", "ROTATE")
	p.Enum("refresh_token.rotation_type", "SOMETIMES", "ROTATE", "STATIC")
	want := []string{
		"grant_types: 'x' is not a valid grant type.",
		"refresh_token.rotation_type: The field cannot be left blank",
		"refresh_token.rotation_type: 'rotation_type' is invalid. Valid values: [ROTATE, STATIC].",
	}
	if !slices.Equal(p.Texts(), want) {
		t.Fatalf("texts %q", p.Texts())
	}
	e := p.Err()
	if e.Status != 400 || e.Code != CodeValidation || e.Summary != "Api validation failed: grant_types" || len(e.Causes) != 3 {
		t.Fatalf("error %+v", e)
	}
	if !p.Has("refresh_token.rotation_type") || p.Has("consent_method") {
		t.Fatal("Has")
	}
}
