package mgmt

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

var testNow = time.Date(2025, 3, 13, 23, 22, 54, 0, time.UTC)

const (
	webBody = `{"label":"Web app","settings":{"oauthClient":{"application_type":"web",
		"grant_types":["authorization_code"],"redirect_uris":["https://app.example.com/cb"]}}}`
	nativeBody = `{"label":"Native app","credentials":{"oauthClient":{"token_endpoint_auth_method":"none"}},
		"settings":{"oauthClient":{"application_type":"native","grant_types":["authorization_code","refresh_token"],
		"redirect_uris":["com.example.app:/callback"]}}}`
	browserBody = `{"label":"SPA","settings":{"oauthClient":{"application_type":"browser",
		"grant_types":["authorization_code","refresh_token"],"redirect_uris":["https://spa.example.com/callback"]}}}`
	serviceBody = `{"label":"Service","settings":{"oauthClient":{"application_type":"service",
		"grant_types":["client_credentials"]}}}`
)

// mustApp creates an app from body or fails the test.
func mustApp(t testing.TB, body string) (*store.App, string) {
	t.Helper()
	a, s, err := AppFromRequest([]byte(body), nil, testNow)
	if err != nil {
		t.Fatalf("AppFromRequest: %v %v", err, causes(err))
	}
	return a, s
}

func causes(err error) []string {
	e, ok := err.(*oktaerr.Error)
	if !ok || e == nil {
		return nil
	}
	out := make([]string, len(e.Causes))
	for i, c := range e.Causes {
		out[i] = c.Summary
	}
	return out
}

// wantCause fails unless err is E0000001 with the given cause.
func wantCause(t testing.TB, err error, want string) {
	t.Helper()
	e, ok := err.(*oktaerr.Error)
	if !ok || e == nil {
		t.Fatalf("got %v, want a validation error with %q", err, want)
	}
	if e.Code != oktaerr.CodeValidation || e.Status != 400 {
		t.Fatalf("got %s/%d, want E0000001/400", e.Code, e.Status)
	}
	if !slices.Contains(causes(e), want) {
		t.Fatalf("causes %q\nlack %q", causes(e), want)
	}
}

// cloneApp deep-copies an app through JSON so that tests can mutate it.
func cloneApp(t testing.TB, a *store.App) *store.App {
	t.Helper()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var c store.App
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func ptr[T any](v T) *T { return &v }

// decodeMap renders v as JSON and decodes it into a generic map.
func decodeMap(t testing.TB, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// path walks a decoded JSON document.
func path(m any, keys ...string) any {
	for _, k := range keys {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}
