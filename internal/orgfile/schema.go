package orgfile

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Schema describes what a value of an org file may be. One table serves
// three purposes: checking a file before anything is applied (so that a bad
// value is reported with its line), the JSON Schema published for editors
// (docs/org.schema.json, generated from it by JSONSchema), and the reference
// in docs/org-file.md.
//
// Objects in Okta's shapes (an app, a scope, a policy…) are Open: the
// members listed are the ones Sesame knows today, for editors, and any other
// member is passed to the management API as it is, which validates it — so
// the file grows with the API without a change here.
type Schema struct {
	Type        string // object, array, string, boolean, integer, or "" for any
	Description string
	Props       []Prop
	Required    []string
	Items       *Schema
	Enum        []string
	Open        bool // members not in Props are allowed
	Secret      bool // never printed in a plan
	AnyOf       []*Schema
}

// Prop is one member of an object.
type Prop struct {
	Name string
	*Schema
}

func obj(desc string, props ...Prop) *Schema {
	return &Schema{Type: "object", Description: desc, Props: props}
}
func open(desc string, props ...Prop) *Schema {
	return &Schema{Type: "object", Description: desc, Props: props, Open: true}
}
func arr(desc string, items *Schema) *Schema {
	return &Schema{Type: "array", Description: desc, Items: items}
}
func str(desc string) *Schema       { return &Schema{Type: "string", Description: desc} }
func secretStr(desc string) *Schema { return &Schema{Type: "string", Description: desc, Secret: true} }
func boolean(desc string) *Schema   { return &Schema{Type: "boolean", Description: desc} }
func integer(desc string) *Schema   { return &Schema{Type: "integer", Description: desc} }
func enum(desc string, values ...string) *Schema {
	return &Schema{Type: "string", Description: desc, Enum: values}
}
func strs(desc string) *Schema      { return arr(desc, &Schema{Type: "string"}) }
func p(name string, s *Schema) Prop { return Prop{Name: name, Schema: s} }

func (s *Schema) require(names ...string) *Schema { s.Required = names; return s }

// activeStatus is the status of configuration objects.
var activeStatus = enum("ACTIVE (the default) or INACTIVE", "ACTIVE", "INACTIVE")

var personSchema = obj("A person (an Okta user), matched by profile.login.",
	p("profile", open("Okta's user profile: login, email, firstName and lastName are required; any other attribute is kept.",
		p("login", str("Username, in the form of an email address; identifies the person in the file.")),
		p("email", str("Primary email.")),
		p("firstName", str("Given name.")),
		p("lastName", str("Family name.")),
		p("displayName", str("Display name.")),
	).require("login")),
	p("password", secretStr("The password, set when the person is created (and, on a local database, whenever it differs).")),
	p("passwordHash", &Schema{Description: "A password hash instead of a password: an argon2id PHC string ($argon2id$v=19$…) on a local database, or Okta's credentials.password.hash object where the server accepts it.", Secret: true,
		AnyOf: []*Schema{{Type: "string"}, {Type: "object", Open: true}}}),
	p("status", enum("ACTIVE (the default; PROVISIONED while there is no password), STAGED, SUSPENDED or DEPROVISIONED.",
		"ACTIVE", "STAGED", "SUSPENDED", "DEPROVISIONED")),
	p("groups", strs("Names of the groups the person is a member of: exactly these (Everyone is implicit).")),
	p("roles", arr("The person's standard administrator roles: exactly these (absent: left as they are).",
		enum("A standard role type.", adminRoleTypes...))),
).require("profile")

// adminRoleTypes are the standard roles /api/v1/users/{id}/roles assigns.
var adminRoleTypes = []string{"SUPER_ADMIN", "ORG_ADMIN", "APP_ADMIN", "USER_ADMIN", "HELP_DESK_ADMIN",
	"GROUP_MEMBERSHIP_ADMIN", "READ_ONLY_ADMIN", "API_ACCESS_MANAGEMENT_ADMIN", "REPORT_ADMIN"}

var groupSchema = obj("A group (OKTA_GROUP), matched by name.",
	p("name", str("The group's name; identifies it in the file.")),
	p("description", str("Description.")),
	p("profile", open("Further profile attributes of the group.")),
).require("name")

