package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

var appCases = []testCase{
	{"Apps", testApps},
	{"AppsPages", testAppsPages},
	{"AppGrants", testAppGrants},
	{"AppUserAssignments", testAppUsers},
	{"AppGroupAssignments", testAppGroups},
	{"AppDeleteCascades", testAppDeleteCascades},
}

// settingsJSON has members Sesame does not interpret, at the top level, in
// oauthClient and in a client key, all of which must come back.
const settingsJSON = `{"app":{"custom":"x"},"notifications":{"vpn":{"network":{"connection":"DISABLED"}}},` +
	`"oauthClient":{"application_type":"browser","client_uri":"https://app.example.com","logo_uri":null,` +
	`"redirect_uris":["https://app.example.com/callback","http://localhost:8585/callback"],` +
	`"post_logout_redirect_uris":["https://app.example.com/"],"response_types":["code","id_token","token"],` +
	`"grant_types":["authorization_code","refresh_token","implicit"],"initiate_login_uri":"https://app.example.com/login",` +
	`"consent_method":"REQUIRED","issuer_mode":"DYNAMIC","wildcard_redirect":"DISABLED",` +
	`"idp_initiated_login":{"mode":"SPEC","default_scope":["openid"]},` +
	`"refresh_token":{"rotation_type":"ROTATE","leeway":30},` +
	`"jwks":{"keys":[{"alg":"RS256","e":"AQAB","kid":"k1","kty":"RSA","n":"xyz","use":"sig","id":"pks1","status":"ACTIVE","created":"2025-01-01T00:00:00.000Z","lastUpdated":"2025-01-02T00:00:00.000Z","x-future":[1,2]}]},` +
	`"dpop_bound_access_tokens":true,"request_object_signing_alg":"RS256",` +
	`"frontchannel_logout_uri":"https://app.example.com/fcl","frontchannel_logout_session_required":false,` +
	`"participate_slo":true,"network":{"connection":"ANYWHERE"},"future_field":{"a":[1,"two",null]}},"notes":{"admin":"hi"}}`

func newApp(t *testing.T, id, clientID string) *store.App {
	var settings store.AppSettings
	if err := json.Unmarshal([]byte(settingsJSON), &settings); err != nil {
		t.Fatalf("settings fixture: %v", err)
	}
	return &store.App{
		ID: id, Name: "oidc_client", Label: "OpenMetadata " + id, Status: "ACTIVE", SignOnMode: "OPENID_CONNECT",
		ClientID: clientID,
		Credentials: store.AppCredentials{
			UserNameTemplate: &store.UserNameTemplate{Template: "${source.login}", Type: "BUILT_IN"},
			Signing:          &store.AppSigning{KID: "sk1"},
			OAuthClient: store.OAuthClientCreds{ClientID: clientID, TokenEndpointAuthMethod: "private_key_jwt",
				AutoKeyRotation: true, PKCERequired: true},
		},
		Settings: settings,
		Profile:  map[string]any{"label": "x", "n": 2.5},
		Secrets: []store.AppSecret{
			{ID: "ocs1", Status: "ACTIVE", Hash: []byte("0123456789abcdef0123456789abcdef"), Sealed: []byte{0, 1, 2, 0xff}, Created: at(0), LastUpdated: at(time.Second)},
			{ID: "ocs2", Status: "INACTIVE", Hash: []byte{0xfe, 0}, Created: at(time.Minute), LastUpdated: at(time.Hour)},
		},
		GroupsClaim:  &store.AppGroupsClaim{Name: "groups", ValueType: "GROUPS", Value: "Eng", GroupFilterType: "STARTS_WITH"},
		CreatedByDCR: true,
		Created:      at(0),
		LastUpdated:  at(time.Second),
	}
}

