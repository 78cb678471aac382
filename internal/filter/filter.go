// Package filter parses and evaluates the SCIM-like expressions of Okta's
// `filter` and `search` query parameters (§4.0): attribute paths, the
// operators eq ne gt ge lt le sw co ew pr, and, or, not, parentheses,
// quoted strings, numbers, booleans, null and ISO-8601 timestamps.
package filter

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sesame-idp/sesame/internal/web"
)

// Getter returns an attribute's value for the record being matched, and
// whether it is present (false for absent or null). Values are string,
// bool, int64, float64, time.Time or []string; a multi-valued attribute
// matches when any element does.
type Getter func(attr string) (value any, present bool)

// Expr is a parsed expression.
type Expr interface {
	Match(get Getter) bool
	// Attrs lists every attribute the expression names.
	Attrs() []string
}

// Options restrict what a resource supports.
type Options struct {
	// Allowed attribute names, exact; an entry ending in ".*" allows every
	// sub-attribute ("profile.*"). Empty allows everything.
	Allowed []string
	// Operators allowed (lower case); empty allows all.
	Operators []string
}

// Limits that keep hostile input from costing much.
const (
	MaxLength = 4096
	MaxDepth  = 50
)

var allOperators = []string{"eq", "ne", "gt", "ge", "lt", "le", "sw", "co", "ew", "pr"}

// Parse parses s allowing the given attributes and every operator.
func Parse(s string, allowed []string) (Expr, *web.Error) {
	return ParseWith(s, Options{Allowed: allowed})
}

// ParseWith parses s. A syntax error is E0000031 "Invalid search criteria."
// with a cause naming the position; an attribute or operator the resource
// does not support is E0000094 "The provided filter is unsupported.".
func ParseWith(s string, opt Options) (Expr, *web.Error) {
	if len(s) > MaxLength {
		return nil, invalid(fmt.Sprintf("The expression is longer than %d characters.", MaxLength))
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, invalid(fmt.Sprintf("Unexpected token '%s' at position %d.", t.text, t.pos+1))
	}
	ops := opt.Operators
	if len(ops) == 0 {
		ops = allOperators
	}
	var bad []string
	walk(e, func(c *cmp) {
		if !attrAllowed(c.attr, opt.Allowed) {
			bad = append(bad, fmt.Sprintf("filter: The attribute '%s' is not supported.", c.attr))
		}
		if !slices.Contains(ops, c.op) {
			bad = append(bad, fmt.Sprintf("filter: The operator '%s' is not supported for '%s'.", c.op, c.attr))
		}
	})
	if len(bad) > 0 {
		return nil, web.NewError(http.StatusBadRequest, web.CodeUnsupportedFilter, "The provided filter is unsupported.", bad...)
	}
	return e, nil
}

func invalid(cause string) *web.Error {
	return web.NewError(http.StatusBadRequest, web.CodeInvalidSearch, "Invalid search criteria.", "filter: "+cause)
}

func attrAllowed(attr string, allowed []string) bool {
	if len(allowed) == 0 {
		return true
	}
	for _, a := range allowed {
		if a == attr || (strings.HasSuffix(a, ".*") && strings.HasPrefix(attr, strings.TrimSuffix(a, "*")) && len(attr) > len(a)-1) {
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
	tString // quoted
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func lex(s string) ([]token, *web.Error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{tLParen, "(", i})
			i++
		case c == ')':
			out = append(out, token{tRParen, ")", i})
			i++
		case c == '"':
			start := i
			i++
			var b strings.Builder
			closed := false
			for i < len(s) {
				if s[i] == '\\' {
					if i+1 >= len(s) {
						break
					}
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, invalid(fmt.Sprintf("Unterminated string starting at position %d.", start+1))
			}
			out = append(out, token{tString, b.String(), start})
		default:
			start := i
			for i < len(s) && !strings.ContainsRune(" \t\n\r()\"", rune(s[i])) {
				i++
			}
			w := s[start:i]
			for _, r := range w {
				if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-+:$", r)) {
					return nil, invalid(fmt.Sprintf("Unexpected character '%c' at position %d.", r, start+1))
				}
			}
			out = append(out, token{tWord, w, start})
		}
	}
	return append(out, token{tEOF, "end of expression", len(s)}), nil
}

// Parser: or := and ("or" and)*; and := unary ("and" unary)*;
// unary := "not" unary | "(" or ")" | comparison.

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func isWord(t token, w string) bool { return t.kind == tWord && strings.EqualFold(t.text, w) }

func (p *parser) or(depth int) (Expr, *web.Error) {
	l, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for isWord(p.peek(), "or") {
		p.next()
		r, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		l = &logical{or: true, l: l, r: r}
	}
	return l, nil
}

func (p *parser) and(depth int) (Expr, *web.Error) {
	l, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for isWord(p.peek(), "and") {
		p.next()
		r, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		l = &logical{l: l, r: r}
	}
	return l, nil
}

