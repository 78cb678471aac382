package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

// declare adds custom properties (name, type pairs) to the user profile
// schema: custom attributes are declared before users carry them, as in
// Okta.
func (ts *testServer) declare(t *testing.T, nameTypes ...string) {
	t.Helper()
	props := map[string]any{}
	for i := 0; i+1 < len(nameTypes); i += 2 {
		props[nameTypes[i]] = map[string]any{"title": nameTypes[i], "type": nameTypes[i+1]}
	}
	body := map[string]any{"definitions": map[string]any{"custom": map[string]any{"properties": props}}}
	if a := ts.mgmt(t, http.MethodPost, "/api/v1/meta/schemas/user/default", body); a.status != 200 {
		t.Fatalf("declare custom properties: %d %s", a.status, a.body)
	}
}

var oktaTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func TestUsersCreate(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ts.declare(t, "favouriteColour", "string", "shoeSize", "integer")

		p := person("isaac@example.com")
		p["mobilePhone"] = "+1 555 0100"
		p["favouriteColour"] = "teal" // custom attribute
		p["shoeSize"] = 44
		u := ts.createUser(t, "", p, strongPassword)
		if id, _ := u["id"].(string); !strings.HasPrefix(id, "00u") || len(id) != 20 {
			t.Errorf("id %v", u["id"])
		}
		if u["status"] != "ACTIVE" {
			t.Errorf("activate=true with a password: status %v", u["status"])
		}
		for _, k := range []string{"created", "activated", "statusChanged", "lastUpdated", "passwordChanged"} {
			if s, _ := u[k].(string); !oktaTime.MatchString(s) {
				t.Errorf("%s = %v", k, u[k])
			}
		}
		if v, present := u["lastLogin"]; !present || v != nil {
			t.Errorf("lastLogin must be null: %v", v)
		}
		prof := u["profile"].(map[string]any)
		for k, v := range p {
			if fmt.Sprint(prof[k]) != fmt.Sprint(v) {
				t.Errorf("profile.%s = %v, want %v", k, prof[k], v)
			}
		}
		creds := u["credentials"].(map[string]any)
		if pw, ok := creds["password"].(map[string]any); !ok || len(pw) != 0 {
			t.Errorf("password must be {}: %v", creds)
		}
		if prov := creds["provider"].(map[string]any); prov["type"] != "OKTA" || prov["name"] != "OKTA" {
			t.Errorf("provider %v", prov)
		}
		if strings.Contains(string(ts.mgmt(t, http.MethodGet, "/api/v1/users/"+u["id"].(string), nil).body), strongPassword) {
			t.Fatal("the password is readable")
		}
		links := u["_links"].(map[string]any)
		for _, k := range []string{"self", "type", "suspend", "deactivate", "resetPassword", "expirePassword", "changePassword"} {
			if _, ok := links[k]; !ok {
				t.Errorf("ACTIVE user lacks link %s: %v", k, links)
			}
		}
		if _, ok := links["activate"]; ok {
			t.Error("ACTIVE user offers activate")
		}
		if typ := u["type"].(map[string]any); !strings.HasPrefix(fmt.Sprint(typ["id"]), "oty") {
			t.Errorf("type %v", typ)
		}

		prov := ts.createUser(t, "?activate=true", person("nopassword@example.com"), "")
		if prov["status"] != "PROVISIONED" || prov["activated"] != nil || prov["passwordChanged"] != nil {
			t.Errorf("activate=true without a password: %v", prov)
		}
		if _, ok := prov["credentials"].(map[string]any)["password"]; ok {
			t.Errorf("no password set, yet credentials.password is present")
		}
		staged := ts.createUser(t, "?activate=false", person("staged@example.com"), strongPassword)
		if staged["status"] != "STAGED" || staged["activated"] != nil {
			t.Errorf("activate=false: %v", staged)
		}
		if _, ok := staged["_links"].(map[string]any)["activate"]; !ok {
			t.Errorf("STAGED user lacks the activate link")
		}

		// Duplicate login, whatever its case.
		dup := person("ISAAC@Example.com")
		causes := wantError(t, "duplicate", ts.mgmt(t, http.MethodPost, "/api/v1/users", map[string]any{"profile": dup}), 400, "E0000001")
		if len(causes) != 1 || causes[0] != "login: An object with this field already exists in the current organization" {
			t.Errorf("duplicate login causes %q", causes)
		}
		a := ts.mgmt(t, http.MethodPost, "/api/v1/users", map[string]any{"profile": dup})
		if s := a.json(t)["errorSummary"]; s != "Api validation failed: login" {
			t.Errorf("duplicate summary %v", s)
		}

		// Each missing required attribute has its own cause.
		causes = wantError(t, "missing", ts.mgmt(t, http.MethodPost, "/api/v1/users", map[string]any{"profile": map[string]any{"login": "x@example.com"}}), 400, "E0000001")
		for _, f := range []string{"email", "firstName", "lastName"} {
			found := false
			for _, c := range causes {
				found = found || strings.HasPrefix(c, f+": ")
			}
			if !found {
				t.Errorf("no cause for %s in %q", f, causes)
			}
		}
		if len(causes) != 3 {
			t.Errorf("missing: want 3 causes, got %q", causes)
		}
		wantError(t, "no profile", ts.mgmt(t, http.MethodPost, "/api/v1/users", map[string]any{}), 400, "E0000001")
		bad := person("not-an-email")
		bad["email"] = "also bad"
		causes = wantError(t, "not email-like", ts.mgmt(t, http.MethodPost, "/api/v1/users", map[string]any{"profile": bad}), 400, "E0000001")
		if len(causes) != 2 {
			t.Errorf("login and email causes expected: %q", causes)
		}
		wrongType := person("typed@example.com")
		wrongType["firstName"] = 7
		wantError(t, "non-string firstName", ts.mgmt(t, http.MethodPost, "/api/v1/users", map[string]any{"profile": wrongType}), 400, "E0000001")
		wantError(t, "profile not an object", ts.mgmt(t, http.MethodPost, "/api/v1/users", map[string]any{"profile": "x"}), 400, "E0000003")
		wantError(t, "malformed", ts.do(t, http.MethodPost, "/api/v1/users", "SSWS "+ts.APIToken, "application/json", []byte(`{"profile":`)), 400, "E0000003")
		wantError(t, "bad activate", ts.mgmt(t, http.MethodPost, "/api/v1/users?activate=maybe", map[string]any{"profile": person("act@example.com")}), 400, "E0000001")

		// The one password policy.
		for _, pw := range []string{"short1A", "alllowercase1", "NoDigitsHere", "Policy-Mallory1"} {
			body := map[string]any{"profile": person("mallory@example.com"),
				"credentials": map[string]any{"password": map[string]any{"value": pw}}}
			wantError(t, "weak "+pw, ts.mgmt(t, http.MethodPost, "/api/v1/users", body), 403, "E0000080")
		}
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/users/mallory@example.com", nil); a.status != 404 {
			t.Errorf("a refused user was stored: %d", a.status)
		}

		// groupIds: an unknown group and the built-in Everyone are refused,
		// nothing is created; a real group gets the member.
		body := map[string]any{"profile": person("grouped@example.com"), "groupIds": []string{"00gNOPE"}}
		wantError(t, "unknown group", ts.mgmt(t, http.MethodPost, "/api/v1/users", body), 400, "E0000001")
		if a := ts.mgmt(t, http.MethodGet, "/api/v1/users/grouped@example.com", nil); a.status != 404 {
			t.Errorf("user created despite a bad group: %d", a.status)
		}
		ctx := context.Background()
		everyone, err := ts.App.Store.Groups().GetByName(ctx, "Everyone")
		if err != nil {
			t.Fatal(err)
		}
		body["groupIds"] = []string{everyone.ID}
		wantError(t, "built-in group", ts.mgmt(t, http.MethodPost, "/api/v1/users", body), 400, "E0000001")
		now := time.Now()
		g := &store.Group{ID: secret.NewID("00g"), Type: "OKTA_GROUP", Name: "Engineers", Created: now, LastUpdated: now, LastMembershipUpdated: now}
		if err := ts.App.Store.Groups().Create(ctx, g); err != nil {
			t.Fatal(err)
		}
		body["groupIds"] = []string{g.ID}
		a = ts.mgmt(t, http.MethodPost, "/api/v1/users", body)
		if a.status != 200 {
			t.Fatalf("create in group: %d %s", a.status, a.body)
		}
		groups, err := ts.App.Store.Groups().GroupsOf(ctx, a.json(t)["id"].(string))
		if err != nil || len(groups) != 1 || groups[0] != g.ID {
			t.Errorf("groups of the new user: %v %v", groups, err)
		}

		// The change and its System Log event commit together.
		evs, err := ts.App.Store.Audit().List(ctx, store.AuditQuery{EventType: "user.lifecycle.create", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range evs {
			found = found || strings.Contains(string(e.Data), u["id"].(string))
		}
		if !found {
			t.Error("no user.lifecycle.create event for the new user")
		}
	})
}

