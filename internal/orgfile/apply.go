package orgfile

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/sesame-idp/sesame/internal/mgmtclient"
)

// Target is the org apply writes to and export reads from.
type Target struct {
	API *mgmtclient.Client
	// Local is set when the database is in this process; nil for a remote
	// Sesame, where what only Local can do is refused or skipped.
	Local Local
}

// Local is what only a process holding the database can know or do: the
// management API never reveals a password or secret, and has no request
// that creates an API token or sets a password hash.
type Local interface {
	PasswordMatches(ctx context.Context, userID, password string) (bool, error)
	PasswordHash(ctx context.Context, userID string) (string, error)
	SetPasswordHash(ctx context.Context, userID, phc string) error
	ClientSecretMatches(ctx context.Context, appID, secret string) (bool, error)
	SuperAdmin(ctx context.Context, userID string) (bool, error)
	// CreateAPIToken makes a token for owner with value, or a new value
	// when value is empty, and returns the value.
	CreateAPIToken(ctx context.Context, ownerID, name, value string) (string, error)
	APITokenMatches(ctx context.Context, tokenID, value string) (bool, error)
}

// Options change what Apply does.
type Options struct {
	// DryRun computes the plan and changes nothing.
	DryRun bool
	// Prune deletes, in every list the file has, the objects it does not
	// name (never built-in ones, system scopes and claims, the default
	// server, super administrators, or the token apply runs with).
	Prune bool
	// AllowFixedSecrets lets the file fix client secrets and API token
	// values (for tests); refused otherwise.
	AllowFixedSecrets bool
}

// Apply makes the org match the file and returns what it did. It stops at
// the first error; what was done until then stays done, and applying the
// file again completes the rest.
func Apply(ctx context.Context, f *File, t Target, o Options) (*Plan, error) {
	if !o.DryRun {
		// A dry run first finds what the org can tell before anything
		// changes: names that refer to nothing, statuses no lifecycle
		// reaches, values the options refuse.
		dry := o
		dry.DryRun = true
		if plan, err := Apply(ctx, f, t, dry); err != nil {
			return plan, err
		}
	}
	a := &applier{ctx: ctx, f: f, t: t, o: o, plan: &Plan{}}
	if err := a.precheck(); err != nil {
		return nil, err
	}
	steps := []func() error{a.loadOrg, a.applyGroups, a.applyPeople, a.applyApps, a.origins, a.servers, a.tokens}
	if o.Prune {
		steps = append(steps, a.pruneTokens, a.pruneServers, a.pruneOrigins, a.pruneApps, a.prunePeople, a.pruneGroups)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return a.plan, err
		}
	}
	return a.plan, nil
}

type applier struct {
	ctx  context.Context
	f    *File
	t    Target
	o    Options
	plan *Plan

	users  map[string]map[string]any // by lowercased login, deprovisioned included
	groups map[string]map[string]any // by name, Everyone included
	apps   []map[string]any
	me     string // the id of the user apply runs as (remote), never pruned
	fresh  int
}

// precheck refuses, before anything changes, what the options do not allow.
func (a *applier) precheck() error {
	var errs []error
	for _, it := range a.f.list("apps") {
		if get(it.m, "credentials.oauthClient.client_secret") != nil && !a.o.AllowFixedSecrets {
			errs = append(errs, a.f.errAt(joinKey(it.path, "credentials.oauthClient.client_secret"),
				"a fixed client secret is for tests only: pass --allow-fixed-secrets to accept it"))
		}
	}
	for _, it := range a.f.list("apiTokens") {
		if it.m["value"] != nil && !a.o.AllowFixedSecrets {
			errs = append(errs, a.f.errAt(joinKey(it.path, "value"), "a fixed API token is for tests only: pass --allow-fixed-secrets to accept it"))
		}
	}
	if a.t.Local == nil {
		for _, it := range a.f.list("people") {
			if _, ok := it.m["passwordHash"].(string); ok {
				errs = append(errs, a.f.errAt(joinKey(it.path, "passwordHash"),
					"an argon2id hash can be applied only to a local database (--data or --database-url); a remote Sesame takes Okta's credentials.password.hash object"))
			}
		}
	}
	if len(errs) > 0 {
		return joinErrors(errs)
	}
	return nil
}

