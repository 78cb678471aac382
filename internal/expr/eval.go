package expr

import (
	"fmt"
	"strconv"
	"strings"
)

// Eval evaluates the expression against env. Errors are *Error values naming
// the position of the failing operation.
func (e *Expr) Eval(env Env) (any, error) {
	return eval(e.root, &env)
}

func evalErr(n node, format string, a ...any) error {
	return &Error{Pos: n.pos(), Msg: fmt.Sprintf(format, a...)}
}

func eval(n node, env *Env) (any, error) {
	switch n := n.(type) {
	case *litNode:
		return n.v, nil
	case *pathNode:
		return lookup(n, env), nil
	case *unaryNode:
		x, err := eval(n.x, env)
		if err != nil {
			return nil, err
		}
		b, err := truth(n.x, x)
		return !b, err
	case *condNode:
		c, err := eval(n.c, env)
		if err != nil {
			return nil, err
		}
		b, err := truth(n.c, c)
		if err != nil {
			return nil, err
		}
		if b {
			return eval(n.yes, env)
		}
		return eval(n.no, env)
	case *binaryNode:
		return evalBinary(n, env)
	case *callNode:
		return evalCall(n, env)
	}
	return nil, evalErr(n, "unsupported expression")
}

// truth is a condition's value: null is false, anything but a boolean is an
// error.
func truth(n node, v any) (bool, error) {
	switch v := v.(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	}
	return false, evalErr(n, "expected a boolean but found %s", typeName(v))
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	}
	return "an object"
}

func evalBinary(n *binaryNode, env *Env) (any, error) {
	l, err := eval(n.l, env)
	if err != nil {
		return nil, err
	}
	if n.op == "&&" || n.op == "||" {
		lb, err := truth(n.l, l)
		if err != nil {
			return nil, err
		}
		if (n.op == "&&" && !lb) || (n.op == "||" && lb) {
			return lb, nil
		}
		r, err := eval(n.r, env)
		if err != nil {
			return nil, err
		}
		return truth(n.r, r)
	}
	r, err := eval(n.r, env)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "==":
		return equal(l, r), nil
	case "!=":
		return !equal(l, r), nil
	}
	// "+": numbers add; anything else concatenates as text.
	if lf, ok := l.(float64); ok {
		if rf, ok := r.(float64); ok {
			return lf + rf, nil
		}
	}
	if l == nil && r == nil {
		return nil, nil
	}
	s := text(l) + text(r)
	if len(s) > MaxValueLen {
		return nil, evalErr(n, "value is longer than %d bytes", MaxValueLen)
	}
	return s, nil
}

