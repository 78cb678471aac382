package mgmt

import (
	"net/http"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/web"
)

// Most handlers of the management API have one of four shapes: read one
// record and answer it, read a list and answer it, decode a body and hand
// it to the service then answer what was stored, or change something and
// answer 204. These helpers are those shapes once, so that a handler names
// only its service call and its JSON rendering. Go has no generic methods,
// hence functions taking the Handler.

// writeOne answers v rendered (200), or err.
func writeOne[T, J any](h *Handler, w http.ResponseWriter, r *http.Request, v T, err error, render func(T) J) {
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, render(v))
}

// writeList answers the items rendered one by one (200; [] when there are
// none, never null), or err.
func writeList[T, J any](h *Handler, w http.ResponseWriter, r *http.Request, items []T, err error, render func(T) J) {
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]J, 0, len(items))
	for _, it := range items {
		out = append(out, render(it))
	}
	web.WriteJSON(w, http.StatusOK, out)
}

// save decodes the body with parse, hands the record to put and answers it
// rendered with status: 201 for most creates, 200 for a replace. A body
// parse refuses is answered here, as is put's error.
func save[T, J any](h *Handler, w http.ResponseWriter, r *http.Request, status int,
	parse func([]byte) (T, *oktaerr.Error), put func(T) error, render func(T) J) {
	v, ok := readJSON(w, r, parse)
	if !ok {
		return
	}
	if err := put(v); err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, status, render(v))
}

// writeNoContent answers 204, or err.
func (h *Handler) writeNoContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writePage is writeList for a paged collection: it also sets the Link
// header, whose next cursor is the id of the last item of a full page.
func writePage[T, J any](h *Handler, w http.ResponseWriter, r *http.Request, limit int, items []T, err error,
	id func(T) string, render func(T) J) {
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, id(it))
	}
	writeScanned(h, w, r, limit, items, web.NextCursor(ids, limit), err, render)
}

// writeScanned writes a page whose next cursor the reading chose
// (pageMatching): "" when the list has ended.
func writeScanned[T, J any](h *Handler, w http.ResponseWriter, r *http.Request, limit int, items []T, next string, err error,
	render func(T) J) {
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.SetLinks(w, r, h.orgURL, limit, next)
	writeList(h, w, r, items, nil, render)
}