func TestUsersGetAndUpdate(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		clock := &fakeClock{t: time.Now()}
		ts := startServerWith(t, open(t), WithClock(clock.now))
		p := person("ada@example.com")
		p["title"] = "Engineer"
		u := ts.createUser(t, "", p, strongPassword)
		id := u["id"].(string)

		for _, ref := range []string{id, "ada@example.com", "ADA@example.COM"} {
			a := ts.mgmt(t, http.MethodGet, "/api/v1/users/"+url.PathEscape(ref), nil)
			if a.status != 200 || a.json(t)["id"] != id {
				t.Errorf("get %s: %d %s", ref, a.status, a.body)
			}
		}
		me := ts.mgmt(t, http.MethodGet, "/api/v1/users/me", nil)
		if me.status != 200 || me.json(t)["profile"].(map[string]any)["login"] != "admin@example.com" {
			t.Errorf("me: %d %s", me.status, me.body)
		}
		wantError(t, "unknown", ts.mgmt(t, http.MethodGet, "/api/v1/users/00uNOPE", nil), 404, "E0000007")

		// POST merges; null removes a member.
		a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id, map[string]any{"profile": map[string]any{"nickName": "Countess", "title": nil}})
		if a.status != 200 {
			t.Fatalf("partial update: %d %s", a.status, a.body)
		}
		prof := a.json(t)["profile"].(map[string]any)
		if prof["nickName"] != "Countess" || prof["firstName"] != p["firstName"] || prof["login"] != p["login"] {
			t.Errorf("partial update lost members: %v", prof)
		}
		if _, ok := prof["title"]; ok {
			t.Errorf("null did not remove title: %v", prof)
		}
		// PUT replaces the whole profile.
		repl := person("ada@example.com")
		repl["firstName"] = "Augusta"
		a = ts.mgmt(t, http.MethodPut, "/api/v1/users/"+id, map[string]any{"profile": repl})
		if a.status != 200 {
			t.Fatalf("full update: %d %s", a.status, a.body)
		}
		prof = a.json(t)["profile"].(map[string]any)
		if prof["firstName"] != "Augusta" || prof["nickName"] != nil {
			t.Errorf("full update did not replace: %v", prof)
		}
		causes := wantError(t, "PUT without required", ts.mgmt(t, http.MethodPut, "/api/v1/users/"+id, map[string]any{"profile": map[string]any{"login": "ada@example.com"}}), 400, "E0000001")
		if len(causes) != 3 {
			t.Errorf("PUT without required: %q", causes)
		}
		wantError(t, "PUT without profile", ts.mgmt(t, http.MethodPut, "/api/v1/users/"+id, map[string]any{}), 400, "E0000001")

		// Renaming onto another login is a duplicate.
		ts.createUser(t, "", person("grace@example.com"), "")
		wantError(t, "rename to taken login", ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id, map[string]any{"profile": map[string]any{"login": "Grace@example.com"}}), 400, "E0000001")

		// An administrator may set a password with PUT; the policy applies.
		weak := map[string]any{"profile": repl, "credentials": map[string]any{"password": map[string]any{"value": "weak"}}}
		wantError(t, "weak PUT password", ts.mgmt(t, http.MethodPut, "/api/v1/users/"+id, weak), 403, "E0000080")
		before := u["passwordChanged"]
		clock.add(time.Second)
		weak["credentials"] = map[string]any{"password": map[string]any{"value": "Another-Strong-7"}}
		a = ts.mgmt(t, http.MethodPut, "/api/v1/users/"+id, weak)
		if a.status != 200 || a.json(t)["passwordChanged"] == before {
			t.Errorf("password set by PUT: %d %s", a.status, a.body)
		}

		// change_password
		cp := func(oldPw, newPw string) answer {
			return ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id+"/credentials/change_password",
				map[string]any{"oldPassword": map[string]any{"value": oldPw}, "newPassword": map[string]any{"value": newPw}})
		}
		causes = wantError(t, "wrong old password", cp(strongPassword, "Third-Strong-77"), 403, "E0000014")
		if len(causes) == 0 {
			t.Error("wrong old password: no cause")
		}
		wantError(t, "weak new password", cp("Another-Strong-7", "abc"), 403, "E0000080")
		wantError(t, "missing new password", ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id+"/credentials/change_password",
			map[string]any{"oldPassword": map[string]any{"value": "Another-Strong-7"}}), 400, "E0000001")
		a = cp("Another-Strong-7", "Third-Strong-77")
		if a.status != 200 {
			t.Fatalf("change_password: %d %s", a.status, a.body)
		}
		c := a.json(t)
		if pw, ok := c["password"].(map[string]any); !ok || len(pw) != 0 || c["provider"] == nil {
			t.Errorf("credentials answer %s", a.body)
		}
		wantError(t, "old password no longer works", cp("Another-Strong-7", "Fourth-Strong-77"), 403, "E0000014")
	})
}

