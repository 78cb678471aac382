package cache_test

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/jwktest"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// TestAppCarriesStoredApp: every field the request paths read of a snapshot
// app is what the stored app it was packed from says, for apps that set
// each of them (and apps that leave them out), and the apps' shared strings
// and lists cannot carry a change from one app to another.
func TestAppCarriesStoredApp(t *testing.T) {
	ctx := context.Background()
	st, sealer := newStore(t)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clear := map[string]string{} // secret id → clear value
	newSecret := func(appID, status string, sealed bool) store.AppSecret {
		v, id := secret.Token("", 32), secret.NewID("ocs")
		clear[id] = v
		s := store.AppSecret{ID: id, Status: status, Hash: secret.Hash(v), Created: now, LastUpdated: now}
		if sealed {
			s.Sealed = sealer.Seal([]byte(v), []byte(appID))
		}
		return s
	}
	web := func(id string) *store.App {
		a := &store.App{ID: "0oa" + id, Name: "oidc_client", Label: "App " + id, Status: store.StatusActive, SignOnMode: "OPENID_CONNECT",
			ClientID: "0oa" + id, Profile: map[string]any{}, Created: now, LastUpdated: now}
		a.Credentials.OAuthClient = store.OAuthClientCreds{ClientID: a.ClientID, TokenEndpointAuthMethod: "client_secret_basic"}
		a.Settings.OAuthClient = store.OAuthClientSettings{ApplicationType: "web", RedirectURIs: []string{"https://" + id + ".example.test/cb"},
			ResponseTypes: []string{"code"}, GrantTypes: []string{"authorization_code", "refresh_token"}, ConsentMethod: "TRUSTED", IssuerMode: "ORG_URL"}
		a.Secrets = []store.AppSecret{newSecret(a.ID, store.StatusActive, false)}
		return a
	}
	plain, twin := web("plain"), web("twin")
	// Everything set, two active secrets and an inactive one, sealed for
	// client_secret_jwt.
	full := web("full")
	full.ClientID = "full-client"
	full.Credentials.OAuthClient = store.OAuthClientCreds{ClientID: "full-client", TokenEndpointAuthMethod: "client_secret_jwt", PKCERequired: true}
	full.Settings.OAuthClient = store.OAuthClientSettings{ApplicationType: "native",
		RedirectURIs: []string{"com.example.full:/cb", "HTTPS://Full.Example.test:8443/cb"}, PostLogoutRedirectURIs: []string{"https://full.example.test/bye"},
		ResponseTypes: []string{"code", "id_token", "token"}, GrantTypes: []string{"authorization_code", "implicit", "urn:ietf:params:oauth:grant-type:device_code"},
		ConsentMethod: "REQUIRED", IssuerMode: "DYNAMIC", JWKSURI: "https://full.example.test/jwks",
		RefreshToken: &store.RefreshTokenSettings{RotationType: "ROTATE", Leeway: 30},
		JWKS:         jwktest.Set(t, jwktest.RSAPub(t, "k1"), jwktest.RSAPub(t, "k2"))}
	full.Settings.OAuthClient.JWKS.Keys[1].Status = store.StatusInactive
	full.Profile = map[string]any{"tier": "gold", "limits": map[string]any{"rps": 10.0}}
	full.GroupsClaim = &store.AppGroupsClaim{Name: "groups", ValueType: "GROUPS", Value: "Eng", GroupFilterType: "STARTS_WITH"}
	full.Secrets = []store.AppSecret{newSecret(full.ID, store.StatusActive, true), newSecret(full.ID, store.StatusInactive, true),
		newSecret(full.ID, store.StatusActive, true)}
	// A browser app: a public client whatever method its record names; no
	// secrets, no profile at all, empty rather than absent lists.
	spa := web("spa")
	spa.Settings.OAuthClient.ApplicationType = "browser"
	spa.Settings.OAuthClient.ResponseTypes = []string{}
	spa.Secrets, spa.Profile = nil, nil
	// An inactive service with the Okta API scopes granted, one of them
	// inactive.
	svc := web("svc")
	svc.Status = store.StatusInactive
	svc.Credentials.OAuthClient.TokenEndpointAuthMethod = "private_key_jwt"
	svc.Settings.OAuthClient = store.OAuthClientSettings{ApplicationType: "service", ResponseTypes: []string{"token"}, GrantTypes: []string{"client_credentials"}}
	svc.Secrets = nil
	stored := []*store.App{plain, twin, full, spa, svc}
	for _, a := range stored {
		if err := st.Apps().Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for i, g := range []struct{ scope, status string }{{"okta.users.read", store.StatusActive}, {"okta.groups.read", store.StatusActive}, {"okta.users.manage", store.StatusInactive}} {
		if err := st.Apps().CreateGrant(ctx, &store.AppGrant{ID: "oag" + string(rune('a'+i)), AppID: svc.ID, Issuer: "http://sesame.test",
			ScopeID: g.scope, Status: g.status, Source: "ADMIN", Created: now, LastUpdated: now}); err != nil {
			t.Fatal(err)
		}
	}
	c := cache.New(st, sealer, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := c.Load(ctx, true); err != nil {
		t.Fatal(err)
	}
	snap := c.Current()

	// The test names every field: a new one must be compared here.
	checked := []string{"ID", "ClientID", "Label", "Status", "ApplicationType", "GrantTypes", "ResponseTypes", "RedirectURIs",
		"PostLogoutRedirectURIs", "JWKSURI", "IssuerMode", "ConsentMethod", "RefreshToken", "PKCERequired", "Profile", "GroupsClaim",
		"Keys", "OrgScopes", "Secrets"}
	for i, typ := 0, reflect.TypeFor[cache.App](); i < typ.NumField(); i++ {
		if f := typ.Field(i); f.IsExported() && !slices.Contains(checked, f.Name) {
			t.Errorf("cache.App.%s is not compared with the stored app", f.Name)
		}
	}
	sameList := func(name string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) || (got == nil) != (want == nil) || cap(got) != len(got) {
			t.Errorf("%s: %q (cap %d), stored %q", name, got, cap(got), want)
		}
	}
	for _, ref := range stored {
		a, err := st.Apps().Get(ctx, ref.ID) // as decoded, not as written
		if err != nil {
			t.Fatal(err)
		}
		ca := snap.AppByClientID(a.ClientID)
		if ca == nil {
			t.Fatalf("%s not in the snapshot", a.ClientID)
		}
		o := &a.Settings.OAuthClient
		if ca.ID != a.ID || ca.ClientID != a.ClientID || ca.Label != a.Label || ca.Status != a.Status ||
			ca.ClientAuthMethod() != a.ClientAuthMethod() || ca.ApplicationType != o.ApplicationType || ca.JWKSURI != o.JWKSURI ||
			ca.IssuerMode != o.IssuerMode || ca.ConsentMethod != o.ConsentMethod || ca.PKCERequired != a.Credentials.OAuthClient.PKCERequired {
			t.Errorf("%s: %+v, stored %+v", a.ID, ca, a)
		}
		sameList(a.ID+" grant types", ca.GrantTypes, o.GrantTypes)
		sameList(a.ID+" response types", ca.ResponseTypes, o.ResponseTypes)
		sameList(a.ID+" redirect URIs", ca.RedirectURIs, o.RedirectURIs)
		sameList(a.ID+" post-logout redirect URIs", ca.PostLogoutRedirectURIs, o.PostLogoutRedirectURIs)
		if !reflect.DeepEqual(ca.RefreshToken, o.RefreshToken) || !reflect.DeepEqual(ca.GroupsClaim, a.GroupsClaim) {
			t.Errorf("%s: refresh token %+v, groups claim %+v; stored %+v, %+v", a.ID, ca.RefreshToken, ca.GroupsClaim, o.RefreshToken, a.GroupsClaim)
		}
		if !reflect.DeepEqual(ca.Profile, a.Profile) || (ca.Profile == nil) != (a.Profile == nil) {
			t.Errorf("%s: profile %#v, stored %#v", a.ID, ca.Profile, a.Profile)
		}
		var wantKeys []string
		if o.JWKS != nil {
			for _, k := range o.JWKS.Keys {
				if k.Status == "" || k.Status == store.StatusActive {
					_, info, err := keys.ParseJWK(k.JWK)
					if err != nil {
						t.Fatal(err)
					}
					wantKeys = append(wantKeys, info.KID)
				}
			}
		}
		var gotKeys []string
		for _, k := range ca.Keys {
			gotKeys = append(gotKeys, k.KID)
		}
		if !slices.Equal(gotKeys, wantKeys) {
			t.Errorf("%s: keys %v, stored active %v", a.ID, gotKeys, wantKeys)
		}
		// Secrets: each stored one matches (or not) as the store's app says,
		// and client_secret_jwt keeps the active ones in clear.
		var wantClear [][]byte
		for _, s := range a.Secrets {
			if got, want := ca.SecretMatches(clear[s.ID]), a.SecretMatches(clear[s.ID]); got != want || want != (s.Status == store.StatusActive) {
				t.Errorf("%s: secret %s (%s) matches: %v, stored app: %v", a.ID, s.ID, s.Status, got, want)
			}
			if s.Status == store.StatusActive && s.Sealed != nil {
				wantClear = append(wantClear, []byte(clear[s.ID]))
			}
		}
		if ca.SecretMatches("") || ca.SecretMatches(clear[plain.Secrets[0].ID]) != (a.ID == plain.ID) {
			t.Errorf("%s: matches another app's secret, or none", a.ID)
		}
		if !reflect.DeepEqual(ca.Secrets, wantClear) {
			t.Errorf("%s: %d clear secrets, want %d", a.ID, len(ca.Secrets), len(wantClear))
		}
		grants, err := st.Apps().ListGrants(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var wantScopes map[string]bool
		for _, g := range grants {
			if g.Status == store.StatusActive {
				if wantScopes == nil {
					wantScopes = map[string]bool{}
				}
				wantScopes[g.ScopeID] = true
			}
		}
		if !reflect.DeepEqual(ca.OrgScopes, wantScopes) {
			t.Errorf("%s: org scopes %v, want %v", a.ID, ca.OrgScopes, wantScopes)
		}
	}
	if !snap.IsRedirectOrigin("https://plain.example.test") || !snap.IsRedirectOrigin("https://full.example.test:8443") || snap.IsRedirectOrigin("com.example.full:") {
		t.Error("redirect origins")
	}

	// Sharing: the twins' equal lists are one, and appending to one app's
	// list, shared or not, leaves every other app's alone.
	p, tw := snap.AppByClientID(plain.ClientID), snap.AppByClientID(twin.ClientID)
	if &p.GrantTypes[0] != &tw.GrantTypes[0] || &p.ResponseTypes[0] != &tw.ResponseTypes[0] {
		t.Error("equal grant and response type lists are not shared")
	}
	_ = append(p.GrantTypes, "password")
	_ = append(p.RedirectURIs, "https://evil.example.test/cb")
	sameList("twin's grant types after an append to plain's", tw.GrantTypes, twin.Settings.OAuthClient.GrantTypes)
	sameList("twin's redirect URIs after an append to plain's", tw.RedirectURIs, twin.Settings.OAuthClient.RedirectURIs)

	// A change to one app reaches only that app, in the next snapshot; the
	// one before keeps what it had.
	changed, err := st.Apps().Get(ctx, plain.ID)
	if err != nil {
		t.Fatal(err)
	}
	changed.Settings.OAuthClient.GrantTypes = append(changed.Settings.OAuthClient.GrantTypes, "password")
	changed.Status = store.StatusInactive
	if err := st.Apps().Update(ctx, changed); err != nil {
		t.Fatal(err)
	}
	if err := c.Load(ctx, true); err != nil {
		t.Fatal(err)
	}
	next := c.Current()
	sameList("changed app", next.AppByClientID(plain.ClientID).GrantTypes, changed.Settings.OAuthClient.GrantTypes)
	sameList("its twin", next.AppByClientID(twin.ClientID).GrantTypes, twin.Settings.OAuthClient.GrantTypes)
	sameList("the app in the snapshot before", p.GrantTypes, plain.Settings.OAuthClient.GrantTypes)
	if next.AppByClientID(plain.ClientID).Status != store.StatusInactive || next.AppByClientID(twin.ClientID).Status != store.StatusActive ||
		p.Status != store.StatusActive || next.IsRedirectOrigin("https://plain.example.test") {
		t.Error("a status change reached another app or the snapshot before")
	}
}
