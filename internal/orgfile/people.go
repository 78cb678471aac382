package orgfile

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

func (a *applier) applyGroups() error {
	for _, it := range a.f.list("groups") {
		name := getStr(it.m, "name")
		want := map[string]any{}
		if p, ok := it.m["profile"].(map[string]any); ok {
			want = deepCopy(p).(map[string]any)
		}
		want["name"] = name
		if d, ok := it.m["description"]; ok {
			want["description"] = d
		}
		body := map[string]any{"profile": want}
		cur := a.groups[name]
		if cur == nil {
			c := Change{Op: "create", Kind: "group", Name: name}
			var got map[string]any
			if err := a.call("POST", "/api/v1/groups", body, &got); err != nil {
				return a.refused(it, "create the group", err)
			}
			if a.o.DryRun {
				got = map[string]any{"id": a.placeholder("group", name), "type": "OKTA_GROUP", "profile": want}
			}
			a.kept(it, body, got, nil)
			a.groups[name] = got
			a.plan.add(c)
			continue
		}
		if getStr(cur, "type") != "OKTA_GROUP" {
			return a.f.errAt(joinKey(it.path, "name"), "%s is a built-in group: it cannot be changed; leave it out (people and apps can still name it)", quote(name))
		}
		c := Change{Op: "update", Kind: "group", Name: name}
		diff(body, cur, "", nil, &c.Fields)
		if len(c.Fields) > 0 {
			var got map[string]any
			full := map[string]any{"profile": merge(cur["profile"].(map[string]any), want)}
			if err := a.call("PUT", "/api/v1/groups/"+getStr(cur, "id"), full, &got); err != nil {
				return a.refused(it, "update the group", err)
			}
			a.kept(it, body, got, nil)
		}
		a.finish(c)
	}
	return nil
}

func (a *applier) pruneGroups() error {
	if !a.f.has("groups") {
		return nil
	}
	named := map[string]bool{}
	for _, it := range a.f.list("groups") {
		named[getStr(it.m, "name")] = true
	}
	for _, name := range sortedNames(a.groups) {
		g := a.groups[name]
		if named[name] || getStr(g, "type") != "OKTA_GROUP" {
			continue
		}
		if err := a.call("DELETE", "/api/v1/groups/"+getStr(g, "id"), nil, nil); err != nil {
			return fmt.Errorf("delete the group %q: %w", name, err)
		}
		a.plan.add(Change{Op: "delete", Kind: "group", Name: name})
	}
	return nil
}

