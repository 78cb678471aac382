package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

var userSearchCases = []testCase{
	{"UserSearch", testUserSearch},
	{"UserSearchFollowsWrites", testUserSearchFollowsWrites},
	{"UserSearchRefusesWhatItCannotIndex", testUserSearchRefuses},
	{"UsersInGroup", testUsersInGroup},
}

// searchPeople are the users the search cases look through: mixed case,
// letters outside ASCII whose lower case is not ASCII's (É, Σ) or is
// (the Kelvin sign K lowers to k), a profile without an email, and
// statuses and times to compare.
var searchPeople = []struct {
	id, first, last, email, status string
	created, updated               time.Duration
}{
	{"00uA", "Ada", "Lovelace", "Ada@Example.com", store.UserActive, 0, time.Hour},
	{"00uB", "Alan", "Turing", "alan@example.com", store.UserStaged, time.Minute, 2 * time.Hour},
	{"00uC", "ÉMILE", "Borel", "emile@example.fr", store.UserActive, 2 * time.Minute, 3 * time.Hour},
	{"00uD", "Σοφία", "Kovalevskaya", "", store.UserSuspended, 3 * time.Minute, 4 * time.Hour},
	{"00uE", "Grace", "\u212Aelly", "grace@example.com", store.UserDeprovisioned, 4 * time.Minute, 5 * time.Hour},
	{"00uF", "Ada", "Byron", "ADA.BYRON@example.com", store.UserActive, 5 * time.Minute, 6 * time.Hour},
	{"00ua", "adam", "Smith", "adam@example.com", store.UserActive, 6 * time.Minute, 7 * time.Hour},
}

func seedSearchPeople(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	for i, p := range searchPeople {
		login := fmt.Sprintf("Person%d@Example.org", i)
		profile := map[string]any{"login": login, "firstName": p.first, "lastName": p.last}
		if p.email != "" {
			profile["email"] = p.email
		}
		ok(t, s.Users().Create(ctx, &store.User{ID: p.id, Status: p.status, Login: login, Profile: profile,
			Created: at(p.created), LastUpdated: at(p.updated), StatusChanged: at(p.created)}), "create %s", p.id)
	}
}

// WhereMatches is the reference the backends are held to, written from
// the definition of store.UserWhere rather than from any backend; callers
// that build conditions check with it that theirs select what they must.
func WhereMatches(u *store.User, w store.UserWhere) bool {
	return matches(u, w)
}

func matches(u *store.User, w store.UserWhere) bool {
	switch {
	case w.Never:
		return false
	case w.Attr != "":
		var have any
		switch w.Attr {
		case store.UserAttrStatus:
			have = u.Status
		case store.UserAttrCreated:
			have = u.Created
		case store.UserAttrLastUpdated:
			have = u.LastUpdated
		case store.UserAttrLogin:
			have = strings.ToLower(u.Login)
		default:
			s, isString := u.Profile[strings.TrimPrefix(w.Attr, "profile.")].(string)
			if !isString {
				return false
			}
			have = strings.ToLower(s)
		}
		var c int
		switch h := have.(type) {
		case string:
			if w.Op == "sw" {
				return strings.HasPrefix(h, w.Value.(string))
			}
			c = strings.Compare(h, w.Value.(string))
		case time.Time:
			c = h.Truncate(time.Millisecond).Compare(w.Value.(time.Time).Truncate(time.Millisecond))
		}
		switch w.Op {
		case "eq":
			return c == 0
		case "ne":
			return c != 0
		case "gt":
			return c > 0
		case "ge":
			return c >= 0
		case "lt":
			return c < 0
		case "le":
			return c <= 0
		}
		panic("operator " + w.Op)
	case len(w.Or) > 0:
		return slices.ContainsFunc(w.Or, func(x store.UserWhere) bool { return matches(u, x) })
	}
	for _, x := range w.And {
		if !matches(u, x) {
			return false
		}
	}
	return true
}

