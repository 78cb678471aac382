package orgfile

import (
	"fmt"
	"strings"
)

// statusSkip leaves status to the lifecycle requests.
var statusSkip = map[string]bool{"status": true}

// object is the generic apply of one object of a list: create it when
// missing, else replace it with the stated values written over the current
// ones when any differs, then move it to the stated status (when lifecycle).
type object struct {
	kind, name string
	it         item
	want       map[string]any // the stated body, names resolved
	cur        map[string]any // nil when missing
	create     string         // POST path
	one        func(id string) string
	lifecycle  bool
}

func (a *applier) object(o object) (map[string]any, error) {
	if o.lifecycle {
		delete(o.want, "status")
	}
	if o.cur == nil {
		path := o.create
		if o.lifecycle && getStr(o.it.m, "status") == "INACTIVE" {
			path += "?activate=false"
		}
		var got map[string]any
		if !isPlaceholder(o.create) {
			if err := a.call("POST", path, o.want, &got); err != nil {
				return nil, a.refused(o.it, "create the "+o.kind, err)
			}
		}
		if a.o.DryRun || got == nil {
			got = deepCopy(o.want).(map[string]any)
			got["id"] = a.placeholder(o.kind, o.name)
		}
		a.kept(o.it, o.want, got, nil)
		a.plan.add(Change{Op: "create", Kind: o.kind, Name: o.name})
		return got, nil
	}
	c := Change{Op: "update", Kind: o.kind, Name: o.name}
	want := norm(o.want).(map[string]any)
	diff(want, o.cur, "", statusSkip, &c.Fields)
	id := getStr(o.cur, "id")
	got := o.cur
	if len(c.Fields) > 0 {
		body := merge(o.cur, want)
		if o.lifecycle {
			delete(body, "status")
		}
		if err := a.call("PUT", o.one(id), body, &got); err != nil {
			return nil, a.refused(o.it, "update the "+o.kind, err)
		}
		if a.o.DryRun {
			got = o.cur
		} else {
			a.kept(o.it, want, got, statusSkip)
		}
	}
	if o.lifecycle {
		if err := a.lifecycle(&c, o.it, o.cur, o.one(id)); err != nil {
			return nil, err
		}
	}
	a.finish(c)
	return got, nil
}

// prune deletes the current objects not in keep, deactivating first.
func (a *applier) prune(kind string, cur []map[string]any, keep map[string]bool, name func(map[string]any) string,
	one func(id string) string, deactivate bool, spare func(map[string]any) bool) error {
	for _, o := range cur {
		id := getStr(o, "id")
		if keep[id] || (spare != nil && spare(o)) {
			continue
		}
		if deactivate && getStr(o, "status") == "ACTIVE" {
			if err := a.call("POST", one(id)+"/lifecycle/deactivate", nil, nil); err != nil {
				return fmt.Errorf("deactivate the %s %q: %w", kind, name(o), err)
			}
		}
		if err := a.call("DELETE", one(id), nil, nil); err != nil {
			return fmt.Errorf("delete the %s %q: %w", kind, name(o), err)
		}
		a.plan.add(Change{Op: "delete", Kind: kind, Name: name(o)})
	}
	return nil
}

func (a *applier) list(path string) ([]map[string]any, error) {
	if isPlaceholder(path) || strings.Contains(path, "/(new ") {
		return nil, nil
	}
	return a.t.API.List(a.ctx, path)
}

// ---- trusted origins ----

