// Package filter parses and evaluates the SCIM-like expressions of Okta's
// `filter` and `search` query parameters (§4.0): attribute paths, the
// operators eq ne gt ge lt le sw co ew pr, and, or, not (…), parentheses,
// JSON string literals, numbers, true, false, null, and ISO-8601 timestamps
// given as strings.
//
// Semantics, where Okta leaves room:
//   - Operator and logical keywords are case-insensitive; attribute names are
//     case-sensitive.
//   - String comparisons (eq ne sw co ew and the ordering operators) ignore
//     case, as Okta's search does for profile strings; ordering is
//     lexicographic on the lower-cased strings so that it agrees with eq.
//   - A string literal that is a timestamp compares chronologically with a
//     time attribute, at millisecond precision (what Okta's JSON shows).
//   - A multi-valued attribute matches when any element matches.
//   - A value whose type does not fit the literal matches nothing, ne included.
//   - An absent (or null) attribute matches `eq null`, `ne <value>`, and
//     nothing else.
package filter

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sesame-idp/sesame/internal/oktaerr"
)

// Getter returns an attribute's value for the record being matched, and
// whether it is present (false for absent or null). Values are string,
// bool, int64, float64, time.Time or []string; a multi-valued attribute
// matches when any element does. Other integer and float kinds and []any
// are accepted too; any other type matches nothing.
type Getter func(attr string) (value any, present bool)

// Expr is a parsed expression.
type Expr interface {
	Match(get Getter) bool
	// Attrs lists every attribute the expression names, once each, in
	// order of first appearance.
	Attrs() []string
	// StringsOf lists the string literals compared with attr, as written,
	// so that a caller can look up the records a comparison names (the
	// users of an app's user.id filter) instead of enumerating them all.
	StringsOf(attr string) []string
}

// Options restrict what a resource supports.
type Options struct {
	// Allowed attribute names, exact; an entry ending in ".*" allows every
	// sub-attribute ("profile.*" allows "profile.login", not "profile").
	// Empty allows everything.
	Allowed []string
	// Operators allowed (any case); empty allows all.
	Operators []string
}

// Limits that keep hostile input from costing much: the length bounds the
// work, the depth bounds the recursion of the parser and of Match.
const (
	MaxLength = 4096
	MaxDepth  = 50
)

var allOperators = []string{"eq", "ne", "gt", "ge", "lt", "le", "sw", "co", "ew", "pr"}

// Parse parses s allowing the given attributes and every operator.
func Parse(s string, allowed []string) (Expr, *oktaerr.Error) {
	return ParseWith(s, Options{Allowed: allowed})
}

// ParseWith parses s. A syntax error is E0000031 "Invalid search criteria."
// with a cause naming the 1-based byte position; an attribute or operator
// the resource does not support is E0000094 "The provided filter is
// unsupported." with one cause per offending comparison.
func ParseWith(s string, opt Options) (Expr, *oktaerr.Error) {
	if len(s) > MaxLength {
		return nil, invalid(fmt.Sprintf("The expression is longer than %d characters.", MaxLength))
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	root, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, invalid(fmt.Sprintf("Unexpected token %s at position %d.", show(t), t.pos+1))
	}

	ops := allOperators
	if len(opt.Operators) > 0 {
		ops = make([]string, len(opt.Operators))
		for i, o := range opt.Operators {
			ops[i] = strings.ToLower(o)
		}
	}
	q := &query{root: root}
	var bad []string
	walk(root, func(c *cmp) {
		if !slices.Contains(q.attrs, c.attr) {
			q.attrs = append(q.attrs, c.attr)
		}
		if !attrAllowed(c.attr, opt.Allowed) {
			bad = append(bad, fmt.Sprintf("filter: The attribute '%s' is not supported.", c.attr))
		} else if !slices.Contains(ops, c.op) {
			bad = append(bad, fmt.Sprintf("filter: The operator '%s' is not supported for '%s'.", c.op, c.attr))
		}
	})
	if len(bad) > 0 {
		return nil, oktaerr.New(http.StatusBadRequest, oktaerr.CodeUnsupportedFilter, "The provided filter is unsupported.", bad...)
	}
	return q, nil
}

