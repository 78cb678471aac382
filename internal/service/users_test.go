package service

import (
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestCreateUserValidation: Okta's default profile schema requires login
// (email-like, unique), email, firstName and lastName (docs/okta-api.md
// §4.7); every problem is one E0000001 cause, and nothing is stored.
func TestCreateUserValidation(t *testing.T) {
	f := newFixture(t)
	f.user(t, "taken@example.com", store.UserActive, false)
	profile := func(mod func(p map[string]any)) map[string]any {
		p := map[string]any{"login": "ada@example.com", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"}
		if mod != nil {
			mod(p)
		}
		return p
	}
	pw := func(s string) *string { return &s }
	for _, c := range []struct {
		name   string
		in     NewUser
		status int
		code   string
		causes []string
	}{
		{"no profile", NewUser{}, 400, "E0000001", []string{
			"email: The field cannot be left blank", "firstName: The field cannot be left blank",
			"lastName: The field cannot be left blank", "login: The field cannot be left blank"}},
		{"blank first name", NewUser{Profile: profile(func(p map[string]any) { p["firstName"] = "  " })}, 400, "E0000001",
			[]string{"firstName: The field cannot be left blank"}},
		{"login not an email address", NewUser{Profile: profile(func(p map[string]any) { p["login"] = "ada" })}, 400, "E0000001",
			[]string{"login: Username must be in the form of an email address"}},
		{"email not an email address", NewUser{Profile: profile(func(p map[string]any) { p["email"] = "ada at example" })}, 400, "E0000001",
			[]string{"email: Does not match required pattern"}},
		{"attribute not a string", NewUser{Profile: profile(func(p map[string]any) { p["title"] = 7.0 })}, 400, "E0000001",
			[]string{"title: The field must be a string."}},
		{"first name over 100 characters", NewUser{Profile: profile(func(p map[string]any) { p["firstName"] = strings.Repeat("é", 101) })}, 400, "E0000001",
			[]string{"firstName: The field is too long."}},
		{"attribute not in the schema", NewUser{Profile: profile(func(p map[string]any) { p["favouriteColour"] = "green" })}, 400, "E0000001",
			[]string{"Property name 'favouriteColour' is not defined in profile"}},
		{"duplicate login, in another case", NewUser{Profile: profile(func(p map[string]any) { p["login"] = "TAKEN@example.com" })}, 400, "E0000001",
			[]string{"login: An object with this field already exists in the current organization"}},
		{"password and hash", NewUser{Profile: profile(nil), Password: pw("Secret123"), Hash: adminHash}, 400, "E0000001",
			[]string{"credentials.password: Give either a value or a hash, not both."}},
		{"password too short and plain", NewUser{Profile: profile(nil), Password: pw("abc")}, 403, "E0000080", []string{
			"password: Password requirements were not met. Password requirements: at least 8 characters.",
			"password: Password requirements were not met. Password requirements: a lowercase letter, an uppercase letter, a number."}},
		{"password holds the username", NewUser{Profile: profile(nil), Password: pw("xAda1234")}, 403, "E0000080", []string{
			"password: Password requirements were not met. Password requirements: no parts of your username."}},
		{"unknown group", NewUser{Profile: profile(nil), GroupIDs: []string{"00gnothere"}}, 400, "E0000001",
			[]string{"groupIds: Group 00gnothere does not exist."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := f.svc.CreateUser(f.ctx, SystemContext, c.in, true)
			if u != nil {
				t.Errorf("created %s", u.ID)
			}
			wantOkta(t, c.name, err, c.status, c.code, c.causes...)
		})
	}
	if _, err := f.svc.GetUser(f.ctx, "ada@example.com"); err == nil {
		t.Error("a refused user was stored")
	}
	// Into Everyone nobody is added by hand: it holds every user.
	ev, err := f.svc.Everyone(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CreateUser(f.ctx, SystemContext, NewUser{Profile: profile(nil), GroupIDs: []string{ev.ID}}, true)
	wantOkta(t, "group Everyone", err, 400, "E0000001")
}

// TestCreateUserStatus: activate=false → STAGED; activate=true → ACTIVE
// with a password, PROVISIONED without (§4.7).
func TestCreateUserStatus(t *testing.T) {
	f := newFixture(t)
	for i, c := range []struct {
		activate bool
		hash     string
		want     string
	}{
		{false, "", store.UserStaged},
		{false, adminHash, store.UserStaged},
		{true, "", store.UserProvisioned},
		{true, adminHash, store.UserActive},
	} {
		login := "u" + string(rune('a'+i)) + "@example.com"
		u, err := f.svc.CreateUser(f.ctx, SystemContext, NewUser{Hash: c.hash,
			Profile: map[string]any{"login": login, "email": login, "firstName": "A", "lastName": "B"}}, c.activate)
		if err != nil {
			t.Fatalf("activate=%v hash=%v: %v", c.activate, c.hash != "", err)
		}
		if u.Status != c.want {
			t.Errorf("activate=%v hash=%v: %s, want %s", c.activate, c.hash != "", u.Status, c.want)
		}
		if c.want == store.UserActive && u.Activated.IsZero() {
			t.Error("an ACTIVE user has no activation time")
		}
	}
}

// TestUserLifecycle walks every operation from every status: Okta's status
// machine (§4.7 and the Users API's lifecycle pages) says which are allowed
// and where they lead; the others are 403 E0000038 (E0000016 for
// activating an ACTIVE user), and change nothing.
func TestUserLifecycle(t *testing.T) {
	f := newFixture(t)
	statuses := []string{store.UserStaged, store.UserProvisioned, store.UserActive, store.UserRecovery, store.UserLockedOut,
		store.UserPasswordExpired, store.UserSuspended, store.UserDeprovisioned}
	// want[op][status]: the new status, "" when refused.
	want := map[string]map[string]string{
		OpActivate:       {store.UserStaged: store.UserActive, store.UserDeprovisioned: store.UserActive},
		OpDeactivate:     {store.UserStaged: store.UserDeprovisioned, store.UserProvisioned: store.UserDeprovisioned, store.UserActive: store.UserDeprovisioned, store.UserRecovery: store.UserDeprovisioned, store.UserLockedOut: store.UserDeprovisioned, store.UserPasswordExpired: store.UserDeprovisioned, store.UserSuspended: store.UserDeprovisioned},
		OpSuspend:        {store.UserActive: store.UserSuspended},
		OpUnsuspend:      {store.UserSuspended: store.UserActive},
		OpUnlock:         {store.UserLockedOut: store.UserActive, store.UserActive: store.UserActive},
		OpReactivate:     {store.UserProvisioned: store.UserProvisioned, store.UserRecovery: store.UserProvisioned},
		OpExpirePassword: {store.UserActive: store.UserPasswordExpired, store.UserPasswordExpired: store.UserPasswordExpired, store.UserLockedOut: store.UserPasswordExpired, store.UserRecovery: store.UserPasswordExpired},
		OpResetPassword:  {store.UserActive: store.UserRecovery, store.UserPasswordExpired: store.UserRecovery, store.UserLockedOut: store.UserRecovery, store.UserRecovery: store.UserRecovery},
	}
	n := 0
	for op, row := range want {
		for _, from := range statuses {
			n++
			u := f.user(t, "u"+strings.Repeat("x", n)+"@example.com", from, true)
			got, err := f.svc.UserLifecycle(f.ctx, SystemContext, u.ID, op)
			to := row[from]
			what := op + " from " + from
			switch {
			case to == "" && op == OpActivate && from == store.UserActive:
				wantOkta(t, what, err, 403, "E0000016")
			case to == "":
				wantOkta(t, what, err, 403, "E0000038")
			case err != nil:
				t.Errorf("%s: %v", what, err)
			case got.Status != to:
				t.Errorf("%s: %s, want %s", what, got.Status, to)
			}
			if UserOpAllowed(op, from) != (to != "") {
				t.Errorf("%s: UserOpAllowed says %v", what, !(to != ""))
			}
			stored, err := f.st.Users().Get(f.ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if to == "" && stored.Status != from {
				t.Errorf("%s: refused, yet the status became %s", what, stored.Status)
			}
		}
	}
	// Activation without a password completes only as far as PROVISIONED.
	u := f.user(t, "nopassword@example.com", store.UserStaged, false)
	if got, err := f.svc.UserLifecycle(f.ctx, SystemContext, u.ID, OpActivate); err != nil || got.Status != store.UserProvisioned {
		t.Errorf("activate without a password: %v %v", got, err)
	}
	_, err := f.svc.UserLifecycle(f.ctx, SystemContext, u.ID, "explode")
	wantOkta(t, "unknown operation", err, 404, "E0000008")
	_, err = f.svc.UserLifecycle(f.ctx, SystemContext, "00unothere", OpSuspend)
	wantOkta(t, "unknown user", err, 404, "E0000007")
}

// TestDeleteUser: the first DELETE of a user who is not DEPROVISIONED only
// deactivates; the second removes (§4.7).
func TestDeleteUser(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "gone@example.com", store.UserActive, true)
	deleted, err := f.svc.DeleteUser(f.ctx, SystemContext, "gone@example.com")
	if err != nil || deleted {
		t.Fatalf("first delete: deleted=%v %v", deleted, err)
	}
	if got, err := f.svc.GetUser(f.ctx, u.ID); err != nil || got.Status != store.UserDeprovisioned {
		t.Fatalf("after the first delete: %v %v", got, err)
	}
	deleted, err = f.svc.DeleteUser(f.ctx, SystemContext, u.ID)
	if err != nil || !deleted {
		t.Fatalf("second delete: deleted=%v %v", deleted, err)
	}
	_, err = f.svc.GetUser(f.ctx, u.ID)
	wantOkta(t, "read after delete", err, 404, "E0000007")
	_, err = f.svc.DeleteUser(f.ctx, SystemContext, u.ID)
	wantOkta(t, "third delete", err, 404, "E0000007")
}

// TestChangePasswordRefusals: both fields required; only ACTIVE and
// PASSWORD_EXPIRED users change their password; a wrong old password is
// E0000014. (The argon2id paths are covered end to end in internal/app.)
func TestChangePasswordRefusals(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.ChangePassword(f.ctx, SystemContext, "admin@example.com", "", "")
	wantOkta(t, "blank", err, 400, "E0000001", "oldPassword: The field cannot be left blank", "newPassword: The field cannot be left blank")
	s := f.user(t, "suspended@example.com", store.UserSuspended, true)
	_, err = f.svc.ChangePassword(f.ctx, SystemContext, s.ID, "Old12345", "New12345")
	wantOkta(t, "suspended user", err, 403, "E0000038")
	p := f.user(t, "nopw@example.com", store.UserActive, false)
	_, err = f.svc.ChangePassword(f.ctx, SystemContext, p.ID, "Old12345", "New12345")
	wantOkta(t, "no password set", err, 403, "E0000014", "oldPassword: Old Password is not correct")
}

// TestPasswordStrength: the default password policy — at least 8
// characters, a lowercase letter, an uppercase letter and a number, no part
// of the username — answered as 403 E0000080 with one cause per rule
// broken (§4.7: password policy violation).
func TestPasswordStrength(t *testing.T) {
	const (
		length  = "password: Password requirements were not met. Password requirements: at least 8 characters."
		classes = "password: Password requirements were not met. Password requirements: a lowercase letter, an uppercase letter, a number."
		name    = "password: Password requirements were not met. Password requirements: no parts of your username."
	)
	for _, c := range []struct {
		pw, login string
		causes    []string // nil: accepted
	}{
		{"Abcdefg1", "ada@example.com", nil},
		{"Abcdef1", "ada@example.com", []string{length}},
		{"abcdefg1", "ada@example.com", []string{classes}},
		{"ABCDEFG1", "ada@example.com", []string{classes}},
		{"Abcdefgh", "ada@example.com", []string{classes}},
		{"", "ada@example.com", []string{length, classes}},
		{"xxADA123x", "ada@example.com", []string{name}},
		{"Ab1", "ab1@example.com", []string{length, name}},
		// Only the part before the @ counts.
		{"Example123", "ada@example.com", nil},
	} {
		err := checkPasswordStrength(c.pw, c.login)
		if c.causes == nil {
			if err != nil {
				t.Errorf("%q for %s: %v", c.pw, c.login, err)
			}
			continue
		}
		wantOkta(t, c.pw, err, 403, "E0000080", c.causes...)
	}
}
