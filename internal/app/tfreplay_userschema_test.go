package app

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	v5 "github.com/okta/okta-sdk-golang/v5/okta"
	v6 "github.com/okta/okta-sdk-golang/v6/okta"
)

// customProp is the body the provider sends for one okta_user_schema_property
// (resourceUserSchemaCreateOrUpdate → BuildCustomUserSchema), or its
// removal when prop is "null" (resourceUserSchemaDelete).
func customProp(name, prop string) string {
	return `{"definitions":{"custom":{"id":"#custom","properties":{"` + name + `":` + prop + `},"type":"object"}}}`
}

// TestTFUserSchemaProperty replays okta_user_schema_property as the
// provider's recording TestAccResourceOktaUserSchema_enum_string shows it:
// POST the property, read the schema back (the provider compares the
// POST's answer with a GET's, member for member, and retries for two
// minutes until they agree), the plan's reads, an update, the removal by
// null, and a read that no longer finds it. Then an array and a length-
// bounded property, the user type the provider resolves for a non-default
// user_type, and the refusals.
func TestTFUserSchemaProperty(t *testing.T) {
	tfSuite(t, func(t *testing.T, ts *testServer) {
		const schema = "/api/v1/meta/schemas/user/default"
		const p = "definitions.custom.properties.testAcc_enum."
		create := `{"description":"testing","enum":["one","two","three"],"master":{"type":"OKTA"},"oneOf":[{"const":"one","title":"string One"},{"const":"two","title":"string Two"},{"const":"three","title":"string Three"}],"permissions":[{"action":"READ_ONLY","principal":"SELF"}],"required":false,"scope":"SELF","title":"terraform acceptance test","type":"string"}`
		update := strings.NewReplacer(`"one"`, `"ONE"`, `"two"`, `"TWO"`, `"three"`, `"THREE"`, "string ", "STRING ").Replace(create)
		noRequired := []string{p + "required"} // false is left out, as Okta leaves it out
		tfReplay(t, ts, nil, []tfStep{
			{name: "create", method: "POST", path: schema, body: customProp("testAcc_enum", create), status: 200, echo: true, noEcho: noRequired,
				want: map[string]any{p + "mutability": "READ_WRITE", p + "required": nil, "definitions.base.properties.login.required": true,
					"definitions.base.required": []string{"login", "firstName", "lastName", "email"}, "definitions.custom.required": []string{},
					"properties.profile.allOf.0.$ref": "#/definitions/custom", "_links.type.href": ts.URL + "/api/v1/meta/types/user/" + userTypeOf(t, ts)}},
			{name: "read", method: "GET", path: schema, status: 200, reads: customProp("testAcc_enum", create), noEcho: noRequired},
			{name: "update", method: "POST", path: schema, body: customProp("testAcc_enum", update), status: 200, echo: true, noEcho: noRequired,
				want: map[string]any{p + "enum": []string{"ONE", "TWO", "THREE"}}},
			{name: "read updated", method: "GET", path: schema, status: 200, reads: customProp("testAcc_enum", update), noEcho: noRequired},
			{name: "a value outside the enum", method: "POST", path: "/api/v1/users?activate=false",
				body: `{"profile":{"email":"enum@example.com","firstName":"E","lastName":"N","login":"enum@example.com","testAcc_enum":"one"}}`, status: 400, errorCode: "E0000001"},
			{name: "a value in the enum", method: "POST", path: "/api/v1/users?activate=false",
				body:   `{"profile":{"email":"enum@example.com","firstName":"E","lastName":"N","login":"enum@example.com","testAcc_enum":"TWO"}}`,
				status: 200, save: map[string]string{"user": "id"}, want: map[string]any{"profile.testAcc_enum": "TWO"}},
			{name: "delete", method: "POST", path: schema, body: customProp("testAcc_enum", "null"), status: 200,
				want: map[string]any{p[:len(p)-1]: nil, "definitions.custom.properties": map[string]any{}}},
			{name: "read deleted", method: "GET", path: schema, status: 200, want: map[string]any{p[:len(p)-1]: nil}},
			{name: "the value went with it", method: "GET", path: "/api/v1/users/{{user}}", status: 200, want: map[string]any{"profile.testAcc_enum": nil, "profile.login": "enum@example.com"}},
			{name: "delete again", method: "POST", path: schema, body: customProp("testAcc_enum", "null"), status: 200},
		})

		// A second POST's answer and the GET after it agree exactly on the
		// property (alterCustomUserSchema's reflect.DeepEqual).
		arr := `{"description":"teams","items":{"type":"string","enum":["red","blue"],"oneOf":[{"const":"red","title":"Red"},{"const":"blue","title":"Blue"}]},"master":{"type":"PROFILE_MASTER"},"permissions":[{"action":"READ_WRITE","principal":"SELF"}],"required":false,"scope":"NONE","title":"Teams","type":"array"}`
		posted := ts.mgmt(t, http.MethodPost, schema, json.RawMessage(customProp("teams", arr)))
		got := ts.mgmt(t, http.MethodGet, schema, nil)
		a, _ := jsonAt(posted.json(t), "definitions.custom.properties.teams")
		b, _ := jsonAt(got.json(t), "definitions.custom.properties.teams")
		if posted.status != 200 || a == nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("POST answered %d %v, GET reads %v", posted.status, a, b)
		}

		length := `{"description":"cost code","master":{"type":"PROFILE_MASTER"},"maxLength":6,"minLength":2,"pattern":"[A-Z0-9]+","permissions":[{"action":"HIDE","principal":"SELF"}],"required":true,"scope":"NONE","title":"Cost code","type":"string"}`
		q := "definitions.custom.properties.costCode."
		tfReplay(t, ts, nil, []tfStep{
			{name: "bounded, required", method: "POST", path: schema, body: customProp("costCode", length), status: 200, echo: true,
				want: map[string]any{q + "required": true, "definitions.custom.required": []string{"costCode"}}},
			{name: "missing the required property", method: "POST", path: "/api/v1/users?activate=false",
				body: `{"profile":{"email":"c@example.com","firstName":"C","lastName":"C","login":"c@example.com"}}`, status: 400, errorCode: "E0000001"},
			{name: "too long", method: "POST", path: "/api/v1/users?activate=false",
				body: `{"profile":{"email":"c@example.com","firstName":"C","lastName":"C","login":"c@example.com","costCode":"ABCDEFG"}}`, status: 400, errorCode: "E0000001"},
			{name: "against the pattern", method: "POST", path: "/api/v1/users?activate=false",
				body: `{"profile":{"email":"c@example.com","firstName":"C","lastName":"C","login":"c@example.com","costCode":"ab12"}}`, status: 400, errorCode: "E0000001"},
			{name: "an array of the wrong type", method: "POST", path: "/api/v1/users?activate=false",
				body: `{"profile":{"email":"c@example.com","firstName":"C","lastName":"C","login":"c@example.com","costCode":"AB12","teams":"red"}}`, status: 400, errorCode: "E0000001"},
			{name: "undeclared", method: "POST", path: "/api/v1/users?activate=false",
				body: `{"profile":{"email":"c@example.com","firstName":"C","lastName":"C","login":"c@example.com","costCode":"AB12","notValid":"x"}}`, status: 400, errorCode: "E0000001"},
			{name: "valid", method: "POST", path: "/api/v1/users?activate=false",
				body:   `{"profile":{"email":"c@example.com","firstName":"C","lastName":"C","login":"c@example.com","costCode":"AB12","teams":["red","blue"]}}`,
				status: 200, save: map[string]string{"c": "id"}, want: map[string]any{"profile.teams": []string{"red", "blue"}}},
			{name: "partial update keeps the rest", method: "POST", path: "/api/v1/users/{{c}}", body: `{"profile":{"costCode":"ZZ9"}}`, status: 200,
				want: map[string]any{"profile.costCode": "ZZ9", "profile.teams": []string{"red", "blue"}}},
			{name: "bad type", method: "POST", path: schema, body: customProp("x1", `{"title":"X","type":"object"}`), status: 400, errorCode: "E0000001"},
			{name: "no title", method: "POST", path: schema, body: customProp("x1", `{"type":"string"}`), status: 400, errorCode: "E0000001"},
			{name: "bad name", method: "POST", path: schema, body: customProp("1x", `{"title":"X","type":"string"}`), status: 400, errorCode: "E0000001"},
			{name: "a base name", method: "POST", path: schema, body: customProp("email", `{"title":"X","type":"string"}`), status: 400, errorCode: "E0000001"},
			{name: "enum of another type", method: "POST", path: schema, body: customProp("x1", `{"title":"X","type":"integer","enum":["a"]}`), status: 400, errorCode: "E0000001"},
			{name: "bad pattern", method: "POST", path: schema, body: customProp("x1", `{"title":"X","type":"string","pattern":"(["}`), status: 400, errorCode: "E0000001"},
			{name: "base change", method: "POST", path: schema, body: `{"definitions":{"base":{"id":"#base","properties":{"login":{"title":"Login","type":"string"}},"type":"object"}}}`, status: 400, errorCode: "E0000001"},
			{name: "malformed", method: "POST", path: schema, body: `{"definitions":{"custom":{"properties":{"x1":{"title":5}}}}}`, status: 400, errorCode: "E0000003"},
			{name: "unknown schema", method: "GET", path: "/api/v1/meta/schemas/user/oscNOPE", status: 404, errorCode: "E0000007"},
			{name: "schema by its id", method: "GET", path: "/api/v1/meta/schemas/user/osc" + userTypeOf(t, ts)[3:], status: 200,
				want: map[string]any{"definitions.custom.properties.costCode.maxLength": 6}},
			{name: "types", method: "GET", path: "/api/v1/meta/types/user", status: 200,
				want: map[string]any{"0.default": true, "0.name": "user", "0._links.schema.href": ts.URL + "/api/v1/meta/schemas/user/osc" + userTypeOf(t, ts)[3:]}},
			{name: "type", method: "GET", path: "/api/v1/meta/types/user/" + userTypeOf(t, ts), status: 200, want: map[string]any{"default": true}},
			{name: "unknown type", method: "GET", path: "/api/v1/meta/types/user/otyNOPE", status: 404, errorCode: "E0000007"},
		})
	})
}