func invalid(cause string) *oktaerr.Error {
	return oktaerr.New(http.StatusBadRequest, oktaerr.CodeInvalidSearch, "Invalid search criteria.", "filter: "+cause)
}

func attrAllowed(attr string, allowed []string) bool {
	if len(allowed) == 0 {
		return true
	}
	for _, a := range allowed {
		if a == attr {
			return true
		}
		if prefix, ok := strings.CutSuffix(a, "*"); ok && strings.HasSuffix(prefix, ".") &&
			len(attr) > len(prefix) && strings.HasPrefix(attr, prefix) {
			return true
		}
	}
	return false
}

// Tokens.

type tokKind int

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tWord   // attribute, operator, and/or/not, true/false/null, number
	tString // quoted; text is the decoded value
)

type token struct {
	kind tokKind
	text string
	pos  int // byte offset in the expression
}

// show renders a token for an error cause, shortened so that a hostile
// expression is not echoed back at length.
func show(t token) string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tString:
		return strconv.Quote(clip(t.text))
	}
	return "'" + clip(t.text) + "'"
}

func clip(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func lex(s string) ([]token, *oktaerr.Error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case c == '(':
			out = append(out, token{tLParen, "(", i})
			i++
		case c == ')':
			out = append(out, token{tRParen, ")", i})
			i++
		case c == '"':
			start := i
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			if i >= len(s) {
				return nil, invalid(fmt.Sprintf("Unterminated string starting at position %d.", start+1))
			}
			i++
			// Values are JSON strings in SCIM, so JSON decides the escapes.
			var v string
			if json.Unmarshal([]byte(s[start:i]), &v) != nil {
				return nil, invalid(fmt.Sprintf("Invalid string starting at position %d.", start+1))
			}
			out = append(out, token{tString, v, start})
		default:
			start := i
			for i < len(s) && !isSpace(s[i]) && !strings.ContainsRune("()\"", rune(s[i])) {
				r, n := utf8.DecodeRuneInString(s[i:])
				if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-+:$", r)) {
					shown := string(r)
					if r == utf8.RuneError {
						shown = fmt.Sprintf("\\x%02x", s[i])
					}
					return nil, invalid(fmt.Sprintf("Unexpected character '%s' at position %d.", shown, i+1))
				}
				i += n
			}
			out = append(out, token{tWord, s[start:i], start})
		}
	}
	return append(out, token{tEOF, "", len(s)}), nil
}

// Parser:
//
//	or   := and ("or" and)*
//	and  := unary ("and" unary)*
//	unary := "not" "(" or ")" | "(" or ")" | comparison
//
// `not` is a keyword only before "(", so an attribute may be called "not".

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func isWord(t token, w string) bool { return t.kind == tWord && strings.EqualFold(t.text, w) }

func (p *parser) or(depth int) (node, *oktaerr.Error) {
	return p.chain(depth, "or", p.and)
}

func (p *parser) and(depth int) (node, *oktaerr.Error) {
	return p.chain(depth, "and", p.unary)
}

// chain parses operands joined by keyword into one flat node, so that a
// long a and b and c… costs no recursion.
func (p *parser) chain(depth int, keyword string, operand func(int) (node, *oktaerr.Error)) (node, *oktaerr.Error) {
	first, err := operand(depth)
	if err != nil {
		return nil, err
	}
	if !isWord(p.peek(), keyword) {
		return first, nil
	}
	l := &logical{or: keyword == "or", xs: []node{first}}
	for isWord(p.peek(), keyword) {
		p.next()
		x, err := operand(depth)
		if err != nil {
			return nil, err
		}
		l.xs = append(l.xs, x)
	}
	return l, nil
}

