package mgmt

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// principal is who calls the management API: an administrator through an
// SSWS token, or a client through an org-server access token (for a person
// when the token has one).
type principal struct {
	actor audit.Actor
	// user is the person the request acts for; what they may do is what
	// their administrator roles allow (service.Authorize). nil for a
	// service app's token and for Local.
	user   *store.User
	scopes []string // bearer tokens only
	// tokenID is the SSWS token the request came with, for
	// DELETE /api/v1/api-tokens/current.
	tokenID string
}

type authedHandler func(w http.ResponseWriter, r *http.Request, p *principal)

// auth authenticates the request and checks that it may use scope
// ("….manage" implies "….read"; DCR registration is implied by manage).
func (h *Handler) auth(scope string, next authedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := h.authenticate(r)
		if err != nil {
			h.writeErr(w, r, err)
			return
		}
		if p.scopes != nil && !service.ScopeAllows(p.scopes, scope) {
			w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="`+h.orgURL+`/oauth2/v1/authorize", realm="`+h.orgURL+`", scope="`+scope+`", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="`+r.URL.Path+`"`)
			web.WriteError(w, oktaerr.Forbidden())
			return
		}
		if p.user != nil {
			if err := h.svc.Authorize(r.Context(), p.user, scope); err != nil {
				h.writeErr(w, r, err)
				return
			}
		}
		next(w, r, p)
	})
}

func (h *Handler) authenticate(r *http.Request) (*principal, *oktaerr.Error) {
	if h.as != nil {
		return h.as, nil
	}
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "SSWS") && cred != "":
		t, u, err := h.svc.AuthenticateAPIToken(r.Context(), cred)
		if err != nil {
			if !errors.Is(err, service.ErrInvalidAPIToken) {
				return nil, oktaerr.Internal(fmt.Errorf("API token lookup: %w", err))
			}
			return nil, oktaerr.InvalidToken()
		}
		return &principal{actor: audit.UserActor(u), user: u, tokenID: t.ID}, nil
	case strings.EqualFold(scheme, "Bearer") && cred != "":
		c := h.oauth.VerifyAccessToken(store.OrgServerID, cred)
		if c == nil {
			return nil, oktaerr.InvalidToken()
		}
		p := &principal{actor: h.clientActor(c.Cid), scopes: c.Scp}
		if c.Uid != "" {
			// A person's token: okta.* scopes AND the person's roles, as
			// in Okta. One who is gone or inactive may do nothing.
			u, err := h.svc.GetUser(r.Context(), c.Uid)
			if err != nil {
				return nil, oktaerr.Forbidden()
			}
			p.user = u
		}
		return p, nil
	}
	return nil, oktaerr.InvalidToken()
}

// clientActor names the client of a bearer token by its app's label.
func (h *Handler) clientActor(clientID string) audit.Actor {
	label := ""
	if app := h.svc.Cache.Current().AppByClientID(clientID); app != nil {
		label = app.Label
	}
	return audit.ClientActor(clientID, label)
}
