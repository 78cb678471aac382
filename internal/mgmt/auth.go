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
// SSWS token, or a client through an org-server access token.
type principal struct {
	actor  audit.Actor
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
		if p.scopes != nil && !scopeAllows(p.scopes, scope) {
			w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="`+h.orgURL+`/oauth2/v1/authorize", realm="`+h.orgURL+`", scope="`+scope+`", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="`+r.URL.Path+`"`)
			web.WriteError(w, oktaerr.Forbidden())
			return
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
		if !u.SuperAdmin {
			return nil, oktaerr.Forbidden()
		}
		return &principal{actor: audit.UserActor(u), user: u, tokenID: t.ID}, nil
	case strings.EqualFold(scheme, "Bearer") && cred != "":
		c := h.oauth.VerifyAccessToken(store.OrgServerID, cred)
		if c == nil {
			return nil, oktaerr.InvalidToken()
		}
		return &principal{actor: h.clientActor(c.Cid), scopes: c.Scp}, nil
	}
	return nil, oktaerr.InvalidToken()
}

// scopeAllows implements Okta's implication: okta.x.manage covers okta.x.read,
// and okta.clients.manage covers okta.clients.register.
func scopeAllows(granted []string, need string) bool {
	for _, g := range granted {
		if g == need {
			return true
		}
		if base, ok := strings.CutSuffix(g, ".manage"); ok {
			if need == base+".read" || (base == "okta.clients" && need == "okta.clients.register") {
				return true
			}
		}
	}
	return false
}

// clientActor names the client of a bearer token by its app's label.
func (h *Handler) clientActor(clientID string) audit.Actor {
	label := ""
	if app := h.svc.Cache.Current().AppByClientID(clientID); app != nil {
		label = app.Label
	}
	return audit.ClientActor(clientID, label)
}