func (p *parser) unary(depth int) (node, *oktaerr.Error) {
	negate := false
	if isWord(p.peek(), "not") && p.toks[p.i+1].kind == tLParen {
		p.next()
		negate = true
	}
	if p.peek().kind != tLParen {
		return p.comparison()
	}
	open := p.next()
	if depth >= MaxDepth {
		return nil, invalid(fmt.Sprintf("The expression nests deeper than %d levels at position %d.", MaxDepth, open.pos+1))
	}
	e, err := p.or(depth + 1)
	if err != nil {
		return nil, err
	}
	if c := p.next(); c.kind != tRParen {
		return nil, invalid(fmt.Sprintf("Expected ')' at position %d, found %s.", c.pos+1, show(c)))
	}
	if negate {
		return &not{e: e}, nil
	}
	return e, nil
}

func (p *parser) comparison() (node, *oktaerr.Error) {
	a := p.next()
	if a.kind != tWord || !validAttr(a.text) {
		return nil, invalid(fmt.Sprintf("Expected an attribute at position %d, found %s.", a.pos+1, show(a)))
	}
	o := p.next()
	op := strings.ToLower(o.text)
	if o.kind != tWord || !slices.Contains(allOperators, op) {
		return nil, invalid(fmt.Sprintf("Expected an operator at position %d, found %s.", o.pos+1, show(o)))
	}
	c := &cmp{attr: a.text, op: op}
	if op == "pr" {
		return c, nil
	}
	v := p.next()
	var ok bool
	if c.lit, ok = literal(v); !ok {
		return nil, invalid(fmt.Sprintf("Expected a value at position %d, found %s.", v.pos+1, show(v)))
	}
	switch {
	case (op == "sw" || op == "co" || op == "ew") && c.lit.kind != litString:
		return nil, invalid(fmt.Sprintf("The operator '%s' at position %d needs a string value.", op, o.pos+1))
	case op != "eq" && op != "ne" && (c.lit.kind == litNull || c.lit.kind == litBool):
		return nil, invalid(fmt.Sprintf("The operator '%s' at position %d cannot compare with %s.", op, o.pos+1, strings.ToLower(v.text)))
	}
	return c, nil
}

func validAttr(s string) bool {
	if s == "" || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i, r := range s {
		if i == 0 && !unicode.IsLetter(r) && r != '_' && r != '$' {
			return false
		}
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-:$", r)) {
			return false
		}
	}
	return true
}

// Literals.

type litKind int

const (
	litNull litKind = iota
	litBool
	litInt
	litFloat
	litString
)

type lit struct {
	kind   litKind
	b      bool
	i      int64
	f      float64 // for litInt too, to compare with float attributes
	s      string  // lower-cased, compared case-insensitively
	text   string  // as written, for StringsOf
	t      time.Time
	isTime bool
}

func literal(t token) (lit, bool) {
	if t.kind == tString {
		l := lit{kind: litString, s: strings.ToLower(t.text), text: t.text}
		l.t, l.isTime = parseTime(t.text)
		return l, true
	}
	if t.kind != tWord {
		return lit{}, false
	}
	switch strings.ToLower(t.text) {
	case "null":
		return lit{kind: litNull}, true
	case "true":
		return lit{kind: litBool, b: true}, true
	case "false":
		return lit{kind: litBool}, true
	}
	ok, integral := jsonNumber(t.text)
	if !ok {
		return lit{}, false
	}
	if integral {
		if i, err := strconv.ParseInt(t.text, 10, 64); err == nil {
			return lit{kind: litInt, i: i, f: float64(i)}, true
		}
	}
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil || math.IsInf(f, 0) {
		return lit{}, false
	}
	return lit{kind: litFloat, f: f}, true
}

// jsonNumber reports whether s is a JSON number, and whether it has neither
// fraction nor exponent. ParseFloat alone would also take "inf", "NaN",
// hex floats and underscores.
func jsonNumber(s string) (ok, integral bool) {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if n := digits(); n == 0 || (n > 1 && s[i-n] == '0') {
		return false, false
	}
	integral = true
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false, false
		}
		integral = false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false, false
		}
		integral = false
	}
	return i == len(s), integral
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"}

// parseTime reads an ISO-8601 timestamp: with or without fraction, with Z or
// an offset, or with no zone (taken as UTC, as Okta's are); or a bare date.
func parseTime(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' {
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.Truncate(time.Millisecond), true
		}
	}
	return time.Time{}, false
}

// Evaluation.

type node interface{ match(get Getter) bool }

