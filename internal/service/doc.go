// Package service is Sesame's one service layer: the management API, the
// console, the CLI and the first-start setup page all call these
// operations, and none of them writes to the store on its own.
//
// It owns the rules of what may be stored (an app's settings in
// ValidateApp, users, groups, servers, policies, origins…) and refuses a
// write that breaks them with an Okta error object (internal/oktaerr) that
// every caller shows as it is. Each change commits with the System Log
// event that records it, and a change to cached configuration bumps the
// config version so that every replica reloads.
//
// It must not know HTTP or JSON request shapes: it takes and returns store
// records, never a request or a response writer, so that the API, the
// console and the CLI get the same answer for the same change. It must not
// import mgmt, console, pages, signin or oauth.
//
// Section references such as §2.2 in comments are sections of
// docs/okta-api.md, the Okta API reference the code follows.
package service
