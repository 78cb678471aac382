package app

// The Terraform provider's view, replayed: each resource's test is the
// sequence of requests the okta/okta provider sends for it (read from the
// provider's source and from its recordings of real Okta traffic, and
// written here as our own steps), checked against the status codes Okta
// answered and the members the provider reads back. A member the provider
// sent and reads back must come back as sent, or the provider's second
// plan shows drift; tfStep.echo checks exactly that.
//
// To add a resource: write a TestTF… function that calls tfReplay with its
// steps. Values a step saves ({{name}}) are substituted into later paths
// and bodies; "{{org}}" is the org URL.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// tfStep is one request of a provider's sequence.
type tfStep struct {
	name   string
	method string
	path   string
	body   string // JSON; {{var}} placeholders are substituted
	status int    // what Okta answered in the recording
	// echo: every member of body comes back in the response with the
	// value sent (objects member by member, arrays element by element),
	// except the dotted paths in noEcho (write-only members such as
	// client_secret).
	echo   bool
	noEcho []string
	// reads: JSON that must come back the same way (members as in echo),
	// for reads that send no body.
	reads string
	// want: dotted path → value the provider reads; a string value may use
	// {{var}} placeholders. nil asserts the member is absent or null.
	want map[string]any
	// save: variable → dotted path of the response to remember.
	save map[string]string
	// errorCode: the Okta (errorCode) or OAuth (error) code of a refusal.
	errorCode string
}

// tfSuite runs fn on each backend with a fresh Sesame.
func tfSuite(t *testing.T, fn func(t *testing.T, ts *testServer)) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		fn(t, startServer(t, open(t)))
	})
}

// tfReplay sends the steps in order with the provider's headers and checks
// each answer; it returns the saved variables (vars may hold some already).
func tfReplay(t *testing.T, ts *testServer, vars map[string]string, steps []tfStep) map[string]string {
	t.Helper()
	if vars == nil {
		vars = map[string]string{}
	}
	vars["org"] = ts.URL
	for i, s := range steps {
		label := fmt.Sprintf("step %d %s %s", i, s.method, s.path)
		if s.name != "" {
			label = fmt.Sprintf("step %d (%s)", i, s.name)
		}
		path := substitute(t, label, s.path, vars)
		body := substitute(t, label, s.body, vars)
		var raw []byte
		if body != "" {
			raw = []byte(body)
		}
		a := ts.do(t, s.method, path, "SSWS "+ts.APIToken, "application/json", raw)
		if a.status != s.status {
			t.Fatalf("%s: %s %s answered %d, Okta answers %d: %s", label, s.method, path, a.status, s.status, a.body)
		}
		var got any
		if len(bytes.TrimSpace(a.body)) > 0 {
			if err := json.Unmarshal(a.body, &got); err != nil {
				t.Fatalf("%s: answer is not JSON: %s", label, a.body)
			}
		}
		if s.errorCode != "" {
			m, _ := got.(map[string]any)
			if m["errorCode"] != s.errorCode && m["error"] != s.errorCode {
				t.Fatalf("%s: error %s, want %s", label, a.body, s.errorCode)
			}
		}
		if s.echo || s.reads != "" {
			src := raw
			if s.reads != "" {
				src = []byte(substitute(t, label, s.reads, vars))
			}
			var sent any
			if err := json.Unmarshal(src, &sent); err != nil {
				t.Fatalf("%s: step body is not JSON: %v", label, err)
			}
			for _, d := range echoDiffs("", sent, got, s.noEcho) {
				t.Errorf("%s: %s", label, d)
			}
		}
		for p, w := range s.want {
			v, ok := jsonAt(got, p)
			if ws, isStr := w.(string); isStr {
				w = substitute(t, label, ws, vars)
			}
			if w == nil {
				if ok && v != nil {
					t.Errorf("%s: %s = %v, want it absent", label, p, v)
				}
				continue
			}
			if !ok || !jsonEqual(v, w) {
				t.Errorf("%s: %s = %v, want %v (answer %s)", label, p, v, w, a.body)
			}
		}
		for name, p := range s.save {
			v, ok := jsonAt(got, p)
			str, isStr := v.(string)
			if !ok || !isStr || str == "" {
				t.Fatalf("%s: nothing to save at %s: %s", label, p, a.body)
			}
			vars[name] = str
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	return vars
}

// substitute replaces {{name}} with saved values; an unknown name fails.
func substitute(t *testing.T, label, s string, vars map[string]string) string {
	t.Helper()
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			return s
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			t.Fatalf("%s: unclosed placeholder in %q", label, s)
		}
		name := s[i+2 : i+j]
		v, ok := vars[name]
		if !ok {
			t.Fatalf("%s: no value saved for {{%s}}", label, name)
		}
		s = s[:i] + v + s[i+j+2:]
	}
}

// jsonAt reads a dotted path ("settings.oauthClient.grant_types.0").
func jsonAt(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// jsonEqual compares a decoded JSON value with a Go value written in a test
// (ints, string slices…) by comparing their JSON forms decoded alike.
func jsonEqual(got, want any) bool {
	b, err := json.Marshal(want)
	if err != nil {
		return false
	}
	var w any
	if json.Unmarshal(b, &w) != nil {
		return false
	}
	return reflect.DeepEqual(got, w)
}

// echoDiffs lists the members of sent that do not come back in got as sent.
func echoDiffs(path string, sent, got any, skip []string) []string {
	if slices.Contains(skip, path) {
		return nil
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch s := sent.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: sent an object, got %v", path, got)}
		}
		var out []string
		for k, sv := range s {
			gv, present := g[k]
			if !present {
				if !slices.Contains(skip, join(k)) {
					out = append(out, fmt.Sprintf("%s: sent %v, not returned", join(k), sv))
				}
				continue
			}
			out = append(out, echoDiffs(join(k), sv, gv, skip)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(s) {
			return []string{fmt.Sprintf("%s: sent %v, got %v", path, sent, got)}
		}
		var out []string
		for i := range s {
			out = append(out, echoDiffs(join(strconv.Itoa(i)), s[i], g[i], skip)...)
		}
		return out
	}
	if !reflect.DeepEqual(sent, got) {
		return []string{fmt.Sprintf("%s: sent %v, got %v", path, sent, got)}
	}
	return nil
}
