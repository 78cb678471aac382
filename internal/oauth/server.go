package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/pages"
	"github.com/sesame-idp/sesame/internal/signin"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// Server answers the OAuth endpoints of every authorization server.
type Server struct {
	orgURL string
	cache  *cache.Cache
	store  store.Store
	log    *slog.Logger
	jwks   *jwksFetcher
	audit  *audit.Writer
	now    func() time.Time

	// aliases are other public URLs of this install (DYNAMIC and
	// CUSTOM_URL issuers).
	aliases []string

	sessions  *signin.Manager
	passwords *signin.Passwords
	appSignOn func(ctx context.Context, appID, userID string) (AppRequirement, error)

	// verified holds access tokens whose signature was checked.
	verified *verifiedTokens
}

// Options configures a Server.
type Options struct {
	OrgURL string // scheme://host[:port], no trailing slash
	Cache  *cache.Cache
	Store  store.Store
	Log    *slog.Logger
	// HTTPClient fetches clients' jwks_uri; nil means a client with a timeout.
	HTTPClient *http.Client
	// Audit records token events in the System Log.
	Audit *audit.Writer
	Now   func() time.Time
	// Sessions and Passwords serve the user grants: the SSO session and
	// the password grant's checks.
	Sessions  *signin.Manager
	Passwords *signin.Passwords
	// URLAliases are other public URLs the install is reached under.
	URLAliases []string
	// AppSignOn says what an app's sign-on policy asks of a user (nil:
	// nothing beyond the session).
	AppSignOn func(ctx context.Context, appID, userID string) (AppRequirement, error)
}

// AppRequirement is what an app's sign-on policy asks of a user.
type AppRequirement struct {
	Deny bool
	// RequireFactor: the session must include a second factor, given
	// within Within (0: any time during the session).
	RequireFactor bool
	Within        time.Duration
}

// New returns a Server.
func New(o Options) *Server {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{orgURL: strings.TrimRight(o.OrgURL, "/"), cache: o.Cache, store: o.Store, log: o.Log, jwks: newJWKSFetcher(o.HTTPClient), audit: o.Audit, now: now,
		sessions: o.Sessions, passwords: o.Passwords, appSignOn: o.AppSignOn, verified: newVerifiedTokens()}
	for _, a := range o.URLAliases {
		s.aliases = append(s.aliases, strings.TrimRight(a, "/"))
	}
	return s
}

// Register adds every OAuth route to mux.
func (s *Server) Register(mux *http.ServeMux) {
	for _, prefix := range []string{"/oauth2/v1", "/oauth2/{as}/v1"} {
		mux.HandleFunc("POST "+prefix+"/token", s.handleToken)
		mux.HandleFunc("POST "+prefix+"/introspect", s.handleIntrospect)
		mux.HandleFunc("POST "+prefix+"/revoke", s.handleRevoke)
		mux.HandleFunc("GET "+prefix+"/keys", s.handleKeys)
		mux.HandleFunc("GET "+prefix+"/authorize", s.handleAuthorize)
		mux.HandleFunc("POST "+prefix+"/authorize", s.handleAuthorize)
		mux.HandleFunc("GET "+prefix+"/userinfo", s.handleUserinfo)
		mux.HandleFunc("POST "+prefix+"/userinfo", s.handleUserinfo)
		mux.HandleFunc("GET "+prefix+"/logout", s.handleLogout)
		mux.HandleFunc("POST "+prefix+"/logout", s.handleLogout)
		mux.HandleFunc("POST "+prefix+"/device/authorize", s.handleDeviceAuthorize)
	}
	mux.HandleFunc("GET "+activatePath, s.handleActivate)
	mux.HandleFunc("POST "+activatePath, s.handleActivate)
	mux.HandleFunc("GET /oauth2/v1/authorize/redirect", s.handleAuthorizeContinue)
	mux.HandleFunc("POST "+consentPath, s.handleConsent)
	for _, kind := range []string{"openid-configuration", "oauth-authorization-server"} {
		kind := kind
		mux.HandleFunc("GET /.well-known/"+kind, func(w http.ResponseWriter, r *http.Request) { s.handleDiscovery(w, r, store.OrgServerID, kind) })
		mux.HandleFunc("GET /oauth2/{as}/.well-known/"+kind, func(w http.ResponseWriter, r *http.Request) { s.handleDiscovery(w, r, r.PathValue("as"), kind) })
	}
	mux.HandleFunc("GET /.well-known/oauth-authorization-server/oauth2/{as}", func(w http.ResponseWriter, r *http.Request) {
		s.handleDiscovery(w, r, r.PathValue("as"), "oauth-authorization-server")
	})
}

// serverFor resolves the authorization server a request addresses; an
// unknown or inactive one answers 404 E0000007 as Okta does.
func (s *Server) serverFor(w http.ResponseWriter, r *http.Request) (*cache.Snapshot, *cache.Server, bool) {
	id := r.PathValue("as")
	if id == "" {
		id = store.OrgServerID
	}
	snap := s.cache.Current()
	srv := snap.Servers[id]
	if !srv.Serving() {
		web.WriteError(w, oktaerr.NotFound(id, "AuthorizationServer"))
		return nil, nil, false
	}
	return snap, srv, true
}

// eventPrefix is "app.oauth2.as" for custom servers and "app.oauth2" for the
// org server, as in Okta's event types.
func eventPrefix(srv *cache.Server) string {
	if srv.IsOrg() {
		return "app.oauth2"
	}
	return "app.oauth2.as"
}

// useCode uses up a code outside a redemption (a refused redemption, a
// finished pending request). A code already used or gone is what was
// wanted; any other failure leaves it usable, which is logged.
func (s *Server) useCode(ctx context.Context, kind string, hash []byte, now time.Time) {
	if _, err := s.store.Codes().Use(ctx, kind, hash, now); err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
		s.logError(ctx, "using up a "+kind+" code failed", err)
	}
}

func (s *Server) errorPage(w http.ResponseWriter, status int, msg string) {
	name := "Sesame"
	if org := s.cache.Current().Org; org != nil {
		name = org.Name
	}
	pages.Render(w, s.log, status, &pages.Message{Common: pages.Common{Title: "Sign-in error", OrgName: name}, Error: msg,
		Lines: []string{"Go back to the application and try again. If this keeps happening, tell the application's administrator."}})
}
