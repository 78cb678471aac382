// Package expr is the subset of the Okta Expression Language that claim
// values use (§4.4): attribute paths on user, appuser, app and org, string
// and number literals, concatenation, comparison, boolean logic, the ternary
// operator and Okta's String, Arrays, Groups and group-membership functions.
//
// Values are nil (null), string, float64, bool, []any and, for a bare
// user, appuser, app or org, map[string]any (so that "appuser != null" tells
// whether there is an app user). Null semantics,
// chosen to match what Okta emits for absent attributes:
//   - a missing attribute, or any attribute of null, is null;
//   - "+" with one null operand yields the other operand's text, and null
//     only when both are null (Okta never renders the word "null");
//   - String and Arrays functions given a null first argument return null;
//   - null is false where a condition is expected; "==" treats null as equal
//     only to null.
//
// Parse and Eval never panic: sources are capped at MaxSourceLen bytes,
// nesting at MaxDepth levels and produced strings at MaxValueLen bytes.
package expr

import (
	"fmt"
	"strconv"
	"strings"
)

const (
	MaxSourceLen = 1024
	MaxDepth     = 32
	// MaxValueLen bounds the strings an evaluation builds, since nested
	// String.replace calls could otherwise grow a value exponentially.
	MaxValueLen = 64 << 10
)

// Error is a parse or evaluation error; Pos is the 1-based byte offset in the
// source where it was found.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg) }

// Expr is a parsed expression.
type Expr struct {
	src  string
	root node
}

// String returns the source the expression was parsed from.
func (e *Expr) String() string { return e.src }

// User is the signed-in user an expression describes.
type User struct {
	ID         string
	Profile    map[string]any
	GroupIDs   []string
	GroupNames []string
}

// App is the client the token is issued to.
type App struct {
	ID       string
	ClientID string
	Label    string
	Profile  map[string]any
}

// Org is the organization.
type Org struct {
	ID   string
	Name string
}

// Env is what an expression is evaluated against. A nil User makes user.*
// null and the group functions false or empty; a nil AppUser makes appuser
// null (as it is for client_credentials tokens).
type Env struct {
	User    *User
	AppUser map[string]any
	App     *App
	Org     Org
}

type node interface{ pos() int }

type (
	litNode struct {
		p int
		v any
	}
	pathNode struct {
		p     int
		root  string
		names []string
	}
	callNode struct {
		p    int
		name string
		args []node
	}
	unaryNode struct {
		p  int
		op string
		x  node
	}
	binaryNode struct {
		p    int
		op   string
		l, r node
	}
	condNode struct {
		p          int
		c, yes, no node
	}
)

func (n *litNode) pos() int    { return n.p }
func (n *pathNode) pos() int   { return n.p }
func (n *callNode) pos() int   { return n.p }
func (n *unaryNode) pos() int  { return n.p }
func (n *binaryNode) pos() int { return n.p }
func (n *condNode) pos() int   { return n.p }

// roots are the variables an expression may name.
var roots = map[string]bool{"user": true, "appuser": true, "app": true, "org": true}

// funcs maps each function to its minimum and maximum argument count (-1:
// unbounded).
var funcs = map[string][2]int{
	"String.substringBefore": {2, 2},
	"String.substringAfter":  {2, 2},
	"String.toLowerCase":     {1, 1},
	"String.toUpperCase":     {1, 1},
	"String.stringContains":  {2, 2},
	"String.len":             {1, 1},
	"String.replace":         {3, 3},
	"String.join":            {1, -1},
	"Arrays.contains":        {2, 2},
	"Arrays.size":            {1, 1},
	"Arrays.isEmpty":         {1, 1},
	"Arrays.toCsvString":     {1, 1},
	"isMemberOfGroupName":    {1, 1},
	"isMemberOfGroup":        {1, 1},
	"isMemberOfAnyGroup":     {1, -1},
	"Groups.startsWith":      {3, 3},
	"Groups.contains":        {3, 3},
}

// Parse parses an expression.
func Parse(src string) (*Expr, error) { return parse(src, false) }

