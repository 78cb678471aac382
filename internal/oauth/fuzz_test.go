package oauth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
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
		bodyValues, _ := url.ParseQuery(body)
		if p.inQuery["client_secret"] && bodyValues.Has("client_secret") && ctype == "application/x-www-form-urlencoded" {
			t.Fatalf("client_secret attributed to the query although the body has one")
		}
	})
}
