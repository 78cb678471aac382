package mgmt

import (
	"net/url"
	"slices"
	"strings"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
)

// GrantJSON is an Okta API scope consent grant of
// /api/v1/apps/{appId}/grants (docs/okta-api.md §4.1.3).
type GrantJSON struct {
	ID          string          `json:"id"`
	Status      string          `json:"status"`
	Created     Time            `json:"created"`
	CreatedBy   *GrantActor     `json:"createdBy,omitempty"`
	LastUpdated Time            `json:"lastUpdated"`
	Issuer      string          `json:"issuer"`
	ClientID    string          `json:"clientId"`
	ScopeID     string          `json:"scopeId"`
	Source      string          `json:"source"`
	Embedded    GrantEmbedded   `json:"_embedded"`
	Links       map[string]Link `json:"_links"`
}

// GrantActor names who created a grant.
type GrantActor struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type GrantEmbedded struct {
	Scope GrantScope `json:"scope"`
}

type GrantScope struct {
	ID string `json:"id"`
}

// GrantToJSON renders a grant of app. orgURL is the org's base URL.
// createdBy is typed User for a 00u… id and Client otherwise (a grant made
// with a service app's token).
func GrantToJSON(g *store.AppGrant, app *store.App, orgURL string) GrantJSON {
	org := strings.TrimRight(orgURL, "/")
	appURL := org + "/api/v1/apps/" + url.PathEscape(app.ID)
	out := GrantJSON{
		ID:          g.ID,
		Status:      g.Status,
		Created:     Time{g.Created},
		LastUpdated: Time{g.LastUpdated},
		Issuer:      g.Issuer,
		ClientID:    app.ClientID,
		ScopeID:     g.ScopeID,
		Source:      g.Source,
		Embedded:    GrantEmbedded{Scope: GrantScope{ID: g.ScopeID}},
		Links: map[string]Link{
			"app":    {Href: appURL, Title: app.Label},
			"self":   {Href: appURL + "/grants/" + url.PathEscape(g.ID), Hints: &Hints{Allow: []string{"GET", "DELETE"}}},
			"client": {Href: org + "/oauth2/v1/clients/" + url.PathEscape(app.ClientID), Title: app.Label},
		},
	}
	if g.CreatedBy != "" {
		typ := "Client"
		if strings.HasPrefix(g.CreatedBy, "00u") {
			typ = "User"
		}
		out.CreatedBy = &GrantActor{ID: g.CreatedBy, Type: typ}
	}
	return out
}

// GrantFromRequest reads {"scopeId":"okta.users.read","issuer":"{org}"}.
// scopeId must be an Okta API scope (IsOktaScope); issuer must be an
// absolute http(s) URL and is returned without trailing slashes. Whether it
// is this org's URL is for the caller, which knows it. Errors: E0000003 for
// a body that is not JSON, else E0000001 with every cause.
func GrantFromRequest(body []byte) (scopeID, issuer string, err *oktaerr.Error) {
	var req struct {
		ScopeID string `json:"scopeId"`
		Issuer  string `json:"issuer"`
	}
	if e := decodeBody(body, &req); e != nil {
		return "", "", e
	}
	var c oktaerr.Problems
	switch {
	case req.ScopeID == "":
		c.Add("scopeId", oktaerr.Blank)
	case !IsOktaScope(req.ScopeID):
		c.Add("scopeId", "'%s' is not an Okta API scope.", oktaerr.Show(req.ScopeID))
	}
	issuer = strings.TrimRight(req.Issuer, "/")
	if issuer == "" {
		c.Add("issuer", oktaerr.Blank)
	} else if u, perr := url.Parse(issuer); perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		c.Add("issuer", "'%s' is not a valid issuer: it must be the org's absolute URL.", oktaerr.Show(req.Issuer))
	}
	if len(c) > 0 {
		return "", "", c.Err()
	}
	return req.ScopeID, issuer, nil
}

// oktaScopeNames lists the Okta API (management) scopes an app may be granted:
// those the reference names (§4.0: users, groups, apps, appGrants,
// authorizationServers, trustedOrigins, apiTokens, logs, sessions, policies,
// clients, with their .self variants) and the rest of Okta's published
// okta.* scopes, so that grants made by Okta tooling (the Terraform
// okta_app_oauth_api_scope resource grants e.g. okta.domains.read) are
// accepted even where Sesame serves no such API: a grant only permits a
// scope in a token, it exposes nothing by itself.
const oktaScopeNames = `
okta.agentPools.manage okta.agentPools.read
okta.apiTokens.manage okta.apiTokens.read
okta.appGrants.manage okta.appGrants.read
okta.apps.clientCredentials.read
okta.apps.manage okta.apps.read
okta.authenticators.manage okta.authenticators.read
okta.authorizationServers.manage okta.authorizationServers.read
okta.behaviors.manage okta.behaviors.read
okta.brands.manage okta.brands.read
okta.captchas.manage okta.captchas.read
okta.clients.manage okta.clients.read okta.clients.register
okta.customizations.manage okta.customizations.read
okta.deviceAssurance.manage okta.deviceAssurance.read
okta.devices.manage okta.devices.read
okta.domains.manage okta.domains.read
okta.emailDomains.manage okta.emailDomains.read
okta.emailServers.manage okta.emailServers.read
okta.eventHooks.manage okta.eventHooks.read
okta.factors.manage okta.factors.read
okta.features.manage okta.features.read
okta.groups.manage okta.groups.read
okta.identitySources.manage okta.identitySources.read
okta.idps.manage okta.idps.read
okta.inlineHooks.manage okta.inlineHooks.read
okta.linkedObjects.manage okta.linkedObjects.read
okta.logStreams.manage okta.logStreams.read
okta.logs.read
okta.myAccount.email.manage okta.myAccount.email.read
okta.myAccount.phone.manage okta.myAccount.phone.read
okta.myAccount.profile.manage okta.myAccount.profile.read
okta.networkZones.manage okta.networkZones.read
okta.oauthIntegrations.manage okta.oauthIntegrations.read
okta.orgs.manage okta.orgs.read
okta.policies.manage okta.policies.read
okta.principalRateLimits.manage okta.principalRateLimits.read
okta.profileMappings.manage okta.profileMappings.read
okta.pushProviders.manage okta.pushProviders.read
okta.rateLimits.manage okta.rateLimits.read
okta.realms.manage okta.realms.read
okta.reports.read
okta.riskEvents.manage
okta.riskProviders.manage okta.riskProviders.read
okta.roles.manage okta.roles.read
okta.schemas.manage okta.schemas.read
okta.sessions.manage okta.sessions.read
okta.templates.manage okta.templates.read
okta.threatInsights.manage okta.threatInsights.read
okta.trustedOrigins.manage okta.trustedOrigins.read
okta.uischemas.manage okta.uischemas.read
okta.userTypes.manage okta.userTypes.read
okta.users.manage okta.users.manage.self okta.users.read okta.users.read.self
`

// OktaScopes returns the Okta API scopes, sorted. It is a fresh slice each
// time: the list is a constant of the package, not shared state.
func OktaScopes() []string {
	s := strings.Fields(oktaScopeNames)
	slices.Sort(s)
	return s
}

// IsOktaScope reports whether s is an Okta API scope (case-sensitive, as
// Okta's scope names are).
func IsOktaScope(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	return slices.Contains(strings.Fields(oktaScopeNames), s)
}