// placeholder stands for the id of an object a dry run would create.
func (a *applier) placeholder(kind, name string) string {
	a.fresh++
	return fmt.Sprintf("(new %s %s)", kind, name)
}

func isPlaceholder(id string) bool { return strings.HasPrefix(id, "(new ") }

// call sends one management request unless this is a dry run.
func (a *applier) call(method, path string, body, out any) error {
	if a.o.DryRun {
		return nil
	}
	return a.t.API.Do(a.ctx, method, path, body, out)
}

// refused turns an answer of the management API into an error at the
// object's place in the file, at the member a cause names when the object
// has one by that name.
func (a *applier) refused(it item, what string, err error) error {
	var ae *mgmtclient.Error
	if !errors.As(err, &ae) {
		return a.f.errAt(it.path, "%s: %v", what, err)
	}
	path := it.path
	for _, c := range ae.Causes {
		field, _, ok := strings.Cut(c, ":")
		if !ok {
			continue
		}
		if p := findKey(it.m, it.path, strings.TrimSpace(field)); p != "" {
			path = p
			break
		}
	}
	msg := ae.Summary
	if ae.Code != "" {
		msg = ae.Code + " " + msg
	}
	return a.f.errAt(path, "%s: the server refused it (%d %s)", what, ae.Status, msg)
}

// findKey returns the path of the first member called key in m's tree.
func findKey(m map[string]any, path, key string) string {
	if last := key[strings.LastIndexByte(key, '.')+1:]; last != key {
		key = last
	}
	for _, k := range sortedKeys(m) {
		p := joinKey(path, k)
		if k == key {
			return p
		}
		if sub, ok := m[k].(map[string]any); ok {
			if found := findKey(sub, p, key); found != "" {
				return found
			}
		}
	}
	return ""
}

// kept warns about stated values the server's answer does not carry: a
// misspelt member or a value it changed, which would also make every later
// apply report a change.
func (a *applier) kept(it item, want, got map[string]any, skip map[string]bool) {
	if a.o.DryRun || got == nil {
		return
	}
	var fields []Field
	diff(norm(want), got, "", skip, &fields)
	for _, fl := range fields {
		if isSecretPath(fl.Path) {
			continue
		}
		p := joinKey(it.path, fl.Path)
		pos := a.f.pos[p]
		a.plan.Warnings = append(a.plan.Warnings, fmt.Sprintf("%s:%d: %s: the server did not keep this value (it has %s): a misspelt name?",
			a.f.Name, pos.Line, p, fl.Old))
	}
}

// ---- reading the org ----

func (a *applier) loadOrg() error {
	a.users, a.groups = map[string]map[string]any{}, map[string]map[string]any{}
	for _, path := range []string{"/api/v1/users", "/api/v1/users?filter=" + url.QueryEscape(`status eq "DEPROVISIONED"`)} {
		users, err := a.t.API.List(a.ctx, path)
		if err != nil {
			return fmt.Errorf("read people: %w", err)
		}
		for _, u := range users {
			a.users[strings.ToLower(getStr(u, "profile.login"))] = u
		}
	}
	groups, err := a.t.API.List(a.ctx, "/api/v1/groups")
	if err != nil {
		return fmt.Errorf("read groups: %w", err)
	}
	for _, g := range groups {
		a.groups[getStr(g, "profile.name")] = g
	}
	if a.apps, err = a.t.API.List(a.ctx, "/api/v1/apps?limit=200"); err != nil {
		return fmt.Errorf("read apps: %w", err)
	}
	if a.t.Local == nil {
		var me map[string]any
		if err := a.t.API.Do(a.ctx, "GET", "/api/v1/users/me", nil, &me); err == nil {
			a.me = getStr(me, "id")
		}
	}
	return nil
}