// TestUserStatusMachine runs every lifecycle operation on a user in every
// status. The expectations are written out from Okta's Users API docs
// (docs/okta-api.md §4.7) and the decisions documented in service/users.go.
func TestUserStatusMachine(t *testing.T) {
	const refused = "E0000038"
	type outcome struct{ status, code string }
	ok := func(s string) outcome { return outcome{status: s} }
	no := outcome{code: refused}
	statuses := []string{"STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "LOCKED_OUT", "PASSWORD_EXPIRED", "SUSPENDED", "DEPROVISIONED"}
	// Every user below has a password, so activation makes it ACTIVE.
	table := map[string]map[string]outcome{
		"activate": {"STAGED": ok("ACTIVE"), "PROVISIONED": no, "ACTIVE": {code: "E0000016"}, "RECOVERY": no,
			"LOCKED_OUT": no, "PASSWORD_EXPIRED": no, "SUSPENDED": no, "DEPROVISIONED": ok("ACTIVE")},
		"deactivate": {"STAGED": ok("DEPROVISIONED"), "PROVISIONED": ok("DEPROVISIONED"), "ACTIVE": ok("DEPROVISIONED"),
			"RECOVERY": ok("DEPROVISIONED"), "LOCKED_OUT": ok("DEPROVISIONED"), "PASSWORD_EXPIRED": ok("DEPROVISIONED"),
			"SUSPENDED": ok("DEPROVISIONED"), "DEPROVISIONED": no},
		"suspend": {"STAGED": no, "PROVISIONED": no, "ACTIVE": ok("SUSPENDED"), "RECOVERY": no, "LOCKED_OUT": no,
			"PASSWORD_EXPIRED": no, "SUSPENDED": no, "DEPROVISIONED": no},
		"unsuspend": {"STAGED": no, "PROVISIONED": no, "ACTIVE": no, "RECOVERY": no, "LOCKED_OUT": no,
			"PASSWORD_EXPIRED": no, "SUSPENDED": ok("ACTIVE"), "DEPROVISIONED": no},
		"unlock": {"STAGED": no, "PROVISIONED": no, "ACTIVE": ok("ACTIVE"), "RECOVERY": no, "LOCKED_OUT": ok("ACTIVE"),
			"PASSWORD_EXPIRED": no, "SUSPENDED": no, "DEPROVISIONED": no},
		"reactivate": {"STAGED": no, "PROVISIONED": ok("PROVISIONED"), "ACTIVE": no, "RECOVERY": ok("PROVISIONED"),
			"LOCKED_OUT": no, "PASSWORD_EXPIRED": no, "SUSPENDED": no, "DEPROVISIONED": no},
		"expire_password": {"STAGED": no, "PROVISIONED": no, "ACTIVE": ok("PASSWORD_EXPIRED"), "RECOVERY": ok("PASSWORD_EXPIRED"),
			"LOCKED_OUT": ok("PASSWORD_EXPIRED"), "PASSWORD_EXPIRED": ok("PASSWORD_EXPIRED"), "SUSPENDED": no, "DEPROVISIONED": no},
		"reset_password": {"STAGED": no, "PROVISIONED": no, "ACTIVE": ok("RECOVERY"), "RECOVERY": ok("RECOVERY"),
			"LOCKED_OUT": ok("RECOVERY"), "PASSWORD_EXPIRED": ok("RECOVERY"), "SUSPENDED": no, "DEPROVISIONED": no},
	}
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ctx := context.Background()
		hash, err := secret.HashPassword(strongPassword)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for op, row := range table {
			for _, from := range statuses {
				want := row[from]
				n++
				// Users in each status are stored directly: LOCKED_OUT and
				// RECOVERY cannot be reached through this API alone.
				now := time.Now().UTC().Truncate(time.Millisecond)
				login := fmt.Sprintf("sm%d@example.com", n)
				u := &store.User{ID: secret.NewID("00u"), Status: from, Login: login, PasswordHash: hash,
					Profile: person(login), Created: now, StatusChanged: now, LastUpdated: now, PasswordChanged: now}
				if err := ts.App.Store.Users().Create(ctx, u); err != nil {
					t.Fatal(err)
				}
				a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+u.ID+"/lifecycle/"+op, nil)
				got, err := ts.App.Store.Users().Get(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if want.code != "" {
					wantError(t, op+" from "+from, a, 403, want.code)
					if got.Status != from {
						t.Errorf("%s from %s: refused, yet status became %s", op, from, got.Status)
					}
					continue
				}
				if a.status != 200 || got.Status != want.status {
					t.Errorf("%s from %s: %d %s, status %s, want %s", op, from, a.status, a.body, got.Status, want.status)
				}
			}
		}
		wantError(t, "unknown operation", ts.mgmt(t, http.MethodPost, "/api/v1/users/me/lifecycle/explode", nil), 404, "E0000008")
		wantError(t, "unknown user", ts.mgmt(t, http.MethodPost, "/api/v1/users/00uNOPE/lifecycle/suspend", nil), 404, "E0000007")

		// Activating a user without a password leaves it PROVISIONED.
		staged := ts.createUser(t, "?activate=false", person("nopw@example.com"), "")
		ts.mgmt(t, http.MethodPost, "/api/v1/users/"+staged["id"].(string)+"/lifecycle/activate", nil)
		if got := ts.mgmt(t, http.MethodGet, "/api/v1/users/"+staged["id"].(string), nil).json(t); got["status"] != "PROVISIONED" {
			t.Errorf("activating without a password: %v", got["status"])
		}
	})
}