func searchIDs(t *testing.T, s store.Store, w store.UserWhere, limit int) []string {
	t.Helper()
	return walk(t, limit, func(p store.Page) ([]string, error) {
		us, err := s.Users().Search(ctxOf(t), w, p)
		ids := make([]string, len(us))
		for i, u := range us {
			ids[i] = u.ID
		}
		return ids, err
	})
}

func testUserSearch(t *testing.T, s store.Store) {
	seedSearchPeople(t, s)
	all, err := s.Users().List(ctxOf(t), store.Page{})
	ok(t, err, "list users")
	eq := func(attr string, v any) store.UserWhere { return store.UserWhere{Attr: attr, Op: "eq", Value: v} }
	cmp := func(attr, op string, v any) store.UserWhere { return store.UserWhere{Attr: attr, Op: op, Value: v} }
	cases := []store.UserWhere{
		{},
		{Never: true},
		eq(store.UserAttrStatus, store.UserActive),
		cmp(store.UserAttrStatus, "ne", store.UserDeprovisioned),
		eq(store.UserAttrEmail, "ada@example.com"),
		eq(store.UserAttrEmail, "ADA@example.com"), // keys are lower case: an upper-case value finds nothing
		eq(store.UserAttrFirstName, "ada"),
		eq(store.UserAttrFirstName, "émile"),
		eq(store.UserAttrFirstName, "σοφία"),
		eq(store.UserAttrLastName, "kelly"),
		eq(store.UserAttrLogin, "person6@example.org"),
		cmp(store.UserAttrLogin, "sw", "person"),
		cmp(store.UserAttrFirstName, "sw", "ad"),
		cmp(store.UserAttrFirstName, "sw", "é"),
		cmp(store.UserAttrFirstName, "sw", "\U0010ffff"),
		cmp(store.UserAttrEmail, "sw", "a"),
		cmp(store.UserAttrLastName, "gt", "l"),
		cmp(store.UserAttrLastName, "le", "kovalevskaya"),
		cmp(store.UserAttrCreated, "gt", at(2*time.Minute)),
		cmp(store.UserAttrCreated, "ge", at(2*time.Minute)),
		cmp(store.UserAttrLastUpdated, "lt", at(3*time.Hour)),
		cmp(store.UserAttrLastUpdated, "le", at(3*time.Hour+500*time.Microsecond)),
		eq(store.UserAttrCreated, at(5*time.Minute)),
		{Or: []store.UserWhere{cmp(store.UserAttrFirstName, "sw", "gr"), cmp(store.UserAttrLastName, "sw", "gr"), cmp(store.UserAttrEmail, "sw", "gr")}},
		{And: []store.UserWhere{eq(store.UserAttrFirstName, "ada"), cmp(store.UserAttrStatus, "ne", store.UserDeprovisioned)}},
		{And: []store.UserWhere{{Or: []store.UserWhere{eq(store.UserAttrStatus, store.UserStaged), eq(store.UserAttrStatus, store.UserSuspended)}},
			cmp(store.UserAttrCreated, "lt", at(time.Hour))}},
		{And: []store.UserWhere{eq(store.UserAttrFirstName, "ada"), {Never: true}}},
	}
	for i, w := range cases {
		var want []string
		for _, u := range all {
			if matches(u, w) {
				want = append(want, u.ID)
			}
		}
		for _, limit := range []int{1, 2, 100} {
			got := searchIDs(t, s, w, limit)
			sameStrings(t, got, want, "case %d %+v, limit %d", i, w, limit)
		}
	}
	// A search returns whole users.
	us, err := s.Users().Search(ctxOf(t), eq(store.UserAttrEmail, "adam@example.com"), store.Page{})
	ok(t, err, "search adam")
	if len(us) != 1 || us[0].Profile["lastName"] != "Smith" || us[0].Status != store.UserActive || !us[0].Created.Equal(at(6*time.Minute).Truncate(time.Millisecond)) {
		t.Fatalf("search adam: %+v", us)
	}
}

