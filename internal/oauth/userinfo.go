package oauth

import (
	"net/http"
	"slices"
	"strings"

	"github.com/sesame-idp/sesame/internal/web"
)

// bearerError answers a userinfo request with the WWW-Authenticate
// challenge of RFC 6750, which okta-auth-js turns into an OAuthError.
func bearerError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="", realm="", error="`+code+`", error_description="`+desc+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
}

// handleUserinfo returns the claims of the token's user that its scopes
// release (§2.5), in full whatever the ID token carried.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	snap, srv, ok := s.serverFor(w, r)
	if !ok {
		return
	}
	tok := ""
	if scheme, v, found := strings.Cut(r.Header.Get("Authorization"), " "); found && strings.EqualFold(scheme, "Bearer") {
		tok = strings.TrimSpace(v)
	} else if r.Method == http.MethodPost {
		if p, err := readParams(w, r); err == nil {
			tok = p.get("access_token")
		}
	}
	c := s.activeAccessToken(snap, srv, tok, s.now())
	if tok == "" || c == nil || c.Uid == "" {
		bearerError(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid.")
		return
	}
	if !slices.Contains(c.Scp, "openid") {
		bearerError(w, http.StatusForbidden, "insufficient_scope", "The access token must provide access to at least one of these scopes - profile, email, address or phone")
		return
	}
	sub, err := s.loadSubject(r.Context(), c.Uid)
	if err != nil || !sub.user.CanSignIn() {
		bearerError(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid.")
		return
	}
	out := scopeClaims(sub.user, c.Scp, true)
	if app := snap.AppByClientID(c.Cid); app != nil {
		custom, cerr := s.customClaims(snap, srv, app, c.Scp, sub, "IDENTITY", false)
		if cerr != nil {
			s.writeError(w, r, cerr)
			return
		}
		for k, v := range custom {
			out[k] = v
		}
	}
	out["sub"] = sub.user.ID
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, out)
}
