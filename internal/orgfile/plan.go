package orgfile

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// Change is one thing apply does (or, in a dry run, would do).
type Change struct {
	Op     string // create, update, delete
	Kind   string // person, group, app, …
	Name   string // how the file names the object
	Fields []Field
	// Note says what else happens (a membership, a status, a secret set).
	Note string
}

// Field is one value an update changes. Secrets show as "(secret)".
type Field struct {
	Path     string
	Old, New string
}

// Plan is what apply did or would do, in order.
type Plan struct {
	Changes []Change
	// Secrets are values Sesame generated (an app's client secret, an API
	// token) that exist nowhere else; apply never prints them.
	Secrets []Secret
	// Warnings are things the file asked for that apply could not check or
	// do on this target, for the person to know.
	Warnings []string
}

// Secret is a generated secret.
type Secret struct {
	Kind, Name, Field, Value string
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

func (p *Plan) add(c Change) { p.Changes = append(p.Changes, c) }

var opMark = map[string]string{"create": "+", "update": "~", "delete": "-"}

// Write prints the plan for a person: one line per change, the changed
// values indented under it, then a summary.
func (p *Plan) Write(w io.Writer, done bool) {
	counts := map[string]int{}
	for _, c := range p.Changes {
		counts[c.Op]++
		line := fmt.Sprintf("%s %s %s %s", opMark[c.Op], c.Op, c.Kind, quote(c.Name))
		if c.Note != "" {
			line += ": " + c.Note
		}
		fmt.Fprintln(w, line)
		for _, f := range c.Fields {
			fmt.Fprintf(w, "    %s: %s → %s\n", f.Path, f.Old, f.New)
		}
	}
	for _, warn := range p.Warnings {
		fmt.Fprintln(w, "! "+warn)
	}
	if p.Empty() {
		fmt.Fprintln(w, "No changes: the org matches the file.")
		return
	}
	verb := "Plan"
	if done {
		verb = "Applied"
	}
	fmt.Fprintf(w, "%s: %d to create, %d to change, %d to delete.\n", verb, counts["create"], counts["update"], counts["delete"])
}

// secretKeys are members whose values are never shown.
var secretKeys = map[string]bool{"client_secret": true, "password": true, "passwordHash": true, "hash": true, "value": true, "token": true}

func isSecretPath(path string) bool {
	for _, part := range strings.Split(path, ".") {
		if i := strings.IndexByte(part, '['); i >= 0 {
			part = part[:i]
		}
		if secretKeys[part] {
			return true
		}
	}
	return false
}

// show renders a value for a plan line.
func show(path string, v any) string {
	if v == nil {
		return "(none)"
	}
	if isSecretPath(path) {
		return "(secret)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// norm turns a value into what encoding/json would decode it as (numbers as
// float64), so that the file's values compare with the API's answers.
func norm(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	json.Unmarshal(b, &out)
	return out
}

// diff lists the values of want (a document the file states) that cur (the
// object as the API returns it) does not have. Members the file leaves out
// are not compared: they keep whatever value they have. skip names members
// handled on their own (status, secrets, lists of sub-objects).
func diff(want, cur any, path string, skip map[string]bool, out *[]Field) {
	if wm, ok := want.(map[string]any); ok {
		cm, _ := cur.(map[string]any)
		for _, k := range sortedKeys(wm) {
			p := joinKey(path, k)
			if skip[p] {
				continue
			}
			var cv any
			if cm != nil {
				cv = cm[k]
			}
			diff(wm[k], cv, p, skip, out)
		}
		return
	}
	if !same(want, cur) {
		*out = append(*out, Field{Path: path, Old: show(path, cur), New: show(path, want)})
	}
}

// same compares a stated value with a current one: lists of plain values
// as sets (redirect URIs, grant types and audiences have no order), lists of
// objects element by element in any order with each stated element a
// subset of its match, maps as subsets.
func same(want, cur any) bool {
	switch w := want.(type) {
	case map[string]any:
		c, ok := cur.(map[string]any)
		if !ok {
			return len(w) == 0 && cur == nil
		}
		for k, v := range w {
			if !same(v, c[k]) {
				return false
			}
		}
		return true
	case []any:
		c, ok := cur.([]any)
		if !ok {
			return len(w) == 0 && cur == nil
		}
		if len(w) != len(c) {
			return false
		}
		if plainList(w) && plainList(c) {
			return reflect.DeepEqual(sortedJSON(w), sortedJSON(c))
		}
		used := make([]bool, len(c))
	next:
		for _, wv := range w {
			for i, cv := range c {
				if !used[i] && same(wv, cv) {
					used[i] = true
					continue next
				}
			}
			return false
		}
		return true
	}
	return reflect.DeepEqual(want, cur)
}

func plainList(a []any) bool {
	for _, v := range a {
		switch v.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func sortedJSON(a []any) []string {
	out := make([]string, len(a))
	for i, v := range a {
		b, _ := json.Marshal(v)
		out[i] = string(b)
	}
	sort.Strings(out)
	return out
}

// merge returns cur with want's values written over it: the body of a
// replace (PUT) that changes only what the file states.
func merge(cur, want map[string]any) map[string]any {
	out := make(map[string]any, len(cur)+len(want))
	for k, v := range cur {
		out[k] = v
	}
	for k, v := range want {
		if wm, ok := v.(map[string]any); ok {
			if cm, ok := out[k].(map[string]any); ok {
				out[k] = merge(cm, wm)
				continue
			}
		}
		out[k] = v
	}
	delete(out, "_links")
	delete(out, "_embedded")
	return out
}

// without returns a shallow copy of m without the named members.
func without(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// deepCopy copies a document so that changing the copy leaves the file alone.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, vv := range x {
			out[k] = deepCopy(vv)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, vv := range x {
			out[i] = deepCopy(vv)
		}
		return out
	}
	return v
}
