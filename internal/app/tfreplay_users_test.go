package app

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
)

// TestTFUserCredentials replays okta_user's credential requests: a create
// with a password and a recovery question, the plan's read, a password
// change with the provider's PUT that carries only credentials.password
// (no old_password configured), a recovery question change (the provider
// sends the configured password with it), and the delete. The second
// change_password proves the PUT really set the password; the profile the
// PUT did not carry is kept.
func TestTFUserCredentials(t *testing.T) {
	tfSuite(t, func(t *testing.T, ts *testServer) {
		const user = "/api/v1/users/{{user}}"
		profile := `{"email":"tf.user@example.com","firstName":"TF","lastName":"User","login":"tf.user@example.com","title":"Engineer"}`
		tfReplay(t, ts, nil, []tfStep{
			{name: "create", method: "POST", path: "/api/v1/users",
				body:   `{"credentials":{"password":{"value":"Abcd1234-first"},"recovery_question":{"answer":"Forty two","question":"What is the answer?"}},"profile":` + profile + `}`,
				status: 200, echo: true, noEcho: []string{"credentials.password.value", "credentials.recovery_question.answer"},
				save: map[string]string{"user": "id"},
				want: map[string]any{"status": "ACTIVE", "credentials.recovery_question.answer": nil, "credentials.provider.type": "OKTA"}},
			{name: "read", method: "GET", path: user, status: 200, reads: `{"profile":` + profile + `}`,
				want: map[string]any{"credentials.recovery_question.question": "What is the answer?", "credentials.password.value": nil}},
			{name: "password only", method: "PUT", path: user, body: `{"credentials":{"password":{"value":"Abcd1234-second"}}}`, status: 200,
				reads: `{"profile":` + profile + `}`, want: map[string]any{"status": "ACTIVE"}},
			{name: "old password gone", method: "POST", path: user + "/credentials/change_password",
				body: `{"oldPassword":{"value":"Abcd1234-first"},"newPassword":{"value":"Abcd1234-third"}}`, status: 403, errorCode: "E0000014"},
			{name: "recovery question", method: "POST", path: user + "/credentials/change_recovery_question",
				body:   `{"password":{"value":"Abcd1234-second"},"recovery_question":{"answer":"Blue and yellow","question":"Favourite colours?"}}`,
				status: 200, want: map[string]any{"recovery_question.question": "Favourite colours?", "recovery_question.answer": nil, "password": map[string]any{}}},
			{name: "recovery question, wrong password", method: "POST", path: user + "/credentials/change_recovery_question",
				body: `{"password":{"value":"Abcd1234-wrong"},"recovery_question":{"answer":"Blue and yellow","question":"Favourite colours?"}}`, status: 403, errorCode: "E0000014"},
			{name: "recovery question, short answer", method: "POST", path: user + "/credentials/change_recovery_question",
				body: `{"password":{"value":"Abcd1234-second"},"recovery_question":{"answer":"no","question":"Favourite colours?"}}`, status: 400, errorCode: "E0000001"},
			{name: "PUT with neither", method: "PUT", path: user, body: `{"credentials":{}}`, status: 400, errorCode: "E0000001"},
			{name: "new password works", method: "POST", path: user + "/credentials/change_password",
				body: `{"oldPassword":{"value":"Abcd1234-second"},"newPassword":{"value":"Abcd1234-third"}}`, status: 200},
			{name: "weak password refused", method: "PUT", path: user, body: `{"credentials":{"password":{"value":"short"}}}`, status: 403, errorCode: "E0000080"},
			{name: "read again", method: "GET", path: user, status: 200, reads: `{"profile":` + profile + `}`,
				want: map[string]any{"credentials.recovery_question.question": "Favourite colours?"}},
			{method: "DELETE", path: user, status: 204},
			{method: "DELETE", path: user, status: 204},
			{method: "GET", path: user, status: http.StatusNotFound, errorCode: "E0000007"},
		})
	})
}

