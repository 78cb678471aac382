package oauth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/pages"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/signin"
	"github.com/sesame-idp/sesame/internal/store"
)

// consentPath receives the consent page's answer.
const consentPath = "/oauth2/v1/authorize/consent"

// consentDecision is what the user answered on the consent page.
type consentDecision struct {
	allow  bool
	scopes []string // the optional scopes left ticked
}

// consentDue lists the granted scopes the user must consent to (§5.3): with
// prompt=consent every REQUIRED or FLEXIBLE scope; with an app whose
// consent_method is REQUIRED, those scopes not consented to before. Only
// custom servers ask users for consent.
func (s *Server) consentDue(ctx context.Context, srv *cache.Server, app *cache.App, sub *subject, scopes []string, promptConsent bool) []string {
	if srv.IsOrg() {
		return nil
	}
	required := app.ConsentMethod == "REQUIRED"
	if !required && !promptConsent {
		return nil
	}
	var have []*store.UserGrant
	if required && !promptConsent {
		var err error
		if have, err = s.store.UserGrants().List(ctx, sub.user.ID, app.ClientID); err != nil {
			s.logError(ctx, "reading user grants failed", err)
		}
	}
	var need []string
	for _, sc := range scopes {
		scope := srv.ScopesByName[sc]
		if scope == nil || (scope.Consent != "REQUIRED" && scope.Consent != "FLEXIBLE") {
			continue
		}
		if slices.ContainsFunc(have, func(g *store.UserGrant) bool {
			return g.ServerID == srv.ID && g.Scope == sc && g.Status == store.StatusActive
		}) {
			continue
		}
		need = append(need, sc)
	}
	return need
}

// showConsent renders the consent page for the pending request key.
func (s *Server) showConsent(w http.ResponseWriter, r *http.Request, a *authzRequest, sub *subject, need []string, key string) {
	org := "Sesame"
	if a.snap.Org != nil {
		org = a.snap.Org.Name
	}
	p := &pages.Consent{Common: pages.Common{Title: "Allow access", OrgName: org}, ClientName: a.app.Label, Login: sub.user.Login,
		CSRF: s.sessions.CSRFToken(w, r), Action: consentPath, Request: key}
	for _, sc := range need {
		scope := a.srv.ScopesByName[sc]
		label := scope.DisplayName
		if label == "" {
			label = sc
		}
		p.Scopes = append(p.Scopes, pages.ConsentScope{Name: sc, Label: label, Description: scope.Description, Optional: scope.Optional})
	}
	pages.Render(w, s.log, http.StatusOK, p)
}

// readConsent reads the consent page's answer: the pending request's key
// and the decision. A page that fails its CSRF check is answered here.
func (s *Server) readConsent(w http.ResponseWriter, r *http.Request) (string, *consentDecision, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || !signin.CheckCSRF(r) {
		s.errorPage(w, http.StatusForbidden, "This page expired. Go back to the application and sign in again.")
		return "", nil, false
	}
	return r.PostForm.Get("consent_request"), &consentDecision{allow: r.PostForm.Get("decision") == "allow", scopes: r.PostForm["scope"]}, true
}

// recordConsent stores the user's grants. An optional scope the user
// unticked is neither granted nor issued.
func (s *Server) recordConsent(ctx context.Context, r *http.Request, a *authzRequest, sub *subject, g *userGrant, need, ticked []string) error {
	now := s.now().UTC().Truncate(time.Millisecond)
	for _, sc := range need {
		if scope := a.srv.ScopesByName[sc]; scope != nil && scope.Optional && !slices.Contains(ticked, sc) {
			g.scopes = slices.DeleteFunc(g.scopes, func(x string) bool { return x == sc })
			continue
		}
		err := s.store.UserGrants().Create(ctx, &store.UserGrant{ID: secret.NewID("oag"), UserID: sub.user.ID, ClientID: a.app.ClientID,
			ServerID: a.srv.ID, Scope: sc, Status: store.StatusActive, Source: "END_USER", Created: now, LastUpdated: now})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	if s.audit != nil {
		s.audit.Event(audit.RequestFrom(r), "app.oauth2.as.consent.grant", "User granted consent to app", audit.UserActor(sub.user),
			"SUCCESS", "", audit.Target{ID: a.app.ClientID, Type: "PublicClientApp", DisplayName: a.app.Label})
	}
	return nil
}
