package service

import (
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

func testApp(id, clientID string) *store.App {
	return &store.App{ID: id, Name: "oidc_client", Label: "App " + id, Status: store.StatusActive, SignOnMode: "OPENID_CONNECT", ClientID: clientID,
		Credentials: store.AppCredentials{OAuthClient: store.OAuthClientCreds{ClientID: clientID, TokenEndpointAuthMethod: "none", PKCERequired: true}},
		Settings: store.AppSettings{OAuthClient: store.OAuthClientSettings{ApplicationType: "browser", RedirectURIs: []string{"https://app.test/cb"},
			ResponseTypes: []string{"code"}, GrantTypes: []string{"authorization_code"},
			ConsentMethod: ConsentTrusted, IssuerMode: IssuerOrgURL, WildcardRedirect: WildcardDisabled}}}
}

// TestAppLifecycle: an ACTIVE app cannot be deleted (403 E0000056, as
// Okta); deactivated it can. Status changes are in the snapshot on return,
// and client ids are unique. (What an app's settings may say is
// appvalidate_test.go's subject.)
func TestAppLifecycle(t *testing.T) {
	f := newFixture(t)
	a := testApp("0oaone", "client-one")
	if err := f.svc.CreateApp(f.ctx, SystemContext, a, ""); err != nil {
		t.Fatal(err)
	}
	if ca := f.cache.Current().AppByClientID("client-one"); ca == nil || ca.Status != store.StatusActive {
		t.Fatalf("snapshot after create: %+v", ca)
	}
	wantOkta(t, "duplicate client id", f.svc.CreateApp(f.ctx, SystemContext, testApp("0oatwo", "client-one"), ""), 400, "E0000001",
		"client_id: An object with this field already exists in the current organization")
	wantOkta(t, "delete while active", f.svc.DeleteApp(f.ctx, SystemContext, a.ID), 403, "E0000056")
	if err := f.svc.SetAppStatus(f.ctx, SystemContext, a.ID, store.StatusInactive); err != nil {
		t.Fatal(err)
	}
	if ca := f.cache.Current().AppByClientID("client-one"); ca == nil || ca.Status != store.StatusInactive {
		t.Fatalf("snapshot after deactivation: %+v", ca)
	}
	// Deactivating twice changes nothing and is no error.
	if err := f.svc.SetAppStatus(f.ctx, SystemContext, a.ID, store.StatusInactive); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteApp(f.ctx, SystemContext, a.ID); err != nil {
		t.Fatal(err)
	}
	if f.cache.Current().AppByClientID("client-one") != nil {
		t.Error("a deleted app is still in the snapshot")
	}
	_, err := f.svc.GetApp(f.ctx, a.ID)
	wantOkta(t, "read deleted", err, 404, "E0000007")
	wantOkta(t, "status of unknown", f.svc.SetAppStatus(f.ctx, SystemContext, "0oanothere", store.StatusActive), 404, "E0000007")
	wantOkta(t, "update unknown", f.svc.UpdateApp(f.ctx, SystemContext, testApp("0oanothere", "client-nothere"), ""), 404, "E0000007")
}
