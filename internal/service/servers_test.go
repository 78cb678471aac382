package service

import (
	"slices"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestValidateAuthServer: name and exactly one audience are required, an
// audience with ':' is a URI, issuer and rotation modes are Okta's (§4.2).
func TestValidateAuthServer(t *testing.T) {
	for _, c := range []struct {
		name   string
		s      store.AuthServer
		causes []string
	}{
		{"minimal", store.AuthServer{Name: "api", Audiences: []string{"api://sesame"}}, nil},
		{"plain audience", store.AuthServer{Name: "api", Audiences: []string{"sesame-api"}}, nil},
		{"blank name", store.AuthServer{Name: "  ", Audiences: []string{"a"}}, []string{"name: The field cannot be left blank"}},
		{"long name", store.AuthServer{Name: strings.Repeat("n", 101), Audiences: []string{"a"}}, []string{"name: The field must be at most 100 characters"}},
		{"no audience", store.AuthServer{Name: "api"}, []string{"audiences: The field cannot be left blank"}},
		{"blank audience", store.AuthServer{Name: "api", Audiences: []string{" "}}, []string{"audiences: The field cannot be left blank"}},
		{"two audiences", store.AuthServer{Name: "api", Audiences: []string{"a", "b"}}, []string{"audiences: Only one audience is supported"}},
		{"colon but no URI", store.AuthServer{Name: "api", Audiences: []string{":nope"}}, []string{"audiences: An audience containing ':' must be a valid URI"}},
		{"issuer mode", store.AuthServer{Name: "api", Audiences: []string{"a"}, IssuerMode: "SOMETIMES"},
			[]string{"issuerMode: Must be one of ORG_URL, DYNAMIC, CUSTOM_URL"}},
		{"rotation mode", store.AuthServer{Name: "api", Audiences: []string{"a"}, RotationMode: "NEVER"},
			[]string{"credentials.signing.rotationMode: Must be one of AUTO, MANUAL"}},
		{"long description", store.AuthServer{Name: "api", Audiences: []string{"a"}, Description: strings.Repeat("d", 1001)},
			[]string{"description: The field must be at most 1000 characters"}},
	} {
		err := ValidateAuthServer(&c.s)
		switch {
		case c.causes == nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.causes == nil:
			if c.s.IssuerMode != "ORG_URL" || c.s.RotationMode != "AUTO" {
				t.Errorf("%s: defaults %s %s, want ORG_URL AUTO", c.name, c.s.IssuerMode, c.s.RotationMode)
			}
		case err == nil:
			t.Errorf("%s: accepted", c.name)
		default:
			wantOkta(t, c.name, err, 400, "E0000001", c.causes...)
		}
	}
}

// TestAuthServerLifecycle: a new server gets the system scopes and claims
// and a signing key; an inactive one is not served; the default server
// cannot be deleted (§4.2).
func TestAuthServerLifecycle(t *testing.T) {
	f := newFixture(t)
	srv := &store.AuthServer{Name: "Payments", Audiences: []string{"api://payments"}}
	if err := f.svc.CreateAuthServer(f.ctx, SystemContext, srv); err != nil {
		t.Fatal(err)
	}
	if srv.Status != store.StatusActive || srv.Default || srv.NextRotation.IsZero() {
		t.Errorf("created %+v", srv)
	}
	scopes, err := f.svc.ListScopes(f.ctx, srv.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sc := range scopes {
		if !sc.System {
			t.Errorf("scope %s of a new server is not a system scope", sc.Name)
		}
		names = append(names, sc.Name)
	}
	slices.Sort(names)
	if want := []string{"address", "device_sso", "email", "offline_access", "openid", "phone", "profile"}; !slices.Equal(names, want) {
		t.Errorf("system scopes %v, want %v", names, want)
	}
	cached := f.cache.Current().Servers[srv.ID]
	if !cached.Serving() || cached.Active == nil {
		t.Fatal("a new server is not served with a signing key at once")
	}
	if err := f.svc.SetAuthServerStatus(f.ctx, SystemContext, srv.ID, store.StatusInactive); err != nil {
		t.Fatal(err)
	}
	if f.cache.Current().Servers[srv.ID].Serving() {
		t.Error("an inactive server is served")
	}
	wantOkta(t, "delete default", f.svc.DeleteAuthServer(f.ctx, SystemContext, "default"), 403, "E0000006")
	wantOkta(t, "status of unknown", f.svc.SetAuthServerStatus(f.ctx, SystemContext, "ausnothere", store.StatusActive), 404, "E0000007")
	if err := f.svc.DeleteAuthServer(f.ctx, SystemContext, srv.ID); err != nil {
		t.Fatal(err)
	}
	if f.cache.Current().Servers[srv.ID] != nil {
		t.Error("a deleted server is still in the snapshot")
	}
	wantOkta(t, "delete again", f.svc.DeleteAuthServer(f.ctx, SystemContext, srv.ID), 404, "E0000007")
}

// TestValidateScope: a scope name is one RFC 6749 scope token, not Okta's
// reserved okta.* names; consent defaults to IMPLICIT and metadataPublish
// to NO_CLIENTS (§4.3).
func TestValidateScope(t *testing.T) {
	for _, c := range []struct {
		name   string
		sc     store.Scope
		causes []string
	}{
		{"plain", store.Scope{Name: "car:drive"}, nil},
		{"blank", store.Scope{}, []string{"name: The field cannot be left blank"}},
		{"space", store.Scope{Name: "car drive"}, []string{"name: Scope names may contain only printable ASCII characters other than space, double quote and backslash"}},
		{"quote", store.Scope{Name: `car"`}, []string{"name: Scope names may contain only printable ASCII characters other than space, double quote and backslash"}},
		{"backslash", store.Scope{Name: `car\`}, []string{"name: Scope names may contain only printable ASCII characters other than space, double quote and backslash"}},
		{"not ASCII", store.Scope{Name: "café"}, []string{"name: Scope names may contain only printable ASCII characters other than space, double quote and backslash"}},
		{"okta.", store.Scope{Name: "okta.users.read"}, []string{"name: The scope name is reserved"}},
		{"Okta, any case", store.Scope{Name: "OKTA"}, []string{"name: The scope name is reserved"}},
		{"okta:", store.Scope{Name: "okta:x"}, []string{"name: The scope name is reserved"}},
		{"wildcard", store.Scope{Name: "*"}, []string{"name: The scope name is reserved"}},
		{"301 characters", store.Scope{Name: strings.Repeat("s", 301)}, []string{"name: The scope name must be at most 300 characters"}},
		{"consent", store.Scope{Name: "s", Consent: "ALWAYS"}, []string{"consent: Must be one of IMPLICIT, REQUIRED, FLEXIBLE"}},
		{"metadataPublish", store.Scope{Name: "s", MetadataPublish: "SOME"}, []string{"metadataPublish: Must be one of NO_CLIENTS, ALL_CLIENTS"}},
	} {
		err := ValidateScope(&c.sc)
		switch {
		case c.causes == nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.causes == nil:
			if c.sc.Consent != "IMPLICIT" || c.sc.MetadataPublish != "NO_CLIENTS" {
				t.Errorf("%s: defaults %s %s", c.name, c.sc.Consent, c.sc.MetadataPublish)
			}
		case err == nil:
			t.Errorf("%s: accepted", c.name)
		default:
			wantOkta(t, c.name, err, 400, "E0000001", c.causes...)
		}
	}
}

// TestScopeRules: unique per server; system scopes are neither deleted nor
// renamed; an unknown server is E0000007.
func TestScopeRules(t *testing.T) {
	f := newFixture(t)
	sc := &store.Scope{Name: "read"}
	if err := f.svc.CreateScope(f.ctx, SystemContext, "default", sc); err != nil {
		t.Fatal(err)
	}
	if f.cache.Current().Servers["default"].ScopesByName["read"] == nil {
		t.Error("a new scope is not in the snapshot at once")
	}
	wantOkta(t, "duplicate", f.svc.CreateScope(f.ctx, SystemContext, "default", &store.Scope{Name: "read"}), 400, "E0000001",
		"name: A scope with the same name already exists for this authorization server.")
	wantOkta(t, "system flag from a request", f.svc.CreateScope(f.ctx, SystemContext, "default", &store.Scope{Name: "okta.x", System: true}), 400, "E0000001",
		"name: The scope name is reserved")
	wantOkta(t, "unknown server", f.svc.CreateScope(f.ctx, SystemContext, "ausnothere", &store.Scope{Name: "x"}), 404, "E0000007")
	scopes, err := f.svc.ListScopes(f.ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	var openid *store.Scope
	for _, s := range scopes {
		if s.Name == "openid" {
			openid = s
		}
	}
	if openid == nil {
		t.Fatal("no openid scope")
	}
	wantOkta(t, "delete openid", f.svc.DeleteScope(f.ctx, SystemContext, "default", openid.ID), 403, "E0000006")
	renamed := *openid
	renamed.Name = "oidc"
	wantOkta(t, "rename openid", f.svc.UpdateScope(f.ctx, SystemContext, "default", &renamed), 400, "E0000001", "name: A system scope cannot be renamed.")
	// A system scope may still become a default scope.
	def := *openid
	def.Default = true
	if err := f.svc.UpdateScope(f.ctx, SystemContext, "default", &def); err != nil {
		t.Errorf("make openid a default scope: %v", err)
	}
	if err := f.svc.DeleteScope(f.ctx, SystemContext, "default", sc.ID); err != nil {
		t.Fatal(err)
	}
	wantOkta(t, "delete again", f.svc.DeleteScope(f.ctx, SystemContext, "default", sc.ID), 404, "E0000007")
}

// TestValidateClaim: the claim object's rules (§4.4): a name that is not
// one of the claims Sesame sets itself, RESOURCE or IDENTITY, an
// expression that parses, a GROUPS claim with a filter (a REGEX one that
// compiles).
func TestValidateClaim(t *testing.T) {
	for _, c := range []struct {
		name   string
		cl     store.Claim
		causes []string
	}{
		{"expression", store.Claim{Name: "dept", ClaimType: "RESOURCE", Value: "user.department"}, nil},
		{"groups regex", store.Claim{Name: "groups", ClaimType: "IDENTITY", ValueType: "GROUPS", GroupFilterType: "REGEX", Value: "eng-.*"}, nil},
		{"blank name", store.Claim{ClaimType: "RESOURCE", Value: "1"}, []string{"name: The field cannot be left blank"}},
		{"reserved sub", store.Claim{Name: "sub", ClaimType: "RESOURCE", Value: "1"}, []string{"name: The claim name 'sub' is reserved"}},
		{"reserved scp", store.Claim{Name: "scp", ClaimType: "RESOURCE", Value: "1"}, []string{"name: The claim name 'scp' is reserved"}},
		{"space in name", store.Claim{Name: "my claim", ClaimType: "RESOURCE", Value: "1"}, []string{"name: Claim names may not contain spaces or control characters"}},
		{"long name", store.Claim{Name: strings.Repeat("c", 256), ClaimType: "RESOURCE", Value: "1"}, []string{"name: The claim name must be at most 255 characters"}},
		{"no claim type", store.Claim{Name: "c", Value: "1"}, []string{"claimType: The field cannot be left blank"}},
		{"bad claim type", store.Claim{Name: "c", ClaimType: "ACCESS", Value: "1"}, []string{"claimType: Must be one of RESOURCE, IDENTITY"}},
		{"bad status", store.Claim{Name: "c", ClaimType: "RESOURCE", Value: "1", Status: "ON"}, []string{"status: Must be one of ACTIVE, INACTIVE"}},
		{"blank expression", store.Claim{Name: "c", ClaimType: "RESOURCE"}, []string{"value: The field cannot be left blank"}},
		{"SYSTEM value type from a request", store.Claim{Name: "c", ClaimType: "RESOURCE", ValueType: "SYSTEM", Value: "user.email"},
			[]string{"valueType: Must be one of EXPRESSION, GROUPS"}},
		{"groups without filter", store.Claim{Name: "g", ClaimType: "RESOURCE", ValueType: "GROUPS", Value: "eng"},
			[]string{"group_filter_type: The field cannot be left blank for a GROUPS claim"}},
		{"groups bad filter", store.Claim{Name: "g", ClaimType: "RESOURCE", ValueType: "GROUPS", GroupFilterType: "ENDS_WITH", Value: "eng"},
			[]string{"group_filter_type: Must be one of STARTS_WITH, EQUALS, CONTAINS, REGEX"}},
		{"groups blank value", store.Claim{Name: "g", ClaimType: "RESOURCE", ValueType: "GROUPS", GroupFilterType: "EQUALS"},
			[]string{"value: The field cannot be left blank"}},
	} {
		err := ValidateClaim(&c.cl)
		switch {
		case c.causes == nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.causes == nil:
			if c.cl.Status != store.StatusActive || c.cl.ConditionScopes == nil || c.cl.ClaimType == "RESOURCE" && !c.cl.AlwaysIncludeInToken {
				t.Errorf("%s: normalized to %+v", c.name, c.cl)
			}
		case err == nil:
			t.Errorf("%s: accepted", c.name)
		default:
			wantOkta(t, c.name, err, 400, "E0000001", c.causes...)
		}
	}
	// Expressions and regexes that do not parse are named, not accepted.
	for _, cl := range []store.Claim{
		{Name: "c", ClaimType: "RESOURCE", Value: "user.("},
		{Name: "g", ClaimType: "RESOURCE", ValueType: "GROUPS", GroupFilterType: "REGEX", Value: "("},
	} {
		if err := ValidateClaim(&cl); err == nil {
			t.Errorf("%q accepted", cl.Value)
		} else {
			wantOkta(t, cl.Value, err, 400, "E0000001")
		}
	}
}

// TestClaimRules: a name is unique per claim type on a server, condition
// scopes must exist there, system claims are neither deleted nor changed,
// and a new claim is compiled into the snapshot.
func TestClaimRules(t *testing.T) {
	f := newFixture(t)
	dept := &store.Claim{Name: "dept", ClaimType: "RESOURCE", Value: `user.department + "!"`}
	if err := f.svc.CreateClaim(f.ctx, SystemContext, "default", dept); err != nil {
		t.Fatal(err)
	}
	if e, err := f.cache.Current().ClaimExpr(dept.Value); err != nil || e == nil {
		t.Errorf("the new claim's expression: %v", err)
	}
	wantOkta(t, "same name and type", f.svc.CreateClaim(f.ctx, SystemContext, "default", &store.Claim{Name: "dept", ClaimType: "RESOURCE", Value: "1"}),
		400, "E0000001", "name: A claim with the same name and claim type already exists for this authorization server.")
	if err := f.svc.CreateClaim(f.ctx, SystemContext, "default", &store.Claim{Name: "dept", ClaimType: "IDENTITY", Value: "1"}); err != nil {
		t.Errorf("same name, other claim type: %v", err)
	}
	wantOkta(t, "unknown condition scope", f.svc.CreateClaim(f.ctx, SystemContext, "default",
		&store.Claim{Name: "c2", ClaimType: "RESOURCE", Value: "1", ConditionScopes: []string{"profile", "nothere"}}),
		400, "E0000001", "conditions.scopes: The scope 'nothere' does not exist on this authorization server.")
	wantOkta(t, "unknown server", f.svc.CreateClaim(f.ctx, SystemContext, "ausnothere", &store.Claim{Name: "c3", ClaimType: "RESOURCE", Value: "1"}),
		404, "E0000007")

	claims, err := f.svc.ListClaims(f.ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	var sub *store.Claim
	for _, c := range claims {
		if c.Name == "sub" && c.System {
			sub = c
		}
	}
	if sub == nil {
		t.Fatal("no system sub claim")
	}
	wantOkta(t, "delete system claim", f.svc.DeleteClaim(f.ctx, SystemContext, "default", sub.ID), 403, "E0000006")
	changed := *sub
	changed.Value = "user.email"
	wantOkta(t, "change system claim's value", f.svc.UpdateClaim(f.ctx, SystemContext, "default", &changed), 400, "E0000001",
		"name: The name, claim type and value of a system claim cannot be changed.")
	// What Terraform's default-claim resource sends: only the status.
	if err := f.svc.UpdateClaim(f.ctx, SystemContext, "default", &store.Claim{ID: sub.ID, Status: store.StatusInactive}); err != nil {
		t.Errorf("deactivate the system claim with a partial body: %v", err)
	}
	if got, err := f.svc.GetClaim(f.ctx, "default", sub.ID); err != nil || got.Status != store.StatusInactive || got.Value != sub.Value {
		t.Errorf("after the partial update: %+v %v", got, err)
	}
}
