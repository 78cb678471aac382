package oauth

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
)

// FuzzParseAssertion feeds arbitrary client assertions to the parser that
// runs before any key is known: it must never panic, and what it accepts
// must be a three-part compact JWS.
func FuzzParseAssertion(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIwb2EiLCJleHAiOjF9.c2ln")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add("..")
	f.Add(strings.Repeat("A", 20000))
	f.Add(`eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOlsieCIsMV0sImV4cCI6IjEifQ.x`)
	f.Fuzz(func(t *testing.T, s string) {
		h, c, err := parseAssertion(s)
		if err != nil {
			return
		}
		if strings.Count(s, ".") != 2 || h == nil || c == nil {
			t.Fatalf("accepted %q", s)
		}
		// The claim helpers must cope with whatever was decoded.
		numericDate(c.Exp)
		numericDate(c.Iat)
		audienceIncludes(c.Aud, "http://x/oauth2/v1/token")
	})
}

// FuzzReadParams feeds arbitrary query strings, bodies and content types to
// the token-request parser.
func FuzzReadParams(f *testing.F) {
	f.Add("grant_type=client_credentials&scope=a%20b", "client_assertion=x", "application/x-www-form-urlencoded")
	f.Add("a=1&a=2", "", "")
	f.Add("", "a=%zz", "application/x-www-form-urlencoded; charset=utf-8")
	f.Add("client_secret=s", "client_secret=t", "application/x-www-form-urlencoded")
	f.Add("%", "{}", "application/json")
	f.Fuzz(func(t *testing.T, query, body, ctype string) {
		r := httptest.NewRequest(http.MethodPost, "/oauth2/v1/token", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", ctype)
		p, err := readParams(httptest.NewRecorder(), r)
		if err != nil {
			if err.Status != 400 || err.Code != "invalid_request" {
				t.Fatalf("unexpected error %+v", err)
			}
			return
		}
		for k := range p.inQuery {
			if _, ok := p.values[k]; !ok {
				t.Fatalf("query member %q lost", k)
			}
		}
		// A body member always wins over the query.
		bodyValues, _ := url.ParseQuery(body) // fuzz input: may not parse
		if p.inQuery["client_secret"] && bodyValues.Has("client_secret") && ctype == "application/x-www-form-urlencoded" {
			t.Fatalf("client_secret attributed to the query although the body has one")
		}
	})
}

// FuzzAuthorizeParams feeds arbitrary authorize query strings to the
// parser and validator: no panic, no redirect to anything but the exact
// registered URI, and nothing accepted that §2.1 refuses.
func FuzzAuthorizeParams(f *testing.F) {
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	app := &store.App{ID: "0oafuzz", Name: "oidc_client", Label: "Fuzz", Status: "ACTIVE", SignOnMode: "OPENID_CONNECT", ClientID: "fuzzclient",
		Credentials: store.AppCredentials{OAuthClient: store.OAuthClientCreds{ClientID: "fuzzclient", TokenEndpointAuthMethod: "none"}},
		Settings: store.AppSettings{OAuthClient: store.OAuthClientSettings{ApplicationType: "browser", RedirectURIs: []string{"http://app.test/cb"},
			ResponseTypes: []string{"code", "token", "id_token"}, GrantTypes: []string{"authorization_code", "implicit"}}}}
	if err := st.Apps().Create(context.Background(), app); err != nil {
		f.Fatal(err)
	}
	sealer, err := keys.NewSealer(make([]byte, 32))
	if err != nil {
		f.Fatal(err)
	}
	c := cache.New(st, sealer, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := c.Load(context.Background(), true); err != nil {
		f.Fatal(err)
	}
	snap := c.Current()
	srv := &cache.Server{ID: "default", ScopesByName: map[string]*store.Scope{}}
	s := &Server{cache: c}
	for _, q := range []string{
		"client_id=fuzzclient&redirect_uri=http%3A%2F%2Fapp.test%2Fcb&response_type=code&scope=openid&state=s&code_challenge=" + strings.Repeat("a", 43) + "&code_challenge_method=S256",
		"client_id=fuzzclient&redirect_uri=http%3A%2F%2Fapp.test%2Fcb&response_type=id_token+token&nonce=n&response_mode=okta_post_message",
		"client_id=fuzzclient&redirect_uri=http%3A%2F%2Fapp.test%2Fcb&response_type=code+code&prompt=none+login&max_age=99999999999",
		"client_id=fuzzclient&redirect_uri=http%3A%2F%2Fapp.test%2Fcb%2F&response_type=code",
		"client_id=&redirect_uri=&response_type=",
		"%zz", "a=1&a=2",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, perr := authorizeQuery(raw)
		if perr != nil {
			return
		}
		a, aerr := s.parseAuthorize(snap, srv, p)
		if aerr != nil {
			if !aerr.page && (a == nil || a.redirectURI != "http://app.test/cb") {
				t.Fatalf("redirect error for an unverified redirect URI: %q", raw)
			}
			if aerr.err.Code == "" || aerr.err.Description == "" {
				t.Fatalf("error without code or description: %+v", aerr.err)
			}
			return
		}
		if a.redirectURI != "http://app.test/cb" || len(a.responseType) == 0 {
			t.Fatalf("accepted %q", raw)
		}
		implicit := a.has("token") || a.has("id_token")
		if implicit && a.nonce == "" || a.has("code") && !validChallenge(a.challenge) || implicit && a.responseMode == "query" {
			t.Fatalf("accepted what §2.1 refuses: %q", raw)
		}
	})
}