var appSchema = open("An app in the shape POST /api/v1/apps takes, matched by credentials.oauthClient.client_id when the file fixes it, else by label. name defaults to oidc_client and signOnMode to OPENID_CONNECT.",
	p("label", str("The app's label.")),
	p("name", str("oidc_client (the default).")),
	p("signOnMode", str("OPENID_CONNECT (the default).")),
	p("status", activeStatus),
	p("credentials", open("",
		p("oauthClient", open("",
			p("client_id", str("A fixed client id (tests can hard-code it); generated when absent.")),
			p("client_secret", secretStr("A fixed client secret (refused without --allow-fixed-secrets); generated when absent and the app needs one.")),
			p("token_endpoint_auth_method", enum("How the client authenticates.", "none", "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt")),
			p("pkce_required", boolean("Whether PKCE is required.")),
			p("autoKeyRotation", boolean("")),
		)),
	)),
	p("settings", open("",
		p("oauthClient", open("",
			p("application_type", enum("", "browser", "web", "native", "service")),
			p("grant_types", strs("")),
			p("response_types", strs("")),
			p("redirect_uris", strs("Sign-in redirect URIs, matched exactly.")),
			p("post_logout_redirect_uris", strs("Sign-out redirect URIs.")),
			p("initiate_login_uri", str("")),
			p("consent_method", enum("", "TRUSTED", "REQUIRED")),
			p("issuer_mode", enum("", "ORG_URL", "DYNAMIC", "CUSTOM_URL")),
			p("wildcard_redirect", enum("", "DISABLED", "SUBDOMAIN")),
			p("refresh_token", open("", p("rotation_type", enum("", "ROTATE", "STATIC")), p("leeway", integer("Seconds a rotated token still works.")))),
			p("jwks", open("The client's public keys (private_key_jwt).", p("keys", arr("", open("A public JWK."))))),
			p("jwks_uri", str("Where the client publishes its keys.")),
		)),
	)),
	p("assignments", obj("Who may use the app: exactly these.",
		p("people", strs("Logins of people assigned directly.")),
		p("groups", strs("Names of groups assigned.")),
	)),
	p("grants", strs("Okta API scopes granted to the app on the org authorization server (okta.users.read …): exactly these.")),
).require("label")

var originSchema = open("A trusted origin in the shape POST /api/v1/trustedOrigins takes, matched by origin.",
	p("name", str("")),
	p("origin", str("scheme://host[:port]")),
	p("scopes", arr("", open("", p("type", enum("", "CORS", "REDIRECT", "IFRAME_EMBED"))).require("type"))),
	p("status", activeStatus),
).require("name", "origin")

var scopeSchema = open("A scope, matched by name.",
	p("name", str("")), p("displayName", str("")), p("description", str("")),
	p("default", boolean("Granted when a client asks for no scope.")),
	p("consent", enum("", "IMPLICIT", "REQUIRED", "FLEXIBLE")),
	p("metadataPublish", enum("", "NO_CLIENTS", "ALL_CLIENTS")),
	p("optional", boolean("")),
).require("name")

var claimSchema = open("A claim, matched by name and claimType.",
	p("name", str("")),
	p("claimType", enum("", "RESOURCE", "IDENTITY")),
	p("valueType", enum("", "EXPRESSION", "GROUPS")),
	p("value", str("An expression, or the group filter for GROUPS.")),
	p("group_filter_type", enum("", "STARTS_WITH", "EQUALS", "CONTAINS", "REGEX")),
	p("alwaysIncludeInToken", boolean("")),
	p("conditions", open("", p("scopes", strs("")))),
	p("status", activeStatus),
).require("name", "claimType")

var ruleSchema = open("A rule, matched by name within its policy. conditions.people.users lists logins and conditions.people.groups group names (or EVERYONE).",
	p("name", str("")),
	p("type", str("RESOURCE_ACCESS (the default).")),
	p("priority", integer("")),
	p("status", activeStatus),
	p("conditions", open("",
		p("people", open("",
			p("users", open("", p("include", strs("Logins.")), p("exclude", strs("Logins.")))),
			p("groups", open("", p("include", strs("Group names or EVERYONE.")), p("exclude", strs("Group names."))))),
		),
		p("grantTypes", open("", p("include", strs("")))),
		p("scopes", open("", p("include", strs("Scope names or *.")))),
	)),
	p("actions", open("", p("token", open("",
		p("accessTokenLifetimeMinutes", integer("")),
		p("refreshTokenLifetimeMinutes", integer("")),
		p("refreshTokenWindowMinutes", integer("")),
	)))),
).require("name")

var policySchema = open("An access policy, matched by name. conditions.clients.include lists app labels or client ids (or ALL_CLIENTS).",
	p("name", str("")),
	p("description", str("")),
	p("type", str("OAUTH_AUTHORIZATION_POLICY (the default).")),
	p("priority", integer("")),
	p("status", activeStatus),
	p("conditions", open("", p("clients", open("", p("include", strs("App labels, client ids or ALL_CLIENTS.")))))),
	p("rules", arr("The policy's rules.", ruleSchema)),
).require("name")

var serverSchema = open("An authorization server in the shape POST /api/v1/authorizationServers takes, matched by name (\"default\" is the default server).",
	p("name", str("")),
	p("description", str("")),
	p("audiences", strs("")),
	p("issuerMode", enum("", "ORG_URL", "DYNAMIC", "CUSTOM_URL")),
	p("status", activeStatus),
	p("scopes", arr("Its scopes (system scopes such as openid exist already and may be named to change them).", scopeSchema)),
	p("claims", arr("Its claims.", claimSchema)),
	p("policies", arr("Its access policies.", policySchema)),
).require("name")

