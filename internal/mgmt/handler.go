package mgmt

import (
	"io"
	"log/slog"
	"net/http"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/token"
	"github.com/sesame-idp/sesame/internal/web"
)

// maxBodyBytes bounds a management request body.
const maxBodyBytes = 1 << 20

// Tokens is what the management API needs of the OAuth server: verifying
// an org-server access token presented as a bearer, and the issuer of an
// app's org-server ID tokens. app.go passes the *oauth.Server; mgmt does
// not import oauth.
type Tokens interface {
	VerifyAccessToken(serverID, tok string) *token.AccessClaims
	OrgIDTokenIssuer(app *store.App) string
}

// Handler serves the management API.
type Handler struct {
	svc    *service.Service
	oauth  Tokens
	orgURL string
	log    *slog.Logger
	// as, when set, is who every request acts as (Local).
	as *principal
}

// New returns a Handler.
func New(svc *service.Service, o Tokens, log *slog.Logger) *Handler {
	return &Handler{svc: svc, oauth: o, orgURL: svc.OrgURL, log: log}
}

// Register adds the management routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /.well-known/okta-organization", h.organization)

	mux.Handle("GET /api/v1/apps", h.auth("okta.apps.read", h.listApps))
	mux.Handle("POST /api/v1/apps", h.auth("okta.apps.manage", h.createApp))
	mux.Handle("GET /api/v1/apps/{id}", h.auth("okta.apps.read", h.getApp))
	mux.Handle("PUT /api/v1/apps/{id}", h.auth("okta.apps.manage", h.replaceApp))
	mux.Handle("DELETE /api/v1/apps/{id}", h.auth("okta.apps.manage", h.deleteApp))
	mux.Handle("POST /api/v1/apps/{id}/lifecycle/activate", h.auth("okta.apps.manage", h.appLifecycle(store.StatusActive)))
	mux.Handle("POST /api/v1/apps/{id}/lifecycle/deactivate", h.auth("okta.apps.manage", h.appLifecycle(store.StatusInactive)))
	mux.Handle("GET /api/v1/apps/{id}/grants", h.auth("okta.appGrants.read", h.listGrants))
	mux.Handle("POST /api/v1/apps/{id}/grants", h.auth("okta.appGrants.manage", h.createGrant))
	mux.Handle("GET /api/v1/apps/{id}/grants/{grantId}", h.auth("okta.appGrants.read", h.getGrant))
	mux.Handle("DELETE /api/v1/apps/{id}/grants/{grantId}", h.auth("okta.appGrants.manage", h.deleteGrant))

	const scopes = "/api/v1/authorizationServers/{as}/scopes"
	mux.Handle("GET "+scopes, h.auth("okta.authorizationServers.read", h.listScopes))
	mux.Handle("POST "+scopes, h.auth("okta.authorizationServers.manage", h.createScope))
	mux.Handle("GET "+scopes+"/{scopeId}", h.auth("okta.authorizationServers.read", h.getScope))
	mux.Handle("PUT "+scopes+"/{scopeId}", h.auth("okta.authorizationServers.manage", h.replaceScope))
	mux.Handle("DELETE "+scopes+"/{scopeId}", h.auth("okta.authorizationServers.manage", h.deleteScope))

	h.registerAppCredentials(mux)
	h.registerGroups(mux)
	h.registerGroupRules(mux)
	h.registerAppLinks(mux)
	h.registerClientTokens(mux)
	h.registerLogos(mux)
	h.registerAssignments(mux)

	mux.Handle("GET /oauth2/v1/clients", h.auth("okta.clients.read", h.listClients))
	mux.Handle("POST /oauth2/v1/clients", h.auth("okta.clients.register", h.createClient))
	mux.Handle("GET /oauth2/v1/clients/{clientId}", h.auth("okta.clients.read", h.getClient))
	mux.Handle("PUT /oauth2/v1/clients/{clientId}", h.auth("okta.clients.manage", h.replaceClient))
	mux.Handle("DELETE /oauth2/v1/clients/{clientId}", h.auth("okta.clients.manage", h.deleteClient))
	mux.Handle("POST /oauth2/v1/clients/{clientId}/lifecycle/newSecret", h.auth("okta.clients.manage", h.newClientSecret))
	h.registerUsers(mux)
	h.registerRoles(mux)
	h.registerOrigins(mux)
	h.registerAPITokens(mux)
	h.registerLogs(mux)
	h.registerServers(mux)
	h.registerPolicies(mux)
	h.registerClaims(mux)
	h.registerSessions(mux)
	h.registerFactors(mux)
	h.registerUserSchema(mux)
	h.registerOrgPolicies(mux)
}

// readBody reads a JSON request body within the size limit.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *oktaerr.Error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return nil, oktaerr.MalformedBody()
	}
	return b, nil
}

// readInto reads the body and decodes it into v, answering the error itself
// when it cannot.
func readInto(w http.ResponseWriter, r *http.Request, v any) bool {
	body, werr := readBody(w, r)
	if werr == nil {
		werr = decodeBody(body, v)
	}
	if werr != nil {
		web.WriteError(w, werr)
		return false
	}
	return true
}

// writeErr writes err as an Okta error object (web.Fail logs what is not one).
func (h *Handler) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	web.Fail(w, r, h.log, err)
}

// serviceContext builds the System Log context of a request.
func serviceContext(r *http.Request, p *principal) service.Context {
	return service.Context{Actor: p.actor, Request: audit.RequestFrom(r)}
}

func (h *Handler) organization(w http.ResponseWriter, r *http.Request) {
	org := h.svc.Cache.Current().Org
	if org == nil {
		web.WriteError(w, oktaerr.PathNotFound())
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{
		"id":       org.ID,
		"pipeline": "v1",
		"_links":   map[string]any{"organization": map[string]string{"href": h.orgURL}},
	})
}

// pageMatching reads a list in id order after the cursor through the
// service's Scan, keeping what keep accepts: a filter that runs after paging
// must still fill the page it answers, but reads at most service.ScanBudget
// rows per request, so a page may end short (even empty) with a next link
// where the reading stopped. next is "" at the end of the list.
func pageMatching[T any](limit int, after string, fetch func(store.Page) ([]T, error), id func(T) string, keep func(T) bool) (kept []T, next string, err error) {
	kept, last, more, err := service.Scan(limit, limit, func(from *T, n int) ([]T, error) {
		if from != nil {
			after = id(*from)
		}
		return fetch(store.Page{After: after, Limit: n})
	}, keep)
	if err != nil || !more {
		return kept, "", err
	}
	return kept, id(last), nil
}
