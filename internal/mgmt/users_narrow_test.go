package mgmt

import (
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/filter"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/storetest"
)

// narrowPeople are users whose attributes test the corners of case
// folding (É, Σ, the Kelvin sign), absent attributes and times.
var narrowPeople = func() []*store.User {
	t0 := time.Date(2025, 3, 13, 23, 22, 54, 123_456_789, time.UTC)
	mk := func(id, status, login string, created time.Time, profile map[string]any) *store.User {
		profile["login"] = login
		return &store.User{ID: id, Status: status, Login: login, Profile: profile, Created: created, LastUpdated: created.Add(time.Hour)}
	}
	return []*store.User{
		mk("00u1", store.UserActive, "Ada@Example.com", t0, map[string]any{"email": "Ada@Example.com", "firstName": "Ada", "lastName": "Lovelace", "department": "Math"}),
		mk("00u2", store.UserStaged, "emile@example.fr", t0.Add(time.Millisecond), map[string]any{"email": "ÉMILE@example.fr", "firstName": "ÉMILE", "lastName": "Borel"}),
		mk("00u3", store.UserDeprovisioned, "k@example.com", t0.Add(time.Minute), map[string]any{"firstName": "\u212Aelvin", "lastName": "Σίσυφος", "tags": []any{"a", "b"}}),
		mk("00u4", store.UserLockedOut, "z@example.com", time.Time{}, map[string]any{"email": "z@example.com", "firstName": "", "age": 42.0}),
	}
}()

// FuzzUserNarrowing: whatever a user search or filter matches, the index
// condition it narrows to selects too, so the store never drops a user the
// search would have listed.
func FuzzUserNarrowing(f *testing.F) {
	for _, s := range []string{
		`profile.firstName eq "émile"`, `profile.firstName eq "kelvin"`, `profile.firstName sw "K"`,
		`profile.lastName eq "ΣΊΣΥΦΟΣ"`, `profile.lastName sw "σί"`, `status eq "active"`, `status eq "LOCKED_OUT"`,
		`status ne "ACTIVE"`, `profile.email eq "ada@example.com" or profile.department eq "Math"`,
		`not (profile.email eq "ada@example.com")`, `profile.email co "example" and profile.lastName gt "b"`,
		`created gt "2025-03-13T23:22:54.123Z"`, `created ge "2025-03-13T23:22:54.123"`, `created eq "2025-03-13T23:22:54.124Z"`,
		`lastUpdated lt "2025-03-14"`, `created lt "2025-03-14" and created pr`, `profile.login le "ada@example.com"`,
		`profile.login sw "AD"`, `profile.firstName eq ""`, `profile.firstName lt "a"`, `profile.email eq null`,
		`profile.age ge 40`, `(status eq "STAGED" or status eq "DEPROVISIONED") and profile.lastName sw "b"`,
		`profile.email ew ".fr" or profile.firstName eq "Ada"`, `created gt "not a time"`,
	} {
		f.Add(s)
	}
	h := &Handler{orgURL: "https://org.example.com"}
	f.Fuzz(func(t *testing.T, expr string) {
		// type.id reads the org from the service, which this test has not.
		e, werr := filter.Parse(expr, []string{"status", "created", "activated", "statusChanged", "lastUpdated", "lastLogin",
			"passwordChanged", "id", "profile.*"})
		if werr != nil {
			return
		}
		q := h.userQueryOf(e)
		for _, u := range narrowPeople {
			if q.match(u) && !storetest.WhereMatches(u, q.where) {
				t.Fatalf("%s matches %s, but its index condition %+v does not select it", expr, u.ID, q.where)
			}
		}
	})
}