var tokenSchema = obj("An API token (SSWS), matched by name. Applied only to a local database: the management API cannot create tokens.",
	p("name", str("")),
	p("owner", str("Login of the super administrator the token acts as.")),
	p("value", secretStr("A fixed token value (refused without --allow-fixed-secrets); generated when absent (sesame apply --secrets-out keeps it).")),
).require("name", "owner")

// fileSchema is the whole org file.
var fileSchema = obj("A Sesame org: what `sesame apply` makes true and `sesame export` writes.",
	p("people", arr("People.", personSchema)),
	p("groups", arr("Groups.", groupSchema)),
	p("apps", arr("Apps.", appSchema)),
	p("trustedOrigins", arr("Trusted origins.", originSchema)),
	p("authorizationServers", arr("Custom authorization servers.", serverSchema)),
	p("apiTokens", arr("API tokens.", tokenSchema)),
)

// check validates v against s and collects every problem with its position.
func (s *Schema) check(v any, path string, pos positions, file string, errs *[]error) {
	bad := func(msg string) {
		*errs = append(*errs, &PathError{File: file, Pos: pos[path], Path: path, Msg: msg})
	}
	if v == nil {
		if s.Type != "" {
			bad("a value is required here (" + s.Type + ")")
		}
		return
	}
	if len(s.AnyOf) > 0 {
		for _, alt := range s.AnyOf {
			var sub []error
			alt.check(v, path, pos, file, &sub)
			if len(sub) == 0 {
				return
			}
		}
		kinds := make([]string, len(s.AnyOf))
		for i, alt := range s.AnyOf {
			kinds[i] = alt.Type
		}
		bad("want " + strings.Join(kinds, " or "))
		return
	}
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("want a mapping, not " + kindOf(v))
			return
		}
		known := map[string]*Schema{}
		for _, pr := range s.Props {
			known[pr.Name] = pr.Schema
		}
		for _, k := range sortedKeys(m) {
			sub, ok := known[k]
			switch {
			case ok:
				sub.check(m[k], joinKey(path, k), pos, file, errs)
			case !s.Open:
				*errs = append(*errs, &PathError{File: file, Pos: pos[joinKey(path, k)+keySuffix], Path: joinKey(path, k), Msg: "unknown key; expected one of " + strings.Join(s.propNames(), ", ")})
			}
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				bad(r + " is required")
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			bad("want a list, not " + kindOf(v))
			return
		}
		for i, item := range a {
			s.Items.check(item, path+"["+strconv.Itoa(i)+"]", pos, file, errs)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("want a string, not " + kindOf(v))
			return
		}
		if len(s.Enum) > 0 && !contains(s.Enum, str) {
			bad(fmt.Sprintf("%q is not one of %s", str, strings.Join(s.Enum, ", ")))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("want true or false, not " + kindOf(v))
		}
	case "integer":
		switch n := v.(type) {
		case int64:
		case float64:
			if n != math.Trunc(n) {
				bad("want a whole number")
			}
		default:
			bad("want a whole number, not " + kindOf(v))
		}
	}
}

func (s *Schema) propNames() []string {
	out := make([]string, len(s.Props))
	for i, pr := range s.Props {
		out[i] = pr.Name
	}
	return out
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "true/false"
	case int64, float64:
		return "a number"
	}
	return "null"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// JSONSchema renders the file's schema as JSON Schema (draft 2020-12) for
// editors (yaml-language-server, VS Code, JetBrains).
func JSONSchema() ([]byte, error) {
	doc := fileSchema.jsonSchema()
	doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	doc["$id"] = "https://github.com/sesame-idp/sesame/blob/main/docs/org.schema.json"
	doc["title"] = "Sesame org file"
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func (s *Schema) jsonSchema() map[string]any {
	out := map[string]any{}
	if s.Type != "" {
		out["type"] = s.Type
	}
	if s.Description != "" {
		out["description"] = s.Description
	}
	if len(s.Enum) > 0 {
		out["enum"] = s.Enum
	}
	if len(s.AnyOf) > 0 {
		var alts []any
		for _, a := range s.AnyOf {
			alts = append(alts, a.jsonSchema())
		}
		out["anyOf"] = alts
	}
	if s.Type == "object" {
		props := map[string]any{}
		for _, pr := range s.Props {
			props[pr.Name] = pr.Schema.jsonSchema()
		}
		if len(props) > 0 {
			out["properties"] = props
		}
		if len(s.Required) > 0 {
			out["required"] = s.Required
		}
		if !s.Open {
			out["additionalProperties"] = false
		}
	}
	if s.Items != nil {
		out["items"] = s.Items.jsonSchema()
	}
	return out
}
