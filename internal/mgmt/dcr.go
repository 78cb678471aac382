package mgmt

import (
	"net/http"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

// OAuthClientError is an RFC 7591 error answer of /oauth2/v1/clients:
// {"error":"invalid_client_metadata","error_description":"…"}.
type OAuthClientError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func (e *OAuthClientError) Error() string { return e.Code + ": " + e.Description }

// ErrInvalidClientMetadata is RFC 7591's error code for any unacceptable
// client metadata.
const ErrInvalidClientMetadata = "invalid_client_metadata"

func invalidMetadata(desc string) *OAuthClientError {
	return &OAuthClientError{Status: http.StatusBadRequest, Code: ErrInvalidClientMetadata, Description: desc}
}

// ClientJSON is the client object of dynamic client registration (RFC 7591
// as Okta serves it, docs/okta-api.md §2.10). ClientSecret is set only in the answer
// that created the secret.
type ClientJSON struct {
	ClientID              string `json:"client_id"`
	ClientSecret          string `json:"client_secret,omitempty"`
	ClientIDIssuedAt      int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt int64  `json:"client_secret_expires_at"`
	ClientMetadataJSON
}

// ClientMetadataJSON is the client metadata a registration sends and the
// client object answers. omitempty shapes the answer only; a request is
// decoded into the same members.
type ClientMetadataJSON struct {
	ClientName                        string         `json:"client_name"`
	ApplicationType                   string         `json:"application_type"`
	RedirectURIs                      []string       `json:"redirect_uris"`
	PostLogoutRedirectURIs            []string       `json:"post_logout_redirect_uris,omitempty"`
	ResponseTypes                     []string       `json:"response_types"`
	GrantTypes                        []string       `json:"grant_types"`
	TokenEndpointAuthMethod           string         `json:"token_endpoint_auth_method"`
	JWKS                              *store.AppJWKS `json:"jwks,omitempty"`
	JWKSURI                           string         `json:"jwks_uri,omitempty"`
	InitiateLoginURI                  string         `json:"initiate_login_uri,omitempty"`
	ClientURI                         string         `json:"client_uri,omitempty"`
	LogoURI                           string         `json:"logo_uri,omitempty"`
	PolicyURI                         string         `json:"policy_uri,omitempty"`
	TosURI                            string         `json:"tos_uri,omitempty"`
	RequestObjectSigningAlg           string         `json:"request_object_signing_alg,omitempty"`
	FrontchannelLogoutURI             string         `json:"frontchannel_logout_uri,omitempty"`
	FrontchannelLogoutSessionRequired *bool          `json:"frontchannel_logout_session_required,omitempty"`
}

// clientRequest is what POST and PUT /oauth2/v1/clients accept. client_secret
// and consent_method cannot be set through DCR (§2.10) and are not decoded;
// other RFC 7591 members Sesame does not implement (contacts, software_id,
// id_token_encrypted_response_alg…) are ignored as RFC 7591 §2 requires,
// and so never echoed as if they were honoured.
type clientRequest struct {
	ClientID string `json:"client_id"`
	ClientMetadataJSON
}

// ClientFromRequest turns the body of POST /oauth2/v1/clients (existing ==
// nil) or PUT /oauth2/v1/clients/{clientId} into the app to store, with the
// same rules as the Apps API (service.ValidateApp) and DCR's defaults:
// application_type web, grant_types ["authorization_code"] (service:
// ["client_credentials"], the only one it may have), response_types ["code"]
// (service: ["token"]), token_endpoint_auth_method client_secret_basic
// (browser: none), consent_method REQUIRED, label = client_name,
// CreatedByDCR set on create.
//
// An update replaces the members a client object has and keeps the rest of
// the app as the Apps API left it (profile, issuer_mode, refresh-token
// settings, consent_method, unknown settings members…); client_id and
// application_type cannot change. The secret follows AppFromRequest's rules
// with nothing ever supplied, so the caller's duties are the same: show the
// returned secret once (the service seals it for client_secret_jwt).
//
// Every refusal is 400 invalid_client_metadata. Its error_description is all
// of service.ValidateApp's causes joined with "; " — one cause reads exactly as
// Okta's single-problem descriptions ("client_name: The field cannot be left
// blank"), several tell the client everything to fix in one round trip. The
// Apps API's label is called client_name here. A body that is not JSON is
// "The request body was not well-formed."; a member of the wrong type is
// "<member>: The value must be <type>.".
func ClientFromRequest(body []byte, existing *store.App, now time.Time) (*store.App, string, *OAuthClientError) {
	var req clientRequest
	if field, want, err := decode(body, &req); err != nil {
		if field != "" {
			return nil, "", invalidMetadata(field + ": The value must be " + want + ".")
		}
		return nil, "", invalidMetadata("The request body was not well-formed.")
	}
	a := newApp(existing, now)
	var pre oktaerr.Problems
	d := defaults{
		consentMethod: service.ConsentRequired,
		grantTypes:    dcrGrantTypes,
	}
	if existing == nil {
		a.CreatedByDCR = true
		a.ClientID = a.ID
	} else {
		// Members a client object cannot express are kept as they are.
		a.Profile = existing.Profile
		a.Settings = existing.Settings
		if t := existing.Credentials.UserNameTemplate; t != nil {
			cp := *t
			a.Credentials.UserNameTemplate = &cp
		}
		d.autoKeyRotation = &existing.Credentials.OAuthClient.AutoKeyRotation
		if req.ClientID != "" && req.ClientID != existing.ClientID {
			pre.Add("client_id", "The client_id of a client cannot be changed.")
		}
	}
	a.Name = service.AppName
	a.SignOnMode = service.SignOnModeOIDC
	a.Label = req.ClientName

	oc := &a.Settings.OAuthClient
	switch {
	case existing == nil:
		oc.ApplicationType = orDefault(req.ApplicationType, service.TypeWeb)
	case req.ApplicationType != "" && req.ApplicationType != oc.ApplicationType:
		pre.Add("application_type", "The application_type of a client cannot be changed.")
	}
	oc.RedirectURIs = req.RedirectURIs
	oc.PostLogoutRedirectURIs = req.PostLogoutRedirectURIs
	oc.ResponseTypes = req.ResponseTypes
	oc.GrantTypes = req.GrantTypes
	oc.JWKS = req.JWKS
	oc.JWKSURI = req.JWKSURI
	oc.InitiateLoginURI = req.InitiateLoginURI
	oc.ClientURI = optional(req.ClientURI)
	oc.LogoURI = optional(req.LogoURI)
	oc.PolicyURI = optional(req.PolicyURI)
	oc.TosURI = optional(req.TosURI)
	oc.RequestObjectSigningAlg = req.RequestObjectSigningAlg
	oc.FrontchannelLogoutURI = req.FrontchannelLogoutURI
	oc.FrontchannelLogoutSessionRequired = req.FrontchannelLogoutSessionRequired

	method := req.TokenEndpointAuthMethod
	if method == "" {
		method = service.AuthClientSecretBasic
		if oc.ApplicationType == service.TypeBrowser {
			method = service.AuthNone
		}
	}
	a.Credentials.OAuthClient.TokenEndpointAuthMethod = method
	if existing != nil && existing.Credentials.OAuthClient.TokenEndpointAuthMethod == method {
		// DCR cannot express pkce_required: an administrator's choice made
		// through the Apps API stands while the method does not change.
		d.pkceRequired = &existing.Credentials.OAuthClient.PKCERequired
	}
	applyDefaults(a, d)
	assignKeyIDs(a, existing, now)
	shown := applySecret(a, existing, "", now, &pre)
	if causes := append(pre, service.AppProblems(a)...); len(causes) > 0 {
		return nil, "", clientError(causes)
	}
	return a, shown, nil
}

// dcrGrantTypes is the grant a registration gets when it names none.
func dcrGrantTypes(appType string) []string {
	if appType == service.TypeService {
		return []string{service.GrantClientCredentials}
	}
	return []string{service.GrantAuthorizationCode}
}

func clientError(c oktaerr.Problems) *OAuthClientError {
	parts := make([]string, len(c))
	for i, x := range c {
		field := x.Field
		if field == "label" {
			field = "client_name"
		}
		parts[i] = field + ": " + x.Text
	}
	return invalidMetadata(strings.Join(parts, "; "))
}

// ClientToJSON renders an app as a DCR client. clientSecret is the clear
// secret to show, only right after it was generated; else "".
func ClientToJSON(a *store.App, clientSecret string) ClientJSON {
	oc := a.Settings.OAuthClient
	out := ClientJSON{ClientID: a.ClientID, ClientSecret: clientSecret, ClientMetadataJSON: ClientMetadataJSON{
		ClientName:                        a.Label,
		ApplicationType:                   oc.ApplicationType,
		RedirectURIs:                      nonNil(oc.RedirectURIs),
		PostLogoutRedirectURIs:            oc.PostLogoutRedirectURIs,
		ResponseTypes:                     nonNil(oc.ResponseTypes),
		GrantTypes:                        nonNil(oc.GrantTypes),
		TokenEndpointAuthMethod:           a.Credentials.OAuthClient.TokenEndpointAuthMethod,
		JWKSURI:                           oc.JWKSURI,
		InitiateLoginURI:                  oc.InitiateLoginURI,
		ClientURI:                         deref(oc.ClientURI),
		LogoURI:                           deref(oc.LogoURI),
		PolicyURI:                         deref(oc.PolicyURI),
		TosURI:                            deref(oc.TosURI),
		RequestObjectSigningAlg:           oc.RequestObjectSigningAlg,
		FrontchannelLogoutURI:             oc.FrontchannelLogoutURI,
		FrontchannelLogoutSessionRequired: oc.FrontchannelLogoutSessionRequired,
	}}
	if !a.Created.IsZero() {
		out.ClientIDIssuedAt = a.Created.Unix()
	}
	if oc.JWKS != nil && len(oc.JWKS.Keys) > 0 {
		out.JWKS = oc.JWKS
	}
	return out
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
