package oauth

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/store"
)

// Issuer modes of a custom authorization server (§4.2). The org server
// always issues under the org URL.
//
// ORG_URL: the org URL. DYNAMIC: the URL the request came in under — the
// org URL or one of its configured aliases (any other Host header falls
// back to the org URL, so a forged Host cannot choose an issuer).
// CUSTOM_URL: the first alias, which stands for Okta's custom domain (the
// org URL when no alias is configured).

// requestOrigin is the org URL or the alias whose host the request named.
func (s *Server) requestOrigin(r *http.Request) string {
	host := strings.ToLower(r.Host)
	if host != "" {
		for _, o := range s.aliases {
			if hostOf(o) == host {
				return o
			}
		}
	}
	return s.orgURL
}

// originFor is the origin a server issues under for this request.
func (s *Server) originFor(srv *cache.Server, r *http.Request) string {
	if srv.IsOrg() || srv.AuthServer == nil {
		return s.orgURL
	}
	switch srv.IssuerMode {
	case "DYNAMIC":
		return s.requestOrigin(r)
	case "CUSTOM_URL":
		if len(s.aliases) > 0 {
			return s.aliases[0]
		}
	}
	return s.orgURL
}

// issuerAt and baseAt are a server's issuer and endpoint base under origin.
func (s *Server) issuerAt(origin string, srv *cache.Server) string {
	if srv.IsOrg() {
		return origin
	}
	return origin + "/oauth2/" + srv.ID
}

func (s *Server) baseAt(origin string, srv *cache.Server) string {
	if srv.IsOrg() {
		return origin + "/oauth2"
	}
	return origin + "/oauth2/" + srv.ID
}

// orgIDTokenIssuer is the issuer of an ID token the org server issues to an
// app: the app's issuer_mode decides, as a custom server's mode does for
// its tokens (ORG_URL: the org URL; CUSTOM_URL: the first alias;
// DYNAMIC: the origin the request came in under).
func (s *Server) orgIDTokenIssuer(issuerMode, reqOrigin string) string {
	switch issuerMode {
	case "DYNAMIC":
		if reqOrigin != "" {
			return reqOrigin
		}
	case "CUSTOM_URL":
		if len(s.aliases) > 0 {
			return s.aliases[0]
		}
	}
	return s.orgURL
}

// OrgIDTokenIssuer is the issuer of the app's ID tokens from the org server
// for a request under the org URL (the management API shows it).
func (s *Server) OrgIDTokenIssuer(app *store.App) string {
	return s.orgIDTokenIssuer(app.Settings.OAuthClient.IssuerMode, s.orgURL)
}

// validIssuer reports whether iss is an issuer the server may have put in a
// token: its issuer under each origin its mode allows. The org server's ID
// tokens follow their app's issuer_mode, so any origin of the org is its.
func (s *Server) validIssuer(srv *cache.Server, iss string) bool {
	if srv.IsOrg() && slices.Contains(s.aliases, iss) {
		return true
	}
	if iss == s.issuerAt(s.orgURL, srv) && (srv.IsOrg() || srv.AuthServer == nil || srv.IssuerMode != "CUSTOM_URL" || len(s.aliases) == 0) {
		return true
	}
	if srv.IsOrg() || srv.AuthServer == nil {
		return false
	}
	switch srv.IssuerMode {
	case "DYNAMIC":
		for _, o := range s.aliases {
			if iss == s.issuerAt(o, srv) {
				return true
			}
		}
	case "CUSTOM_URL":
		return len(s.aliases) > 0 && iss == s.issuerAt(s.aliases[0], srv)
	}
	return false
}

func hostOf(origin string) string {
	u, err := url.Parse(origin)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}
