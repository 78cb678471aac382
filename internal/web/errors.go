// Package web holds the HTTP plumbing every endpoint shares: JSON and error
// writers in Okta's shapes, request ids, CORS, security headers and limits.
package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/sesame-idp/sesame/internal/secret"
)

// Error is Okta's management-API error object. It is also a Go error so that
// service functions can return it and handlers write it unchanged.
type Error struct {
	Status  int     `json:"-"`
	Code    string  `json:"errorCode"`
	Summary string  `json:"errorSummary"`
	Link    string  `json:"errorLink"`
	ID      string  `json:"errorId"`
	Causes  []Cause `json:"errorCauses"`
}

// Cause is one entry of errorCauses.
type Cause struct {
	Summary string `json:"errorSummary"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Summary }

// The catalogue entries Sesame uses. Summaries are Okta's exact texts.
const (
	CodeValidation        = "E0000001" // 400 Api validation failed: {0}
	CodeMalformedBody     = "E0000003" // 400
	CodeAuthnFailed       = "E0000004" // 401
	CodeInvalidSession    = "E0000005" // 403
	CodeForbidden         = "E0000006" // 403
	CodeNotFound          = "E0000007" // 404 Not found: {0}
	CodePathNotFound      = "E0000008" // 404
	CodeInternal          = "E0000009" // 500
	CodeInvalidToken      = "E0000011" // 401
	CodeMethodNotAllowed  = "E0000022" // 405
	CodeInvalidSearch     = "E0000031" // 400
	CodeRateLimited       = "E0000047" // 429
	CodeDeleteAppActive   = "E0000056" // 403
	CodeUnsupportedFilter = "E0000094" // 400
)

// NewError builds an error object with a fresh errorId.
func NewError(status int, code, summary string, causes ...string) *Error {
	e := &Error{Status: status, Code: code, Summary: summary, Link: code, ID: errorID(), Causes: []Cause{}}
	for _, c := range causes {
		e.Causes = append(e.Causes, Cause{Summary: c})
	}
	return e
}

// Validation is E0000001 "Api validation failed: {field}" with one cause per
// problem, each "field: text" as Okta writes them.
func Validation(field string, causes ...string) *Error {
	return NewError(http.StatusBadRequest, CodeValidation, "Api validation failed: "+field, causes...)
}

// NotFound is E0000007 for a missing resource: "Not found: Resource not found: ID (Type)".
func NotFound(id, typ string) *Error {
	return NewError(http.StatusNotFound, CodeNotFound, "Not found: Resource not found: "+id+" ("+typ+")")
}

// MalformedBody is E0000003.
func MalformedBody() *Error {
	return NewError(http.StatusBadRequest, CodeMalformedBody, "The request body was not well-formed.")
}

// InvalidToken is E0000011.
func InvalidToken() *Error {
	return NewError(http.StatusUnauthorized, CodeInvalidToken, "Invalid token provided")
}

// Forbidden is E0000006.
func Forbidden() *Error {
	return NewError(http.StatusForbidden, CodeForbidden, "You do not have permission to perform the requested action")
}

// PathNotFound is E0000008.
func PathNotFound() *Error {
	return NewError(http.StatusNotFound, CodePathNotFound, "The requested path was not found")
}

// MethodNotAllowed is E0000022.
func MethodNotAllowed() *Error {
	return NewError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The endpoint does not support the provided HTTP method")
}

// Internal is E0000009; the cause is logged, never shown.
func Internal() *Error {
	return NewError(http.StatusInternalServerError, CodeInternal, "Internal Server Error")
}

// WriteError writes an Okta error object.
func WriteError(w http.ResponseWriter, e *Error) {
	WriteJSON(w, e.Status, e)
}

// WriteJSON writes v as JSON with Okta's content type.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(Internal())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// errorID is an Okta-like errorId ("oae" + 22 random characters).
func errorID() string { return "oae" + secret.RandomString(22) }
