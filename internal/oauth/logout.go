package oauth

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/token"
)

// handleLogout ends the browser session of the ID token's user (§2.8) and
// goes back to the app's registered sign-out redirect.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	snap, srv, ok := s.serverFor(w, r)
	if !ok {
		return
	}
	p, ok := s.browserParams(w, r)
	if !ok {
		return
	}
	hint := p["id_token_hint"]
	if hint == "" {
		s.errorPage(w, http.StatusBadRequest, "The 'id_token_hint' parameter is required.")
		return
	}
	// An expired hint is accepted: the session may outlive the ID token.
	c, err := token.ParseID(hint, srv.PublicKey)
	if err != nil || !s.validIssuer(srv, c.Iss) {
		s.errorPage(w, http.StatusBadRequest, "The 'id_token_hint' parameter is not a valid ID token of this authorization server.")
		return
	}
	app := snap.AppByClientID(c.Aud)
	if app == nil {
		s.errorPage(w, http.StatusBadRequest, "The 'id_token_hint' parameter names an unknown client.")
		return
	}
	target := p["post_logout_redirect_uri"]
	if target != "" && !slices.Contains(app.PostLogoutRedirectURIs, target) {
		s.errorPage(w, http.StatusBadRequest, "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings.")
		return
	}
	if sess := s.sessions.Current(r); sess != nil && sess.UserID == c.Sub {
		s.sessions.End(r.Context(), w, r)
		if s.audit != nil {
			s.audit.Event(audit.RequestFrom(r), "user.session.end", "User logout from Okta", audit.UserActorByID(r.Context(), s.store, c.Sub), "SUCCESS", "",
				audit.Target{ID: sess.ID, Type: "Session"})
		}
	}
	if target == "" {
		target = "/login/login.htm"
	} else if st := p["state"]; st != "" {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + "state=" + url.QueryEscape(st)
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}