// Check reports what makes src malformed. Unlike Parse it accepts names of
// variables and functions this implementation does not know: Okta stores
// such values and evaluates them only when a token is made (where Parse
// then fails and the claim is left out).
func Check(src string) error {
	_, err := parse(src, true)
	return err
}

func parse(src string, lenient bool) (*Expr, error) {
	if len(src) > MaxSourceLen {
		return nil, &Error{Pos: MaxSourceLen + 1, Msg: fmt.Sprintf("expression is longer than %d characters", MaxSourceLen)}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, lenient: lenient}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, &Error{Pos: t.pos, Msg: fmt.Sprintf("unexpected %s", t.describe())}
	}
	return &Expr{src: src, root: n}, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tOp
)

type tok struct {
	kind tokKind
	pos  int
	text string // identifier, operator, or the decoded string literal
	num  float64
}

func (t tok) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tString:
		return "string " + strconv.Quote(t.text)
	case tNumber:
		return "number " + strconv.FormatFloat(t.num, 'f', -1, 64)
	}
	return "'" + t.text + "'"
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func lex(src string) ([]tok, error) {
	var toks []tok
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && (isIdentStart(src[j]) || isDigit(src[j])) {
				j++
			}
			word := src[i:j]
			afterDot := len(toks) > 0 && toks[len(toks)-1].kind == tOp && toks[len(toks)-1].text == "."
			// Okta's language (Spring's, underneath) spells the boolean
			// operators as words too: group rules are commonly written
			// `user.a == "x" OR user.b == "y"`. A member named "and" or
			// "or" after a dot stays a name.
			if w := strings.ToUpper(word); !afterDot && (w == "AND" || w == "OR") {
				op := map[string]string{"AND": "&&", "OR": "||"}[w]
				toks = append(toks, tok{kind: tOp, pos: i + 1, text: op})
			} else {
				toks = append(toks, tok{kind: tIdent, pos: i + 1, text: word})
			}
			i = j
		case isDigit(c):
			j := i
			for j < len(src) && (isDigit(src[j]) || src[j] == '.') {
				j++
			}
			f, err := strconv.ParseFloat(src[i:j], 64)
			if err != nil {
				return nil, &Error{Pos: i + 1, Msg: "invalid number " + strconv.Quote(src[i:j])}
			}
			toks = append(toks, tok{kind: tNumber, pos: i + 1, num: f})
			i = j
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(src) && src[j] != c; j++ {
				if src[j] == '\\' && j+1 < len(src) {
					j++
				}
				b.WriteByte(src[j])
			}
			if j >= len(src) {
				return nil, &Error{Pos: i + 1, Msg: "unterminated string"}
			}
			toks = append(toks, tok{kind: tString, pos: i + 1, text: b.String()})
			i = j + 1
		default:
			op := ""
			if i+1 < len(src) {
				switch two := src[i : i+2]; two {
				case "==", "!=", "&&", "||":
					op = two
				}
			}
			if op == "" && strings.IndexByte("+!?:().,", c) >= 0 {
				op = string(c)
			}
			if op == "" {
				return nil, &Error{Pos: i + 1, Msg: fmt.Sprintf("unexpected character %q", rune(c))}
			}
			toks = append(toks, tok{kind: tOp, pos: i + 1, text: op})
			i += len(op)
		}
	}
	return append(toks, tok{kind: tEOF, pos: len(src) + 1}), nil
}

type parser struct {
	toks    []tok
	i       int
	lenient bool // unknown variables and functions are accepted (Check)
}

func (p *parser) peek() tok { return p.toks[p.i] }

func (p *parser) next() tok {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == op
}

func (p *parser) expect(op string) error {
	if t := p.next(); t.kind != tOp || t.text != op {
		return &Error{Pos: t.pos, Msg: fmt.Sprintf("expected '%s' but found %s", op, t.describe())}
	}
	return nil
}

func tooDeep(pos int) error {
	return &Error{Pos: pos, Msg: fmt.Sprintf("expression is nested more than %d levels deep", MaxDepth)}
}

