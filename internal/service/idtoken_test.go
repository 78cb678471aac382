package service

import (
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestSetIDTokenSettings: the rules the API's idToken endpoint and the
// console's Sign On tab share; a refusal changes nothing, an empty claim
// removes the claim.
func TestSetIDTokenSettings(t *testing.T) {
	f := newFixture(t)
	a := testApp("0oaidt", "client-idt")
	if err := f.svc.CreateApp(f.ctx, SystemContext, a, ""); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.SetIDTokenSettings(f.ctx, SystemContext, a.ID, IDTokenSettings{IssuerMode: "SOMEWHERE", ValueType: "GROUPS", Value: "x"})
	wantOkta(t, "bad settings", err, 400, "E0000001",
		"issuerMode: 'issuerMode' is invalid. Valid values: [ORG_URL, CUSTOM_URL, DYNAMIC].",
		"name: The field cannot be left blank",
		"groupFilterType: The field cannot be left blank")
	_, err = f.svc.SetIDTokenSettings(f.ctx, SystemContext, a.ID, IDTokenSettings{ValueType: "EXPRESSION", Name: "g", Value: "x", GroupFilterType: "EQUALS"})
	wantOkta(t, "filter for an expression", err, 400, "E0000001", "groupFilterType: The field is allowed only when valueType is 'GROUPS'.")

	got, err := f.svc.SetIDTokenSettings(f.ctx, SystemContext, a.ID, IDTokenSettings{IssuerMode: IssuerCustomURL, ValueType: "GROUPS", Name: "groups", Value: "eng", GroupFilterType: "STARTS_WITH"})
	if err != nil {
		t.Fatal(err)
	}
	want := store.AppGroupsClaim{Name: "groups", ValueType: "GROUPS", Value: "eng", GroupFilterType: "STARTS_WITH"}
	if got.Settings.OAuthClient.IssuerMode != IssuerCustomURL || got.GroupsClaim == nil || *got.GroupsClaim != want {
		t.Fatalf("stored %q %+v", got.Settings.OAuthClient.IssuerMode, got.GroupsClaim)
	}
	if got, err = f.svc.SetIDTokenSettings(f.ctx, SystemContext, a.ID, IDTokenSettings{}); err != nil || got.GroupsClaim != nil ||
		got.Settings.OAuthClient.IssuerMode != IssuerCustomURL {
		t.Fatalf("empty input: %v %+v", err, got)
	}
}
