package mgmt

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// DCR lists: default page 20, maximum 200 (§2.10).
const (
	clientsDefaultLimit = 20
	clientsMaxLimit     = 200
)

// writeClientErr writes a DCR error in the OAuth shape.
func writeClientErr(w http.ResponseWriter, e *OAuthClientError) {
	web.WriteJSON(w, e.Status, map[string]string{"error": e.Code, "error_description": e.Description})
}

func (h *Handler) clientApp(w http.ResponseWriter, r *http.Request) *store.App {
	a, err := h.svc.GetAppByClientID(r.Context(), r.PathValue("clientId"))
	if errors.Is(err, store.ErrNotFound) {
		// The management spec answers 404 E0000007 (retired docs showed a
		// 401 invalid_client); a 404 is what Terraform reads as "gone".
		web.WriteError(w, oktaerr.NotFound(r.PathValue("clientId"), "OAuth2Client"))
		return nil
	}
	if err != nil {
		h.writeErr(w, r, err)
		return nil
	}
	return a
}

func (h *Handler) listClients(w http.ResponseWriter, r *http.Request, p *principal) {
	limit, after, werr := web.PageParams(r, clientsDefaultLimit, clientsMaxLimit)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	q := strings.ToLower(r.URL.Query().Get("q"))
	var keep func(*store.App) bool
	if q != "" {
		keep = func(a *store.App) bool { return strings.HasPrefix(strings.ToLower(a.Label), q) }
	}
	apps, next, err := pageMatching(limit, after, func(p store.Page) ([]*store.App, error) { return h.svc.ListApps(r.Context(), p) },
		func(a *store.App) string { return a.ID }, keep)
	writeScanned(h, w, r, limit, apps, next, err, func(a *store.App) ClientJSON { return ClientToJSON(a, "") })
}

func (h *Handler) createClient(w http.ResponseWriter, r *http.Request, p *principal) {
	body, werr := readBody(w, r)
	if werr != nil {
		writeClientErr(w, &OAuthClientError{Status: http.StatusBadRequest, Code: "invalid_client_metadata", Description: "Invalid request"})
		return
	}
	a, secret, cerr := ClientFromRequest(body, nil, h.svc.Now())
	if cerr != nil {
		writeClientErr(w, cerr)
		return
	}
	if err := h.svc.CreateApp(r.Context(), serviceContext(r, p), a, secret); err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, ClientToJSON(a, secret))
}

func (h *Handler) getClient(w http.ResponseWriter, r *http.Request, p *principal) {
	if a := h.clientApp(w, r); a != nil {
		web.WriteJSON(w, http.StatusOK, ClientToJSON(a, ""))
	}
}

func (h *Handler) replaceClient(w http.ResponseWriter, r *http.Request, p *principal) {
	existing := h.clientApp(w, r)
	if existing == nil {
		return
	}
	body, werr := readBody(w, r)
	if werr != nil {
		writeClientErr(w, &OAuthClientError{Status: http.StatusBadRequest, Code: "invalid_client_metadata", Description: "Invalid request"})
		return
	}
	a, secret, cerr := ClientFromRequest(body, existing, h.svc.Now())
	if cerr != nil {
		writeClientErr(w, cerr)
		return
	}
	if err := h.svc.UpdateApp(r.Context(), serviceContext(r, p), a, secret); err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, ClientToJSON(a, secret))
}

// deleteClient removes a registered client. DCR has no lifecycle of its
// own, so the app is deactivated and deleted in one go.
func (h *Handler) deleteClient(w http.ResponseWriter, r *http.Request, p *principal) {
	a := h.clientApp(w, r)
	if a == nil {
		return
	}
	c := serviceContext(r, p)
	if err := h.svc.SetAppStatus(r.Context(), c, a.ID, store.StatusInactive); err != nil {
		h.writeErr(w, r, err)
		return
	}
	h.writeNoContent(w, r, h.svc.DeleteApp(r.Context(), c, a.ID))
}

func (h *Handler) newClientSecret(w http.ResponseWriter, r *http.Request, p *principal) {
	a := h.clientApp(w, r)
	if a == nil {
		return
	}
	updated, secret, err := h.svc.NewClientSecret(r.Context(), serviceContext(r, p), a.ID)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, ClientToJSON(updated, secret))
}
