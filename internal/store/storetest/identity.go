package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

var identityCases = []testCase{
	{"Orgs", testOrgs},
	{"Users", testUsers},
	{"UsersZeroValues", testUsersZeroValues},
	{"UsersPages", testUsersPages},
	{"Groups", testGroups},
	{"GroupMembers", testGroupMembers},
}

func testOrgs(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	_, err := s.Orgs().Get(ctx)
	notFound(t, err, "get org before init")
	o := &store.Org{ID: "00o1", Name: "Acme", Created: at(0), SetupTokenHash: []byte{1, 2, 3},
		SetupTokenExpires: at(time.Hour), LastUpdated: at(time.Second)}
	notFound(t, s.Orgs().Update(ctx, o), "update org before init")
	ok(t, s.Orgs().Create(ctx, o), "create org")
	got, err := s.Orgs().Get(ctx)
	ok(t, err, "get org")
	same(t, got, o, "org")

	conflict(t, s.Orgs().Create(ctx, &store.Org{ID: "00o2", Name: "Other"}), "create a second org")
	conflict(t, s.Orgs().Create(ctx, o), "create the org again")

	// The setup link is used: its hash goes away.
	o.Name, o.SetupTokenHash, o.SetupTokenExpires, o.LastUpdated = "Acme Corp", nil, time.Time{}, at(time.Minute)
	ok(t, s.Orgs().Update(ctx, o), "update org")
	got, err = s.Orgs().Get(ctx)
	ok(t, err, "get org")
	same(t, got, o, "updated org")
}

func newUser(id, login string) *store.User {
	return &store.User{
		ID: id, Status: "ACTIVE", Login: login,
		Profile: map[string]any{
			"login": login, "email": login, "firstName": "Ada", "lastName": "Lovelace",
			"age": 36.0, "tags": []any{"a", "b"}, "address": map[string]any{"city": "London", "verified": true},
			"nickName": nil,
		},
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA",
		SuperAdmin:   true,
		Created:      at(0), Activated: at(time.Second), StatusChanged: at(2 * time.Second),
		LastLogin: at(3 * time.Second), LastUpdated: at(4 * time.Second), PasswordChanged: at(5 * time.Second),
	}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	u := newUser("00u1", "Ada.Lovelace@Example.com")
	ok(t, s.Users().Create(ctx, u), "create user")

	got, err := s.Users().Get(ctx, u.ID)
	ok(t, err, "get user")
	same(t, got, u, "user")
	for _, login := range []string{u.Login, "ada.lovelace@example.com", "ADA.LOVELACE@EXAMPLE.COM"} {
		got, err = s.Users().GetByLogin(ctx, login)
		ok(t, err, "get user by login %q", login)
		same(t, got, u, "user by login %q", login)
	}
	// Logins keep the case they were given.
	if got.Login != "Ada.Lovelace@Example.com" {
		t.Fatalf("login stored as %q", got.Login)
	}
	_, err = s.Users().Get(ctx, "00unope")
	notFound(t, err, "get missing user")
	_, err = s.Users().GetByLogin(ctx, "nobody@example.com")
	notFound(t, err, "get missing login")

	conflict(t, s.Users().Create(ctx, newUser(u.ID, "other@example.com")), "create user with a taken id")
	conflict(t, s.Users().Create(ctx, newUser("00u2", "ADA.lovelace@example.COM")), "create user with a taken login in another case")

	v := newUser("00u2", "grace@example.com")
	ok(t, s.Users().Create(ctx, v), "create second user")
	n, err := s.Users().Count(ctx)
	ok(t, err, "count users")
	if n != 2 {
		t.Fatalf("count = %d, want 2", n)
	}

	// Every field changes, the login too.
	u.Status, u.Login, u.PasswordHash, u.SuperAdmin = "SUSPENDED", "ada@example.org", "", false
	u.Profile = map[string]any{"login": "ada@example.org", "locale": "en_GB"}
	u.Created, u.Activated, u.StatusChanged = at(time.Hour), at(2*time.Hour), at(3*time.Hour)
	u.LastLogin, u.LastUpdated, u.PasswordChanged = time.Time{}, at(4*time.Hour), time.Time{}
	ok(t, s.Users().Update(ctx, u), "update user")
	got, err = s.Users().Get(ctx, u.ID)
	ok(t, err, "get updated user")
	same(t, got, u, "updated user")
	got, err = s.Users().GetByLogin(ctx, "ADA@example.org")
	ok(t, err, "get user by its new login")
	same(t, got, u, "user by new login")
	_, err = s.Users().GetByLogin(ctx, "ada.lovelace@example.com")
	notFound(t, err, "get user by its old login")
	// The old login is free again.
	ok(t, s.Users().Create(ctx, newUser("00u3", "ada.lovelace@example.com")), "create user with a freed login")

	v.Login = "Ada@Example.org"
	conflict(t, s.Users().Update(ctx, v), "update user to a taken login")
	notFound(t, s.Users().Update(ctx, newUser("00unope", "nope@example.com")), "update missing user")

	ok(t, s.Users().Delete(ctx, u.ID), "delete user")
	_, err = s.Users().Get(ctx, u.ID)
	notFound(t, err, "get deleted user")
	_, err = s.Users().GetByLogin(ctx, u.Login)
	notFound(t, err, "get deleted user by login")
	notFound(t, s.Users().Delete(ctx, u.ID), "delete user twice")
	n, err = s.Users().Count(ctx)
	ok(t, err, "count users")
	if n != 2 {
		t.Fatalf("count after delete = %d, want 2", n)
	}
}