func equal(l, r any) bool {
	switch l := l.(type) {
	case nil:
		return r == nil
	case string, float64, bool:
		return l == r
	case []any:
		ra, ok := r.([]any)
		if !ok || len(ra) != len(l) {
			return false
		}
		for i := range l {
			if !equal(l[i], ra[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// text renders a value as Okta does when concatenating; null is empty.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = text(x)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

func lookup(n *pathNode, env *Env) any {
	var cur any
	names := n.names
	switch n.root {
	case "user":
		if env.User == nil {
			return nil
		}
		if len(names) == 0 {
			return object(env.User.Profile)
		}
		if len(names) == 1 && names[0] == "id" {
			if _, ok := env.User.Profile["id"]; !ok {
				return env.User.ID
			}
		}
		cur = env.User.Profile
	case "appuser":
		if env.AppUser == nil {
			return nil
		}
		cur = object(env.AppUser)
	case "app":
		if env.App == nil {
			return nil
		}
		if len(names) == 0 {
			return map[string]any{"id": env.App.ID, "clientId": env.App.ClientID, "label": env.App.Label, "profile": object(env.App.Profile)}
		}
		switch names[0] {
		case "clientId":
			return onlyLeaf(names, env.App.ClientID)
		case "id":
			return onlyLeaf(names, env.App.ID)
		case "label":
			return onlyLeaf(names, env.App.Label)
		case "profile":
			cur, names = env.App.Profile, names[1:]
		default:
			return nil
		}
	case "org":
		if len(names) == 0 {
			return map[string]any{"id": env.Org.ID, "name": env.Org.Name}
		}
		if len(names) != 1 {
			return nil
		}
		switch names[0] {
		case "id":
			return env.Org.ID
		case "name":
			return env.Org.Name
		}
		return nil
	}
	if len(names) == 0 {
		return cur
	}
	for _, name := range names {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[name]
	}
	return normalize(cur)
}

// object makes a bare root non-null even when it has no attributes.
func object(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func onlyLeaf(names []string, v string) any {
	if len(names) != 1 {
		return nil
	}
	return v
}

// normalize turns profile values (decoded JSON or Go values) into the types
// an expression works with.
func normalize(v any) any {
	switch v := v.(type) {
	case nil, string, float64, bool:
		return v
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case []string:
		out := make([]any, len(v))
		for i, s := range v {
			out[i] = s
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalize(x)
		}
		return out
	}
	return nil
}

func evalCall(n *callNode, env *Env) (any, error) {
	args := make([]any, len(n.args))
	for i, a := range n.args {
		v, err := eval(a, env)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	str := func(i int) (string, bool, error) {
		switch v := args[i].(type) {
		case nil:
			return "", false, nil
		case string:
			return v, true, nil
		case float64, bool:
			return text(v), true, nil
		}
		return "", false, evalErr(n.args[i], "%s expects a string but found %s", n.name, typeName(args[i]))
	}
	// strs fetches every argument as a string; ok is false when any is null.
	strs := func() ([]string, bool, error) {
		out := make([]string, len(args))
		for i := range args {
			s, ok, err := str(i)
			if err != nil || !ok {
				return nil, false, err
			}
			out[i] = s
		}
		return out, true, nil
	}
	arr := func(i int) ([]any, bool, error) {
		switch v := args[i].(type) {
		case nil:
			return nil, false, nil
		case []any:
			return v, true, nil
		}
		return nil, false, evalErr(n.args[i], "%s expects an array but found %s", n.name, typeName(args[i]))
	}

	switch n.name {
	case "String.substringBefore", "String.substringAfter", "String.toLowerCase", "String.toUpperCase",
		"String.stringContains", "String.len", "String.replace":
		s, ok, err := strs()
		if err != nil || !ok {
			return nil, err
		}
		var out any
		switch n.name {
		case "String.substringBefore":
			if i := strings.Index(s[0], s[1]); i >= 0 {
				out = s[0][:i]
			} else {
				out = ""
			}
		case "String.substringAfter":
			if i := strings.Index(s[0], s[1]); i >= 0 {
				out = s[0][i+len(s[1]):]
			} else {
				out = ""
			}
		case "String.toLowerCase":
			out = strings.ToLower(s[0])
		case "String.toUpperCase":
			out = strings.ToUpper(s[0])
		case "String.stringContains":
			return strings.Contains(s[0], s[1]), nil
		case "String.len":
			return float64(len([]rune(s[0]))), nil
		case "String.replace":
			if s[1] != "" && len(s[0])+strings.Count(s[0], s[1])*len(s[2]) > MaxValueLen {
				return nil, evalErr(n, "value is longer than %d bytes", MaxValueLen)
			}
			if s[1] == "" {
				out = s[0]
			} else {
				out = strings.ReplaceAll(s[0], s[1], s[2])
			}
		}
		return out, nil
	case "String.join":
		sep, ok, err := str(0)
		if err != nil || !ok {
			return nil, err
		}
		var parts []string
		for i := 1; i < len(args); i++ {
			if args[i] == nil {
				continue
			}
			s, _, err := str(i)
			if err != nil {
				return nil, err
			}
			parts = append(parts, s)
		}
		out := strings.Join(parts, sep)
		if len(out) > MaxValueLen {
			return nil, evalErr(n, "value is longer than %d bytes", MaxValueLen)
		}
		return out, nil
	case "Arrays.contains", "Arrays.size", "Arrays.isEmpty", "Arrays.toCsvString":
		a, ok, err := arr(0)
		if err != nil {
			return nil, err
		}
		if !ok {
			if n.name == "Arrays.isEmpty" {
				return true, nil
			}
			return nil, nil
		}
		switch n.name {
		case "Arrays.contains":
			for _, x := range a {
				if equal(x, args[1]) {
					return true, nil
				}
			}
			return false, nil
		case "Arrays.size":
			return float64(len(a)), nil
		case "Arrays.isEmpty":
			return len(a) == 0, nil
		}
		return text(a), nil
	case "isMemberOfGroupName", "isMemberOfGroup", "isMemberOfAnyGroup":
		s, ok, err := strs()
		if err != nil || !ok || env.User == nil {
			return false, err
		}
		have := env.User.GroupIDs
		if n.name == "isMemberOfGroupName" {
			have = env.User.GroupNames
		}
		for _, g := range have {
			for _, want := range s {
				if g == want {
					return true, nil
				}
			}
		}
		return false, nil
	case "Groups.startsWith", "Groups.contains":
		if _, _, err := str(0); err != nil {
			return nil, err
		}
		sub, ok, err := str(1)
		if err != nil || !ok {
			return nil, err
		}
		limit, isNum := args[2].(float64)
		if !isNum || limit < 0 || limit != float64(int(limit)) {
			return nil, evalErr(n.args[2], "%s expects a non-negative whole number as its limit", n.name)
		}
		out := []any{}
		if env.User == nil {
			return out, nil
		}
		// Okta matches group names case-insensitively for these functions.
		l := strings.ToLower(sub)
		for _, g := range env.User.GroupNames {
			if len(out) >= int(limit) {
				break
			}
			name := strings.ToLower(g)
			if (n.name == "Groups.startsWith" && strings.HasPrefix(name, l)) || (n.name == "Groups.contains" && strings.Contains(name, l)) {
				out = append(out, g)
			}
		}
		return out, nil
	}
	return nil, evalErr(n, "unknown function '%s'", n.name)
}