func testApps(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	a := newApp(t, "0oa1", "client-1")
	ok(t, s.Apps().Create(ctx, a), "create app")
	got, err := s.Apps().Get(ctx, a.ID)
	ok(t, err, "get app")
	same(t, got, a, "app")
	got, err = s.Apps().GetByClientID(ctx, "client-1")
	ok(t, err, "get app by client id")
	same(t, got, a, "app by client id")

	// What Okta's clients read back is the document they wrote.
	out, err := json.Marshal(got.Settings)
	ok(t, err, "encode settings")
	var gotDoc, wantDoc any
	ok(t, json.Unmarshal(out, &gotDoc), "decode settings")
	ok(t, json.Unmarshal([]byte(settingsJSON), &wantDoc), "decode fixture")
	same(t, gotDoc, wantDoc, "settings document")

	_, err = s.Apps().GetByClientID(ctx, "CLIENT-1")
	notFound(t, err, "client ids match exactly")
	_, err = s.Apps().Get(ctx, "0oanope")
	notFound(t, err, "get missing app")
	conflict(t, s.Apps().Create(ctx, newApp(t, a.ID, "client-2")), "create app with a taken id")
	conflict(t, s.Apps().Create(ctx, newApp(t, "0oa2", "client-1")), "create app with a taken client id")

	// A public client: no secret, empty documents.
	b := &store.App{ID: "0oa2", Name: "oidc_client", ClientID: "client-2", Status: "INACTIVE"}
	ok(t, s.Apps().Create(ctx, b), "create bare app")
	got, err = s.Apps().Get(ctx, b.ID)
	ok(t, err, "get bare app")
	same(t, got, b, "bare app")

	a.Label, a.Status, a.ClientID = "Renamed", "INACTIVE", "client-1b"
	a.Credentials.OAuthClient.TokenEndpointAuthMethod = "client_secret_basic"
	a.Credentials.Signing = nil
	a.Settings.OAuthClient.RedirectURIs = []string{"https://new.example.com/cb"}
	a.Settings.OAuthClient.Extra = map[string]json.RawMessage{"other": json.RawMessage(`"v"`)}
	a.Settings.Extra = nil
	a.Profile = nil
	a.Secrets = []store.AppSecret{{ID: "ocs3", Status: "ACTIVE", Hash: []byte{9}, Created: at(time.Hour), LastUpdated: at(time.Hour)}}
	a.GroupsClaim, a.CreatedByDCR = nil, false
	a.Created, a.LastUpdated = at(time.Hour), at(2*time.Hour)
	ok(t, s.Apps().Update(ctx, a), "update app")
	got, err = s.Apps().GetByClientID(ctx, "client-1b")
	ok(t, err, "get app by new client id")
	same(t, got, a, "updated app")
	_, err = s.Apps().GetByClientID(ctx, "client-1")
	notFound(t, err, "get app by old client id")
	b.ClientID = "client-1b"
	conflict(t, s.Apps().Update(ctx, b), "update app to a taken client id")
	notFound(t, s.Apps().Update(ctx, newApp(t, "0oanope", "nope")), "update missing app")

	ok(t, s.Apps().Delete(ctx, a.ID), "delete app")
	_, err = s.Apps().Get(ctx, a.ID)
	notFound(t, err, "get deleted app")
	notFound(t, s.Apps().Delete(ctx, a.ID), "delete app twice")
}

func testAppsPages(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	want := mixedIDs("0oa")
	for _, id := range want {
		ok(t, s.Apps().Create(ctx, newApp(t, id, "client-"+id)), "create app %s", id)
	}
	want = sorted(want)
	got := walk(t, 3, func(p store.Page) ([]string, error) {
		as, err := s.Apps().List(ctx, p)
		return ids(as, func(a *store.App) string { return a.ID }), err
	})
	sameStrings(t, got, want, "apps walked")
	all, err := s.Apps().ListAll(ctx)
	ok(t, err, "list all apps")
	sameStrings(t, ids(all, func(a *store.App) string { return a.ID }), want, "all apps")
	same(t, all[0], newApp(t, want[0], "client-"+want[0]), "listed app")
}

func newGrant(id, appID, scope string) *store.AppGrant {
	return &store.AppGrant{ID: id, AppID: appID, Issuer: "https://sesame.example.com", ScopeID: scope,
		Status: "ACTIVE", Source: "ADMIN", CreatedBy: "00u1", Created: at(0), LastUpdated: at(time.Second)}
}