// Zero values are values too: a user with nothing but an id and a login
// reads back with zero times, a nil profile and no password.
func testUsersZeroValues(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	u := &store.User{ID: "00u0", Login: "x"}
	ok(t, s.Users().Create(ctx, u), "create bare user")
	got, err := s.Users().Get(ctx, u.ID)
	ok(t, err, "get bare user")
	same(t, got, u, "bare user")

	e := &store.User{ID: "00ue", Login: "y", Profile: map[string]any{}}
	ok(t, s.Users().Create(ctx, e), "create user with an empty profile")
	got, err = s.Users().Get(ctx, e.ID)
	ok(t, err, "get user with an empty profile")
	same(t, got, e, "user with an empty profile")

	// A time before 1970 survives too.
	old := &store.User{ID: "00uo", Login: "z", Created: time.Date(1969, 7, 20, 20, 17, 40, 123e6, time.UTC)}
	ok(t, s.Users().Create(ctx, old), "create user created before 1970")
	got, err = s.Users().Get(ctx, old.ID)
	ok(t, err, "get user created before 1970")
	same(t, got, old, "user created before 1970")
}

func testUsersPages(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	want := mixedIDs("00u")
	for i, id := range want {
		ok(t, s.Users().Create(ctx, newUser(id, fmt.Sprintf("user%d@example.com", i))), "create user %s", id)
	}
	want = sorted(want)
	all, err := s.Users().List(ctx, store.Page{})
	ok(t, err, "list all users")
	sameStrings(t, ids(all, func(u *store.User) string { return u.ID }), want, "all users")
	same(t, all[0], newUser(want[0], all[0].Login), "listed user")
	for _, limit := range []int{1, 3, len(want)} {
		got := walk(t, limit, func(p store.Page) ([]string, error) {
			us, err := s.Users().List(ctx, p)
			return ids(us, func(u *store.User) string { return u.ID }), err
		})
		sameStrings(t, got, want, "users walked %d at a time", limit)
	}
	got, err := s.Users().List(ctx, store.Page{After: want[len(want)-1]})
	ok(t, err, "list after the last user")
	if len(got) != 0 {
		t.Fatalf("after the last user: %d users", len(got))
	}
	got, err = s.Users().List(ctx, store.Page{After: "00u", Limit: -1})
	ok(t, err, "list with a negative limit")
	if len(got) != len(want) {
		t.Fatalf("negative limit listed %d users, want all %d", len(got), len(want))
	}
}

func newGroup(id, name string) *store.Group {
	return &store.Group{ID: id, Type: "OKTA_GROUP", Name: name, Description: "the " + name,
		Created: at(0), LastUpdated: at(time.Second), LastMembershipUpdated: at(2 * time.Second)}
}

func testGroups(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	g := newGroup("00g1", "Engineering")
	g.Profile = map[string]any{"costCenter": "42", "tags": []any{"a", "b"}, "size": 3.5, "remote": true}
	ok(t, s.Groups().Create(ctx, g), "create group")
	got, err := s.Groups().Get(ctx, g.ID)
	ok(t, err, "get group")
	same(t, got, g, "group")
	got, err = s.Groups().GetByName(ctx, "Engineering")
	ok(t, err, "get group by name")
	same(t, got, g, "group by name")
	_, err = s.Groups().GetByName(ctx, "engineering")
	notFound(t, err, "group names match exactly")
	_, err = s.Groups().Get(ctx, "00gnope")
	notFound(t, err, "get missing group")

	conflict(t, s.Groups().Create(ctx, newGroup(g.ID, "Other")), "create group with a taken id")
	conflict(t, s.Groups().Create(ctx, newGroup("00g2", "Engineering")), "create group with a taken name")

	g.Type, g.Name, g.Description, g.Profile = "APP_GROUP", "Eng", "", nil
	g.Created, g.LastUpdated, g.LastMembershipUpdated = at(time.Hour), at(2*time.Hour), time.Time{}
	ok(t, s.Groups().Update(ctx, g), "update group")
	got, err = s.Groups().GetByName(ctx, "Eng")
	ok(t, err, "get group by new name")
	same(t, got, g, "updated group")
	notFound(t, s.Groups().Update(ctx, newGroup("00gnope", "Nope")), "update missing group")
	ok(t, s.Groups().Create(ctx, newGroup("00g3", "Sales")), "create another group")
	conflict(t, s.Groups().Update(ctx, newGroup("00g3", "Eng")), "rename group to a taken name")

	want := []string{"00g1", "00g3"}
	for _, id := range mixedIDs("00g") {
		ok(t, s.Groups().Create(ctx, newGroup(id, "group "+id)), "create group %s", id)
		want = append(want, id)
	}
	want = sorted(want)
	got2 := walk(t, 2, func(p store.Page) ([]string, error) {
		gs, err := s.Groups().List(ctx, p)
		return ids(gs, func(g *store.Group) string { return g.ID }), err
	})
	sameStrings(t, got2, want, "groups walked")

	ok(t, s.Groups().Delete(ctx, g.ID), "delete group")
	_, err = s.Groups().Get(ctx, g.ID)
	notFound(t, err, "get deleted group")
	notFound(t, s.Groups().Delete(ctx, g.ID), "delete group twice")
}

