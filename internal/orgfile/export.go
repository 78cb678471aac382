package orgfile

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ExportOptions change what Export writes.
type ExportOptions struct {
	// WithSecrets includes what a local database knows of people's
	// passwords (their argon2id hashes). Client secrets and API token
	// values are never written: only their hashes are kept.
	WithSecrets bool
	// Header is a comment written at the top.
	Header string
}

// members of API objects that are the server's own: ids, times, links and
// what it derives. Export leaves them out so that the file applies to
// another org and a round trip compares equal.
var readOnly = []string{"id", "orn", "created", "lastUpdated", "createdBy", "lastUpdatedBy", "_links", "_embedded",
	"activated", "statusChanged", "lastLogin", "passwordChanged", "lastMembershipUpdated", "type", "objectClass",
	"credentials", "issuer", "system", "apiResourceId"}

// Export reads the org and writes it as an org file.
func Export(ctx context.Context, t Target, o ExportOptions) ([]byte, error) {
	e := &exporter{ctx: ctx, t: t, o: o}
	doc, err := e.build()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("# yaml-language-server: $schema=https://github.com/sesame-idp/sesame/blob/main/docs/org.schema.json\n")
	for _, l := range strings.Split(strings.TrimSpace(o.Header), "\n") {
		if l != "" {
			b.WriteString("# " + l + "\n")
		}
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(toNode(doc, fileSchema)); err != nil {
		return nil, err
	}
	enc.Close()
	return []byte(b.String()), nil
}

type exporter struct {
	ctx context.Context
	t   Target
	o   ExportOptions

	userLogin map[string]string // id → login
	groupName map[string]string // id → name
	appRef    map[string]string // client id → label, when the label is unique
}

func (e *exporter) build() (map[string]any, error) {
	api := e.t.API
	doc := map[string]any{}
	var users []map[string]any
	for _, path := range []string{"/api/v1/users", "/api/v1/users?filter=" + url.QueryEscape(`status eq "DEPROVISIONED"`)} {
		us, err := api.List(e.ctx, path)
		if err != nil {
			return nil, fmt.Errorf("read people: %w", err)
		}
		users = append(users, us...)
	}
	groups, err := api.List(e.ctx, "/api/v1/groups")
	if err != nil {
		return nil, fmt.Errorf("read groups: %w", err)
	}
	apps, err := api.List(e.ctx, "/api/v1/apps?limit=200")
	if err != nil {
		return nil, fmt.Errorf("read apps: %w", err)
	}
	e.userLogin, e.groupName, e.appRef = map[string]string{}, map[string]string{}, map[string]string{}
	for _, u := range users {
		e.userLogin[getStr(u, "id")] = getStr(u, "profile.login")
	}
	for _, g := range groups {
		e.groupName[getStr(g, "id")] = getStr(g, "profile.name")
	}
	labels := map[string]int{}
	for _, a := range apps {
		labels[getStr(a, "label")]++
	}
	for _, a := range apps {
		if labels[getStr(a, "label")] == 1 {
			e.appRef[getStr(a, "credentials.oauthClient.client_id")] = getStr(a, "label")
		}
	}

	var outGroups []any
	for _, g := range groups {
		if getStr(g, "type") != "OKTA_GROUP" {
			continue
		}
		profile := without(g["profile"].(map[string]any), "name", "description")
		og := map[string]any{"name": getStr(g, "profile.name")}
		if d := getStr(g, "profile.description"); d != "" {
			og["description"] = d
		}
		if len(profile) > 0 {
			og["profile"] = profile
		}
		outGroups = append(outGroups, og)
	}
	doc["groups"] = sortBy(outGroups, "name")

	var people []any
	for _, u := range users {
		p, err := e.person(u)
		if err != nil {
			return nil, err
		}
		people = append(people, p)
	}
	doc["people"] = sortBy(people, "profile.login")

	var outApps []any
	for _, a := range apps {
		oa, err := e.app(a)
		if err != nil {
			return nil, err
		}
		outApps = append(outApps, oa)
	}
	doc["apps"] = sortBy(outApps, "label", "credentials.oauthClient.client_id")

	origins, err := api.List(e.ctx, "/api/v1/trustedOrigins?limit=200")
	if err != nil {
		return nil, err
	}
	var outOrigins []any
	for _, o := range origins {
		outOrigins = append(outOrigins, clean(o))
	}
	doc["trustedOrigins"] = sortBy(outOrigins, "origin")

	servers, err := api.List(e.ctx, serversPath)
	if err != nil {
		return nil, err
	}
	var outServers []any
	for _, s := range servers {
		os, err := e.server(s)
		if err != nil {
			return nil, err
		}
		outServers = append(outServers, os)
	}
	doc["authorizationServers"] = sortBy(outServers, "name")

	tokens, err := api.List(e.ctx, "/api/v1/api-tokens")
	if err != nil {
		return nil, err
	}
	var outTokens []any
	for _, t := range tokens {
		outTokens = append(outTokens, map[string]any{"name": getStr(t, "name"), "owner": e.userLogin[getStr(t, "userId")]})
	}
	doc["apiTokens"] = sortBy(outTokens, "name")
	return doc, nil
}

// sortBy orders a list by the members that identify its objects, so that
// two exports of equal orgs are equal whatever their ids. Policies and
// rules keep the server's order, their priority.
func sortBy(a []any, keys ...string) []any {
	if a == nil {
		return []any{}
	}
	key := func(v any) string {
		m, _ := v.(map[string]any)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = strings.ToLower(getStr(m, k))
		}
		return strings.Join(parts, "\x00")
	}
	sort.SliceStable(a, func(i, j int) bool { return key(a[i]) < key(a[j]) })
	return a
}