func (p *parser) unary(depth int) (Expr, *web.Error) {
	if depth > MaxDepth {
		return nil, invalid(fmt.Sprintf("The expression nests deeper than %d levels.", MaxDepth))
	}
	t := p.peek()
	switch {
	case isWord(t, "not"):
		p.next()
		e, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &not{e: e}, nil
	case t.kind == tLParen:
		p.next()
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, invalid(fmt.Sprintf("Expected ')' at position %d, found '%s'.", c.pos+1, c.text))
		}
		return e, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (Expr, *web.Error) {
	a := p.next()
	if a.kind != tWord || !validAttr(a.text) {
		return nil, invalid(fmt.Sprintf("Expected an attribute at position %d, found '%s'.", a.pos+1, a.text))
	}
	o := p.next()
	op := strings.ToLower(o.text)
	if o.kind != tWord || !slices.Contains(allOperators, op) {
		return nil, invalid(fmt.Sprintf("Expected an operator at position %d, found '%s'.", o.pos+1, o.text))
	}
	c := &cmp{attr: a.text, op: op}
	if op == "pr" {
		return c, nil
	}
	v := p.next()
	switch {
	case v.kind == tString:
		c.val, c.str = v.text, true
		if t, ok := parseTime(v.text); ok {
			c.time, c.isTime = t, true
		}
	case v.kind == tWord && strings.EqualFold(v.text, "true"):
		c.val = true
	case v.kind == tWord && strings.EqualFold(v.text, "false"):
		c.val = false
	case v.kind == tWord && strings.EqualFold(v.text, "null"):
		c.val = nil
	case v.kind == tWord:
		f, err := strconv.ParseFloat(v.text, 64)
		if err != nil {
			return nil, invalid(fmt.Sprintf("Expected a value at position %d, found '%s'.", v.pos+1, v.text))
		}
		c.val = f
	default:
		return nil, invalid(fmt.Sprintf("Expected a value at position %d, found '%s'.", v.pos+1, v.text))
	}
	if c.val == nil && op != "eq" && op != "ne" {
		return nil, invalid(fmt.Sprintf("The operator '%s' cannot compare with null.", op))
	}
	return c, nil
}

func validAttr(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-' || r == ':' || r == '$') {
			return false
		}
	}
	return !unicode.IsDigit(rune(s[0]))
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.000", "2006-01-02T15:04:05", "2006-01-02"}

func parseTime(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' {
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Evaluation.

type logical struct {
	or   bool
	l, r Expr
}

func (e *logical) Match(get Getter) bool {
	if e.or {
		return e.l.Match(get) || e.r.Match(get)
	}
	return e.l.Match(get) && e.r.Match(get)
}
func (e *logical) Attrs() []string { return append(e.l.Attrs(), e.r.Attrs()...) }

type not struct{ e Expr }

func (e *not) Match(get Getter) bool { return !e.e.Match(get) }
func (e *not) Attrs() []string       { return e.e.Attrs() }

type cmp struct {
	attr, op string
	val      any // string, bool, float64 or nil
	str      bool
	time     time.Time
	isTime   bool
}

func (c *cmp) Attrs() []string { return []string{c.attr} }

func (c *cmp) Match(get Getter) bool {
	v, present := get(c.attr)
	if c.op == "pr" {
		return present && !empty(v)
	}
	if c.val == nil {
		if c.op == "eq" {
			return !present || v == nil
		}
		return present && v != nil
	}
	if !present {
		return c.op == "ne"
	}
	if list, ok := v.([]string); ok {
		for _, x := range list {
			if c.one(x) {
				return true
			}
		}
		return false
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
	}
	return false
}

// one compares a single value; a type mismatch matches nothing (except ne).
func (c *cmp) one(v any) bool {
	var r int
	switch x := v.(type) {
	case string:
		s, ok := c.val.(string)
		if !ok {
			return c.op == "ne"
		}
		a, b := strings.ToLower(x), strings.ToLower(s)
		switch c.op {
		case "sw":
			return strings.HasPrefix(a, b)
		case "co":
			return strings.Contains(a, b)
		case "ew":
			return strings.HasSuffix(a, b)
		}
		r = strings.Compare(a, b)
	case bool:
		b, ok := c.val.(bool)
		if !ok || (c.op != "eq" && c.op != "ne") {
			return c.op == "ne" && !ok
		}
		if c.op == "eq" {
			return x == b
		}
		return x != b
	case int64:
		return c.number(float64(x))
	case int:
		return c.number(float64(x))
	case float64:
		return c.number(x)
	case time.Time:
		if !c.isTime {
			return c.op == "ne"
		}
		r = x.Compare(c.time)
		if c.op == "sw" || c.op == "co" || c.op == "ew" {
			return false
		}
	default:
		return false
	}
	return ordered(c.op, r)
}

func (c *cmp) number(x float64) bool {
	f, ok := c.val.(float64)
	if !ok || c.op == "sw" || c.op == "co" || c.op == "ew" {
		return c.op == "ne" && !ok
	}
	r := 0
	if x < f {
		r = -1
	} else if x > f {
		r = 1
	}
	return ordered(c.op, r)
}

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

func walk(e Expr, fn func(*cmp)) {
	switch x := e.(type) {
	case *logical:
		walk(x.l, fn)
		walk(x.r, fn)
	case *not:
		walk(x.e, fn)
	case *cmp:
		fn(x)
	}
}