// testUserSearchFollowsWrites: the keys change with the profile, on update
// and on the store's own single-column writes.
func testUserSearchFollowsWrites(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	seedSearchPeople(t, s)
	email := func(v string) store.UserWhere { return store.UserWhere{Attr: store.UserAttrEmail, Op: "eq", Value: v} }
	u, err := s.Users().Get(ctx, "00uB")
	ok(t, err, "get")
	u.Profile["email"] = "Alan.Turing@Bletchley.example"
	u.Status = store.UserActive
	delete(u.Profile, "lastName")
	ok(t, s.Users().Update(ctx, u), "update")
	sameStrings(t, searchIDs(t, s, email("alan.turing@bletchley.example"), 10), []string{"00uB"}, "new email")
	sameStrings(t, searchIDs(t, s, email("alan@example.com"), 10), nil, "old email")
	sameStrings(t, searchIDs(t, s, store.UserWhere{Attr: store.UserAttrLastName, Op: "eq", Value: "turing"}, 10), nil, "removed last name")

	_, err = s.Users().RecordLoginFailure(ctx, "00uB", 1, at(time.Hour))
	ok(t, err, "record failure")
	sameStrings(t, searchIDs(t, s, store.UserWhere{Attr: store.UserAttrStatus, Op: "eq", Value: store.UserLockedOut}, 10), []string{"00uB"}, "locked out")
	sameStrings(t, searchIDs(t, s, email("alan.turing@bletchley.example"), 10), []string{"00uB"}, "email after a failure")

	ok(t, s.Users().Delete(ctx, "00uB"), "delete")
	sameStrings(t, searchIDs(t, s, email("alan.turing@bletchley.example"), 10), nil, "deleted")
}

// testUserSearchRefuses: a condition the store cannot answer from its
// indexes is an error, not a silently wrong list.
func testUserSearchRefuses(t *testing.T, s store.Store) {
	for _, w := range []store.UserWhere{
		{Attr: "profile.department", Op: "eq", Value: "x"},
		{Attr: store.UserAttrEmail, Op: "co", Value: "x"},
		{Attr: store.UserAttrEmail, Op: "ne", Value: "x"},
		{Attr: store.UserAttrCreated, Op: "gt", Value: "yesterday"},
		{Attr: store.UserAttrEmail, Op: "eq", Value: time.Now()},
		{Attr: store.UserAttrEmail, Op: "eq", Value: 3},
		{And: []store.UserWhere{{Never: true}}, Or: []store.UserWhere{{Never: true}}},
	} {
		if _, err := s.Users().Search(ctxOf(t), w, store.Page{}); err == nil {
			t.Errorf("search %+v: no error", w)
		}
	}
}

func testUsersInGroup(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	seedSearchPeople(t, s)
	ok(t, s.Groups().Create(ctx, &store.Group{ID: "00g1", Type: "OKTA_GROUP", Name: "one"}), "create group")
	ok(t, s.Groups().Create(ctx, &store.Group{ID: "00g2", Type: "OKTA_GROUP", Name: "two"}), "create group")
	members := []string{"00uF", "00uA", "00ua", "00uC"}
	for _, id := range members {
		ok(t, s.Groups().AddMember(ctx, "00g1", id), "add %s", id)
	}
	ok(t, s.Groups().AddMember(ctx, "00g2", "00uB"), "add to two")
	in := func(g string, limit int) []string {
		return walk(t, limit, func(p store.Page) ([]string, error) {
			us, err := s.Users().InGroup(ctx, g, p)
			ids := make([]string, len(us))
			for i, u := range us {
				ids[i] = u.ID
				if u.Profile["firstName"] == nil {
					return nil, fmt.Errorf("member %s without its profile", u.ID)
				}
			}
			return ids, err
		})
	}
	want := slices.Clone(members)
	slices.Sort(want)
	for _, limit := range []int{1, 3, 10} {
		sameStrings(t, in("00g1", limit), want, "members, limit %d", limit)
	}
	sameStrings(t, in("00g2", 10), []string{"00uB"}, "other group")
	sameStrings(t, in("00gnope", 10), nil, "no such group")
	ok(t, s.Users().Delete(ctx, "00uA"), "delete a member")
	sameStrings(t, in("00g1", 2), []string{"00uC", "00uF", "00ua"}, "after deleting a member")
}
