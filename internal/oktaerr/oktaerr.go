// Package oktaerr is Okta's management-API error object
// (errorCode/errorSummary/errorLink/errorId/errorCauses). It is a Go error,
// so the service layer, the filter parser and sign-in return it and the HTTP
// handlers write it unchanged; it knows nothing of HTTP but the status code
// the object is answered with.
package oktaerr

import (
	"net/http"

	"github.com/sesame-idp/sesame/internal/secret"
)

// Error is Okta's error object. Cause, when set, is what went wrong
// underneath (a store error behind an E0000009): it is logged by the writer,
// never shown.
type Error struct {
	Status  int     `json:"-"`
	Code    string  `json:"errorCode"`
	Summary string  `json:"errorSummary"`
	Link    string  `json:"errorLink"`
	ID      string  `json:"errorId"`
	Causes  []Cause `json:"errorCauses"`

	cause error
}

// Cause is one entry of errorCauses.
type Cause struct {
	Summary string `json:"errorSummary"`
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.Summary + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Summary
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.cause }

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

// New builds an error object with a fresh errorId.
func New(status int, code, summary string, causes ...string) *Error {
	e := &Error{Status: status, Code: code, Summary: summary, Link: code, ID: errorID(), Causes: []Cause{}}
	for _, c := range causes {
		e.Causes = append(e.Causes, Cause{Summary: c})
	}
	return e
}

// Validation is E0000001 "Api validation failed: {field}" with one cause per
// problem, each "field: text" as Okta writes them.
func Validation(field string, causes ...string) *Error {
	return New(http.StatusBadRequest, CodeValidation, "Api validation failed: "+field, causes...)
}

// NotFound is E0000007 for a missing resource: "Not found: Resource not found: ID (Type)".
func NotFound(id, typ string) *Error {
	return New(http.StatusNotFound, CodeNotFound, "Not found: Resource not found: "+id+" ("+typ+")")
}

// MalformedBody is E0000003.
func MalformedBody() *Error {
	return New(http.StatusBadRequest, CodeMalformedBody, "The request body was not well-formed.")
}

// InvalidToken is E0000011.
func InvalidToken() *Error {
	return New(http.StatusUnauthorized, CodeInvalidToken, "Invalid token provided")
}

// Forbidden is E0000006 with Okta's summary and the given causes.
func Forbidden(causes ...string) *Error {
	return New(http.StatusForbidden, CodeForbidden, "You do not have permission to perform the requested action", causes...)
}

// PathNotFound is E0000008.
func PathNotFound() *Error {
	return New(http.StatusNotFound, CodePathNotFound, "The requested path was not found")
}

// MethodNotAllowed is E0000022.
func MethodNotAllowed() *Error {
	return New(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The endpoint does not support the provided HTTP method")
}

// Internal is E0000009. cause (may be nil) is kept for the log line the
// writer makes; the answer never shows it.
func Internal(cause error) *Error {
	e := New(http.StatusInternalServerError, CodeInternal, "Internal Server Error")
	e.cause = cause
	return e
}

// errorID is an Okta-like errorId ("oae" + 22 random characters).
func errorID() string { return "oae" + secret.RandomString(22) }

// RateLimited is E0000047.
func RateLimited() *Error {
	return New(http.StatusTooManyRequests, CodeRateLimited, "API call exceeded rate limit due to too many requests.")
}

// Unavailable is the error object of a request that failed because the
// database could not be reached: E0000009 as for any server failure, but
// answered 503 so that clients and load balancers try again. cause is
// logged, never shown.
func Unavailable(cause error) *Error {
	e := New(http.StatusServiceUnavailable, CodeInternal, "Internal Server Error")
	e.cause = cause
	return e
}
