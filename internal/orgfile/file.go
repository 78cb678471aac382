// Package orgfile is Sesame's org as a file: `sesame apply` makes an org
// match a YAML file, `sesame export` writes an org as one. Every change goes
// through the management API — over HTTP to a remote Sesame, in-process to a
// local database (mgmt.Handler.Local) — so a file meets exactly the
// validation and System Log events an administrator's requests meet.
//
// The objects are in Okta's JSON shapes (an app is what POST /api/v1/apps
// takes), with names instead of ids where one object refers to another: a
// person's groups and a rule's groups by name, people by login, apps by
// label or client id.
package orgfile

import (
	"fmt"
	"os"

	"github.com/sesame-idp/sesame/internal/mgmtclient"
	"sort"
	"strconv"
	"strings"
)

// File is a checked org file.
type File struct {
	Name string
	doc  map[string]any
	pos  positions
}

// Parse reads and checks an org file; name is used in messages. Every
// problem is reported with the path and line of the value. ${NAME} and
// ${NAME:-default} in string values are replaced from the environment.
func Parse(name string, data []byte) (*File, error) {
	return ParseEnv(name, data, os.LookupEnv)
}

// ParseEnv is Parse with the environment given.
func ParseEnv(name string, data []byte, env func(string) (string, bool)) (*File, error) {
	doc, pos, err := decodeYAML(name, data, env)
	if err != nil {
		return nil, err
	}
	f := &File{Name: name, doc: doc, pos: pos}
	var errs []error
	fileSchema.check(doc, "", pos, name, &errs)
	if len(errs) == 0 {
		f.checkNames(&errs)
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return f, nil
}

// Errors is several problems found in one file.
type Errors []error

func (e Errors) Error() string {
	var b strings.Builder
	for i, err := range e {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	const most = 50
	if len(errs) > most {
		errs = append(errs[:most:most], fmt.Errorf("… and %d more", len(errs)-most))
	}
	return Errors(errs)
}

// list returns the objects of a top-level list, with their paths.
func (f *File) list(key string) []item {
	return itemsOf(f.doc[key], key)
}

// has reports whether the file has the top-level list at all.
func (f *File) has(key string) bool {
	_, ok := f.doc[key]
	return ok
}

// item is one object of a list in the file.
type item struct {
	path string
	m    map[string]any
}

func itemsOf(v any, path string) []item {
	a, _ := v.([]any)
	out := make([]item, 0, len(a))
	for i, x := range a {
		if m, ok := x.(map[string]any); ok {
			out = append(out, item{path: path + "[" + strconv.Itoa(i) + "]", m: m})
		}
	}
	return out
}

func (it item) sub(key string) []item { return itemsOf(it.m[key], joinKey(it.path, key)) }

// errAt is a problem with a value of the file.
func (f *File) errAt(path, format string, args ...any) error {
	return &PathError{File: f.Name, Pos: f.pos[path], Path: path, Msg: fmt.Sprintf(format, args...)}
}

// checkNames refuses two objects of one list that the file could not tell
// apart (the same login, group name, app, origin, server, scope…).
func (f *File) checkNames(errs *[]error) {
	unique := func(items []item, what string, key func(item) (string, string)) {
		seen := map[string]string{}
		for _, it := range items {
			k, field := key(it)
			if k == "" {
				continue
			}
			if first, dup := seen[k]; dup {
				*errs = append(*errs, f.errAt(joinKey(it.path, field), "a second %s %s (the first is %s)", what, quote(k), first))
				continue
			}
			seen[k] = it.path
		}
	}
	unique(f.list("people"), "person", func(it item) (string, string) {
		return strings.ToLower(getStr(it.m, "profile.login")), "profile.login"
	})
	unique(f.list("groups"), "group", func(it item) (string, string) { return getStr(it.m, "name"), "name" })
	unique(f.list("apps"), "app labelled", func(it item) (string, string) { return getStr(it.m, "label"), "label" })
	unique(f.list("apps"), "app with client_id", func(it item) (string, string) {
		return getStr(it.m, "credentials.oauthClient.client_id"), "credentials.oauthClient.client_id"
	})
	unique(f.list("trustedOrigins"), "trusted origin", func(it item) (string, string) {
		return strings.ToLower(getStr(it.m, "origin")), "origin"
	})
	unique(f.list("authorizationServers"), "authorization server", func(it item) (string, string) { return getStr(it.m, "name"), "name" })
	unique(f.list("apiTokens"), "API token", func(it item) (string, string) { return getStr(it.m, "name"), "name" })
	for _, s := range f.list("authorizationServers") {
		unique(s.sub("scopes"), "scope", func(it item) (string, string) { return getStr(it.m, "name"), "name" })
		unique(s.sub("claims"), "claim", func(it item) (string, string) {
			return getStr(it.m, "name") + " (" + getStr(it.m, "claimType") + ")", "name"
		})
		unique(s.sub("policies"), "policy", func(it item) (string, string) { return getStr(it.m, "name"), "name" })
		for _, pol := range s.sub("policies") {
			unique(pol.sub("rules"), "rule", func(it item) (string, string) { return getStr(it.m, "name"), "name" })
		}
	}
	for _, pe := range f.list("people") {
		if pe.m["password"] != nil && pe.m["passwordHash"] != nil {
			*errs = append(*errs, f.errAt(joinKey(pe.path, "passwordHash"), "give a password or a passwordHash, not both"))
		}
	}
}

func quote(s string) string { return strconv.Quote(s) }

// getStr reads a string by a dotted path.
func getStr(m map[string]any, path string) string { return mgmtclient.Str(m, path) }

func get(m map[string]any, path string) any {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func getStrs(m map[string]any, path string) ([]string, bool) {
	v := get(m, path)
	if v == nil {
		return nil, false
	}
	a, _ := v.([]any)
	out := make([]string, 0, len(a))
	for _, x := range a {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out, true
}

// set writes a value by a dotted path, making the maps on the way.
func set(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// HashPasswords replaces every person's password with the argon2id hash
// that hash makes of it, as if the file had said passwordHash. It is for
// sesametest, which starts many servers from one file in a process: the
// file's few passwords are hashed once there instead of once per server
// (the hashes are most of a server's start time). Applying such a file
// gives the same people the same passwords.
func (f *File) HashPasswords(hash func(password string) (string, error)) error {
	for _, it := range f.list("people") {
		pw, ok := it.m["password"].(string)
		if !ok {
			continue
		}
		phc, err := hash(pw)
		if err != nil {
			return err
		}
		delete(it.m, "password")
		it.m["passwordHash"] = phc
	}
	return nil
}

// Password returns the password the file gives the person with this login,
// or "".
func (f *File) Password(login string) string {
	for _, it := range f.list("people") {
		if strings.EqualFold(getStr(it.m, "profile.login"), login) {
			return getStr(it.m, "password")
		}
	}
	return ""
}