// TestUserDeactivationAndDelete: deactivation kills the user's API tokens
// in the same change; DELETE deactivates first, removes second.
func TestUserDeactivationAndDelete(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ctx := context.Background()
		u := ts.createUser(t, "", person("admin2@example.com"), strongPassword)
		id := u["id"].(string)
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id+"/roles", map[string]string{"type": "SUPER_ADMIN"}); a.status != 201 {
			t.Fatalf("make a second admin: %d %s", a.status, a.body)
		}
		tok, tokRec, err := ts.App.Service.CreateAPIToken(ctx, id, "second admin")
		if err != nil {
			t.Fatal(err)
		}
		if a := ts.do(t, http.MethodGet, "/api/v1/users/me", "SSWS "+tok, "", nil); a.status != 200 || a.json(t)["id"] != id {
			t.Fatalf("second admin's token: %d %s", a.status, a.body)
		}

		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/users/"+id, nil); a.status != 204 {
			t.Fatalf("first delete: %d %s", a.status, a.body)
		}
		if got := ts.mgmt(t, http.MethodGet, "/api/v1/users/"+id, nil).json(t); got["status"] != "DEPROVISIONED" {
			t.Errorf("after the first delete: %v", got["status"])
		}
		if _, err := ts.App.Store.APITokens().Get(ctx, tokRec.ID); err == nil {
			t.Error("the deactivated user's API token still exists")
		}
		wantError(t, "token of a deactivated user", ts.do(t, http.MethodGet, "/api/v1/users/me", "SSWS "+tok, "", nil), 401, "E0000011")
		evs, err := ts.App.Store.Audit().List(ctx, store.AuditQuery{EventType: "user.lifecycle.deactivate", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 {
			t.Errorf("deactivate events: %d", len(evs))
		}

		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/users/"+id, nil); a.status != 204 {
			t.Fatalf("second delete: %d %s", a.status, a.body)
		}
		wantError(t, "get deleted", ts.mgmt(t, http.MethodGet, "/api/v1/users/"+id, nil), 404, "E0000007")
		wantError(t, "third delete", ts.mgmt(t, http.MethodDelete, "/api/v1/users/"+id, nil), 404, "E0000007")
		if evs, err = ts.App.Store.Audit().List(ctx, store.AuditQuery{EventType: "user.lifecycle.delete.completed", Limit: 10}); err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 {
			t.Errorf("delete events: %d", len(evs))
		}
		// The login is free again.
		ts.createUser(t, "", person("admin2@example.com"), "")
	})
}

