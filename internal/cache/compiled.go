package cache

import (
	"regexp"

	"github.com/sesame-idp/sesame/internal/expr"
	"github.com/sesame-idp/sesame/internal/store"
)

// compiled is a claim value parsed once when the snapshot is built, so that
// a token request evaluates expressions and matches group regexes without
// parsing or compiling them again. A value that does not parse keeps its
// error: the claim is left out (and logged) at each use, as before.
type compiled struct {
	expr  *expr.Expr
	regex *regexp.Regexp
	err   error
}

type compiledKey struct {
	regex bool
	src   string
}

// groupRegex is how a GROUPS claim's REGEX filter matches a group name:
// the whole name.
func groupRegex(src string) (*regexp.Regexp, error) { return regexp.Compile("^(?:" + src + ")$") }

// compileClaims fills s.compiled from every server's claims and every app's
// groups claim.
func (s *Snapshot) compileClaims() {
	s.compiled = map[compiledKey]*compiled{}
	add := func(valueType, filterType, src string) {
		switch {
		case valueType == "EXPRESSION":
			k := compiledKey{false, src}
			if s.compiled[k] == nil {
				e, err := expr.Parse(src)
				s.compiled[k] = &compiled{expr: e, err: err}
			}
		case valueType == "GROUPS" && filterType == "REGEX":
			k := compiledKey{true, src}
			if s.compiled[k] == nil {
				re, err := groupRegex(src)
				s.compiled[k] = &compiled{regex: re, err: err}
			}
		}
	}
	for _, srv := range s.Servers {
		for _, c := range srv.Claims {
			if c.Status == store.StatusActive {
				add(c.ValueType, c.GroupFilterType, c.Value)
			}
		}
	}
	for _, a := range s.apps {
		if gc := a.GroupsClaim; gc != nil {
			add(gc.ValueType, gc.GroupFilterType, gc.Value)
		}
	}
}

// ClaimExpr returns the parsed claim expression src: the snapshot's copy
// when it holds one, else parsed now (a snapshot is never modified).
func (s *Snapshot) ClaimExpr(src string) (*expr.Expr, error) {
	if s != nil {
		if c := s.compiled[compiledKey{false, src}]; c != nil {
			return c.expr, c.err
		}
	}
	return expr.Parse(src)
}

// GroupRegex returns the compiled REGEX group filter src, anchored to the
// whole group name: the snapshot's copy when it holds one, else compiled now.
func (s *Snapshot) GroupRegex(src string) (*regexp.Regexp, error) {
	if s != nil {
		if c := s.compiled[compiledKey{true, src}]; c != nil {
			return c.regex, c.err
		}
	}
	return groupRegex(src)
}
