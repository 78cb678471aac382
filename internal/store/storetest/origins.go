package storetest

import (
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

var originCases = []testCase{
	{"TrustedOrigins", testTrustedOrigins},
}

func newOrigin(id, origin string) *store.TrustedOrigin {
	return &store.TrustedOrigin{ID: id, Name: "origin " + id, Origin: origin,
		Scopes: []store.OriginScope{{Type: "CORS"}, {Type: "IFRAME_EMBED", AllowedOktaApps: []string{"OKTA_ENDUSER"}}},
		Status: "ACTIVE", Created: at(0), CreatedBy: "00u1", LastUpdated: at(time.Second), LastUpdatedBy: "00u2"}
}

func testTrustedOrigins(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	o := newOrigin("tos1", "https://app.example.com")
	ok(t, s.TrustedOrigins().Create(ctx, o), "create trusted origin")
	got, err := s.TrustedOrigins().Get(ctx, o.ID)
	ok(t, err, "get trusted origin")
	same(t, got, o, "trusted origin")
	_, err = s.TrustedOrigins().Get(ctx, "tosnope")
	notFound(t, err, "get missing trusted origin")

	conflict(t, s.TrustedOrigins().Create(ctx, newOrigin(o.ID, "https://other.example.com")), "create trusted origin with a taken id")
	conflict(t, s.TrustedOrigins().Create(ctx, newOrigin("tos2", o.Origin)), "create trusted origin with a taken origin")
	// Origins compare byte-wise: another case is another origin to the store
	// (the service lower-cases scheme and host before it gets here).
	ok(t, s.TrustedOrigins().Create(ctx, newOrigin("tos2", "https://App.example.com")), "create trusted origin differing in case")

	o.Name, o.Origin, o.Status = "renamed", "http://localhost:8585", "INACTIVE"
	o.Scopes = []store.OriginScope{{Type: "REDIRECT"}}
	o.LastUpdated, o.LastUpdatedBy = at(time.Hour), "00u3"
	ok(t, s.TrustedOrigins().Update(ctx, o), "update trusted origin")
	got, err = s.TrustedOrigins().Get(ctx, o.ID)
	ok(t, err, "get updated trusted origin")
	same(t, got, o, "updated trusted origin")
	notFound(t, s.TrustedOrigins().Update(ctx, newOrigin("tosnope", "https://nope.example.com")), "update missing trusted origin")
	taken := newOrigin("tos2", o.Origin)
	conflict(t, s.TrustedOrigins().Update(ctx, taken), "update trusted origin to a taken origin")

	want := []string{"tos1", "tos2"}
	for i, id := range mixedIDs("tos") {
		ok(t, s.TrustedOrigins().Create(ctx, newOrigin(id, "https://h"+string(rune('a'+i))+".example.com")), "create trusted origin %s", id)
		want = append(want, id)
	}
	want = sorted(want)
	walked := walk(t, 3, func(p store.Page) ([]string, error) {
		os, err := s.TrustedOrigins().List(ctx, p)
		return ids(os, func(o *store.TrustedOrigin) string { return o.ID }), err
	})
	sameStrings(t, walked, want, "trusted origins walked")
	all, err := s.TrustedOrigins().ListAll(ctx)
	ok(t, err, "list all trusted origins")
	sameStrings(t, ids(all, func(o *store.TrustedOrigin) string { return o.ID }), want, "all trusted origins")

	ok(t, s.TrustedOrigins().Delete(ctx, o.ID), "delete trusted origin")
	_, err = s.TrustedOrigins().Get(ctx, o.ID)
	notFound(t, err, "get deleted trusted origin")
	notFound(t, s.TrustedOrigins().Delete(ctx, o.ID), "delete trusted origin twice")
	// The origin is free again once its record is gone.
	ok(t, s.TrustedOrigins().Create(ctx, newOrigin("tos9", o.Origin)), "reuse a deleted origin")
}
