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
	WriteEncodedJSON(w, status, append(b, '\n'))
}

// WriteEncodedJSON writes an already encoded JSON answer (ending in a
// newline, as WriteJSON's do) with Okta's content type.
func WriteEncodedJSON(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	w.Write(b)
}

// UnavailableText is what a hosted page says while the database cannot be
// reached: the person can wait it out, unlike a server fault.
const UnavailableText = "Sesame cannot reach its database at the moment. Nothing was changed; try again in a minute."

// PageFailure is the status and the sentence an HTML page answers with for
// an error it did not expect: 503 with UnavailableText (and Retry-After)
// when the database is unreachable, else 500 with the generic sentence the
// hosted pages use. The caller logs err.
func PageFailure(w http.ResponseWriter, err error) (int, string) {
	if errors.Is(err, store.ErrUnavailable) {
		w.Header().Set("Retry-After", "30")
		return http.StatusServiceUnavailable, UnavailableText
	}
	return http.StatusInternalServerError, "Something went wrong on the server. Try again."
}