// TestSDKUserCredentials drives the same credentials through both SDKs:
// ReplaceUser with only a password, ChangeRecoveryQuestion, and the SDKs'
// strict decoding of the user and credentials Sesame answers.
func TestSDKUserCredentials(t *testing.T) {
	sdkSuite(t, func(t *testing.T, c *sdkClients) {
		ctx := context.Background()
		ts := c.ts
		u := ts.createUser(t, "", person("sdk.creds@example.com"), "Abcd1234-first")
		id := u["id"].(string)

		// v5: the password through ReplaceUser, checked by a recovery
		// question change that needs it.
		pw5 := "Abcd1234-v5"
		got5, resp, err := c.v5.UserAPI.ReplaceUser(ctx, id).User(v5UpdatePassword(pw5)).Execute()
		mustSDK(t, "v5 replace with a password", http.StatusOK, resp, err)
		if got5.Profile == nil || got5.Profile.GetLastName() != "Brock" {
			t.Fatalf("v5: the profile was not kept: %+v", got5.Profile)
		}
		cr5, resp, err := c.v5.UserAPI.ChangeRecoveryQuestion(ctx, id).UserCredentials(v5Recovery(pw5, "First pet?", "Rex the dog")).Execute()
		mustSDK(t, "v5 change recovery question", http.StatusOK, resp, err)
		if cr5.RecoveryQuestion == nil || cr5.RecoveryQuestion.GetQuestion() != "First pet?" || cr5.RecoveryQuestion.GetAnswer() != "" {
			t.Fatalf("v5 recovery question %+v", cr5.RecoveryQuestion)
		}
		_, resp, err = c.v5.UserAPI.ChangeRecoveryQuestion(ctx, id).UserCredentials(v5Recovery("Abcd1234-first", "First pet?", "Rex the dog")).Execute()
		wantSDKError(t, "v5 with the replaced password", http.StatusForbidden, "E0000014", resp, err)

		// v6 the same way.
		pw6 := "Abcd1234-v6"
		got6, resp6, err := c.v6.UserAPI.ReplaceUser(ctx, id).User(v6UpdatePassword(pw6)).Execute()
		mustSDK(t, "v6 replace with a password", http.StatusOK, resp6, err)
		if got6.Profile == nil || got6.Profile.GetEmail() != "sdk.creds@example.com" {
			t.Fatalf("v6: the profile was not kept: %+v", got6.Profile)
		}
		cr6, resp6, err := c.v6.UserCredAPI.ChangeRecoveryQuestion(ctx, id).UserCredentials(v6Recovery(pw6, "Street you grew up on?", "Elm Street")).Execute()
		mustSDK(t, "v6 change recovery question", http.StatusOK, resp6, err)
		if cr6.RecoveryQuestion == nil || cr6.RecoveryQuestion.GetQuestion() != "Street you grew up on?" {
			t.Fatalf("v6 recovery question %+v", cr6.RecoveryQuestion)
		}
		read, resp6, err := c.v6.UserAPI.GetUser(ctx, id).Execute()
		mustSDK(t, "v6 get", http.StatusOK, resp6, err)
		if read.Credentials == nil || read.Credentials.RecoveryQuestion.GetQuestion() != "Street you grew up on?" || read.Credentials.RecoveryQuestion.GetAnswer() != "" {
			t.Fatalf("v6 read credentials %+v", read.Credentials)
		}
		_, resp6, err = c.v6.UserCredAPI.ChangeRecoveryQuestion(ctx, id).UserCredentials(v6Recovery(pw6, "Street?", "x")).Execute()
		wantSDKError(t, "v6 short answer", http.StatusBadRequest, "E0000001", resp6, err)
	})
}

// TestSDKExpireWithTempPassword: v5's ExpirePasswordAndGetTemporaryPassword,
// v6's ExpirePasswordWithTempPassword and the query form
// expire_password?tempPassword=true each return a temporary password that
// signs the user in, the old one no longer does, and the user must change
// it (PASSWORD_EXPIRED).
func TestSDKExpireWithTempPassword(t *testing.T) {
	sdkSuite(t, func(t *testing.T, c *sdkClients) {
		ctx := context.Background()
		ts := c.ts
		const login = "temp.pw@example.com"
		id := ts.createUser(t, "", person(login), strongPassword)["id"].(string)
		authn := func(pw string) int {
			body, _ := json.Marshal(map[string]string{"username": login, "password": pw})
			return ts.do(t, http.MethodPost, "/api/v1/authn", "", "application/json", body).status
		}
		check := func(how, temp string, old string) {
			t.Helper()
			if temp == "" || temp == old {
				t.Fatalf("%s: temporary password %q", how, temp)
			}
			if got := authn(old); got != http.StatusUnauthorized {
				t.Errorf("%s: the previous password answered %d", how, got)
			}
			if got := authn(temp); got != http.StatusOK {
				t.Errorf("%s: the temporary password answered %d", how, got)
			}
			u, err := ts.App.Store.Users().Get(ctx, id)
			if err != nil || u.Status != "PASSWORD_EXPIRED" {
				t.Errorf("%s: status %v %v", how, u.Status, err)
			}
		}
		t5, resp, err := c.v5.UserAPI.ExpirePasswordAndGetTemporaryPassword(ctx, id).Execute()
		mustSDK(t, "v5 expire with a temporary password", http.StatusOK, resp, err)
		check("v5", t5.GetTempPassword(), strongPassword)
		t6, resp6, err := c.v6.UserCredAPI.ExpirePasswordWithTempPassword(ctx, id).Execute()
		mustSDK(t, "v6 expire with a temporary password", http.StatusOK, resp6, err)
		check("v6", t6.GetTempPassword(), t5.GetTempPassword())
		a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+id+"/lifecycle/expire_password?tempPassword=true", nil)
		if a.status != 200 {
			t.Fatalf("query form: %d %s", a.status, a.body)
		}
		check("query form", a.json(t)["tempPassword"].(string), t6.GetTempPassword())
		a = ts.mgmt(t, http.MethodPost, "/api/v1/users/00unknown/lifecycle/expire_password_with_temp_password", nil)
		wantError(t, "unknown user", a, http.StatusNotFound, "E0000007")
	})
}
