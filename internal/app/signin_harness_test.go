package app

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/secret"
)

// browser is a cookie-keeping HTTP client that follows Sesame's redirects
// by hand, as a person's browser would, and stops where Sesame hands over to
// the app (its redirect URI) or shows a page.
type browser struct {
	ts *testServer
	c  *http.Client
}

func newBrowser(t *testing.T, ts *testServer) *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: ts.HTTP.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{ts: ts, c: c}
}

// page is one answer the browser got.
type page struct {
	status   int
	header   http.Header
	body     string
	location *url.URL // resolved Location of a redirect
}

func (b *browser) do(t *testing.T, req *http.Request) page {
	t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := page{status: resp.StatusCode, header: resp.Header, body: string(body)}
	if loc := resp.Header.Get("Location"); loc != "" {
		u, err := req.URL.Parse(loc)
		if err != nil {
			t.Fatalf("bad Location %q", loc)
		}
		p.location = u
	}
	return p
}

func (b *browser) get(t *testing.T, u string) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b.do(t, req)
}

func (b *browser) post(t *testing.T, u string, form url.Values) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(t, req)
}

// follow follows redirects that stay on Sesame and returns the first answer
// that is not one: a page, or a redirect to somewhere else (the app).
func (b *browser) follow(t *testing.T, p page) page {
	t.Helper()
	for i := 0; p.location != nil && "http://"+p.location.Host == b.ts.Addr; i++ {
		if i > 10 {
			t.Fatalf("redirect loop at %s", p.location)
		}
		p = b.get(t, p.location.String())
	}
	return p
}

var (
	csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	fromField = regexp.MustCompile(`name="fromURI" value="([^"]*)"`)
	keyField  = regexp.MustCompile(`name="consent_request" value="([^"]+)"`)
	alertText = regexp.MustCompile(`role="alert"[^>]*>([^<]+)<`)
)

func field(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in page:\n%s", re, body)
	}
	return html.UnescapeString(m[1])
}

// submitLogin fills the hosted sign-in page.
func (b *browser) submitLogin(t *testing.T, login page, username, password string) page {
	t.Helper()
	if !strings.Contains(login.body, `id="okta-signin-username"`) {
		t.Fatalf("not the sign-in page: %d %s", login.status, login.body)
	}
	return b.post(t, b.ts.Addr+"/login/login.htm", url.Values{"csrf": {field(t, csrfField, login.body)},
		"fromURI": {field(t, fromField, login.body)}, "username": {username}, "password": {password}})
}

// authorize runs an authorize request to where Sesame hands over to the
// app, signing in on the way when asked to.
func (b *browser) authorize(t *testing.T, base string, q url.Values, username, password string) page {
	t.Helper()
	p := b.follow(t, b.get(t, base+"/v1/authorize?"+q.Encode()))
	if p.status == 200 && strings.Contains(p.body, `id="okta-signin-username"`) {
		p = b.follow(t, b.submitLogin(t, p, username, password))
	}
	return p
}

// pkce returns a verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = secret.RandomString(64)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// oidcApp creates an OIDC app through the Apps API and returns its client
// id, secret (empty for public clients) and app id.
func (ts *testServer) oidcApp(t *testing.T, label, appType, authMethod string, grants, responseTypes []string, extra map[string]any) (clientID, clientSecret, appID string) {
	t.Helper()
	settings := map[string]any{"application_type": appType, "redirect_uris": []string{"http://app.test/callback", "http://app.test/silent-callback"},
		"post_logout_redirect_uris": []string{"http://app.test/"}, "response_types": responseTypes, "grant_types": grants, "consent_method": "TRUSTED"}
	for k, v := range extra {
		settings[k] = v
	}
	a := ts.mgmt(t, http.MethodPost, "/api/v1/apps", map[string]any{
		"name": "oidc_client", "label": label, "signOnMode": "OPENID_CONNECT",
		"credentials": map[string]any{"oauthClient": map[string]any{"token_endpoint_auth_method": authMethod}},
		"settings":    map[string]any{"oauthClient": settings},
	})
	if a.status != 200 {
		t.Fatalf("create app %s: %d %s", label, a.status, a.body)
	}
	m := a.json(t)
	oc := m["credentials"].(map[string]any)["oauthClient"].(map[string]any)
	sec, _ := oc["client_secret"].(string)
	return oc["client_id"].(string), sec, m["id"].(string)
}

// assign gives a user an app.
func (ts *testServer) assign(t *testing.T, appID, userID string) {
	t.Helper()
	if a := ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+appID+"/users", map[string]any{"id": userID}); a.status != 200 {
		t.Fatalf("assign: %d %s", a.status, a.body)
	}
}

// signedInBrowser signs a user in on the hosted page directly.
func signedInBrowser(t *testing.T, ts *testServer, username, password string) *browser {
	t.Helper()
	b := newBrowser(t, ts)
	p := b.submitLogin(t, b.get(t, ts.Addr+"/login/login.htm"), username, password)
	if p.status != 200 || !strings.Contains(p.body, "You are signed in") {
		t.Fatalf("sign-in: %d %s", p.status, p.body)
	}
	return b
}