// listAll follows rel="next" links from path and returns every user seen.
func (ts *testServer) listAll(t *testing.T, path string) []map[string]any {
	t.Helper()
	var all []map[string]any
	next := path
	for pages := 0; next != ""; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		a := ts.mgmt(t, http.MethodGet, next, nil)
		if a.status != 200 {
			t.Fatalf("list %s: %d %s", next, a.status, a.body)
		}
		var page []map[string]any
		if err := json.Unmarshal(a.body, &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		next = ""
		for _, l := range a.header.Values("Link") {
			if strings.Contains(l, `rel="next"`) {
				u, err := url.Parse(strings.Trim(strings.TrimSpace(strings.Split(l, ";")[0]), "<>"))
				if err != nil {
					t.Fatal(err)
				}
				next = u.RequestURI()
			}
		}
	}
	return all
}

func logins(users []map[string]any) []string {
	var out []string
	for _, u := range users {
		out = append(out, u["profile"].(map[string]any)["login"].(string))
	}
	return out
}

func TestUsersList(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		const n = 250
		want := map[string]bool{"admin@example.com": true}
		for i := 0; i < n; i++ {
			login := fmt.Sprintf("walker%03d@example.com", i)
			ts.createUser(t, "", person(login), "")
			want[login] = true
		}

		// Walk with limit=7 while other users are being added: every user
		// that existed before the walk is seen exactly once, nobody twice.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// Not createUser: t.Fatal belongs to the test's goroutine.
				b, _ := json.Marshal(map[string]any{"profile": person(fmt.Sprintf("latecomer%03d@example.com", i))})
				req, _ := http.NewRequest(http.MethodPost, ts.Addr+"/api/v1/users", bytes.NewReader(b))
				req.Header.Set("Authorization", "SSWS "+ts.APIToken)
				req.Header.Set("Content-Type", "application/json")
				if resp, err := ts.HTTP.Do(req); err == nil {
					if resp.StatusCode != 200 {
						t.Errorf("concurrent create: %d", resp.StatusCode)
					}
					resp.Body.Close()
				}
			}
		}()
		seen := map[string]int{}
		for _, l := range logins(ts.listAll(t, "/api/v1/users?limit=7")) {
			seen[l]++
		}
		close(stop)
		wg.Wait()
		for l := range want {
			if seen[l] != 1 {
				t.Errorf("%s seen %d times", l, seen[l])
			}
		}
		for l, c := range seen {
			if c != 1 {
				t.Errorf("%s seen %d times", l, c)
			}
		}

		// Default and maximum page size is 200.
		a := ts.mgmt(t, http.MethodGet, "/api/v1/users", nil)
		var page []map[string]any
		if err := json.Unmarshal(a.body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page) != 200 {
			t.Errorf("default page: %d users", len(page))
		}
		if err := json.Unmarshal(ts.mgmt(t, http.MethodGet, "/api/v1/users?limit=1000", nil).body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page) != 200 {
			t.Errorf("limit=1000 page: %d users", len(page))
		}
		wantError(t, "bad limit", ts.mgmt(t, http.MethodGet, "/api/v1/users?limit=-1", nil), 400, "E0000001")
	})
}