func sortedNames[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// statusOps are the lifecycle operations that take a person from a status
// to the one the file states; ok is false when no sequence does.
func statusOps(have, want string, hasPassword bool) (ops []string, ok bool) {
	switch want {
	case "ACTIVE":
		switch have {
		case "STAGED", "DEPROVISIONED":
			return []string{"activate"}, true
		case "SUSPENDED":
			return []string{"unsuspend"}, true
		case "LOCKED_OUT":
			return []string{"unlock"}, true
		}
		// PROVISIONED (no password yet), RECOVERY and PASSWORD_EXPIRED are
		// active people in the middle of setting a password.
		return nil, true
	case "SUSPENDED":
		switch have {
		case "SUSPENDED":
			return nil, true
		case "ACTIVE":
			return []string{"suspend"}, true
		case "STAGED", "DEPROVISIONED":
			if hasPassword {
				return []string{"activate", "suspend"}, true
			}
		}
		return nil, false
	case "DEPROVISIONED":
		if have == "DEPROVISIONED" {
			return nil, true
		}
		return []string{"deactivate"}, true
	case "STAGED":
		return nil, have == "STAGED"
	}
	return nil, false
}

func (a *applier) applyPeople() error {
	warnedPasswords := false
	for _, it := range a.f.list("people") {
		login := getStr(it.m, "profile.login")
		profile := deepCopy(it.m["profile"]).(map[string]any)
		if _, ok := profile["email"]; !ok {
			profile["email"] = login
		}
		status, _ := it.m["status"].(string)
		if status == "" {
			status = "ACTIVE"
		}
		password, _ := it.m["password"].(string)
		phc, _ := it.m["passwordHash"].(string)
		oktaHash, _ := it.m["passwordHash"].(map[string]any)
		wantGroups, hasGroups := getStrs(it.m, "groups")
		wantRoles, hasRoles := getStrs(it.m, "roles")
		var groupIDs []string
		for i, g := range wantGroups {
			id, err := a.groupID(g, fmt.Sprintf("%s.groups[%d]", it.path, i))
			if err != nil {
				return err
			}
			if getStr(a.groups[g], "type") != "BUILT_IN" {
				groupIDs = append(groupIDs, id)
			}
		}

		cur := a.users[strings.ToLower(login)]
		if cur == nil {
			c := Change{Op: "create", Kind: "person", Name: login}
			body := map[string]any{"profile": profile}
			switch {
			case password != "":
				set(body, "credentials.password.value", password)
			case oktaHash != nil:
				set(body, "credentials.password.hash", oktaHash)
			}
			if len(groupIDs) > 0 {
				ids := make([]any, len(groupIDs))
				for i, id := range groupIDs {
					ids[i] = id
				}
				body["groupIds"] = ids
			}
			// A person given a hash is created staged, has the hash set,
			// then is activated: activation needs the password present.
			activate := status != "STAGED" && phc == ""
			var got map[string]any
			if err := a.call("POST", "/api/v1/users?activate="+fmt.Sprint(activate), body, &got); err != nil {
				return a.refused(it, "create the person", err)
			}
			if a.o.DryRun {
				got = map[string]any{"id": a.placeholder("person", login), "status": "STAGED", "profile": profile}
				if activate {
					got["status"] = "ACTIVE"
				}
			}
			a.kept(it, map[string]any{"profile": profile}, got, nil)
			a.users[strings.ToLower(login)] = got
			id := getStr(got, "id")
			if phc != "" {
				if !a.o.DryRun {
					if err := a.t.Local.SetPasswordHash(a.ctx, id, phc); err != nil {
						return a.refused(item{path: it.path, m: it.m}, "set the password hash", err)
					}
				}
				if status != "STAGED" {
					got["status"] = "STAGED"
				}
			}
			if err := a.personStatus(&c, it, got, status, password != "" || phc != "" || oktaHash != nil); err != nil {
				return err
			}
			if hasRoles {
				if err := a.roles(&c, it, id, wantRoles); err != nil {
					return err
				}
			}
			c.Fields = nil
			a.plan.add(c)
			continue
		}

		c := Change{Op: "update", Kind: "person", Name: login}
		id := getStr(cur, "id")
		// A deprovisioned person is activated before the profile changes
		// (Okta refuses changes to them) and deactivated after.
		if getStr(cur, "status") == "DEPROVISIONED" && status != "DEPROVISIONED" {
			if err := a.personStatus(&c, it, cur, status, password != "" || phc != ""); err != nil {
				return err
			}
		}
		want := map[string]any{"profile": profile}
		var fields []Field
		diff(want, cur, "", nil, &fields)
		c.Fields = append(c.Fields, fields...)
		update := map[string]any{}
		if len(fields) > 0 {
			update["profile"] = profile
		}
		if password != "" {
			if a.t.Local != nil && !isPlaceholder(id) {
				ok, err := a.t.Local.PasswordMatches(a.ctx, id, password)
				if err != nil {
					return err
				}
				if !ok {
					c.Fields = append(c.Fields, Field{Path: "password", Old: "(secret)", New: "(secret)"})
					set(update, "credentials.password.value", password)
				}
			} else if a.t.Local == nil && !warnedPasswords {
				warnedPasswords = true
				a.plan.Warnings = append(a.plan.Warnings, "passwords of people who exist already are not compared on a remote Sesame (the API never reveals them); they were left as they are")
			}
		}
		if len(update) > 0 {
			var got map[string]any
			if err := a.call("POST", "/api/v1/users/"+id, update, &got); err != nil {
				return a.refused(it, "update the person", err)
			}
			a.kept(it, want, got, nil)
		}
		if phc != "" && a.t.Local != nil {
			have, err := a.t.Local.PasswordHash(a.ctx, id)
			if err != nil {
				return err
			}
			if have != phc {
				c.Fields = append(c.Fields, Field{Path: "passwordHash", Old: "(secret)", New: "(secret)"})
				if !a.o.DryRun {
					if err := a.t.Local.SetPasswordHash(a.ctx, id, phc); err != nil {
						return a.refused(it, "set the password hash", err)
					}
				}
			}
		}
		if getStr(cur, "status") != "DEPROVISIONED" || status == "DEPROVISIONED" {
			if err := a.personStatus(&c, it, cur, status, password != "" || phc != "" || get(cur, "credentials.password") != nil); err != nil {
				return err
			}
		}
		if hasGroups {
			if err := a.memberships(&c, it, id, groupIDs); err != nil {
				return err
			}
		}
		if hasRoles {
			if err := a.roles(&c, it, id, wantRoles); err != nil {
				return err
			}
		}
		a.finish(c)
	}
	return nil
}

// personStatus runs the lifecycle operations that reach the stated status.
func (a *applier) personStatus(c *Change, it item, cur map[string]any, want string, hasPassword bool) error {
	have := getStr(cur, "status")
	ops, ok := statusOps(have, want, hasPassword)
	if !ok {
		return a.f.errAt(joinKey(it.path, "status"), "a person who is %s cannot be made %s by apply", have, want)
	}
	if len(ops) == 0 {
		return nil
	}
	if c.Op == "update" {
		c.Fields = append(c.Fields, Field{Path: "status", Old: show("status", have), New: show("status", want)})
	}
	id := getStr(cur, "id")
	for _, op := range ops {
		if isPlaceholder(id) {
			break
		}
		if err := a.call("POST", "/api/v1/users/"+id+"/lifecycle/"+op, nil, nil); err != nil {
			return a.refused(it, op+" the person", err)
		}
	}
	cur["status"] = want
	return nil
}

// memberships makes a person a member of exactly the stated groups.
func (a *applier) memberships(c *Change, it item, userID string, want []string) error {
	have, err := a.current(userID, "/api/v1/users/"+userID+"/groups", func(g map[string]any) string {
		if getStr(g, "type") == "BUILT_IN" {
			return ""
		}
		return getStr(g, "id")
	})
	if err != nil {
		return err
	}
	names := a.groupNamesByID()
	return a.exactSet(c, "groups", want, have, names,
		func(g string) error {
			return a.wrap(it, "add the person to "+names[g], a.call("PUT", "/api/v1/groups/"+g+"/users/"+userID, nil, nil))
		},
		func(g string) error {
			return a.wrap(it, "remove the person from "+names[g], a.call("DELETE", "/api/v1/groups/"+g+"/users/"+userID, nil, nil))
		})
}

// roles gives a person exactly the stated standard administrator roles
// (the set is of role types; the API removes an assignment by its id).
func (a *applier) roles(c *Change, it item, userID string, want []string) error {
	base := "/api/v1/users/" + userID + "/roles"
	assignment := map[string]string{}
	have, err := a.current(userID, base, func(r map[string]any) string {
		assignment[getStr(r, "type")] = getStr(r, "id")
		return getStr(r, "type")
	})
	if err != nil {
		return err
	}
	return a.exactSet(c, "roles", want, have, nil,
		func(role string) error {
			return a.wrap(it, "assign the role "+role, a.call("POST", base, map[string]any{"type": role}, nil))
		},
		func(role string) error {
			return a.wrap(it, "unassign the role "+role, a.call("DELETE", base+"/"+assignment[role], nil, nil))
		})
}

// namesOf maps ids to names, sorted, for a plan line.
func namesOf(ids []string, names map[string]string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if n, ok := names[id]; ok {
			out = append(out, n)
		} else {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func (a *applier) prunePeople() error {
	if !a.f.has("people") {
		return nil
	}
	named := map[string]bool{}
	for _, it := range a.f.list("people") {
		named[strings.ToLower(getStr(it.m, "profile.login"))] = true
	}
	for _, login := range sortedNames(a.users) {
		u := a.users[login]
		id := getStr(u, "id")
		if named[login] || id == a.me || isPlaceholder(id) {
			continue
		}
		if admin, err := a.superAdmin(id); err != nil {
			return err
		} else if admin {
			continue
		}
		if getStr(u, "status") != "DEPROVISIONED" {
			if err := a.call("POST", "/api/v1/users/"+id+"/lifecycle/deactivate", nil, nil); err != nil {
				return fmt.Errorf("deactivate %s: %w", login, err)
			}
		}
		if err := a.call("DELETE", "/api/v1/users/"+id, nil, nil); err != nil {
			return fmt.Errorf("delete %s: %w", login, err)
		}
		a.plan.add(Change{Op: "delete", Kind: "person", Name: getStr(u, "profile.login")})
	}
	return nil
}

// superAdmin reports whether a person is a super administrator, whom prune
// never deletes: locally from the database, remotely from the roles API
// where the server has one.
func (a *applier) superAdmin(id string) (bool, error) {
	if a.t.Local != nil {
		return a.t.Local.SuperAdmin(a.ctx, id)
	}
	roles, err := a.t.API.List(a.ctx, "/api/v1/users/"+url.PathEscape(id)+"/roles")
	if err != nil {
		// Without a roles API nobody can tell: keep the person.
		a.plan.Warnings = append(a.plan.Warnings, fmt.Sprintf("left person %s: the server does not say whether they are a super administrator (%v)", id, err))
		return true, nil
	}
	for _, r := range roles {
		if getStr(r, "type") == "SUPER_ADMIN" {
			return true, nil
		}
	}
	return false, nil
}