// expr parses a ternary: or ('?' expr ':' expr)?
func (p *parser) expr(depth int) (node, error) {
	if depth > MaxDepth {
		return nil, tooDeep(p.peek().pos)
	}
	c, err := p.binary(depth, 0)
	if err != nil || !p.isOp("?") {
		return c, err
	}
	q := p.next()
	yes, err := p.expr(depth + 1)
	if err != nil {
		return nil, err
	}
	if err := p.expect(":"); err != nil {
		return nil, err
	}
	no, err := p.expr(depth + 1)
	if err != nil {
		return nil, err
	}
	return &condNode{p: q.pos, c: c, yes: yes, no: no}, nil
}

// levels lists binary operators from loosest to tightest binding.
var levels = [][]string{{"||"}, {"&&"}, {"==", "!="}, {"+"}}

func (p *parser) binary(depth, level int) (node, error) {
	if level == len(levels) {
		return p.unary(depth)
	}
	l, err := p.binary(depth, level+1)
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		matched := false
		for _, op := range levels[level] {
			matched = matched || (t.kind == tOp && t.text == op)
		}
		if !matched {
			return l, nil
		}
		p.next()
		r, err := p.binary(depth, level+1)
		if err != nil {
			return nil, err
		}
		l = &binaryNode{p: t.pos, op: t.text, l: l, r: r}
	}
}

func (p *parser) unary(depth int) (node, error) {
	if p.isOp("!") {
		t := p.next()
		if depth+1 > MaxDepth {
			return nil, tooDeep(t.pos)
		}
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &unaryNode{p: t.pos, op: "!", x: x}, nil
	}
	return p.primary(depth)
}

func (p *parser) primary(depth int) (node, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return &litNode{p: t.pos, v: t.text}, nil
	case tNumber:
		return &litNode{p: t.pos, v: t.num}, nil
	case tOp:
		if t.text == "(" {
			if depth+1 > MaxDepth {
				return nil, tooDeep(t.pos)
			}
			x, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			return x, p.expect(")")
		}
	case tIdent:
		switch t.text {
		case "null":
			return &litNode{p: t.pos}, nil
		case "true":
			return &litNode{p: t.pos, v: true}, nil
		case "false":
			return &litNode{p: t.pos, v: false}, nil
		}
		names := []string{t.text}
		for p.isOp(".") {
			p.next()
			n := p.next()
			if n.kind != tIdent {
				return nil, &Error{Pos: n.pos, Msg: "expected an attribute name but found " + n.describe()}
			}
			names = append(names, n.text)
		}
		if p.isOp("(") {
			return p.call(depth, t.pos, strings.Join(names, "."))
		}
		if !roots[names[0]] && !p.lenient {
			return nil, &Error{Pos: t.pos, Msg: fmt.Sprintf("unknown variable '%s'; use user, appuser, app or org", names[0])}
		}
		return &pathNode{p: t.pos, root: names[0], names: names[1:]}, nil
	}
	return nil, &Error{Pos: t.pos, Msg: "unexpected " + t.describe()}
}

func (p *parser) call(depth, pos int, name string) (node, error) {
	arity, ok := funcs[name]
	if !ok && !p.lenient {
		return nil, &Error{Pos: pos, Msg: fmt.Sprintf("unknown function '%s'", name)}
	}
	if !ok {
		arity = [2]int{0, -1}
	}
	if depth+1 > MaxDepth {
		return nil, tooDeep(pos)
	}
	p.next() // (
	var args []node
	if !p.isOp(")") {
		for {
			a, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			if !p.isOp(",") {
				break
			}
			p.next()
		}
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	if len(args) < arity[0] || (arity[1] >= 0 && len(args) > arity[1]) {
		want := strconv.Itoa(arity[0])
		if arity[1] < 0 {
			want = "at least " + want
		}
		return nil, &Error{Pos: pos, Msg: fmt.Sprintf("function '%s' takes %s argument(s), got %d", name, want, len(args))}
	}
	return &callNode{p: pos, name: name, args: args}, nil
}
