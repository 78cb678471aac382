package filter

import "time"

// Term is one comparison of an expression, as Narrow shows it.
type Term struct {
	Attr, Op string
	// IsString is set for a string literal, held lower-cased in String
	// (comparisons ignore case); IsTime when it also reads as a timestamp.
	IsString bool
	String   string
	IsTime   bool
	Time     time.Time
}

// Narrow rewrites e into a condition that every record e matches
// satisfies, built from the comparisons term can express — an index
// lookup that a caller then checks with Match. The condition may select
// more than e, never less: a comparison term cannot express, a not, and
// an or with such a branch impose nothing. ok is false when nothing could
// be expressed (every record may match).
func Narrow[C any](e Expr, term func(Term) (C, bool), and, or func([]C) C) (cond C, ok bool) {
	q, isQuery := e.(*query)
	if !isQuery {
		return cond, false
	}
	return narrow(q.root, term, and, or)
}

func narrow[C any](n node, term func(Term) (C, bool), and, or func([]C) C) (C, bool) {
	var zero C
	switch x := n.(type) {
	case *cmp:
		t := Term{Attr: x.attr, Op: x.op}
		if x.lit.kind == litString {
			t.IsString, t.String, t.IsTime, t.Time = true, x.lit.s, x.lit.isTime, x.lit.t
		} else if x.op != "pr" {
			// Numbers, booleans and null compare with nothing the
			// callers index.
			return zero, false
		}
		return term(t)
	case *logical:
		var parts []C
		for _, y := range x.xs {
			c, ok := narrow(y, term, and, or)
			switch {
			case ok:
				parts = append(parts, c)
			case x.or:
				// One branch that imposes nothing: neither does the or.
				return zero, false
			}
		}
		switch {
		case len(parts) == 0:
			return zero, false
		case len(parts) == 1:
			return parts[0], true
		case x.or:
			return or(parts), true
		}
		return and(parts), true
	}
	return zero, false
}
