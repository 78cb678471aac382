package cache

import (
	"testing"

	"github.com/sesame-idp/sesame/internal/expr"
	"github.com/sesame-idp/sesame/internal/store"
)

// TestCompiledClaims: a snapshot parses each active claim's expression and
// compiles each REGEX group filter once; every request gets the same value,
// a value that does not parse keeps its error, and what the snapshot does
// not hold is parsed on the spot.
func TestCompiledClaims(t *testing.T) {
	snap := &Snapshot{
		Servers: map[string]*Server{"aus1": {ID: "aus1", Claims: []*store.Claim{
			{ID: "c1", Status: store.StatusActive, ValueType: "EXPRESSION", Value: `user.login + "!"`},
			{ID: "c2", Status: store.StatusActive, ValueType: "GROUPS", GroupFilterType: "REGEX", Value: `eng-.*`},
			{ID: "c3", Status: store.StatusActive, ValueType: "EXPRESSION", Value: `user.(`},
			{ID: "c4", Status: store.StatusActive, ValueType: "GROUPS", GroupFilterType: "REGEX", Value: `(`},
			{ID: "c5", Status: store.StatusInactive, ValueType: "EXPRESSION", Value: `"inactive"`},
		}}},
		apps: map[string]*App{"0oa1": {GroupsClaim: &store.AppGroupsClaim{Name: "groups", ValueType: "GROUPS", GroupFilterType: "REGEX", Value: `ops|sre`}}},
	}
	snap.compileClaims()

	e1, err := snap.ClaimExpr(`user.login + "!"`)
	e2, _ := snap.ClaimExpr(`user.login + "!"`)
	if err != nil || e1 == nil || e1 != e2 {
		t.Fatalf("expression not held once: %p %p %v", e1, e2, err)
	}
	v, err := e1.Eval(expr.Env{User: &expr.User{ID: "00u1", Profile: map[string]any{"login": "ada@example.com"}}})
	if err != nil || v != "ada@example.com!" {
		t.Fatalf("held expression evaluates to %v, %v", v, err)
	}
	re, err := snap.GroupRegex(`eng-.*`)
	if re2, _ := snap.GroupRegex(`eng-.*`); err != nil || re == nil || re != re2 {
		t.Fatalf("regex not held once: %v", err)
	}
	// Anchored to the whole group name.
	if !re.MatchString("eng-core") || re.MatchString("old-eng-core") {
		t.Fatal("the held regex is not anchored to the whole name")
	}
	if re, err := snap.GroupRegex(`ops|sre`); err != nil || !re.MatchString("sre") || re.MatchString("sres") {
		t.Fatalf("app groups claim regex: %v", err)
	}
	if _, err := snap.ClaimExpr(`user.(`); err == nil {
		t.Fatal("a broken expression lost its error")
	}
	if _, err := snap.GroupRegex(`(`); err == nil {
		t.Fatal("a broken regex lost its error")
	}
	if len(snap.compiled) != 5 {
		t.Fatalf("compiled %d values, want 5 (the inactive claim left out)", len(snap.compiled))
	}
	// Not in the snapshot (an inactive claim, or no snapshot at all): parsed now.
	if e, err := snap.ClaimExpr(`"inactive"`); err != nil || e == nil {
		t.Fatalf("fallback parse: %v", err)
	}
	var none *Snapshot
	if re, err := none.GroupRegex(`a+`); err != nil || !re.MatchString("aa") || re.MatchString("ab") {
		t.Fatalf("nil snapshot regex: %v", err)
	}
}

// BenchmarkClaimValue compares what a token request paid per claim before
// (parse or compile per request) with the snapshot's held value.
func BenchmarkClaimValue(b *testing.B) {
	const src = `String.toLowerCase(user.login) + ":" + user.department`
	const reSrc = `(eng|ops)-[a-z]+`
	snap := &Snapshot{Servers: map[string]*Server{"aus1": {ID: "aus1", Claims: []*store.Claim{
		{Status: store.StatusActive, ValueType: "EXPRESSION", Value: src},
		{Status: store.StatusActive, ValueType: "GROUPS", GroupFilterType: "REGEX", Value: reSrc},
	}}}}
	snap.compileClaims()
	env := expr.Env{User: &expr.User{ID: "00u1", Profile: map[string]any{"login": "Ada@example.com", "department": "R&D"}}}
	b.Run("expression/parse-per-request", func(b *testing.B) {
		for range b.N {
			e, _ := expr.Parse(src)
			_, _ = e.Eval(env)
		}
	})
	b.Run("expression/held", func(b *testing.B) {
		for range b.N {
			e, _ := snap.ClaimExpr(src)
			_, _ = e.Eval(env)
		}
	})
	b.Run("regex/compile-per-request", func(b *testing.B) {
		for range b.N {
			re, _ := groupRegex(reSrc)
			re.MatchString("eng-core")
		}
	})
	b.Run("regex/held", func(b *testing.B) {
		for range b.N {
			re, _ := snap.GroupRegex(reSrc)
			re.MatchString("eng-core")
		}
	})
}
