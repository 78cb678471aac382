package mgmt

import (
	"net/http"
	"strings"

	"github.com/sesame-idp/sesame/internal/filter"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// Trusted origins list: Okta's default page is 20 and the maximum 200.
const (
	originsDefaultLimit = 20
	originsMaxLimit     = 200
)

// originFilterAttrs are the attributes Okta lets a trusted-origin filter name.
var originFilterAttrs = []string{"name", "origin", "status", "type"}

func (h *Handler) registerOrigins(mux *http.ServeMux) {
	const base = "/api/v1/trustedOrigins"
	mux.Handle("GET "+base, h.auth("okta.trustedOrigins.read", h.listOrigins))
	mux.Handle("POST "+base, h.auth("okta.trustedOrigins.manage", h.createOrigin))
	mux.Handle("GET "+base+"/{id}", h.auth("okta.trustedOrigins.read", h.getOrigin))
	mux.Handle("PUT "+base+"/{id}", h.auth("okta.trustedOrigins.manage", h.replaceOrigin))
	mux.Handle("DELETE "+base+"/{id}", h.auth("okta.trustedOrigins.manage", h.deleteOrigin))
	mux.Handle("POST "+base+"/{id}/lifecycle/activate", h.auth("okta.trustedOrigins.manage", h.originLifecycle(store.StatusActive)))
	mux.Handle("POST "+base+"/{id}/lifecycle/deactivate", h.auth("okta.trustedOrigins.manage", h.originLifecycle(store.StatusInactive)))
}

// TrustedOriginJSON is a trusted origin (§4.9).
type TrustedOriginJSON struct {
	ID            string              `json:"id"`
	Name          string              `json:"name"`
	Origin        string              `json:"origin"`
	Scopes        []store.OriginScope `json:"scopes"`
	Status        string              `json:"status"`
	Created       string              `json:"created"`
	CreatedBy     string              `json:"createdBy"`
	LastUpdated   string              `json:"lastUpdated"`
	LastUpdatedBy string              `json:"lastUpdatedBy"`
	Links         map[string]any      `json:"_links"`
}

func (h *Handler) originToJSON(o *store.TrustedOrigin) TrustedOriginJSON {
	self := h.orgURL + "/api/v1/trustedOrigins/" + o.ID
	links := map[string]any{"self": map[string]any{"href": self, "hints": map[string]any{"allow": []string{"GET", "PUT", "DELETE"}}}}
	if o.Status == store.StatusActive {
		links["deactivate"] = map[string]any{"href": self + "/lifecycle/deactivate", "hints": map[string]any{"allow": []string{"POST"}}}
	} else {
		links["activate"] = map[string]any{"href": self + "/lifecycle/activate", "hints": map[string]any{"allow": []string{"POST"}}}
	}
	scopes := o.Scopes
	if scopes == nil {
		scopes = []store.OriginScope{}
	}
	return TrustedOriginJSON{ID: o.ID, Name: o.Name, Origin: o.Origin, Scopes: scopes, Status: o.Status,
		Created: FormatTime(o.Created), CreatedBy: o.CreatedBy, LastUpdated: FormatTime(o.LastUpdated),
		LastUpdatedBy: o.LastUpdatedBy, Links: links}
}

// originFromRequest decodes a trusted origin. Read-only members (id,
// created…) are ignored.
func originFromRequest(body []byte) (*store.TrustedOrigin, *oktaerr.Error) {
	var in struct {
		Name   string              `json:"name"`
		Origin string              `json:"origin"`
		Scopes []store.OriginScope `json:"scopes"`
		Status string              `json:"status"`
	}
	if werr := decodeBody(body, &in); werr != nil {
		return nil, werr
	}
	return &store.TrustedOrigin{Name: in.Name, Origin: in.Origin, Scopes: in.Scopes, Status: in.Status}, nil
}

// originMatcher builds the q and filter selection of a list request; nil
// selects everything.
func originMatcher(r *http.Request) (func(*store.TrustedOrigin) bool, *oktaerr.Error) {
	q := strings.ToLower(r.URL.Query().Get("q"))
	var expr filter.Expr
	if f := r.URL.Query().Get("filter"); f != "" {
		var werr *oktaerr.Error
		if expr, werr = filter.Parse(f, originFilterAttrs); werr != nil {
			return nil, werr
		}
	}
	if q == "" && expr == nil {
		return nil, nil
	}
	return func(o *store.TrustedOrigin) bool {
		if q != "" && !strings.HasPrefix(strings.ToLower(o.Name), q) && !strings.HasPrefix(strings.ToLower(o.Origin), q) {
			return false
		}
		return expr == nil || expr.Match(func(attr string) (any, bool) {
			switch attr {
			case "name":
				return o.Name, true
			case "origin":
				return o.Origin, true
			case "status":
				return o.Status, true
			case "type":
				types := make([]string, len(o.Scopes))
				for i, sc := range o.Scopes {
					types[i] = sc.Type
				}
				return types, len(types) > 0
			}
			return nil, false
		})
	}, nil
}

func (h *Handler) listOrigins(w http.ResponseWriter, r *http.Request, p *principal) {
	limit, after, werr := web.PageParams(r, originsDefaultLimit, originsMaxLimit)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	match, werr := originMatcher(r)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	origins, err := h.svc.ListTrustedOrigins(r.Context(), store.Page{After: after, Limit: limit}, match)
	writePage(h, w, r, limit, origins, err, func(o *store.TrustedOrigin) string { return o.ID }, h.originToJSON)
}

func (h *Handler) createOrigin(w http.ResponseWriter, r *http.Request, p *principal) {
	save(h, w, r, http.StatusOK, originFromRequest, func(o *store.TrustedOrigin) error {
		return h.svc.CreateTrustedOrigin(r.Context(), serviceContext(r, p), o)
	}, h.originToJSON)
}

func (h *Handler) getOrigin(w http.ResponseWriter, r *http.Request, p *principal) {
	o, err := h.svc.GetTrustedOrigin(r.Context(), r.PathValue("id"))
	writeOne(h, w, r, o, err, h.originToJSON)
}

func (h *Handler) replaceOrigin(w http.ResponseWriter, r *http.Request, p *principal) {
	save(h, w, r, http.StatusOK, originFromRequest, func(o *store.TrustedOrigin) error {
		o.ID = r.PathValue("id")
		return h.svc.UpdateTrustedOrigin(r.Context(), serviceContext(r, p), o)
	}, h.originToJSON)
}

func (h *Handler) deleteOrigin(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.DeleteTrustedOrigin(r.Context(), serviceContext(r, p), r.PathValue("id")))
}

// originLifecycle answers 200 with the trusted origin, as Okta does (unlike
// the apps' empty object).
func (h *Handler) originLifecycle(status string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		o, err := h.svc.SetTrustedOriginStatus(r.Context(), serviceContext(r, p), r.PathValue("id"), status)
		writeOne(h, w, r, o, err, h.originToJSON)
	}
}