func testAppGrants(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	a1, a2 := newApp(t, "0oa1", "c1"), newApp(t, "0oa2", "c2")
	ok(t, s.Apps().Create(ctx, a1), "create app")
	ok(t, s.Apps().Create(ctx, a2), "create app")
	g := newGrant("oag2", a1.ID, "okta.users.read")
	ok(t, s.Apps().CreateGrant(ctx, g), "create grant")
	got, err := s.Apps().GetGrant(ctx, a1.ID, g.ID)
	ok(t, err, "get grant")
	same(t, got, g, "grant")
	_, err = s.Apps().GetGrant(ctx, a2.ID, g.ID)
	notFound(t, err, "get grant through another app")
	_, err = s.Apps().GetGrant(ctx, a1.ID, "oagnope")
	notFound(t, err, "get missing grant")

	conflict(t, s.Apps().CreateGrant(ctx, newGrant("oag9", a1.ID, "okta.users.read")), "grant the same scope twice")
	conflict(t, s.Apps().CreateGrant(ctx, newGrant(g.ID, a2.ID, "okta.users.manage")), "create grant with a taken id")
	other := newGrant("oag3", a1.ID, "okta.users.read")
	other.Issuer = "https://other.example.com"
	ok(t, s.Apps().CreateGrant(ctx, other), "grant the same scope for another issuer")
	ok(t, s.Apps().CreateGrant(ctx, newGrant("oag1", a1.ID, "okta.clients.read")), "create grant")
	ok(t, s.Apps().CreateGrant(ctx, newGrant("oag0", a2.ID, "okta.users.read")), "grant the same scope to another app")
	notFound(t, s.Apps().CreateGrant(ctx, newGrant("oag8", "0oanope", "okta.users.read")), "grant to a missing app")

	list, err := s.Apps().ListGrants(ctx, a1.ID)
	ok(t, err, "list grants")
	sameStrings(t, ids(list, func(g *store.AppGrant) string { return g.ID }), []string{"oag1", "oag2", "oag3"}, "grants of app")
	same(t, list[1], g, "listed grant")
	all, err := s.Apps().ListAllGrants(ctx)
	ok(t, err, "list all grants")
	sameStrings(t, ids(all, func(g *store.AppGrant) string { return g.AppID + "/" + g.ID }),
		[]string{"0oa1/oag1", "0oa1/oag2", "0oa1/oag3", "0oa2/oag0"}, "all grants")

	notFound(t, s.Apps().DeleteGrant(ctx, a2.ID, g.ID), "delete grant through another app")
	ok(t, s.Apps().DeleteGrant(ctx, a1.ID, g.ID), "delete grant")
	_, err = s.Apps().GetGrant(ctx, a1.ID, g.ID)
	notFound(t, err, "get deleted grant")
	notFound(t, s.Apps().DeleteGrant(ctx, a1.ID, g.ID), "delete grant twice")
	ok(t, s.Apps().CreateGrant(ctx, newGrant("oag4", a1.ID, "okta.users.read")), "grant a revoked scope again")
}