// userTypeOf reads the type id a user's _links.type points at (the one
// the provider resolves).
func userTypeOf(t *testing.T, ts *testServer) string {
	t.Helper()
	a := ts.mgmt(t, http.MethodGet, "/api/v1/meta/types/user", nil)
	var list []map[string]any
	if a.status != 200 || json.Unmarshal(a.body, &list) != nil || len(list) != 1 {
		t.Fatalf("types: %d %s", a.status, a.body)
	}
	return list[0]["id"].(string)
}

// TestSDKUserSchema drives the schema through both SDKs: UpdateUserProfile
// adds a property, GetUserSchema reads it (strict decoding of the whole
// document), a user is created with the attribute, and the property is
// removed; ListUserTypes and GetUserType read the default type.
func TestSDKUserSchema(t *testing.T) {
	sdkSuite(t, func(t *testing.T, c *sdkClients) {
		ctx := context.Background()

		// v5
		attr5 := v5.NewUserSchemaAttribute()
		attr5.SetTitle("Shoe size")
		attr5.SetType("integer")
		attr5.SetDescription("EU")
		body5 := v5.UserSchema{Definitions: &v5.UserSchemaDefinitions{Custom: &v5.UserSchemaPublic{
			Properties: &map[string]v5.UserSchemaAttribute{"shoeSize": *attr5}}}}
		got5, resp, err := c.v5.SchemaAPI.UpdateUserProfile(ctx, "default").UserSchema(body5).Execute()
		mustSDK(t, "v5 add a property", http.StatusOK, resp, err)
		prop5, ok := got5.GetDefinitions().Custom.GetProperties()["shoeSize"]
		if !ok || prop5.GetType() != "integer" || prop5.GetMutability() != "READ_WRITE" {
			t.Fatalf("v5 custom property %+v", prop5)
		}
		read5, resp, err := c.v5.SchemaAPI.GetUserSchema(ctx, "default").Execute()
		mustSDK(t, "v5 get schema", http.StatusOK, resp, err)
		if bp := read5.GetDefinitions().Base.GetProperties(); bp.Login == nil || bp.Login.GetTitle() != "Username" {
			t.Fatal("v5: no base login")
		}
		ts := c.ts
		p := person("shoes@example.com")
		p["shoeSize"] = 44
		ts.createUser(t, "", p, "")
		p2 := person("shoes2@example.com")
		p2["shoeSize"] = 44.5
		wantError(t, "a fraction for an integer", ts.mgmt(t, http.MethodPost, "/api/v1/users", map[string]any{"profile": p2}), 400, "E0000001")

		// v6
		attr6 := v6.NewUserSchemaAttribute()
		attr6.SetTitle("Nickname at work")
		attr6.SetType("string")
		attr6.SetMaxLength(20)
		body6 := v6.UserSchema{Definitions: &v6.UserSchemaDefinitions{Custom: &v6.UserSchemaPublic{
			Properties: &map[string]v6.UserSchemaAttribute{"workNick": *attr6}}}}
		got6, resp6, err := c.v6.SchemaAPI.UpdateUserProfile(ctx, "default").UserSchema(body6).Execute()
		mustSDK(t, "v6 add a property", http.StatusOK, resp6, err)
		props6 := got6.GetDefinitions().Custom.GetProperties()
		nick, shoe := props6["workNick"], props6["shoeSize"]
		if nick.GetMaxLength() != 20 || shoe.GetTitle() != "Shoe size" {
			t.Fatalf("v6 custom properties %+v", props6)
		}
		types, resp6, err := c.v6.UserTypeAPI.ListUserTypes(ctx).Execute()
		mustSDK(t, "v6 list user types", http.StatusOK, resp6, err)
		if len(types) != 1 || types[0].GetId() == "" {
			t.Fatalf("v6 types %+v", types)
		}
		ut, resp6, err := c.v6.UserTypeAPI.GetUserType(ctx, types[0].GetId()).Execute()
		mustSDK(t, "v6 get user type", http.StatusOK, resp6, err)
		if ut.GetId() != types[0].GetId() || ut.AdditionalProperties["name"] != "user" {
			t.Fatalf("v6 type %+v", ut)
		}
		_, resp5t, err := c.v5.UserTypeAPI.ListUserTypes(ctx).Execute()
		mustSDK(t, "v5 list user types", http.StatusOK, resp5t, err)

		// Removal: Okta's null. The SDK models cannot send a null
		// property, so this is the raw request the provider sends.
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/meta/schemas/user/default", json.RawMessage(customProp("shoeSize", "null"))); a.status != 200 {
			t.Fatalf("remove: %d %s", a.status, a.body)
		}
		read6, resp6, err := c.v6.SchemaAPI.GetUserSchema(ctx, "default").Execute()
		mustSDK(t, "v6 get schema", http.StatusOK, resp6, err)
		if _, still := read6.GetDefinitions().Custom.GetProperties()["shoeSize"]; still {
			t.Fatal("v6: shoeSize still declared")
		}
	})
}