func TestUsersQuery(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		mk := func(login, first, last string) string {
			p := person(login)
			p["firstName"], p["lastName"] = first, last
			return ts.createUser(t, "", p, "")["id"].(string)
		}
		mk("zed@example.com", "Marie", "Curie")
		mk("pierre@example.com", "Pierre", "Curie")
		mk("curious@example.com", "George", "Monkey") // email starts with "cur"
		gone := mk("irene@example.com", "Irène", "Joliot-Curie")
		mk("ada@example.com", "Ada", "Lovelace")
		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/users/"+gone, nil); a.status != 204 {
			t.Fatalf("deactivate: %d %s", a.status, a.body)
		}
		got := logins(ts.listAll(t, "/api/v1/users?q=CUR&limit=1"))
		wantSet := map[string]bool{"zed@example.com": true, "pierre@example.com": true, "curious@example.com": true}
		if len(got) != len(wantSet) {
			t.Errorf("q=CUR: %v", got)
		}
		for _, l := range got {
			if !wantSet[l] {
				t.Errorf("q=CUR listed %s", l)
			}
		}
		for _, l := range logins(ts.listAll(t, "/api/v1/users")) {
			if l == "irene@example.com" {
				t.Error("a DEPROVISIONED user is listed without a status filter")
			}
		}
		if got := logins(ts.listAll(t, "/api/v1/users?q=joliot")); len(got) != 0 {
			t.Errorf("q does not match inside names or DEPROVISIONED users: %v", got)
		}
	})
}

