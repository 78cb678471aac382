package app

import (
	"context"
	"net/http"
	"testing"

	v5 "github.com/okta/okta-sdk-golang/v5/okta"
	v6 "github.com/okta/okta-sdk-golang/v6/okta"

	"github.com/sesame-idp/sesame/internal/store"
)

// adminID is the id of the administrator made at setup, whose token the
// tests use.
func (ts *testServer) adminID(t *testing.T) string {
	t.Helper()
	a := ts.mgmt(t, http.MethodGet, "/api/v1/users/me", nil)
	if a.status != http.StatusOK {
		t.Fatalf("me: %d %s", a.status, a.body)
	}
	return a.json(t)["id"].(string)
}

// tokenOf makes an API token for a user, as the console does.
func (ts *testServer) tokenOf(t *testing.T, userID string) string {
	t.Helper()
	tok, _, err := ts.App.Service.CreateAPIToken(context.Background(), userID, "t-"+userID)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestSDKAdminRoles: the role calls of both SDK generations, with their
// strict decoding; Okta's ids (the type in base32), errors for a duplicate,
// an unknown type and the last super administrator.
func TestSDKAdminRoles(t *testing.T) {
	sdkSuite(t, func(t *testing.T, c *sdkClients) {
		ctx := context.Background()
		admin := c.ts.adminID(t)

		// The first administrator is a SUPER_ADMIN from setup on.
		roles, resp, err := c.v5.RoleAssignmentAPI.ListAssignedRolesForUser(ctx, admin).Execute()
		mustSDK(t, "v5 list admin roles", 200, resp, err)
		if len(roles) != 1 || roles[0].GetType() != "SUPER_ADMIN" || roles[0].GetId() != "KNKVARKSL5AUITKJJY" ||
			roles[0].GetLabel() != "Super Administrator" || roles[0].GetAssignmentType() != "USER" {
			t.Fatalf("admin roles: %+v", roles)
		}
		// The last super administrator keeps the role.
		resp, err = c.v5.RoleAssignmentAPI.UnassignRoleFromUser(ctx, admin, roles[0].GetId()).Execute()
		wantSDKError(t, "unassign the last SUPER_ADMIN", 403, "E0000006", resp, err)

		u := c.ts.newUser(t, "ro@example.com")
		r5, resp, err := c.v5.RoleAssignmentAPI.AssignRoleToUser(ctx, u.ID).
			AssignRoleRequest(v5.AssignRoleRequest{Type: v5.PtrString("READ_ONLY_ADMIN")}).DisableNotifications(false).Execute()
		mustSDK(t, "v5 assign READ_ONLY_ADMIN", 201, resp, err)
		if r5.GetId() != "KJCUCRC7J5HEYWK7IFCE2SKO" || r5.GetLabel() != "Read-only Administrator" || r5.GetStatus() != "ACTIVE" {
			t.Fatalf("v5 assigned: %+v", r5)
		}
		r6, resp6, err := c.v6.RoleAssignmentAUserAPI.AssignRoleToUser(ctx, u.ID).
			AssignRoleRequest(v6.AssignRoleToUserRequest{StandardRoleAssignmentSchema: &v6.StandardRoleAssignmentSchema{Type: "APP_ADMIN"}}).Execute()
		mustSDK(t, "v6 assign APP_ADMIN", 201, resp6, err)
		if r6.StandardRole == nil || r6.StandardRole.GetId() != "IFIFAX2BIRGUSTQ" || r6.StandardRole.GetType() != "APP_ADMIN" ||
			r6.StandardRole.Links == nil || r6.StandardRole.Links.Assignee.GetHref() != c.ts.URL+"/api/v1/users/"+u.ID {
			t.Fatalf("v6 assigned: %+v", r6.StandardRole)
		}
		_, resp, err = c.v5.RoleAssignmentAPI.AssignRoleToUser(ctx, u.ID).
			AssignRoleRequest(v5.AssignRoleRequest{Type: v5.PtrString("APP_ADMIN")}).Execute()
		wantSDKError(t, "assign a role twice", 409, "E0000090", resp, err)
		_, resp, err = c.v5.RoleAssignmentAPI.AssignRoleToUser(ctx, u.ID).
			AssignRoleRequest(v5.AssignRoleRequest{Type: v5.PtrString("KING")}).Execute()
		wantSDKError(t, "assign an unknown role", 400, "E0000001", resp, err)

		list6, resp6, err := c.v6.RoleAssignmentAUserAPI.ListAssignedRolesForUser(ctx, u.ID).Execute()
		mustSDK(t, "v6 list roles", 200, resp6, err)
		var types []string
		for _, r := range list6 {
			if r.StandardRole == nil {
				t.Fatalf("v6 list decoded a non-standard role: %+v", r)
			}
			types = append(types, r.StandardRole.Type)
		}
		if len(types) != 2 || types[0] != "APP_ADMIN" || types[1] != "READ_ONLY_ADMIN" {
			t.Fatalf("v6 list: %v", types)
		}
		g5, resp, err := c.v5.RoleAssignmentAPI.GetUserAssignedRole(ctx, u.ID, "IFIFAX2BIRGUSTQ").Execute()
		mustSDK(t, "v5 get role", 200, resp, err)
		if g5.GetType() != "APP_ADMIN" {
			t.Fatalf("v5 get: %+v", g5)
		}
		resp6, err = c.v6.RoleAssignmentAUserAPI.UnassignRoleFromUser(ctx, u.ID, "IFIFAX2BIRGUSTQ").Execute()
		mustSDK(t, "v6 unassign", 204, resp6, err)
		_, resp6, err = c.v6.RoleAssignmentAUserAPI.GetUserAssignedRole(ctx, u.ID, "IFIFAX2BIRGUSTQ").Execute()
		wantSDKError(t, "get an unassigned role", 404, "E0000007", resp6, err)
		resp6, err = c.v6.RoleAssignmentAUserAPI.UnassignRoleFromUser(ctx, u.ID, "not-a-role").Execute()
		wantSDKError(t, "unassign an unknown id", 404, "E0000007", resp6, err)

		// A second super administrator: then either may go.
		_, resp, err = c.v5.RoleAssignmentAPI.AssignRoleToUser(ctx, u.ID).
			AssignRoleRequest(v5.AssignRoleRequest{Type: v5.PtrString("SUPER_ADMIN")}).Execute()
		mustSDK(t, "assign a second SUPER_ADMIN", 201, resp, err)
		resp, err = c.v5.RoleAssignmentAPI.UnassignRoleFromUser(ctx, u.ID, "KNKVARKSL5AUITKJJY").Execute()
		mustSDK(t, "unassign the second SUPER_ADMIN", 204, resp, err)

		// Both changes are in the System Log, with the role as a target.
		for _, ev := range []string{"user.account.privilege.grant", "user.account.privilege.revoke"} {
			c.ts.App.Audit.Flush()
			a := c.ts.mgmt(t, http.MethodGet, `/api/v1/logs?filter=eventType+eq+"`+ev+`"&since=2000-01-01T00:00:00Z`, nil)
			if a.status != 200 || len(a.list(t)) == 0 {
				t.Errorf("no %s event: %d %s", ev, a.status, a.body)
			}
		}
	})
}

// TestRolesEnforced: an API token acts with its owner's roles. A read-only
// administrator reads and cannot write; an application administrator
// manages apps and not people; a person with no role, or whose role is
// taken away, may do nothing.
func TestRolesEnforced(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ro := ts.newUser(t, "ro@example.com")
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+ro.ID+"/roles", map[string]string{"type": "READ_ONLY_ADMIN"}); a.status != 201 {
			t.Fatalf("assign: %d %s", a.status, a.body)
		}
		roTok := "SSWS " + ts.tokenOf(t, ro.ID)
		for _, path := range []string{"/api/v1/users", "/api/v1/groups", "/api/v1/apps", "/api/v1/authorizationServers", "/api/v1/users/" + ro.ID + "/roles", "/api/v1/logs"} {
			if a := ts.do(t, http.MethodGet, path, roTok, "", nil); a.status != 200 {
				t.Errorf("read-only GET %s: %d %s", path, a.status, a.body)
			}
		}
		writes := []struct{ method, path, body string }{
			{"POST", "/api/v1/groups", `{"profile":{"name":"nope"}}`},
			{"POST", "/api/v1/users", `{"profile":{"login":"x@example.com","email":"x@example.com","firstName":"X","lastName":"Y"}}`},
			{"DELETE", "/api/v1/users/" + ro.ID, ""},
			{"POST", "/api/v1/users/" + ro.ID + "/roles", `{"type":"SUPER_ADMIN"}`},
			{"POST", "/api/v1/apps", `{"name":"oidc_client","label":"x","signOnMode":"OPENID_CONNECT"}`},
		}
		for _, w := range writes {
			a := ts.do(t, w.method, w.path, roTok, "application/json", []byte(w.body))
			if code := a.errorCode(t, http.StatusForbidden); code != "E0000006" {
				t.Errorf("read-only %s %s: %s", w.method, w.path, code)
			}
		}

		appAdmin := ts.newUser(t, "apps@example.com")
		ts.mgmt(t, http.MethodPost, "/api/v1/users/"+appAdmin.ID+"/roles", map[string]string{"type": "APP_ADMIN"})
		appTok := "SSWS " + ts.tokenOf(t, appAdmin.ID)
		if a := ts.do(t, http.MethodPost, "/api/v1/apps", appTok, "application/json", []byte(tfAppBody(t, "by app admin", nil,
			map[string]any{"grant_types": []string{"authorization_code"}, "response_types": []string{"code"}, "redirect_uris": []string{"https://app.example.com/cb"}, "application_type": "web"}))); a.status != 200 {
			t.Errorf("app admin creates an app: %d %s", a.status, a.body)
		}
		if a := ts.do(t, http.MethodPost, "/api/v1/groups", appTok, "application/json", []byte(`{"profile":{"name":"g"}}`)); a.errorCode(t, 403) != "E0000006" {
			t.Errorf("app admin creates a group: %d %s", a.status, a.body)
		}

		// No role at all: the token is refused; taking the read-only role
		// away has the same effect at once.
		nobody := ts.newUser(t, "nobody@example.com")
		if a := ts.do(t, http.MethodGet, "/api/v1/users", "SSWS "+ts.tokenOf(t, nobody.ID), "", nil); a.errorCode(t, 403) != "E0000006" {
			t.Errorf("token of a person with no role: %d %s", a.status, a.body)
		}
		if a := ts.mgmt(t, http.MethodDelete, "/api/v1/users/"+ro.ID+"/roles/KJCUCRC7J5HEYWK7IFCE2SKO", nil); a.status != 204 {
			t.Fatalf("unassign: %d %s", a.status, a.body)
		}
		if a := ts.do(t, http.MethodGet, "/api/v1/users", roTok, "", nil); a.errorCode(t, 403) != "E0000006" {
			t.Errorf("token after its owner lost the role: %d %s", a.status, a.body)
		}
	})
}