func (a *applier) origins() error {
	cur, err := a.list("/api/v1/trustedOrigins?limit=200")
	if err != nil {
		return err
	}
	for _, it := range a.f.list("trustedOrigins") {
		origin := getStr(it.m, "origin")
		var have map[string]any
		for _, o := range cur {
			if strings.EqualFold(getStr(o, "origin"), origin) {
				have = o
			}
		}
		if _, err := a.object(object{kind: "trusted origin", name: origin, it: it, want: deepCopy(it.m).(map[string]any), cur: have,
			create: "/api/v1/trustedOrigins", one: func(id string) string { return "/api/v1/trustedOrigins/" + id }, lifecycle: true}); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) pruneOrigins() error {
	if !a.f.has("trustedOrigins") {
		return nil
	}
	cur, err := a.list("/api/v1/trustedOrigins?limit=200")
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, it := range a.f.list("trustedOrigins") {
		for _, o := range cur {
			if strings.EqualFold(getStr(o, "origin"), getStr(it.m, "origin")) {
				keep[getStr(o, "id")] = true
			}
		}
	}
	return a.prune("trusted origin", cur, keep, func(o map[string]any) string { return getStr(o, "origin") },
		func(id string) string { return "/api/v1/trustedOrigins/" + id }, false, nil)
}

// ---- authorization servers ----

const serversPath = "/api/v1/authorizationServers"

func byName(list []map[string]any, name string) map[string]any {
	for _, o := range list {
		if getStr(o, "name") == name {
			return o
		}
	}
	return nil
}

func (a *applier) servers() error {
	cur, err := a.list(serversPath)
	if err != nil {
		return err
	}
	for _, it := range a.f.list("authorizationServers") {
		name := getStr(it.m, "name")
		want := without(deepCopy(it.m).(map[string]any), "scopes", "claims", "policies")
		srv, err := a.object(object{kind: "authorization server", name: name, it: it, want: want, cur: byName(cur, name),
			create: serversPath, one: func(id string) string { return serversPath + "/" + id }, lifecycle: true})
		if err != nil {
			return err
		}
		base := serversPath + "/" + getStr(srv, "id")
		if err := a.scopes(it, base); err != nil {
			return err
		}
		if err := a.claims(it, base); err != nil {
			return err
		}
		if err := a.policies(it, base); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) scopes(srv item, base string) error {
	cur, err := a.list(base + "/scopes")
	if err != nil {
		return err
	}
	for _, it := range srv.sub("scopes") {
		name := getStr(it.m, "name")
		if _, err := a.object(object{kind: "scope", name: getStr(srv.m, "name") + "/" + name, it: it, want: deepCopy(it.m).(map[string]any),
			cur: byName(cur, name), create: base + "/scopes", one: func(id string) string { return base + "/scopes/" + id }}); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) claims(srv item, base string) error {
	cur, err := a.list(base + "/claims")
	if err != nil {
		return err
	}
	for _, it := range srv.sub("claims") {
		name, typ := getStr(it.m, "name"), getStr(it.m, "claimType")
		var have map[string]any
		for _, c := range cur {
			if getStr(c, "name") == name && getStr(c, "claimType") == typ {
				have = c
			}
		}
		if _, err := a.object(object{kind: "claim", name: getStr(srv.m, "name") + "/" + name + " (" + typ + ")", it: it,
			want: deepCopy(it.m).(map[string]any), cur: have, create: base + "/claims",
			one: func(id string) string { return base + "/claims/" + id }}); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) policies(srv item, base string) error {
	cur, err := a.list(base + "/policies")
	if err != nil {
		return err
	}
	for _, it := range srv.sub("policies") {
		name := getStr(it.m, "name")
		want := without(deepCopy(it.m).(map[string]any), "rules")
		if _, ok := want["type"]; !ok {
			want["type"] = "OAUTH_AUTHORIZATION_POLICY"
		}
		if err := a.resolveList(want, it.path, "conditions.clients.include", a.clientID, "ALL_CLIENTS"); err != nil {
			return err
		}
		n := len(a.plan.Changes)
		pol, err := a.object(object{kind: "policy", name: getStr(srv.m, "name") + "/" + name, it: it, want: want, cur: byName(cur, name),
			create: base + "/policies", one: func(id string) string { return base + "/policies/" + id }, lifecycle: true})
		if err != nil {
			return err
		}
		// A policy put at a priority moves the others: read them again.
		if len(a.plan.Changes) > n {
			if cur, err = a.list(base + "/policies"); err != nil {
				return err
			}
		}
		if err := a.rules(srv, it, base+"/policies/"+getStr(pol, "id")); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) rules(srv, pol item, base string) error {
	cur, err := a.list(base + "/rules")
	if err != nil {
		return err
	}
	for _, it := range pol.sub("rules") {
		name := getStr(it.m, "name")
		want := deepCopy(it.m).(map[string]any)
		if _, ok := want["type"]; !ok {
			want["type"] = "RESOURCE_ACCESS"
		}
		for _, l := range []string{"conditions.people.users.include", "conditions.people.users.exclude"} {
			if err := a.resolveList(want, it.path, l, a.userID); err != nil {
				return err
			}
		}
		for _, l := range []string{"conditions.people.groups.include", "conditions.people.groups.exclude"} {
			if err := a.resolveList(want, it.path, l, a.groupID, "EVERYONE"); err != nil {
				return err
			}
		}
		n := len(a.plan.Changes)
		if _, err := a.object(object{kind: "rule", name: getStr(srv.m, "name") + "/" + getStr(pol.m, "name") + "/" + name, it: it, want: want,
			cur: byName(cur, name), create: base + "/rules", one: func(id string) string { return base + "/rules/" + id }, lifecycle: true}); err != nil {
			return err
		}
		if len(a.plan.Changes) > n {
			if cur, err = a.list(base + "/rules"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *applier) pruneServers() error {
	cur, err := a.list(serversPath)
	if err != nil {
		return err
	}
	named := map[string]item{}
	for _, it := range a.f.list("authorizationServers") {
		named[getStr(it.m, "name")] = it
	}
	// Inside every server the file names: its scopes, claims, policies
	// and rules the file does not name.
	for _, srv := range cur {
		it, ok := named[getStr(srv, "name")]
		if !ok {
			continue
		}
		base := serversPath + "/" + getStr(srv, "id")
		if err := a.pruneInServer(it, base); err != nil {
			return err
		}
	}
	if !a.f.has("authorizationServers") {
		return nil
	}
	keep := map[string]bool{}
	for _, srv := range cur {
		if _, ok := named[getStr(srv, "name")]; ok {
			keep[getStr(srv, "id")] = true
		}
	}
	return a.prune("authorization server", cur, keep, func(o map[string]any) string { return getStr(o, "name") },
		func(id string) string { return serversPath + "/" + id }, true,
		func(o map[string]any) bool { return o["default"] == true })
}

func isSystem(o map[string]any) bool { return o["system"] == true }

func (a *applier) pruneInServer(srv item, base string) error {
	sname := getStr(srv.m, "name")
	if _, ok := srv.m["scopes"]; ok {
		cur, err := a.list(base + "/scopes")
		if err != nil {
			return err
		}
		keep := map[string]bool{}
		for _, it := range srv.sub("scopes") {
			if o := byName(cur, getStr(it.m, "name")); o != nil {
				keep[getStr(o, "id")] = true
			}
		}
		if err := a.prune("scope", cur, keep, func(o map[string]any) string { return sname + "/" + getStr(o, "name") },
			func(id string) string { return base + "/scopes/" + id }, false, isSystem); err != nil {
			return err
		}
	}
	if _, ok := srv.m["claims"]; ok {
		cur, err := a.list(base + "/claims")
		if err != nil {
			return err
		}
		keep := map[string]bool{}
		for _, it := range srv.sub("claims") {
			for _, o := range cur {
				if getStr(o, "name") == getStr(it.m, "name") && getStr(o, "claimType") == getStr(it.m, "claimType") {
					keep[getStr(o, "id")] = true
				}
			}
		}
		if err := a.prune("claim", cur, keep, func(o map[string]any) string {
			return sname + "/" + getStr(o, "name") + " (" + getStr(o, "claimType") + ")"
		}, func(id string) string { return base + "/claims/" + id }, false, isSystem); err != nil {
			return err
		}
	}
	pols, err := a.list(base + "/policies")
	if err != nil {
		return err
	}
	for _, pit := range srv.sub("policies") {
		pol := byName(pols, getStr(pit.m, "name"))
		if pol == nil {
			continue
		}
		if _, ok := pit.m["rules"]; !ok {
			continue
		}
		pbase := base + "/policies/" + getStr(pol, "id")
		rules, err := a.list(pbase + "/rules")
		if err != nil {
			return err
		}
		keep := map[string]bool{}
		for _, it := range pit.sub("rules") {
			if o := byName(rules, getStr(it.m, "name")); o != nil {
				keep[getStr(o, "id")] = true
			}
		}
		if err := a.prune("rule", rules, keep, func(o map[string]any) string {
			return sname + "/" + getStr(pit.m, "name") + "/" + getStr(o, "name")
		}, func(id string) string { return pbase + "/rules/" + id }, false, isSystem); err != nil {
			return err
		}
	}
	if _, ok := srv.m["policies"]; ok {
		keep := map[string]bool{}
		for _, it := range srv.sub("policies") {
			if o := byName(pols, getStr(it.m, "name")); o != nil {
				keep[getStr(o, "id")] = true
			}
		}
		if err := a.prune("policy", pols, keep, func(o map[string]any) string { return sname + "/" + getStr(o, "name") },
			func(id string) string { return base + "/policies/" + id }, false, isSystem); err != nil {
			return err
		}
	}
	return nil
}

// ---- API tokens ----

func (a *applier) tokens() error {
	items := a.f.list("apiTokens")
	if len(items) == 0 {
		return nil
	}
	cur, err := a.t.API.List(a.ctx, "/api/v1/api-tokens")
	if err != nil {
		return err
	}
	for _, it := range items {
		name, owner := getStr(it.m, "name"), getStr(it.m, "owner")
		value := getStr(it.m, "value")
		ownerID, err := a.userID(owner, joinKey(it.path, "owner"))
		if err != nil {
			return err
		}
		var have map[string]any
		for _, t := range cur {
			if getStr(t, "name") == name {
				have = t
			}
		}
		if have != nil {
			same := getStr(have, "userId") == ownerID
			if same && value != "" {
				if a.t.Local == nil {
					a.plan.Warnings = append(a.plan.Warnings, fmt.Sprintf("API token %q: a remote Sesame never reveals token values, so the fixed one was not compared", name))
				} else if same, err = a.t.Local.APITokenMatches(a.ctx, getStr(have, "id"), value); err != nil {
					return err
				}
			}
			if same {
				continue
			}
		}
		if a.t.Local == nil {
			return a.f.errAt(it.path, "API tokens can be created only on a local database (--data or --database-url): the management API has no request for it")
		}
		c := Change{Op: "create", Kind: "API token", Name: name}
		if have != nil {
			c = Change{Op: "update", Kind: "API token", Name: name, Fields: []Field{{Path: "value", Old: "(secret)", New: "(secret)"}}}
			if getStr(have, "userId") != ownerID {
				c.Fields = []Field{{Path: "owner", Old: show("", getStr(have, "userId")), New: show("", owner)}}
			}
			if err := a.call("DELETE", "/api/v1/api-tokens/"+getStr(have, "id"), nil, nil); err != nil {
				return a.refused(it, "replace the API token", err)
			}
		}
		if !a.o.DryRun {
			if isPlaceholder(ownerID) {
				return a.f.errAt(joinKey(it.path, "owner"), "the owner does not exist yet")
			}
			got, err := a.t.Local.CreateAPIToken(a.ctx, ownerID, name, value)
			if err != nil {
				return a.refused(it, "create the API token", err)
			}
			if value == "" {
				a.plan.Secrets = append(a.plan.Secrets, Secret{Kind: "API token", Name: name, Field: "value", Value: got})
				noteAdd(&c, "value generated")
			}
		}
		a.plan.add(c)
	}
	return nil
}

func (a *applier) pruneTokens() error {
	if !a.f.has("apiTokens") {
		return nil
	}
	cur, err := a.t.API.List(a.ctx, "/api/v1/api-tokens")
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, it := range a.f.list("apiTokens") {
		for _, t := range cur {
			if getStr(t, "name") == getStr(it.m, "name") {
				keep[getStr(t, "id")] = true
			}
		}
	}
	if a.t.Local == nil {
		// Tokens are made only locally; a remote prune could revoke the
		// very token it runs with.
		a.plan.Warnings = append(a.plan.Warnings, "API tokens are not pruned on a remote Sesame")
		return nil
	}
	return a.prune("API token", cur, keep, func(o map[string]any) string { return getStr(o, "name") },
		func(id string) string { return "/api/v1/api-tokens/" + id }, false, nil)
}
