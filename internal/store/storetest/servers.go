package storetest

import (
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

var serverCases = []testCase{
	{"AuthServers", testAuthServers},
	{"Scopes", testScopes},
	{"Claims", testClaims},
	{"PoliciesAndRules", testPoliciesAndRules},
	{"AuthServerDeleteCascades", testAuthServerDeleteCascades},
}

func newServer(id string) *store.AuthServer {
	return &store.AuthServer{ID: id, Name: "server " + id, Description: "for " + id,
		Audiences: []string{"api://" + id, "api://other"}, IssuerMode: "DYNAMIC", Status: "ACTIVE", Default: true,
		RotationMode: "AUTO", LastRotated: at(-time.Hour), NextRotation: at(90 * 24 * time.Hour),
		Created: at(0), LastUpdated: at(time.Second), TrustedServers: []string{"aus" + id}}
}

func testAuthServers(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	a := newServer("default")
	ok(t, s.AuthServers().Create(ctx, a), "create server")
	got, err := s.AuthServers().Get(ctx, a.ID)
	ok(t, err, "get server")
	same(t, got, a, "server")
	_, err = s.AuthServers().Get(ctx, "ausnope")
	notFound(t, err, "get missing server")
	conflict(t, s.AuthServers().Create(ctx, newServer("default")), "create server with a taken id")

	a.Name, a.Description, a.Audiences, a.IssuerMode, a.Status, a.Default = "Default", "", []string{}, "ORG_URL", "INACTIVE", false
	a.RotationMode, a.LastRotated, a.NextRotation = "MANUAL", time.Time{}, time.Time{}
	a.Created, a.LastUpdated, a.TrustedServers = at(time.Hour), at(2*time.Hour), []string{"aus1", "aus2"}
	ok(t, s.AuthServers().Update(ctx, a), "update server")
	got, err = s.AuthServers().Get(ctx, a.ID)
	ok(t, err, "get updated server")
	same(t, got, a, "updated server")
	a.Audiences = nil
	ok(t, s.AuthServers().Update(ctx, a), "update server with no audiences")
	got, err = s.AuthServers().Get(ctx, a.ID)
	ok(t, err, "get updated server")
	same(t, got, a, "server with nil audiences")
	notFound(t, s.AuthServers().Update(ctx, newServer("ausnope")), "update missing server")

	want := []string{"default"}
	for _, id := range mixedIDs("aus") {
		ok(t, s.AuthServers().Create(ctx, newServer(id)), "create server %s", id)
		want = append(want, id)
	}
	want = sorted(want)
	walked := walk(t, 4, func(p store.Page) ([]string, error) {
		ss, err := s.AuthServers().List(ctx, p)
		return ids(ss, func(a *store.AuthServer) string { return a.ID }), err
	})
	sameStrings(t, walked, want, "servers walked")
	all, err := s.AuthServers().ListAll(ctx)
	ok(t, err, "list all servers")
	sameStrings(t, ids(all, func(a *store.AuthServer) string { return a.ID }), want, "all servers")

	ok(t, s.AuthServers().Delete(ctx, a.ID), "delete server")
	_, err = s.AuthServers().Get(ctx, a.ID)
	notFound(t, err, "get deleted server")
	notFound(t, s.AuthServers().Delete(ctx, a.ID), "delete server twice")
}

func newScope(serverID, id, name string) *store.Scope {
	return &store.Scope{ID: id, ServerID: serverID, Name: name, DisplayName: "Display " + name,
		Description: "Allows " + name, System: true, Default: true, Consent: "REQUIRED", Optional: true,
		MetadataPublish: "ALL_CLIENTS", Created: at(0), LastUpdated: at(time.Second)}
}

func testScopes(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	for _, id := range []string{"default", "aus2"} {
		ok(t, s.AuthServers().Create(ctx, newServer(id)), "create server")
	}
	c := newScope("default", "scp1", "openid")
	ok(t, s.AuthServers().CreateScope(ctx, c), "create scope")
	got, err := s.AuthServers().GetScope(ctx, "default", c.ID)
	ok(t, err, "get scope")
	same(t, got, c, "scope")
	_, err = s.AuthServers().GetScope(ctx, "aus2", c.ID)
	notFound(t, err, "get scope through another server")
	_, err = s.AuthServers().GetScope(ctx, "default", "scpnope")
	notFound(t, err, "get missing scope")

	conflict(t, s.AuthServers().CreateScope(ctx, newScope("default", "scp9", "openid")), "create scope with a taken name")
	conflict(t, s.AuthServers().CreateScope(ctx, newScope("aus2", c.ID, "email")), "create scope with a taken id")
	ok(t, s.AuthServers().CreateScope(ctx, newScope("aus2", "scp2", "openid")), "same scope name on another server")
	notFound(t, s.AuthServers().CreateScope(ctx, newScope("ausnope", "scp8", "x")), "create scope on a missing server")
	for i, name := range []string{"profile", "email", "Zeta", "address", "offline_access"} {
		ok(t, s.AuthServers().CreateScope(ctx, newScope("default", "scp"+string(rune('a'+i)), name)), "create scope %s", name)
	}
	list, err := s.AuthServers().ListScopes(ctx, "default")
	ok(t, err, "list scopes")
	sameStrings(t, ids(list, func(c *store.Scope) string { return c.Name }),
		[]string{"Zeta", "address", "email", "offline_access", "openid", "profile"}, "scopes by name")

	c.Name, c.DisplayName, c.Description, c.System, c.Default = "openid2", "", "", false, false
	c.Consent, c.Optional, c.MetadataPublish, c.Created, c.LastUpdated = "IMPLICIT", false, "NO_CLIENTS", at(time.Hour), time.Time{}
	ok(t, s.AuthServers().UpdateScope(ctx, c), "update scope")
	got, err = s.AuthServers().GetScope(ctx, "default", c.ID)
	ok(t, err, "get updated scope")
	same(t, got, c, "updated scope")
	c.Name = "email"
	conflict(t, s.AuthServers().UpdateScope(ctx, c), "rename scope to a taken name")
	notFound(t, s.AuthServers().UpdateScope(ctx, newScope("aus2", c.ID, "moved")), "update scope through another server")
	notFound(t, s.AuthServers().UpdateScope(ctx, newScope("default", "scpnope", "x")), "update missing scope")

	notFound(t, s.AuthServers().DeleteScope(ctx, "aus2", c.ID), "delete scope through another server")
	ok(t, s.AuthServers().DeleteScope(ctx, "default", c.ID), "delete scope")
	_, err = s.AuthServers().GetScope(ctx, "default", c.ID)
	notFound(t, err, "get deleted scope")
	notFound(t, s.AuthServers().DeleteScope(ctx, "default", c.ID), "delete scope twice")
}

func newClaim(serverID, id, name string) *store.Claim {
	return &store.Claim{ID: id, ServerID: serverID, Name: name, Status: "ACTIVE", ClaimType: "RESOURCE",
		ValueType: "GROUPS", Value: "Everyone", GroupFilterType: "STARTS_WITH", AlwaysIncludeInToken: true,
		ConditionScopes: []string{"openid", "groups"}, System: true, Created: at(0), LastUpdated: at(time.Second)}
}

func testClaims(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	for _, id := range []string{"default", "aus2"} {
		ok(t, s.AuthServers().Create(ctx, newServer(id)), "create server")
	}
	c := newClaim("default", "ocl1", "groups")
	ok(t, s.AuthServers().CreateClaim(ctx, c), "create claim")
	got, err := s.AuthServers().GetClaim(ctx, "default", c.ID)
	ok(t, err, "get claim")
	same(t, got, c, "claim")
	_, err = s.AuthServers().GetClaim(ctx, "aus2", c.ID)
	notFound(t, err, "get claim through another server")
	conflict(t, s.AuthServers().CreateClaim(ctx, newClaim("aus2", c.ID, "x")), "create claim with a taken id")
	notFound(t, s.AuthServers().CreateClaim(ctx, newClaim("ausnope", "ocl9", "x")), "create claim on a missing server")
	for i, name := range []string{"email", "sub", "Name", "roles"} {
		ok(t, s.AuthServers().CreateClaim(ctx, newClaim("default", "ocl"+string(rune('a'+i)), name)), "create claim %s", name)
	}
	list, err := s.AuthServers().ListClaims(ctx, "default")
	ok(t, err, "list claims")
	sameStrings(t, ids(list, func(c *store.Claim) string { return c.Name }), []string{"Name", "email", "groups", "roles", "sub"}, "claims by name")

	c.Name, c.Status, c.ClaimType, c.ValueType, c.Value, c.GroupFilterType = "email_verified", "INACTIVE", "IDENTITY", "EXPRESSION", "user.emailVerified", ""
	c.AlwaysIncludeInToken, c.ConditionScopes, c.System, c.Created, c.LastUpdated = false, nil, false, at(time.Hour), at(time.Hour)
	ok(t, s.AuthServers().UpdateClaim(ctx, c), "update claim")
	got, err = s.AuthServers().GetClaim(ctx, "default", c.ID)
	ok(t, err, "get updated claim")
	same(t, got, c, "updated claim")
	notFound(t, s.AuthServers().UpdateClaim(ctx, newClaim("aus2", c.ID, "x")), "update claim through another server")

	notFound(t, s.AuthServers().DeleteClaim(ctx, "aus2", c.ID), "delete claim through another server")
	ok(t, s.AuthServers().DeleteClaim(ctx, "default", c.ID), "delete claim")
	_, err = s.AuthServers().GetClaim(ctx, "default", c.ID)
	notFound(t, err, "get deleted claim")
	notFound(t, s.AuthServers().DeleteClaim(ctx, "default", c.ID), "delete claim twice")
}

func newPolicy(serverID, id string, priority int) *store.Policy {
	return &store.Policy{ID: id, ServerID: serverID, Name: "policy " + id, Description: "d", Status: "ACTIVE",
		Priority: priority, System: true, ClientsInclude: []string{"ALL_CLIENTS"}, Created: at(0), LastUpdated: at(time.Second)}
}

func newRule(policyID, serverID, id string, priority int) *store.PolicyRule {
	return &store.PolicyRule{ID: id, PolicyID: policyID, ServerID: serverID, Name: "rule " + id, Type: "RESOURCE_ACCESS",
		Status: "ACTIVE", Priority: priority, System: true,
		UsersInclude: []string{"00u1"}, UsersExclude: []string{"00u2", "00u3"},
		GroupsInclude: []string{"EVERYONE"}, GroupsExclude: []string{"00g9"},
		GrantTypes: []string{"authorization_code", "client_credentials"}, Scopes: []string{"*"},
		AccessTokenLifetimeMinutes: 60, RefreshTokenLifetimeMinutes: 0, RefreshTokenWindowMinutes: 10080,
		Created: at(0), LastUpdated: at(time.Second)}
}

func testPoliciesAndRules(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	for _, id := range []string{"default", "aus2"} {
		ok(t, s.AuthServers().Create(ctx, newServer(id)), "create server")
	}
	p := newPolicy("default", "00p1", 2)
	ok(t, s.AuthServers().CreatePolicy(ctx, p), "create policy")
	got, err := s.AuthServers().GetPolicy(ctx, "default", p.ID)
	ok(t, err, "get policy")
	same(t, got, p, "policy")
	_, err = s.AuthServers().GetPolicy(ctx, "aus2", p.ID)
	notFound(t, err, "get policy through another server")
	conflict(t, s.AuthServers().CreatePolicy(ctx, newPolicy("aus2", p.ID, 1)), "create policy with a taken id")
	notFound(t, s.AuthServers().CreatePolicy(ctx, newPolicy("ausnope", "00p9", 1)), "create policy on a missing server")
	ok(t, s.AuthServers().CreatePolicy(ctx, newPolicy("default", "00p0", 2)), "create policy with the same priority")
	ok(t, s.AuthServers().CreatePolicy(ctx, newPolicy("default", "00p3", 1)), "create policy")
	ok(t, s.AuthServers().CreatePolicy(ctx, newPolicy("aus2", "00p4", 1)), "create policy on another server")
	list, err := s.AuthServers().ListPolicies(ctx, "default")
	ok(t, err, "list policies")
	sameStrings(t, ids(list, func(p *store.Policy) string { return p.ID }), []string{"00p3", "00p0", "00p1"}, "policies by priority, then id")

	p.Name, p.Description, p.Status, p.Priority, p.System, p.ClientsInclude = "renamed", "", "INACTIVE", 9, false, []string{"c1", "c2"}
	p.Created, p.LastUpdated = at(time.Hour), at(2*time.Hour)
	ok(t, s.AuthServers().UpdatePolicy(ctx, p), "update policy")
	got, err = s.AuthServers().GetPolicy(ctx, "default", p.ID)
	ok(t, err, "get updated policy")
	same(t, got, p, "updated policy")
	notFound(t, s.AuthServers().UpdatePolicy(ctx, newPolicy("aus2", p.ID, 1)), "update policy through another server")

	r := newRule(p.ID, "default", "0pr1", 1)
	ok(t, s.AuthServers().CreateRule(ctx, r), "create rule")
	gotR, err := s.AuthServers().GetRule(ctx, p.ID, r.ID)
	ok(t, err, "get rule")
	same(t, gotR, r, "rule")
	_, err = s.AuthServers().GetRule(ctx, "00p0", r.ID)
	notFound(t, err, "get rule through another policy")
	conflict(t, s.AuthServers().CreateRule(ctx, newRule("00p0", "default", r.ID, 1)), "create rule with a taken id")
	notFound(t, s.AuthServers().CreateRule(ctx, newRule("00pnope", "default", "0pr9", 1)), "create rule in a missing policy")
	ok(t, s.AuthServers().CreateRule(ctx, newRule(p.ID, "default", "0pr0", 1)), "create rule with the same priority")
	ok(t, s.AuthServers().CreateRule(ctx, newRule(p.ID, "default", "0pr2", 0)), "create rule")
	ok(t, s.AuthServers().CreateRule(ctx, newRule("00p0", "default", "0pr3", 0)), "create rule in another policy")
	rules, err := s.AuthServers().ListRules(ctx, p.ID)
	ok(t, err, "list rules")
	sameStrings(t, ids(rules, func(r *store.PolicyRule) string { return r.ID }), []string{"0pr2", "0pr0", "0pr1"}, "rules by priority, then id")
	same(t, rules[2], r, "listed rule")

	r.Name, r.Status, r.Priority, r.System = "renamed", "INACTIVE", 5, false
	r.UsersInclude, r.UsersExclude, r.GroupsInclude, r.GroupsExclude = nil, []string{}, []string{"00g1"}, nil
	r.GrantTypes, r.Scopes = []string{"urn:ietf:params:oauth:grant-type:device_code"}, []string{"openid", "email"}
	r.AccessTokenLifetimeMinutes, r.RefreshTokenLifetimeMinutes, r.RefreshTokenWindowMinutes = 5, 1440, 0
	r.Created, r.LastUpdated = at(time.Hour), time.Time{}
	ok(t, s.AuthServers().UpdateRule(ctx, r), "update rule")
	gotR, err = s.AuthServers().GetRule(ctx, p.ID, r.ID)
	ok(t, err, "get updated rule")
	same(t, gotR, r, "updated rule")
	notFound(t, s.AuthServers().UpdateRule(ctx, newRule("00p0", "default", r.ID, 1)), "update rule through another policy")

	notFound(t, s.AuthServers().DeleteRule(ctx, "00p0", r.ID), "delete rule through another policy")
	ok(t, s.AuthServers().DeleteRule(ctx, p.ID, r.ID), "delete rule")
	_, err = s.AuthServers().GetRule(ctx, p.ID, r.ID)
	notFound(t, err, "get deleted rule")
	notFound(t, s.AuthServers().DeleteRule(ctx, p.ID, r.ID), "delete rule twice")

	// Deleting a policy deletes its rules, not those of its siblings.
	notFound(t, s.AuthServers().DeletePolicy(ctx, "aus2", p.ID), "delete policy through another server")
	ok(t, s.AuthServers().DeletePolicy(ctx, "default", p.ID), "delete policy")
	_, err = s.AuthServers().GetPolicy(ctx, "default", p.ID)
	notFound(t, err, "get deleted policy")
	notFound(t, s.AuthServers().DeletePolicy(ctx, "default", p.ID), "delete policy twice")
	for _, id := range []string{"0pr0", "0pr2"} {
		_, err = s.AuthServers().GetRule(ctx, p.ID, id)
		notFound(t, err, "rule %s of a deleted policy", id)
	}
	rules, err = s.AuthServers().ListRules(ctx, p.ID)
	ok(t, err, "list rules of a deleted policy")
	if len(rules) != 0 {
		t.Fatalf("deleted policy kept %d rules", len(rules))
	}
	_, err = s.AuthServers().GetRule(ctx, "00p0", "0pr3")
	ok(t, err, "rule of a sibling policy survives")
	ok(t, s.AuthServers().CreatePolicy(ctx, newPolicy("default", p.ID, 1)), "recreate policy")
	rules, err = s.AuthServers().ListRules(ctx, p.ID)
	ok(t, err, "list rules of a recreated policy")
	if len(rules) != 0 {
		t.Fatalf("recreated policy inherited %d rules", len(rules))
	}
}

// Deleting a server deletes everything under it, its signing keys
// included, and nothing of other servers.
func testAuthServerDeleteCascades(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	for _, id := range []string{"aus1", "aus2"} {
		ok(t, s.AuthServers().Create(ctx, newServer(id)), "create server")
		ok(t, s.AuthServers().CreateScope(ctx, newScope(id, "scp"+id, "openid")), "create scope")
		ok(t, s.AuthServers().CreateClaim(ctx, newClaim(id, "ocl"+id, "groups")), "create claim")
		ok(t, s.AuthServers().CreatePolicy(ctx, newPolicy(id, "00p"+id, 1)), "create policy")
		ok(t, s.AuthServers().CreateRule(ctx, newRule("00p"+id, id, "0pr"+id, 1)), "create rule")
		ok(t, s.Keys().Create(ctx, newKey(id, "kid-"+id, 0)), "create key")
	}
	ok(t, s.Keys().Create(ctx, newKey(store.OrgServerID, "kid-org", 0)), "create org key")
	ok(t, s.AuthServers().Delete(ctx, "aus1"), "delete server")

	scopes, err := s.AuthServers().ListScopes(ctx, "aus1")
	ok(t, err, "list scopes")
	claims, err := s.AuthServers().ListClaims(ctx, "aus1")
	ok(t, err, "list claims")
	policies, err := s.AuthServers().ListPolicies(ctx, "aus1")
	ok(t, err, "list policies")
	rules, err := s.AuthServers().ListRules(ctx, "00paus1")
	ok(t, err, "list rules")
	ks, err := s.Keys().List(ctx, "aus1")
	ok(t, err, "list keys")
	if len(scopes)+len(claims)+len(policies)+len(rules)+len(ks) != 0 {
		t.Fatalf("deleted server kept %d scopes, %d claims, %d policies, %d rules, %d keys",
			len(scopes), len(claims), len(policies), len(rules), len(ks))
	}

	_, err = s.AuthServers().GetScope(ctx, "aus2", "scpaus2")
	ok(t, err, "scope of the other server")
	_, err = s.AuthServers().GetClaim(ctx, "aus2", "oclaus2")
	ok(t, err, "claim of the other server")
	_, err = s.AuthServers().GetRule(ctx, "00paus2", "0praus2")
	ok(t, err, "rule of the other server")
	all, err := s.Keys().ListAll(ctx)
	ok(t, err, "list all keys")
	sameStrings(t, ids(all, func(k *store.SigningKey) string { return k.KID }), []string{"kid-aus2", "kid-org"}, "remaining keys")
}
