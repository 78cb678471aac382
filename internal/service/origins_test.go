package service

import (
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestValidateTrustedOrigin: origin is scheme://host[:port] and nothing
// more ("origin: Origin value is not valid", §4.9); scope types are CORS,
// REDIRECT and IFRAME_EMBED, each once; IFRAME_EMBED allows only Okta's
// end-user dashboard.
func TestValidateTrustedOrigin(t *testing.T) {
	cors := []store.OriginScope{{Type: OriginScopeCORS}}
	for _, c := range []struct {
		name   string
		o      store.TrustedOrigin
		want   string // the stored origin; "" when refused
		causes []string
	}{
		{"plain", store.TrustedOrigin{Name: "spa", Origin: "https://spa.example.com", Scopes: cors}, "https://spa.example.com", nil},
		{"case and port", store.TrustedOrigin{Name: "spa", Origin: "HTTPS://SPA.Example.com:8443", Scopes: cors}, "https://spa.example.com:8443", nil},
		{"http loopback", store.TrustedOrigin{Name: "dev", Origin: "http://localhost:3000", Scopes: cors}, "http://localhost:3000", nil},
		{"path", store.TrustedOrigin{Name: "x", Origin: "https://spa.example.com/app", Scopes: cors}, "", []string{"origin: Origin value is not valid"}},
		{"trailing slash", store.TrustedOrigin{Name: "x", Origin: "https://spa.example.com/", Scopes: cors}, "", []string{"origin: Origin value is not valid"}},
		{"query", store.TrustedOrigin{Name: "x", Origin: "https://spa.example.com?a=1", Scopes: cors}, "", []string{"origin: Origin value is not valid"}},
		{"fragment", store.TrustedOrigin{Name: "x", Origin: "https://spa.example.com#", Scopes: cors}, "", []string{"origin: Origin value is not valid"}},
		{"user info", store.TrustedOrigin{Name: "x", Origin: "https://me@spa.example.com", Scopes: cors}, "", []string{"origin: Origin value is not valid"}},
		{"other scheme", store.TrustedOrigin{Name: "x", Origin: "ftp://spa.example.com", Scopes: cors}, "", []string{"origin: Origin value is not valid"}},
		{"no scheme", store.TrustedOrigin{Name: "x", Origin: "spa.example.com", Scopes: cors}, "", []string{"origin: Origin value is not valid"}},
		{"port 0", store.TrustedOrigin{Name: "x", Origin: "https://spa.example.com:0", Scopes: cors}, "", []string{"origin: Origin value is not valid"}},
		{"port 65536", store.TrustedOrigin{Name: "x", Origin: "https://spa.example.com:65536", Scopes: cors}, "", []string{"origin: Origin value is not valid"}},
		{"port with a leading zero", store.TrustedOrigin{Name: "x", Origin: "https://spa.example.com:0443", Scopes: cors}, "", []string{"origin: Origin value is not valid"}},
		{"empty port", store.TrustedOrigin{Name: "x", Origin: "https://spa.example.com:", Scopes: cors}, "", []string{"origin: Origin value is not valid"}},
		{"blank name", store.TrustedOrigin{Name: " ", Origin: "https://a.example.com", Scopes: cors}, "", []string{"name: The field cannot be left blank"}},
		{"no scopes", store.TrustedOrigin{Name: "x", Origin: "https://a.example.com"}, "", []string{"scopes: The field cannot be left blank"}},
		{"unknown scope type", store.TrustedOrigin{Name: "x", Origin: "https://a.example.com", Scopes: []store.OriginScope{{Type: "FETCH"}}}, "",
			[]string{"scopes: The scope type must be one of CORS, REDIRECT, IFRAME_EMBED"}},
		{"scope type twice", store.TrustedOrigin{Name: "x", Origin: "https://a.example.com", Scopes: []store.OriginScope{{Type: "CORS"}, {Type: "CORS"}}}, "",
			[]string{"scopes: The scope type CORS is listed more than once"}},
		{"okta apps on CORS", store.TrustedOrigin{Name: "x", Origin: "https://a.example.com", Scopes: []store.OriginScope{{Type: "CORS", AllowedOktaApps: []string{"OKTA_ENDUSER"}}}}, "",
			[]string{"scopes: allowedOktaApps is only valid for the IFRAME_EMBED scope type"}},
		{"iframe for another app", store.TrustedOrigin{Name: "x", Origin: "https://a.example.com", Scopes: []store.OriginScope{{Type: "IFRAME_EMBED", AllowedOktaApps: []string{"OKTA_ADMIN"}}}}, "",
			[]string{`scopes: allowedOktaApps must be ["OKTA_ENDUSER"]`}},
		{"iframe defaults to the dashboard", store.TrustedOrigin{Name: "x", Origin: "https://a.example.com", Scopes: []store.OriginScope{{Type: "IFRAME_EMBED"}}}, "https://a.example.com", nil},
	} {
		if c.o.Status == "" {
			c.o.Status = store.StatusActive
		}
		err := ValidateTrustedOrigin(&c.o)
		switch {
		case c.causes != nil:
			if err == nil {
				t.Errorf("%s: accepted %q", c.name, c.o.Origin)
				continue
			}
			wantOkta(t, c.name, err, 400, "E0000001", c.causes...)
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.o.Origin != c.want:
			t.Errorf("%s: stored as %q, want %q", c.name, c.o.Origin, c.want)
		}
	}
	o := store.TrustedOrigin{Name: "x", Origin: "https://a.example.com", Scopes: cors, Status: "PAUSED"}
	wantOkta(t, "status", ValidateTrustedOrigin(&o), 400, "E0000001", "status: Must be one of ACTIVE, INACTIVE")
}

// TestTrustedOriginRules: an origin is unique in the org (in any case, as
// it is stored normalized); an inactive one is kept but trusted for
// nothing.
func TestTrustedOriginRules(t *testing.T) {
	f := newFixture(t)
	o := &store.TrustedOrigin{Name: "spa", Origin: "https://spa.example.com", Scopes: []store.OriginScope{{Type: OriginScopeCORS}, {Type: OriginScopeRedirect}}}
	if err := f.svc.CreateTrustedOrigin(f.ctx, SystemContext, o); err != nil {
		t.Fatal(err)
	}
	if o.Status != store.StatusActive || !f.cache.Current().OriginAllowed("https://spa.example.com", "REDIRECT") {
		t.Fatalf("created %+v", o)
	}
	wantOkta(t, "same origin in another case", f.svc.CreateTrustedOrigin(f.ctx, SystemContext,
		&store.TrustedOrigin{Name: "again", Origin: "HTTPS://SPA.example.com", Scopes: []store.OriginScope{{Type: OriginScopeCORS}}}),
		400, "E0000001", "origin: An object with this field already exists in the current organization")
	got, err := f.svc.SetTrustedOriginStatus(f.ctx, SystemContext, o.ID, store.StatusInactive)
	if err != nil || got.Status != store.StatusInactive {
		t.Fatalf("deactivate: %+v %v", got, err)
	}
	if f.cache.Current().OriginAllowed("https://spa.example.com", "CORS") {
		t.Error("an inactive origin is trusted")
	}
	if err := f.svc.DeleteTrustedOrigin(f.ctx, SystemContext, o.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetTrustedOrigin(f.ctx, o.ID)
	wantOkta(t, "read deleted", err, 404, "E0000007")
}