func testAppUsers(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	a := newApp(t, "0oa1", "c1")
	ok(t, s.Apps().Create(ctx, a), "create app")
	ok(t, s.Apps().Create(ctx, newApp(t, "0oa2", "c2")), "create app")
	users := mixedIDs("00u")
	for i, id := range users {
		ok(t, s.Users().Create(ctx, newUser(id, fmt.Sprintf("u%d@example.com", i))), "create user")
		ok(t, s.Apps().AssignUser(ctx, &store.AppUser{AppID: a.ID, UserID: id, Scope: "USER"}), "assign user %s", id)
	}
	au := &store.AppUser{AppID: "0oa2", UserID: users[0], Scope: "GROUP", UserName: "ada",
		Profile: map[string]any{"role": "admin"}, Created: at(0), LastUpdated: at(time.Second)}
	ok(t, s.Apps().AssignUser(ctx, au), "assign user to a second app")
	got, err := s.Apps().GetUserAssignment(ctx, "0oa2", users[0])
	ok(t, err, "get assignment")
	same(t, got, au, "assignment")
	conflict(t, s.Apps().AssignUser(ctx, au), "assign a user twice")
	if yes, err := s.Apps().AssignedTo(ctx, "0oa2", users[0], nil); err != nil || !yes {
		t.Fatalf("directly assigned user: %v %v", yes, err)
	}
	if yes, _ := s.Apps().AssignedTo(ctx, "0oa2", users[1], []string{"00gnone"}); yes {
		t.Fatal("an unassigned user is assigned")
	}
	notFound(t, s.Apps().AssignUser(ctx, &store.AppUser{AppID: a.ID, UserID: "00unope"}), "assign a missing user")
	notFound(t, s.Apps().AssignUser(ctx, &store.AppUser{AppID: "0oanope", UserID: users[0]}), "assign to a missing app")
	_, err = s.Apps().GetUserAssignment(ctx, "0oa2", users[1])
	notFound(t, err, "get missing assignment")

	got2 := walk(t, 3, func(p store.Page) ([]string, error) {
		as, err := s.Apps().ListUserAssignments(ctx, a.ID, p)
		return ids(as, func(a *store.AppUser) string { return a.UserID }), err
	})
	sameStrings(t, got2, sorted(users), "assignments walked")
	list, err := s.Apps().ListUserAssignments(ctx, "0oa2", store.Page{})
	ok(t, err, "list assignments")
	if len(list) != 1 {
		t.Fatalf("assignments of second app: %d", len(list))
	}
	same(t, list[0], au, "listed assignment")

	ok(t, s.Apps().UnassignUser(ctx, "0oa2", users[0]), "unassign user")
	_, err = s.Apps().GetUserAssignment(ctx, "0oa2", users[0])
	notFound(t, err, "get removed assignment")
	notFound(t, s.Apps().UnassignUser(ctx, "0oa2", users[0]), "unassign user twice")

	// Deleting a user removes its assignments.
	ok(t, s.Users().Delete(ctx, users[2]), "delete user")
	_, err = s.Apps().GetUserAssignment(ctx, a.ID, users[2])
	notFound(t, err, "assignment of a deleted user")
}

func testAppGroups(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	a := newApp(t, "0oa1", "c1")
	ok(t, s.Apps().Create(ctx, a), "create app")
	groups := mixedIDs("00g")
	for i, id := range groups {
		ok(t, s.Groups().Create(ctx, newGroup(id, id)), "create group")
		ok(t, s.Apps().AssignGroup(ctx, &store.AppGroup{AppID: a.ID, GroupID: id, Priority: i}), "assign group %s", id)
	}
	ag := &store.AppGroup{AppID: a.ID, GroupID: groups[0], Priority: 7, Profile: map[string]any{"k": "v"}, LastUpdated: at(time.Second)}
	ok(t, s.Apps().AssignGroup(ctx, ag), "assign a group again")
	got, err := s.Apps().GetGroupAssignment(ctx, a.ID, groups[0])
	ok(t, err, "get group assignment")
	same(t, got, ag, "replaced group assignment")
	ag.Priority, ag.Profile, ag.LastUpdated = 0, nil, time.Time{}
	ok(t, s.Apps().AssignGroup(ctx, ag), "assign a group a third time")
	got, err = s.Apps().GetGroupAssignment(ctx, a.ID, groups[0])
	ok(t, err, "get group assignment")
	same(t, got, ag, "group assignment replaced with zero values")

	notFound(t, s.Apps().AssignGroup(ctx, &store.AppGroup{AppID: a.ID, GroupID: "00gnope"}), "assign a missing group")
	notFound(t, s.Apps().AssignGroup(ctx, &store.AppGroup{AppID: "0oanope", GroupID: groups[0]}), "assign to a missing app")
	_, err = s.Apps().GetGroupAssignment(ctx, "0oanope", groups[0])
	notFound(t, err, "get missing group assignment")

	got2 := walk(t, 3, func(p store.Page) ([]string, error) {
		as, err := s.Apps().ListGroupAssignments(ctx, a.ID, p)
		return ids(as, func(a *store.AppGroup) string { return a.GroupID }), err
	})
	sameStrings(t, got2, sorted(groups), "group assignments walked")

	for _, c := range []struct {
		groups []string
		want   bool
	}{{nil, false}, {[]string{"00gother"}, false}, {[]string{"00gother", groups[2]}, true}, {groups[:1], true}} {
		got, err := s.Apps().AssignedTo(ctx, a.ID, "00uanyone", c.groups)
		ok(t, err, "assigned to %v", c.groups)
		if got != c.want {
			t.Fatalf("AssignedTo(groups %v) = %v, want %v", c.groups, got, c.want)
		}
	}
	if got, _ := s.Apps().AssignedTo(ctx, "0oanope", "00uanyone", groups); got {
		t.Fatal("assigned to a missing app")
	}

	ok(t, s.Apps().UnassignGroup(ctx, a.ID, groups[0]), "unassign group")
	_, err = s.Apps().GetGroupAssignment(ctx, a.ID, groups[0])
	notFound(t, err, "get removed group assignment")
	notFound(t, s.Apps().UnassignGroup(ctx, a.ID, groups[0]), "unassign group twice")

	ok(t, s.Groups().Delete(ctx, groups[1]), "delete group")
	_, err = s.Apps().GetGroupAssignment(ctx, a.ID, groups[1])
	notFound(t, err, "assignment of a deleted group")
}