func testGroupMembers(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	g1, g2 := newGroup("00g1", "One"), newGroup("00g2", "Two")
	ok(t, s.Groups().Create(ctx, g1), "create group")
	ok(t, s.Groups().Create(ctx, g2), "create group")
	members := mixedIDs("00u")
	for i, id := range members {
		ok(t, s.Users().Create(ctx, newUser(id, fmt.Sprintf("m%d@example.com", i))), "create user")
		ok(t, s.Groups().AddMember(ctx, g1.ID, id), "add member %s", id)
	}
	ok(t, s.Groups().AddMember(ctx, g1.ID, members[0]), "add a member again")
	ok(t, s.Groups().AddMember(ctx, g2.ID, members[0]), "add member to a second group")

	all, err := s.Groups().ListMembers(ctx, g1.ID, store.Page{})
	ok(t, err, "list members")
	sameStrings(t, all, sorted(members), "members")
	got := walk(t, 3, func(p store.Page) ([]string, error) { return s.Groups().ListMembers(ctx, g1.ID, p) })
	sameStrings(t, got, sorted(members), "members walked")
	none, err := s.Groups().ListMembers(ctx, "00gnope", store.Page{})
	ok(t, err, "list members of a missing group")
	if len(none) != 0 {
		t.Fatalf("members of a missing group: %q", none)
	}

	ev := newGroup("00gzEveryone", "Everyone")
	ev.Type = "BUILT_IN"
	ok(t, s.Groups().Create(ctx, ev), "create Everyone")
	full, err := s.Groups().Of(ctx, members[0])
	ok(t, err, "groups with names of a member")
	var fullIDs []string
	for _, g := range full {
		fullIDs = append(fullIDs, g.ID)
	}
	sameStrings(t, fullIDs, append([]string{ev.ID}, sorted([]string{g1.ID, g2.ID})...), "Of: Everyone first, then by id")
	if full[0].Name != "Everyone" {
		t.Fatalf("Of did not read names: %+v", full[0])
	}
	of, err := s.Groups().GroupsOf(ctx, members[0])
	ok(t, err, "groups of a user")
	sameStrings(t, of, []string{g1.ID, g2.ID}, "groups of a user")
	of, err = s.Groups().GroupsOf(ctx, "00unope")
	ok(t, err, "groups of a missing user")
	if len(of) != 0 {
		t.Fatalf("groups of a missing user: %q", of)
	}

	notFound(t, s.Groups().AddMember(ctx, "00gnope", members[0]), "add member to a missing group")
	notFound(t, s.Groups().AddMember(ctx, g1.ID, "00unope"), "add a missing user")

	ok(t, s.Groups().RemoveMember(ctx, g2.ID, members[0]), "remove member")
	ok(t, s.Groups().RemoveMember(ctx, g2.ID, members[0]), "remove a non-member")
	of, err = s.Groups().GroupsOf(ctx, members[0])
	ok(t, err, "groups of a user")
	sameStrings(t, of, []string{g1.ID}, "groups after removal")

	// Deleting a user or a group ends its memberships.
	ok(t, s.Users().Delete(ctx, members[1]), "delete member")
	all, err = s.Groups().ListMembers(ctx, g1.ID, store.Page{})
	ok(t, err, "list members")
	sameStrings(t, all, filter(sorted(members), members[1]), "members after deleting a user")
	ok(t, s.Groups().Delete(ctx, g1.ID), "delete group")
	of, err = s.Groups().GroupsOf(ctx, members[0])
	ok(t, err, "groups of a user")
	if len(of) != 0 {
		t.Fatalf("groups after deleting the group: %q", of)
	}
	ok(t, s.Groups().Create(ctx, newGroup(g1.ID, "One again")), "recreate group")
	all, err = s.Groups().ListMembers(ctx, g1.ID, store.Page{})
	ok(t, err, "list members of a recreated group")
	if len(all) != 0 {
		t.Fatalf("recreated group inherited members %q", all)
	}
}

func filter(s []string, drop string) []string {
	var out []string
	for _, v := range s {
		if v != drop {
			out = append(out, v)
		}
	}
	return out
}
