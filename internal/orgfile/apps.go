package orgfile

import (
	"fmt"
)

// appSkip are members of an app handled apart from its body.
var appSkip = map[string]bool{"credentials.oauthClient.client_secret": true}

// findApp finds the app the file means: by fixed client id, else by label.
func (a *applier) findApp(it item) (map[string]any, error) {
	if cid := getStr(it.m, "credentials.oauthClient.client_id"); cid != "" {
		for _, app := range a.apps {
			if getStr(app, "credentials.oauthClient.client_id") == cid {
				return app, nil
			}
		}
		return nil, nil
	}
	label := getStr(it.m, "label")
	var found []map[string]any
	for _, app := range a.apps {
		if getStr(app, "label") == label {
			found = append(found, app)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	return nil, a.f.errAt(joinKey(it.path, "label"), "%d apps in the org are labelled %s: fix credentials.oauthClient.client_id to say which", len(found), quote(label))
}

func (a *applier) applyApps() error {
	for _, it := range a.f.list("apps") {
		label := getStr(it.m, "label")
		want := without(deepCopy(it.m).(map[string]any), "assignments", "grants", "status")
		if _, ok := want["name"]; !ok {
			want["name"] = "oidc_client"
		}
		if _, ok := want["signOnMode"]; !ok {
			want["signOnMode"] = "OPENID_CONNECT"
		}
		fixedSecret := getStr(want, "credentials.oauthClient.client_secret")
		cur, err := a.findApp(it)
		if err != nil {
			return err
		}
		if cur == nil {
			c := Change{Op: "create", Kind: "app", Name: label}
			q := ""
			if getStr(it.m, "status") == "INACTIVE" {
				q = "?activate=false"
			}
			var got map[string]any
			if err := a.call("POST", "/api/v1/apps"+q, want, &got); err != nil {
				return a.refused(it, "create the app", err)
			}
			if a.o.DryRun {
				cid := getStr(want, "credentials.oauthClient.client_id")
				if cid == "" {
					cid = a.placeholder("app", label)
				}
				got = deepCopy(want).(map[string]any)
				set(got, "id", a.placeholder("app", label))
				set(got, "credentials.oauthClient.client_id", cid)
			}
			if s := getStr(got, "credentials.oauthClient.client_secret"); s != "" && fixedSecret == "" {
				a.plan.Secrets = append(a.plan.Secrets, Secret{Kind: "app", Name: label, Field: "client_secret", Value: s})
				noteAdd(&c, "client secret generated")
			}
			a.kept(it, want, got, appSkip)
			a.apps = append(a.apps, got)
			if err := a.appExtras(&c, it, got); err != nil {
				return err
			}
			c.Fields = nil
			a.plan.add(c)
			continue
		}
		c := Change{Op: "update", Kind: "app", Name: label}
		id := getStr(cur, "id")
		diff(norm(want), cur, "", appSkip, &c.Fields)
		body := merge(cur, norm(want).(map[string]any))
		if oc, ok := get(body, "credentials.oauthClient").(map[string]any); ok {
			delete(oc, "client_secret")
		}
		if fixedSecret != "" {
			if a.t.Local != nil {
				ok, err := a.t.Local.ClientSecretMatches(a.ctx, id, fixedSecret)
				if err != nil {
					return err
				}
				if !ok {
					c.Fields = append(c.Fields, Field{Path: "credentials.oauthClient.client_secret", Old: "(secret)", New: "(secret)"})
					set(body, "credentials.oauthClient.client_secret", fixedSecret)
				}
			} else {
				a.plan.Warnings = append(a.plan.Warnings, fmt.Sprintf("app %q: a remote Sesame never reveals client secrets, so the fixed one was not compared (it was set when the app was created)", label))
			}
		}
		if len(c.Fields) > 0 {
			var got map[string]any
			if err := a.call("PUT", "/api/v1/apps/"+id, body, &got); err != nil {
				return a.refused(it, "update the app", err)
			}
			a.kept(it, want, got, appSkip)
		}
		if err := a.appExtras(&c, it, cur); err != nil {
			return err
		}
		a.finish(c)
	}
	return nil
}

// appExtras applies an app's status, grants and assignments.
func (a *applier) appExtras(c *Change, it item, app map[string]any) error {
	id := getStr(app, "id")
	base := "/api/v1/apps/" + id
	if isPlaceholder(id) {
		base = id
	}
	// A new app is created in the stated status.
	if c.Op == "update" {
		if err := a.lifecycle(c, it, app, base); err != nil {
			return err
		}
	}
	if scopes, ok := getStrs(it.m, "grants"); ok {
		if err := a.grants(c, it, id, scopes); err != nil {
			return err
		}
	}
	if people, ok := getStrs(it.m, "assignments.people"); ok {
		if err := a.assignPeople(c, it, id, people); err != nil {
			return err
		}
	}
	if groups, ok := getStrs(it.m, "assignments.groups"); ok {
		if err := a.assignGroups(c, it, id, groups); err != nil {
			return err
		}
	}
	return nil
}

// exactSet makes a set on an object (memberships, grants, assignments)
// exactly what the file lists: it records the change under field, shown
// with names, and calls add and remove for each difference.
func (a *applier) exactSet(c *Change, field string, want, have []string, names map[string]string, add, remove func(id string) error) error {
	plus, minus := setDiff(want, have)
	if len(plus)+len(minus) == 0 {
		return nil
	}
	if c.Op == "update" {
		c.Fields = append(c.Fields, Field{Path: field, Old: show("", namesOf(have, names)), New: show("", namesOf(want, names))})
	}
	for _, id := range plus {
		if isPlaceholder(id) {
			continue
		}
		if err := add(id); err != nil {
			return err
		}
	}
	for _, id := range minus {
		if err := remove(id); err != nil {
			return err
		}
	}
	return nil
}

// current lists ids from a sub-resource of an existing object, nothing for
// one a dry run would create.
func (a *applier) current(objectID, path string, id func(map[string]any) string) ([]string, error) {
	if isPlaceholder(objectID) {
		return nil, nil
	}
	list, err := a.t.API.List(a.ctx, path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range list {
		if v := id(o); v != "" {
			out = append(out, v)
		}
	}
	return out, nil
}

func (a *applier) grants(c *Change, it item, appID string, want []string) error {
	base := "/api/v1/apps/" + appID + "/grants"
	grantIDs := map[string]string{}
	have, err := a.current(appID, base, func(g map[string]any) string {
		grantIDs[getStr(g, "scopeId")] = getStr(g, "id")
		return getStr(g, "scopeId")
	})
	if err != nil {
		return err
	}
	return a.exactSet(c, "grants", want, have, nil,
		func(sc string) error {
			if isPlaceholder(appID) {
				return nil
			}
			return a.wrap(it, "grant "+sc, a.call("POST", base, map[string]any{"scopeId": sc, "issuer": a.t.API.Base}, nil))
		},
		func(sc string) error {
			return a.wrap(it, "revoke "+sc, a.call("DELETE", base+"/"+grantIDs[sc], nil, nil))
		})
}

func (a *applier) assignPeople(c *Change, it item, appID string, logins []string) error {
	var want []string
	for i, l := range logins {
		id, err := a.userID(l, fmt.Sprintf("%s.assignments.people[%d]", it.path, i))
		if err != nil {
			return err
		}
		want = append(want, id)
	}
	base := "/api/v1/apps/" + appID + "/users"
	// People who have the app through a group are not direct assignments.
	have, err := a.current(appID, base, func(u map[string]any) string {
		if getStr(u, "scope") == "GROUP" {
			return ""
		}
		return getStr(u, "id")
	})
	if err != nil {
		return err
	}
	names := a.loginsByID()
	return a.exactSet(c, "assignments.people", want, have, names,
		func(u string) error {
			if isPlaceholder(appID) {
				return nil
			}
			return a.wrap(it, "assign "+names[u], a.call("POST", base, map[string]any{"id": u, "scope": "USER"}, nil))
		},
		func(u string) error { return a.wrap(it, "unassign "+names[u], a.call("DELETE", base+"/"+u, nil, nil)) })
}

func (a *applier) assignGroups(c *Change, it item, appID string, groups []string) error {
	var want []string
	for i, g := range groups {
		id, err := a.groupID(g, fmt.Sprintf("%s.assignments.groups[%d]", it.path, i))
		if err != nil {
			return err
		}
		want = append(want, id)
	}
	base := "/api/v1/apps/" + appID + "/groups"
	have, err := a.current(appID, base, func(g map[string]any) string { return getStr(g, "id") })
	if err != nil {
		return err
	}
	names := a.groupNamesByID()
	return a.exactSet(c, "assignments.groups", want, have, names,
		func(g string) error {
			if isPlaceholder(appID) {
				return nil
			}
			return a.wrap(it, "assign "+names[g], a.call("PUT", base+"/"+g, map[string]any{}, nil))
		},
		func(g string) error { return a.wrap(it, "unassign "+names[g], a.call("DELETE", base+"/"+g, nil, nil)) })
}

// wrap places a refusal of what on the object.
func (a *applier) wrap(it item, what string, err error) error {
	if err == nil {
		return nil
	}
	return a.refused(it, what, err)
}

func (a *applier) loginsByID() map[string]string {
	out := map[string]string{}
	for _, u := range a.users {
		out[getStr(u, "id")] = getStr(u, "profile.login")
	}
	return out
}

func (a *applier) groupNamesByID() map[string]string {
	out := map[string]string{}
	for n, g := range a.groups {
		out[getStr(g, "id")] = n
	}
	return out
}

func (a *applier) pruneApps() error {
	if !a.f.has("apps") {
		return nil
	}
	keep := map[string]bool{}
	for _, it := range a.f.list("apps") {
		if app, _ := a.findApp(it); app != nil {
			keep[getStr(app, "id")] = true
		}
	}
	for _, app := range a.apps {
		id := getStr(app, "id")
		if keep[id] || isPlaceholder(id) {
			continue
		}
		if getStr(app, "status") == "ACTIVE" {
			if err := a.call("POST", "/api/v1/apps/"+id+"/lifecycle/deactivate", nil, nil); err != nil {
				return fmt.Errorf("deactivate the app %q: %w", getStr(app, "label"), err)
			}
		}
		if err := a.call("DELETE", "/api/v1/apps/"+id, nil, nil); err != nil {
			return fmt.Errorf("delete the app %q: %w", getStr(app, "label"), err)
		}
		a.plan.add(Change{Op: "delete", Kind: "app", Name: getStr(app, "label")})
	}
	return nil
}
