package mgmt

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sesame-idp/sesame/internal/filter"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// Apps list: Okta's default page is 20 and the maximum 200.
const (
	appsDefaultLimit = 20
	appsMaxLimit     = 200
)

// appFilterAttrs are what Okta's apps filter supports, with eq only.
var appFilterAttrs = []string{"status", "name", "user.id", "group.id", "credentials.signing.kid"}

// listApps answers GET /api/v1/apps: q (a case-insensitive prefix of the
// label or name), filter, limit and after (a cursor, with Link headers),
// and expand=user/{userId} (the app user embedded in each app).
func (h *Handler) listApps(w http.ResponseWriter, r *http.Request, p *principal) {
	limit, after, werr := web.PageParams(r, appsDefaultLimit, appsMaxLimit)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	query := r.URL.Query()
	q := strings.ToLower(query.Get("q"))
	var expr filter.Expr
	if f := query.Get("filter"); f != "" {
		e, ferr := filter.ParseWith(f, filter.Options{Allowed: appFilterAttrs, Operators: []string{"eq"}})
		if ferr != nil {
			web.WriteError(w, ferr)
			return
		}
		expr = e
	}
	expandUser := ""
	if ex := query.Get("expand"); ex != "" {
		id, ok := strings.CutPrefix(ex, "user/")
		if !ok || id == "" {
			web.WriteError(w, oktaerr.New(http.StatusBadRequest, oktaerr.CodeInvalidSearch, "Invalid search criteria.",
				"expand: The only expansion of apps is 'user/{userId}'."))
			return
		}
		expandUser = id
	}
	var keep func(*store.App) bool
	if q != "" || expr != nil {
		keep = func(a *store.App) bool {
			if q != "" && !strings.HasPrefix(strings.ToLower(a.Label), q) && !strings.HasPrefix(strings.ToLower(a.Name), q) {
				return false
			}
			return expr == nil || expr.Match(h.appGetter(r, a, expr))
		}
	}
	apps, next, err := pageMatching(limit, after, func(p store.Page) ([]*store.App, error) { return h.svc.ListApps(r.Context(), p) },
		func(a *store.App) string { return a.ID }, keep)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]AppJSON, 0, len(apps))
	for _, a := range apps {
		j := AppToJSON(a, h.orgURL, "")
		if expandUser != "" {
			if au, err := h.svc.GetAppUser(r.Context(), a.ID, expandUser); err == nil {
				j.Embedded = map[string]any{"user": h.appUserToJSON(au)}
			}
		}
		out = append(out, j)
	}
	web.SetLinks(w, r, h.orgURL, limit, next)
	web.WriteJSON(w, http.StatusOK, out)
}

// appGetter reads an app's filter attributes. user.id and group.id are the
// ids the filter names that the app is assigned to (a user directly or
// through a group), looked up one by one rather than listing every member.
func (h *Handler) appGetter(r *http.Request, a *store.App, e filter.Expr) filter.Getter {
	return func(attr string) (any, bool) {
		switch attr {
		case "status":
			return a.Status, true
		case "name":
			return a.Name, true
		case "credentials.signing.kid":
			if s := a.Credentials.Signing; s != nil && s.KID != "" {
				return s.KID, true
			}
		case "user.id":
			var hit []string
			for _, id := range e.StringsOf(attr) {
				if _, err := h.svc.GetAppUser(r.Context(), a.ID, id); err == nil {
					hit = append(hit, id)
				}
			}
			return hit, len(hit) > 0
		case "group.id":
			var hit []string
			for _, id := range e.StringsOf(attr) {
				if _, err := h.svc.GetAppGroup(r.Context(), a.ID, id); err == nil {
					hit = append(hit, id)
				}
			}
			return hit, len(hit) > 0
		}
		return nil, false
	}
}

func (h *Handler) createApp(w http.ResponseWriter, r *http.Request, p *principal) {
	body, werr := readBody(w, r)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	a, secret, err := AppFromRequest(body, nil, h.svc.Now())
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	// ?activate=false creates the app INACTIVE; the default is active.
	if act := r.URL.Query().Get("activate"); act != "" {
		if on, perr := strconv.ParseBool(act); perr == nil && !on {
			a.Status = store.StatusInactive
		}
	}
	if err := h.svc.CreateApp(r.Context(), serviceContext(r, p), a, secret); err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, AppToJSON(a, h.orgURL, secret))
}

func (h *Handler) getApp(w http.ResponseWriter, r *http.Request, p *principal) {
	a, err := h.svc.GetApp(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, AppToJSON(a, h.orgURL, ""))
}

func (h *Handler) replaceApp(w http.ResponseWriter, r *http.Request, p *principal) {
	existing, err := h.svc.GetApp(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	body, werr := readBody(w, r)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	a, secret, err := AppFromRequest(body, existing, h.svc.Now())
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	if err := h.svc.UpdateApp(r.Context(), serviceContext(r, p), a, secret); err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, AppToJSON(a, h.orgURL, secret))
}

func (h *Handler) deleteApp(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.DeleteApp(r.Context(), serviceContext(r, p), r.PathValue("id")))
}

// appLifecycle answers 200 with an empty object, as Okta does.
func (h *Handler) appLifecycle(status string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		if err := h.svc.SetAppStatus(r.Context(), serviceContext(r, p), r.PathValue("id"), status); err != nil {
			h.writeErr(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, struct{}{})
	}
}

func (h *Handler) listGrants(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	grants, err := h.svc.ListGrants(r.Context(), id)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	a, err := h.svc.GetApp(r.Context(), id)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]GrantJSON, 0, len(grants))
	for _, g := range grants {
		out = append(out, GrantToJSON(g, a, h.orgURL))
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) createGrant(w http.ResponseWriter, r *http.Request, p *principal) {
	body, werr := readBody(w, r)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	scopeID, issuer, verr := GrantFromRequest(body)
	if verr != nil {
		web.WriteError(w, verr)
		return
	}
	if issuer != h.orgURL {
		web.WriteError(w, oktaerr.Validation("issuer", "issuer: The issuer must be the org authorization server, "+h.orgURL+"."))
		return
	}
	g, err := h.svc.CreateGrant(r.Context(), serviceContext(r, p), r.PathValue("id"), scopeID, issuer)
	h.writeGrant(w, r, http.StatusCreated, g, err)
}

func (h *Handler) getGrant(w http.ResponseWriter, r *http.Request, p *principal) {
	g, err := h.svc.GetGrant(r.Context(), r.PathValue("id"), r.PathValue("grantId"))
	h.writeGrant(w, r, http.StatusOK, g, err)
}

// writeGrant answers with a grant (which names its app's client id) or
// with the error that kept it from being had.
func (h *Handler) writeGrant(w http.ResponseWriter, r *http.Request, status int, g *store.AppGrant, err error) {
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	a, err := h.svc.GetApp(r.Context(), g.AppID)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, status, GrantToJSON(g, a, h.orgURL))
}

func (h *Handler) deleteGrant(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.DeleteGrant(r.Context(), serviceContext(r, p), r.PathValue("id"), r.PathValue("grantId")))
}