func TestUsersFilterAndSearch(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		clock := &fakeClock{t: time.Now()}
		ts := startServerWith(t, open(t), WithClock(clock.now))
		ts.declare(t, "shoeSize", "integer")
		mk := func(login, last, dept string, size int) string {
			p := person(login)
			p["lastName"], p["department"], p["shoeSize"] = last, dept, size
			return ts.createUser(t, "", p, "")["id"].(string)
		}
		mk("marie@example.com", "Curie", "Physics", 38)
		mk("lise@example.com", "Meitner", "Physics", 39)
		mk("emmy@example.com", "Noether", "Mathematics", 40)
		clock.add(time.Second)
		mark := clock.now().UTC().Format("2006-01-02T15:04:05.000Z")
		clock.add(time.Second)
		gone := mk("rosalind@example.com", "Franklin", "Physics", 41)
		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/users/"+gone, nil); a.status != 204 {
			t.Fatalf("deactivate: %d", a.status)
		}
		list := func(param, expr string, extra ...string) []string {
			t.Helper()
			path := "/api/v1/users?" + param + "=" + url.QueryEscape(expr) + "&limit=1" + strings.Join(extra, "")
			return logins(ts.listAll(t, path))
		}
		same := func(name string, got []string, want ...string) {
			t.Helper()
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: got %v, want %v", name, got, want)
			}
		}
		sortedSame := func(name string, got []string, want ...string) {
			t.Helper()
			g := append([]string(nil), got...)
			sortStrings(g)
			sortStrings(want)
			same(name, g, want...)
		}

		sortedSame("filter login", list("filter", `profile.login eq "lise@example.com"`), "lise@example.com")
		sortedSame("filter status DEPROVISIONED", list("filter", `status eq "DEPROVISIONED"`), "rosalind@example.com")
		sortedSame("filter lastUpdated", list("filter", `lastUpdated gt "`+mark+`"`))
		sortedSame("filter lastUpdated with status", list("filter", `lastUpdated gt "`+mark+`" and (status eq "DEPROVISIONED" or status eq "ACTIVE")`), "rosalind@example.com")
		sortedSame("filter or", list("filter", `profile.lastName eq "Curie" or profile.lastName eq "Noether"`), "marie@example.com", "emmy@example.com")

		sortedSame("search custom", list("search", `profile.department eq "Physics"`), "marie@example.com", "lise@example.com")
		sortedSame("search number", list("search", `profile.shoeSize ge 39 and status ne "DEPROVISIONED"`), "lise@example.com", "emmy@example.com")
		sortedSame("search sw", list("search", `profile.email sw "em"`), "emmy@example.com")
		same("search sorted desc", list("search", `profile.department pr`, "&sortBy=profile.lastName&sortOrder=desc"),
			"emmy@example.com", "lise@example.com", "marie@example.com")
		same("search sorted asc", list("search", `profile.shoeSize lt 100`, "&sortBy=profile.shoeSize"),
			"marie@example.com", "lise@example.com", "emmy@example.com")

		bad := func(name, query string, code string) {
			t.Helper()
			wantError(t, name, ts.mgmt(t, http.MethodGet, "/api/v1/users?"+query, nil), 400, code)
		}
		bad("filter on an unsupported attribute", "filter="+url.QueryEscape(`profile.department eq "Physics"`), "E0000094")
		bad("filter with an unsupported operator", "filter="+url.QueryEscape(`profile.login sw "a"`), "E0000094")
		bad("filter syntax", "filter="+url.QueryEscape(`status eq`), "E0000031")
		bad("filter unterminated", "filter="+url.QueryEscape(`status eq "ACTIVE`), "E0000031")
		bad("search unknown attribute", "search="+url.QueryEscape(`credentials.password eq "x"`), "E0000094")
		bad("search syntax", "search="+url.QueryEscape(`((status eq "ACTIVE"`), "E0000031")
		bad("sortBy unknown", "search="+url.QueryEscape(`status eq "ACTIVE"`)+"&sortBy=password", "E0000031")
		bad("sortOrder unknown", "search="+url.QueryEscape(`status eq "ACTIVE"`)+"&sortBy=id&sortOrder=sideways", "E0000031")
	})
}

