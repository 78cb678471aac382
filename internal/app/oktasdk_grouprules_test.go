package app

import (
	"context"
	"encoding/json"
	"testing"

	v5 "github.com/okta/okta-sdk-golang/v5/okta"
	v6 "github.com/okta/okta-sdk-golang/v6/okta"
)

// TestSDKGroupRules drives group rules through both SDK generations (v5's
// GroupAPI, v6's GroupRuleAPI): create, activate, read, list, deactivate,
// replace, delete with removeUsers, and the error of a refused rule, with
// the SDKs' own decoding of every answer.
func TestSDKGroupRules(t *testing.T) {
	sdkSuite(t, func(t *testing.T, c *sdkClients) {
		ctx := context.Background()
		ts := c.ts
		eng := ts.newGroup(t, "Engineering")
		p := person("ada@example.com")
		p["department"] = "Engineering"
		ts.createUser(t, "?activate=false", p, "")

		var r5 v5.GroupRule
		if err := json.Unmarshal(ruleBody("v5 rule", `user.department == "Engineering"`, []string{eng}, nil), &r5); err != nil {
			t.Fatal(err)
		}
		got5, resp, err := c.v5.GroupAPI.CreateGroupRule(ctx).GroupRule(r5).Execute()
		mustSDK(t, "v5 create", 200, resp, err)
		if got5.GetStatus() != "INACTIVE" || got5.GetConditions().Expression.GetValue() != `user.department == "Engineering"` {
			t.Fatalf("v5 created %+v", got5)
		}
		resp, err = c.v5.GroupAPI.ActivateGroupRule(ctx, got5.GetId()).Execute()
		mustSDK(t, "v5 activate", 204, resp, err)
		sameStrings(t, ts.membersOf(t, eng), []string{"ada@example.com"}, "members after the SDK activated the rule")
		read5, resp, err := c.v5.GroupAPI.GetGroupRule(ctx, got5.GetId()).Execute()
		mustSDK(t, "v5 get", 200, resp, err)
		if read5.GetStatus() != "ACTIVE" || read5.GetActions().AssignUserToGroups.GetGroupIds()[0] != eng {
			t.Fatalf("v5 read %+v", read5)
		}
		resp, err = c.v5.GroupAPI.DeactivateGroupRule(ctx, got5.GetId()).Execute()
		mustSDK(t, "v5 deactivate", 204, resp, err)
		read5.SetName("v5 rule, renamed")
		replaced, resp, err := c.v5.GroupAPI.ReplaceGroupRule(ctx, got5.GetId()).GroupRule(*read5).Execute()
		mustSDK(t, "v5 replace", 200, resp, err)
		if replaced.GetName() != "v5 rule, renamed" {
			t.Fatalf("v5 replaced %+v", replaced)
		}

		var r6 v6.CreateGroupRuleRequest
		if err := json.Unmarshal(ruleBody("v6 rule", `user.department == "Physics"`, []string{eng}, nil), &r6); err != nil {
			t.Fatal(err)
		}
		got6, resp6, err := c.v6.GroupRuleAPI.CreateGroupRule(ctx).GroupRule(r6).Execute()
		mustSDK(t, "v6 create", 200, resp6, err)
		list6, resp6, err := c.v6.GroupRuleAPI.ListGroupRules(ctx).Execute()
		mustSDK(t, "v6 list", 200, resp6, err)
		if len(list6) != 2 {
			t.Fatalf("v6 listed %d rules, want 2", len(list6))
		}
		resp6, err = c.v6.GroupRuleAPI.DeleteGroupRule(ctx, got6.GetId()).Execute()
		mustSDK(t, "v6 delete", 204, resp6, err)
		resp, err = c.v5.GroupAPI.DeleteGroupRule(ctx, got5.GetId()).RemoveUsers(true).Execute()
		mustSDK(t, "v5 delete with removeUsers", 204, resp, err)
		sameStrings(t, ts.membersOf(t, eng), nil, "members after the rule went with removeUsers")

		var bad v6.CreateGroupRuleRequest
		if err := json.Unmarshal(ruleBody("bad", `user.department ==`, []string{eng}, nil), &bad); err != nil {
			t.Fatal(err)
		}
		_, resp6, err = c.v6.GroupRuleAPI.CreateGroupRule(ctx).GroupRule(bad).Execute()
		if r := sdkStatus(resp6, err); r.status != 400 || r.code != "E0000001" {
			t.Fatalf("v6 bad expression: %+v %v", r, err)
		}
	})
}