func testAppDeleteCascades(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	a, b := newApp(t, "0oa1", "c1"), newApp(t, "0oa2", "c2")
	ok(t, s.Apps().Create(ctx, a), "create app")
	ok(t, s.Apps().Create(ctx, b), "create app")
	ok(t, s.Users().Create(ctx, newUser("00u1", "u@example.com")), "create user")
	ok(t, s.Groups().Create(ctx, newGroup("00g1", "G")), "create group")
	for _, app := range []string{a.ID, b.ID} {
		ok(t, s.Apps().CreateGrant(ctx, newGrant("oag"+app, app, "okta.users.read")), "create grant")
		ok(t, s.Apps().AssignUser(ctx, &store.AppUser{AppID: app, UserID: "00u1"}), "assign user")
		ok(t, s.Apps().AssignGroup(ctx, &store.AppGroup{AppID: app, GroupID: "00g1"}), "assign group")
	}
	ok(t, s.Apps().Delete(ctx, a.ID), "delete app")

	grants, err := s.Apps().ListGrants(ctx, a.ID)
	ok(t, err, "list grants of deleted app")
	if len(grants) != 0 {
		t.Fatalf("deleted app kept %d grants", len(grants))
	}
	_, err = s.Apps().GetUserAssignment(ctx, a.ID, "00u1")
	notFound(t, err, "user assignment of deleted app")
	_, err = s.Apps().GetGroupAssignment(ctx, a.ID, "00g1")
	notFound(t, err, "group assignment of deleted app")

	// The other app keeps its own; the user and group stay.
	all, err := s.Apps().ListAllGrants(ctx)
	ok(t, err, "list all grants")
	sameStrings(t, ids(all, func(g *store.AppGrant) string { return g.ID }), []string{"oag0oa2"}, "remaining grants")
	_, err = s.Apps().GetUserAssignment(ctx, b.ID, "00u1")
	ok(t, err, "user assignment of the other app")
	_, err = s.Apps().GetGroupAssignment(ctx, b.ID, "00g1")
	ok(t, err, "group assignment of the other app")
	_, err = s.Users().Get(ctx, "00u1")
	ok(t, err, "assigned user survives")

	// A new app with the old id starts clean.
	ok(t, s.Apps().Create(ctx, newApp(t, a.ID, "c1")), "recreate app")
	us, err := s.Apps().ListUserAssignments(ctx, a.ID, store.Page{})
	ok(t, err, "list assignments of recreated app")
	if len(us) != 0 {
		t.Fatalf("recreated app inherited %d assignments", len(us))
	}
}