func sortStrings(s []string) { slices.Sort(s) }

// TestUsersBearerScopes: an org-server access token with okta.users.read
// reads users and nothing more; it has no user, so "me" is not found.
func TestUsersBearerScopes(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ctx := context.Background()
		u := ts.createUser(t, "", person("scoped@example.com"), "")
		clientID, key, kid := ts.serviceApp(t, "user-reader")
		if g := ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+clientID+"/grants", map[string]string{"scopeId": "okta.users.read", "issuer": ts.URL}); g.status != http.StatusCreated {
			t.Fatalf("grant: %d %s", g.status, g.body)
		}
		orgToken := tokenclient.TokenURL(ts.URL, "org")
		tok, err := tokenclient.ClientCredentials(ctx, ts.HTTP, orgToken, ts.assertion(t, clientID, key, kid, orgToken), "okta.users.read")
		if err != nil {
			t.Fatal(err)
		}
		bearer := "Bearer " + tok.AccessToken
		if a := ts.do(t, http.MethodGet, "/api/v1/users/"+u["id"].(string), bearer, "", nil); a.status != 200 {
			t.Errorf("read with okta.users.read: %d %s", a.status, a.body)
		}
		if a := ts.do(t, http.MethodGet, "/api/v1/users?limit=1", bearer, "", nil); a.status != 200 {
			t.Errorf("list with okta.users.read: %d %s", a.status, a.body)
		}
		wantError(t, "me without a user", ts.do(t, http.MethodGet, "/api/v1/users/me", bearer, "", nil), 404, "E0000007")
		b, _ := json.Marshal(map[string]any{"profile": person("nope@example.com")})
		a := ts.do(t, http.MethodPost, "/api/v1/users", bearer, "application/json", b)
		wantError(t, "create with okta.users.read", a, 403, "E0000006")
		if !strings.Contains(a.header.Get("WWW-Authenticate"), `scope="okta.users.manage"`) {
			t.Errorf("WWW-Authenticate %q", a.header.Get("WWW-Authenticate"))
		}
		wantError(t, "deactivate with okta.users.read", ts.do(t, http.MethodPost, "/api/v1/users/"+u["id"].(string)+"/lifecycle/deactivate", bearer, "", nil), 403, "E0000006")
	})
}
