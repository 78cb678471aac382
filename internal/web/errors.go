// Package web holds the HTTP plumbing every endpoint shares: JSON and error
// writers in Okta's shapes (the error object itself is package oktaerr),
// request ids, CORS, security headers and limits.
package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

// WriteError writes an Okta error object.
func WriteError(w http.ResponseWriter, e *oktaerr.Error) {
	WriteJSON(w, e.Status, e)
}

// Fail answers a failed request. An Okta error object is written as it is;
// anything else, or an error object with a cause underneath (an E0000009),
// is logged here, once, with the request id, and answered without detail.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *oktaerr.Error
	switch {
	case errors.Is(err, store.ErrUnavailable):
		e = oktaerr.Unavailable(err)
		w.Header().Set("Retry-After", "1")
	case !errors.As(err, &e):
		e = oktaerr.Internal(err)
	}
	if e.Status >= http.StatusInternalServerError || e.Unwrap() != nil {
		log.Error("request failed", "request_id", RequestID(r.Context()), "route", routeName(r.Pattern), "errorId", e.ID, "err", err)
	}
	WriteError(w, e)
}

// WriteJSON writes v as JSON with Okta's content type.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(oktaerr.Internal(err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