// clean drops the server's own members and an ACTIVE status (the default).
func clean(o map[string]any) map[string]any {
	out := without(o, readOnly...)
	if out["status"] == "ACTIVE" {
		delete(out, "status")
	}
	return out
}

func (e *exporter) person(u map[string]any) (map[string]any, error) {
	id := getStr(u, "id")
	p := map[string]any{"profile": u["profile"]}
	switch s := getStr(u, "status"); s {
	case "ACTIVE", "PROVISIONED", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT":
		// all active: the file's ACTIVE
	default:
		p["status"] = s
	}
	if getStr(u, "status") != "DEPROVISIONED" {
		groups, err := e.t.API.List(e.ctx, "/api/v1/users/"+id+"/groups")
		if err != nil {
			return nil, err
		}
		names := []string{}
		for _, g := range groups {
			if getStr(g, "type") == "OKTA_GROUP" {
				names = append(names, getStr(g, "profile.name"))
			}
		}
		sort.Strings(names)
		if len(names) > 0 {
			p["groups"] = toAny(names)
		}
	}
	roles, err := e.t.API.List(e.ctx, "/api/v1/users/"+id+"/roles")
	if err != nil {
		return nil, err
	}
	types := []string{}
	for _, r := range roles {
		types = append(types, getStr(r, "type"))
	}
	sort.Strings(types)
	if len(types) > 0 {
		p["roles"] = toAny(types)
	}
	if e.o.WithSecrets && e.t.Local != nil {
		h, err := e.t.Local.PasswordHash(e.ctx, id)
		if err != nil {
			return nil, err
		}
		if h != "" {
			p["passwordHash"] = h
		}
	}
	return p, nil
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func (e *exporter) app(a map[string]any) (map[string]any, error) {
	id := getStr(a, "id")
	out := without(a, "id", "orn", "created", "lastUpdated", "_links", "_embedded")
	if out["status"] == "ACTIVE" {
		delete(out, "status")
	}
	creds, _ := deepCopy(a["credentials"]).(map[string]any)
	delete(creds, "signing")
	if oc, ok := creds["oauthClient"].(map[string]any); ok {
		delete(oc, "client_secret")
	}
	out["credentials"] = creds
	settings, _ := deepCopy(a["settings"]).(map[string]any)
	if keys, ok := get(settings, "oauthClient.jwks.keys").([]any); ok {
		for _, k := range keys {
			if km, ok := k.(map[string]any); ok {
				for _, m := range []string{"id", "status", "created", "lastUpdated", "_links"} {
					delete(km, m)
				}
			}
		}
	}
	out["settings"] = settings
	dropNulls(out)
	grants, err := e.t.API.List(e.ctx, "/api/v1/apps/"+id+"/grants")
	if err != nil {
		return nil, err
	}
	var scopes []string
	for _, g := range grants {
		scopes = append(scopes, getStr(g, "scopeId"))
	}
	sort.Strings(scopes)
	if len(scopes) > 0 {
		out["grants"] = toAny(scopes)
	}
	users, err := e.t.API.List(e.ctx, "/api/v1/apps/"+id+"/users")
	if err != nil {
		return nil, err
	}
	var people []string
	for _, u := range users {
		if getStr(u, "scope") != "GROUP" {
			people = append(people, e.userLogin[getStr(u, "id")])
		}
	}
	groups, err := e.t.API.List(e.ctx, "/api/v1/apps/"+id+"/groups")
	if err != nil {
		return nil, err
	}
	var gnames []string
	for _, g := range groups {
		gnames = append(gnames, e.groupName[getStr(g, "id")])
	}
	sort.Strings(people)
	sort.Strings(gnames)
	as := map[string]any{}
	if len(people) > 0 {
		as["people"] = toAny(people)
	}
	if len(gnames) > 0 {
		as["groups"] = toAny(gnames)
	}
	if len(as) > 0 {
		out["assignments"] = as
	}
	return out, nil
}

func (e *exporter) server(s map[string]any) (map[string]any, error) {
	base := serversPath + "/" + getStr(s, "id")
	out := without(clean(s), "default")
	api := e.t.API
	scopes, err := api.List(e.ctx, base+"/scopes")
	if err != nil {
		return nil, err
	}
	var os []any
	for _, sc := range scopes {
		if !isSystem(sc) {
			os = append(os, clean(sc))
		}
	}
	if len(os) > 0 {
		out["scopes"] = sortBy(os, "name")
	}
	claims, err := api.List(e.ctx, base+"/claims")
	if err != nil {
		return nil, err
	}
	var oc []any
	for _, c := range claims {
		if !isSystem(c) {
			oc = append(oc, clean(c))
		}
	}
	if len(oc) > 0 {
		out["claims"] = sortBy(oc, "name", "claimType")
	}
	pols, err := api.List(e.ctx, base+"/policies")
	if err != nil {
		return nil, err
	}
	var op []any
	for _, p := range pols {
		pol := without(clean(p), "type")
		if p["type"] != "OAUTH_AUTHORIZATION_POLICY" {
			pol["type"] = p["type"]
		}
		e.names(pol, "conditions.clients.include", e.appRef)
		rules, err := api.List(e.ctx, base+"/policies/"+getStr(p, "id")+"/rules")
		if err != nil {
			return nil, err
		}
		var or []any
		for _, r := range rules {
			rule := without(clean(r), "type")
			if r["type"] != "RESOURCE_ACCESS" {
				rule["type"] = r["type"]
			}
			rule = deepCopy(rule).(map[string]any)
			e.names(rule, "conditions.people.users.include", e.userLogin)
			e.names(rule, "conditions.people.users.exclude", e.userLogin)
			e.names(rule, "conditions.people.groups.include", e.groupName)
			e.names(rule, "conditions.people.groups.exclude", e.groupName)
			or = append(or, rule)
		}
		if len(or) > 0 {
			pol["rules"] = or
		}
		op = append(op, pol)
	}
	if len(op) > 0 {
		out["policies"] = op
	}
	return out, nil
}

// names replaces the ids in a list with the names the file uses for them.
func (e *exporter) names(doc map[string]any, path string, names map[string]string) {
	ids, ok := getStrs(doc, path)
	if !ok {
		return
	}
	out := make([]any, len(ids))
	for i, id := range ids {
		if n, ok := names[id]; ok {
			out[i] = n
		} else {
			out[i] = id
		}
	}
	set(doc, path, out)
}

// toNode renders a value as YAML with the members of an object in the
// schema's order (name and label first, as a person writes them), then the
// rest sorted.
func toNode(v any, s *Schema) *yaml.Node {
	switch x := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		done := map[string]bool{}
		add := func(k string, sub *Schema) {
			done[k] = true
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, toNode(x[k], sub))
		}
		if s != nil {
			for _, pr := range s.Props {
				if _, ok := x[pr.Name]; ok {
					add(pr.Name, pr.Schema)
				}
			}
		}
		for _, k := range sortedKeys(x) {
			if !done[k] {
				add(k, nil)
			}
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		var items *Schema
		if s != nil {
			items = s.Items
		}
		for _, item := range x {
			n.Content = append(n.Content, toNode(item, items))
		}
		return n
	}
	if str, ok := v.(string); ok {
		v = escapeEnv(str)
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	return &n
}

// dropNulls removes null members: the file leaves out what is unset.
func dropNulls(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			dropNulls(x)
		}
	}
}
