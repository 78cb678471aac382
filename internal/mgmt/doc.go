// Package mgmt serves Okta's management API (/api/v1) and dynamic client
// registration (/oauth2/v1/clients).
//
// It owns the wire: routes and the admin role each one needs, SSWS and
// bearer authentication of the caller, Okta's JSON shapes (AppJSON,
// ClientJSON, PolicyJSON…) decoded from requests and encoded into answers,
// paging links, and Okta's error objects for what the service refuses
// (DCR's invalid_client_metadata is the one error of another shape). A
// handler decodes, calls one service operation, and encodes; respond.go
// holds those steps once.
//
// It must not hold a business rule or touch the store: what may be stored
// is decided in internal/service (ValidateApp and the other checks), which
// the console calls too, so that the API and the console cannot disagree.
// A request's own problems (a member of the wrong type, a client_id that
// cannot change) are mgmt's to find; it asks the service for the record's
// (service.AppProblems) only to answer every problem at once. It does not
// import oauth (app.go injects Tokens) or signin; JSON objects another
// package answers too live in internal/oktajson.
//
// Section references such as §2.2 in comments are sections of
// docs/okta-api.md, the Okta API reference the code follows.
package mgmt