// query is the root: Attrs is computed once at parse time.
type query struct {
	root  node
	attrs []string
}

func (q *query) Match(get Getter) bool { return q.root.match(get) }
func (q *query) Attrs() []string       { return slices.Clone(q.attrs) }

func (q *query) StringsOf(attr string) []string {
	var out []string
	walk(q.root, func(c *cmp) {
		if c.attr == attr && c.lit.kind == litString && !slices.Contains(out, c.lit.text) {
			out = append(out, c.lit.text)
		}
	})
	return out
}

type logical struct {
	or bool
	xs []node
}

func (e *logical) match(get Getter) bool {
	for _, x := range e.xs {
		if x.match(get) == e.or {
			return e.or
		}
	}
	return !e.or
}

type not struct{ e node }

func (e *not) match(get Getter) bool { return !e.e.match(get) }

type cmp struct {
	attr, op string
	lit      lit
}

func (c *cmp) match(get Getter) bool {
	v, present := get(c.attr)
	if present && v == nil {
		present = false
	}
	if c.op == "pr" {
		return present && !empty(v)
	}
	if c.lit.kind == litNull {
		return present == (c.op == "ne")
	}
	if !present {
		return c.op == "ne"
	}
	switch list := v.(type) {
	case []string:
		return slices.ContainsFunc(list, func(x string) bool { return c.one(x) })
	case []any:
		return slices.ContainsFunc(list, c.one)
	}
	return c.one(v)
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// one compares a single value with the literal; a value of another type
// than the literal matches nothing.
func (c *cmp) one(v any) bool {
	l := &c.lit
	switch x := v.(type) {
	case string:
		if l.kind != litString {
			return false
		}
		a := strings.ToLower(x)
		switch c.op {
		case "sw":
			return strings.HasPrefix(a, l.s)
		case "co":
			return strings.Contains(a, l.s)
		case "ew":
			return strings.HasSuffix(a, l.s)
		}
		return ordered(c.op, strings.Compare(a, l.s))
	case bool:
		if l.kind != litBool {
			return false
		}
		return ordered(c.op, compareBool(x, l.b))
	case time.Time:
		if !l.isTime || !isOrdering(c.op) {
			return false
		}
		return ordered(c.op, x.Truncate(time.Millisecond).Compare(l.t))
	case int64:
		return c.integer(x)
	case int:
		return c.integer(int64(x))
	case int32:
		return c.integer(int64(x))
	case float64:
		return c.float(x)
	case float32:
		return c.float(float64(x))
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return c.integer(i)
		}
		f, err := x.Float64()
		return err == nil && c.float(f)
	}
	return false
}

func (c *cmp) integer(x int64) bool {
	switch {
	case !isOrdering(c.op):
		return false
	case c.lit.kind == litInt:
		// Exact: float64 would merge integers above 2^53.
		return ordered(c.op, compareInt(x, c.lit.i))
	case c.lit.kind == litFloat:
		return ordered(c.op, compareFloat(float64(x), c.lit.f))
	}
	return false
}

func (c *cmp) float(x float64) bool {
	if !isOrdering(c.op) || (c.lit.kind != litInt && c.lit.kind != litFloat) || math.IsNaN(x) {
		return false
	}
	return ordered(c.op, compareFloat(x, c.lit.f))
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareBool(a, b bool) int {
	if a == b {
		return 0
	}
	return 1
}

// isOrdering: the operators that compare non-string values (eq and ne
// included); sw co ew apply to strings only.
func isOrdering(op string) bool { return op != "sw" && op != "co" && op != "ew" }

func ordered(op string, r int) bool {
	switch op {
	case "eq":
		return r == 0
	case "ne":
		return r != 0
	case "gt":
		return r > 0
	case "ge":
		return r >= 0
	case "lt":
		return r < 0
	case "le":
		return r <= 0
	}
	return false
}

func walk(e node, fn func(*cmp)) {
	switch x := e.(type) {
	case *logical:
		for _, y := range x.xs {
			walk(y, fn)
		}
	case *not:
		walk(x.e, fn)
	case *cmp:
		fn(x)
	}
}