// TestTFUserAdminRoles replays okta_user_admin_roles: the provider assigns
// each role with disableNotifications, reads the list (keeping the USER
// assignments), and on destroy lists again and deletes each by its id.
func TestTFUserAdminRoles(t *testing.T) {
	tfSuite(t, func(t *testing.T, ts *testServer) {
		u := ts.newUser(t, "roles@example.com")
		const roles = "/api/v1/users/{{user}}/roles"
		tfReplay(t, ts, map[string]string{"user": u.ID}, []tfStep{
			{name: "assign APP_ADMIN", method: "POST", path: roles + "?disableNotifications=false", body: `{"type":"APP_ADMIN"}`, status: 201, echo: true,
				want: map[string]any{"id": "IFIFAX2BIRGUSTQ", "label": "Application Administrator", "status": "ACTIVE", "assignmentType": "USER",
					"_links.assignee.href": "{{org}}/api/v1/users/{{user}}"}},
			{name: "assign USER_ADMIN", method: "POST", path: roles + "?disableNotifications=false", body: `{"type":"USER_ADMIN"}`, status: 201, echo: true,
				want: map[string]any{"label": "Group Administrator"}},
			{name: "read", method: "GET", path: roles, status: 200,
				want: map[string]any{"0.type": "APP_ADMIN", "1.type": "USER_ADMIN", "1.assignmentType": "USER", "2": nil}},
			{name: "read one", method: "GET", path: roles + "/IFIFAX2BIRGUSTQ", status: 200, want: map[string]any{"type": "APP_ADMIN"}},
			{name: "assign again", method: "POST", path: roles + "?disableNotifications=true", body: `{"type":"APP_ADMIN"}`, status: 409, errorCode: "E0000090"},
			{name: "no type", method: "POST", path: roles, body: `{}`, status: 400, errorCode: "E0000001"},
			{name: "not JSON", method: "POST", path: roles, body: `{"type":`, status: 400, errorCode: "E0000003"},
			{name: "unknown user", method: "GET", path: "/api/v1/users/00unobody/roles", status: 404, errorCode: "E0000007"},
			{name: "destroy APP_ADMIN", method: "DELETE", path: roles + "/IFIFAX2BIRGUSTQ", status: 204},
			{name: "destroy USER_ADMIN", method: "DELETE", path: roles + "/KVJUKUS7IFCE2SKO", status: 204},
			{name: "read after destroy", method: "GET", path: roles, status: 200, want: map[string]any{"0": nil}},
		})
	})
}
