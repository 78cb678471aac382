package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// Error is an OAuth error answer: {"error","error_description"} with its
// HTTP status (§2.12).
//
// cause is what went wrong underneath a server_error; the writer logs it
// with the request id, the answer never shows it.
type Error struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description"`

	cause error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.Description + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Description
}

// Unwrap returns the cause of a server_error.
func (e *Error) Unwrap() error { return e.cause }

// serverError is a server_error whose cause is err (what failed; err may be
// nil when what says it all).
func serverError(what string, err error) *Error {
	e := *errServerError
	if errors.Is(err, store.ErrUnavailable) {
		e = *errUnavailable
	}
	if err == nil {
		e.cause = errors.New(what)
	} else {
		e.cause = fmt.Errorf("%s: %w", what, err)
	}
	return &e
}

func oerr(status int, code, desc string) *Error {
	return &Error{Status: status, Code: code, Description: desc}
}

// The catalogue texts this package answers with.
var (
	errInvalidClient        = oerr(401, "invalid_client", "Client authentication failed. Either the client or the client credentials are invalid.")
	errNoClientCredentials  = oerr(401, "invalid_client", "No client credentials found.")
	errInvalidClientID      = oerr(401, "invalid_client", "Invalid value for 'client_id' parameter.")
	errInvalidSecret        = oerr(401, "invalid_client", "The client secret supplied for a confidential client is invalid.")
	errInvalidBasicAuth     = oerr(401, "invalid_client", "Found Authentication header but was not valid client credentials.")
	errMultipleCredentials  = oerr(401, "invalid_request", "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.")
	errCredentialsInQuery   = oerr(400, "invalid_request", "Client credentials cannot be supplied via query parameters.")
	errDuplicateParams      = oerr(400, "invalid_request", "The request contained multiple parameters with the same name.")
	errAssertionType        = oerr(400, "invalid_request", "The client_assertion_type is invalid.")
	errTokenRequired        = oerr(400, "invalid_request", "The 'token' parameter is required.")
	errInvalidRequest       = oerr(400, "invalid_request", "Invalid request")
	errOpenIDClientCreds    = oerr(400, "invalid_scope", "Cannot request 'openid' scopes using client credentials.")
	errMissingScopes        = oerr(400, "invalid_scope", "No scopes were requested.")
	errInvalidScope         = oerr(400, "invalid_scope", "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner.")
	errSelfScopeClientCreds = oerr(400, "client_credentials_self_scope_requested", "The 'client_credentials' grant type may not request .self scopes.")
	errNoOrgScopesGranted   = oerr(400, "consent_required", "You are not allowed any of the requested scopes.")
	errOrgCCAppType         = oerr(401, "invalid_client", "Only clients with 'application_type' of 'service' may use the client_credentials 'grant_type' with the Org Authorization Server.")
	errOrgCCAuthMethod      = oerr(401, "invalid_client", "Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.")
	errServerError          = oerr(500, "server_error", "The server encountered an internal error.")
	// The database could not be reached: RFC 6749's temporarily_unavailable,
	// answered 503 (with Retry-After) so that clients try again.
	errUnavailable = oerr(503, "temporarily_unavailable", "The authorization server is temporarily unable to handle the request. Try again shortly.")
)

// Client-assertion failures, all 401 invalid_client (§2.3).
var (
	errAssertionIssuer     = oerr(401, "invalid_client", "The issuer claim for client_assertion is not a valid client_id.")
	errAssertionSubject    = oerr(401, "invalid_client", "The subject claim for client_assertion is not a valid client_id.")
	errAssertionAudience   = oerr(401, "invalid_client", "The audience claim for client_assertion must be the endpoint invoked for the request.")
	errAssertionExpMissing = oerr(401, "invalid_client", "The client_assertion must contain the 'exp' claim as seconds since epoch.")
	errAssertionExpired    = oerr(401, "invalid_client", "The client_assertion token is expired.")
	errAssertionTooFar     = oerr(401, "invalid_client", "The client_assertion token has an expiration too far into the future.")
	errAssertionIatFuture  = oerr(401, "invalid_client", "The client_assertion token must be issued before the current time.")
	errAssertionReplayed   = oerr(401, "invalid_client", "The client_assertion token has already been used.")
	errAssertionSignature  = oerr(401, "invalid_client", "The client_assertion signature is invalid.")
	errAssertionJWT        = oerr(401, "invalid_client", "The parsing of the client_assertion failed.")
	errAssertionKID        = oerr(401, "invalid_client", "The client_assertion JWT kid is invalid.")
	errAssertionAlg        = oerr(401, "invalid_client", "The client_assertion JWT signature algorithm is invalid.")
	errAssertionSecretLen  = oerr(401, "invalid_client", "The client secret is too short to verify a JWT HMAC.")
	errAssertionNoJWKS     = oerr(401, "invalid_client", "The client does not have a JWKSet configured, but the client_assertion requires one.")
	errAssertionNoSecret   = oerr(401, "invalid_client", "The issuer and subject claim for client_assertion is invalid because the client does not have a client secret.")
	errJWKSURI             = oerr(401, "invalid_client", "Error retrieving the client JWKSet from jwks_uri.")
)

func unsupportedGrantType(configured []string) *Error {
	return oerr(400, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server. Configured grant types: "+list(configured)+".")
}

func unauthorizedClient(configured []string) *Error {
	return oerr(400, "unauthorized_client", "The client is not authorized to use the provided grant type. Configured grant types: "+list(configured)+".")
}

func missingGrantType(valid []string) *Error {
	return oerr(400, "invalid_request", "The token request must specify a 'grant_type'. Valid values: "+list(valid))
}

// list formats values as Okta does in its messages: [a, b].
func list(v []string) string {
	s := "["
	for i, x := range v {
		if i > 0 {
			s += ", "
		}
		s += x
	}
	return s + "]"
}

// writeError writes an OAuth error, logging its cause (once, here, with the
// request id) when it has one.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *Error) {
	s.logCause(r.Context(), e)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	web.WriteJSON(w, e.Status, e)
}

// logCause logs what went wrong underneath a server error.
func (s *Server) logCause(ctx context.Context, e *Error) {
	if e != nil && e.cause != nil {
		s.logError(ctx, "OAuth request failed", e.cause)
	}
}

// logError logs a failure that does not end the request (or that a writer
// reports), with the request id.
func (s *Server) logError(ctx context.Context, msg string, err error) {
	s.log.Error(msg, "request_id", web.RequestID(ctx), "err", err)
}