// groupID resolves a group named in the file (by name, or by id).
func (a *applier) groupID(name, path string) (string, error) {
	if g := a.groups[name]; g != nil {
		return getStr(g, "id"), nil
	}
	for _, g := range a.groups {
		if getStr(g, "id") == name {
			return name, nil
		}
	}
	return "", a.f.errAt(path, "there is no group named %s in the file or the org", quote(name))
}

// userID resolves a person named in the file (by login, or by id).
func (a *applier) userID(login, path string) (string, error) {
	if u := a.users[strings.ToLower(login)]; u != nil {
		return getStr(u, "id"), nil
	}
	for _, u := range a.users {
		if getStr(u, "id") == login {
			return login, nil
		}
	}
	return "", a.f.errAt(path, "there is no person with the login %s in the file or the org", quote(login))
}

// clientID resolves an app named in the file by label or client id.
func (a *applier) clientID(ref, path string) (string, error) {
	if ref == "ALL_CLIENTS" {
		return ref, nil
	}
	var byLabel []string
	for _, app := range a.apps {
		cid := getStr(app, "credentials.oauthClient.client_id")
		if cid == ref {
			return cid, nil
		}
		if getStr(app, "label") == ref {
			byLabel = append(byLabel, cid)
		}
	}
	switch len(byLabel) {
	case 1:
		return byLabel[0], nil
	case 0:
		return "", a.f.errAt(path, "there is no app labelled or with the client id %s in the file or the org", quote(ref))
	}
	return "", a.f.errAt(path, "%d apps are labelled %s: name it by client id", len(byLabel), quote(ref))
}

// resolveList maps the names in a list of the document at path to ids,
// keeping the words in keep as they are.
func (a *applier) resolveList(doc map[string]any, base, path string, resolve func(name, path string) (string, error), keep ...string) error {
	names, ok := getStrs(doc, path)
	if !ok {
		return nil
	}
	ids := make([]any, 0, len(names))
	for i, n := range names {
		if contains(keep, n) {
			ids = append(ids, n)
			continue
		}
		id, err := resolve(n, fmt.Sprintf("%s[%d]", joinKey(base, path), i))
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	set(doc, path, ids)
	return nil
}

// lifecycle moves a configuration object to the stated status.
func (a *applier) lifecycle(c *Change, it item, cur map[string]any, base string) error {
	want, _ := it.m["status"].(string)
	if want == "" {
		want = "ACTIVE"
	}
	have := getStr(cur, "status")
	if have == want {
		return nil
	}
	op := "activate"
	if want == "INACTIVE" {
		op = "deactivate"
	}
	if c.Op == "update" {
		c.Fields = append(c.Fields, Field{Path: "status", Old: show("status", have), New: show("status", want)})
	}
	if isPlaceholder(base) {
		return nil
	}
	if err := a.call("POST", base+"/lifecycle/"+op, nil, nil); err != nil {
		return a.refused(it, op, err)
	}
	return nil
}

// setDiff compares the ids the file states with the current ones.
func setDiff(want, have []string) (add, remove []string) {
	w, h := map[string]bool{}, map[string]bool{}
	for _, x := range want {
		w[x] = true
	}
	for _, x := range have {
		h[x] = true
	}
	for _, x := range want {
		if !h[x] {
			add = append(add, x)
		}
	}
	for _, x := range have {
		if !w[x] {
			remove = append(remove, x)
		}
	}
	sort.Strings(add)
	sort.Strings(remove)
	return add, remove
}

// finish records a change that did something.
func (a *applier) finish(c Change) {
	if c.Op != "update" || len(c.Fields) > 0 || c.Note != "" {
		a.plan.add(c)
	}
}

func noteAdd(c *Change, format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	if c.Note == "" {
		c.Note = n
	} else {
		c.Note += "; " + n
	}
}
