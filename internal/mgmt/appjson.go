package mgmt

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

// Defaults of members a request may leave out.
const (
	DefaultLeeway      = 30
	DefaultUserNameTpl = "${source.login}"
	UserNameBuiltIn    = "BUILT_IN"
)

// TimeLayout is Okta's timestamp format: ISO 8601, UTC, milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime formats t in Okta's layout; the zero time gives "" so that
// callers can tell "never" from a date.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

// Time is a timestamp member of a response. Okta's nullable timestamps
// (lastLogin, activated…) are null rather than year 1 when unset.
type Time struct{ time.Time }

func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + FormatTime(t.Time) + `"`), nil
}

func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = p
	return nil
}

// Link is one HAL link.
type Link struct {
	Name  string `json:"name,omitempty"`
	Href  string `json:"href"`
	Title string `json:"title,omitempty"`
	Type  string `json:"type,omitempty"`
	Hints *Hints `json:"hints,omitempty"`
}

// Hints lists the methods a link accepts.
type Hints struct {
	Allow []string `json:"allow"`
}

// AppJSON is the OIDC application object of /api/v1/apps. Settings is the
// stored document itself, so members Sesame does not interpret round-trip.
type AppJSON struct {
	ID            string            `json:"id"`
	ORN           string            `json:"orn,omitempty"`
	Name          string            `json:"name"`
	Label         string            `json:"label"`
	Status        string            `json:"status"`
	Created       Time              `json:"created"`
	LastUpdated   Time              `json:"lastUpdated"`
	SignOnMode    string            `json:"signOnMode"`
	Accessibility AccessibilityJSON `json:"accessibility"`
	Visibility    VisibilityJSON    `json:"visibility"`
	Features      []string          `json:"features"`
	Profile       map[string]any    `json:"profile,omitempty"`
	Credentials   CredentialsJSON   `json:"credentials"`
	Settings      store.AppSettings `json:"settings"`
	Links         map[string]any    `json:"_links,omitempty"`
	Embedded      map[string]any    `json:"_embedded,omitempty"`
}

// AccessibilityJSON is the app's accessibility object. Okta returns the
// redirect URLs as null when unset.
type AccessibilityJSON struct {
	SelfService      bool    `json:"selfService"`
	ErrorRedirectURL *string `json:"errorRedirectUrl"`
	LoginRedirectURL *string `json:"loginRedirectUrl"`
}

// VisibilityJSON is the app's visibility object.
type VisibilityJSON struct {
	AutoLaunch        bool            `json:"autoLaunch"`
	AutoSubmitToolbar bool            `json:"autoSubmitToolbar"`
	Hide              HideJSON        `json:"hide"`
	AppLinks          map[string]bool `json:"appLinks"`
}

type HideJSON struct {
	IOS bool `json:"iOS"`
	Web bool `json:"web"`
}

// CredentialsJSON is the app's credentials object.
type CredentialsJSON struct {
	UserNameTemplate *store.UserNameTemplate `json:"userNameTemplate,omitempty"`
	Signing          *store.AppSigning       `json:"signing,omitempty"`
	OAuthClient      OAuthClientJSON         `json:"oauthClient"`
}

// OAuthClientJSON is credentials.oauthClient. ClientSecret is set only in the
// answer to the request that created or replaced the secret.
type OAuthClientJSON struct {
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret,omitempty"`
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method"`
	AutoKeyRotation         bool   `json:"autoKeyRotation"`
	PKCERequired            bool   `json:"pkce_required"`
}

// AppToJSON renders a stored app. clientSecret is the clear secret to show
// (only right after it was generated or supplied), else "". orgURL is the
// org's base URL without a trailing slash; links are absolute.
//
// Sesame stores no visibility or accessibility settings: the answer carries
// the values Okta gives an OIDC app created through the API (tile hidden,
// no self service), which are also what the Terraform provider defaults to.
func AppToJSON(a *store.App, orgURL string, clientSecret string) AppJSON {
	settings := a.Settings
	oc := settings.OAuthClient
	// Okta answers [] rather than null for these, and the Go SDK requires
	// grant_types; a stored nil must not become null.
	oc.RedirectURIs = nonNil(oc.RedirectURIs)
	oc.ResponseTypes = nonNil(oc.ResponseTypes)
	oc.GrantTypes = nonNil(oc.GrantTypes)
	if oc.RefreshToken == nil && slices.Contains(oc.GrantTypes, service.GrantRefreshToken) {
		// The Go SDK requires refresh_token.rotation_type whenever the
		// object is present, and clients expect it with the grant.
		rt := defaultRefreshToken(oc.ApplicationType)
		oc.RefreshToken = &rt
	}
	settings.OAuthClient = oc

	cr := a.Credentials.OAuthClient
	out := AppJSON{
		ID:          a.ID,
		Name:        a.Name,
		Label:       a.Label,
		Status:      a.Status,
		Created:     Time{a.Created},
		LastUpdated: Time{a.LastUpdated},
		SignOnMode:  a.SignOnMode,
		Visibility: VisibilityJSON{
			Hide:     HideJSON{IOS: true, Web: true},
			AppLinks: map[string]bool{"oidc_client_link": true},
		},
		Features: []string{},
		Profile:  a.Profile,
		Credentials: CredentialsJSON{
			UserNameTemplate: a.Credentials.UserNameTemplate,
			OAuthClient: OAuthClientJSON{
				ClientID:                a.ClientID,
				ClientSecret:            clientSecret,
				TokenEndpointAuthMethod: cr.TokenEndpointAuthMethod,
				AutoKeyRotation:         cr.AutoKeyRotation,
				PKCERequired:            cr.PKCERequired,
			},
		},
		Settings: settings,
		Links:    appLinks(a, strings.TrimRight(orgURL, "/")),
	}
	if s := a.Credentials.Signing; s != nil && s.KID != "" {
		out.Credentials.Signing = s
	}
	if out.Credentials.UserNameTemplate == nil {
		out.Credentials.UserNameTemplate = &store.UserNameTemplate{Template: DefaultUserNameTpl, Type: UserNameBuiltIn}
	}
	return out
}

func appLinks(a *store.App, org string) map[string]any {
	base := org + "/api/v1/apps/" + url.PathEscape(a.ID)
	post := &Hints{Allow: []string{"POST"}}
	links := map[string]any{
		"self":   Link{Href: base, Hints: &Hints{Allow: []string{"GET", "PUT", "DELETE"}}},
		"users":  Link{Href: base + "/users"},
		"groups": Link{Href: base + "/groups"},
		"appLinks": []Link{{
			Name: "oidc_client_link",
			Href: org + "/home/oidc_client/" + url.PathEscape(a.ID) + "/oidc_client_link",
			Type: "text/html",
		}},
	}
	var creds []Link
	if service.UsesClientSecret(a.ClientAuthMethod()) {
		creds = append(creds, Link{Name: "secrets", Href: base + "/credentials/secrets"})
	}
	if jw := a.Settings.OAuthClient.JWKS; jw != nil && len(jw.Keys) > 0 {
		creds = append(creds, Link{Name: "jwks", Href: base + "/credentials/jwks"})
	}
	if len(creds) > 0 {
		links["clientCredentials"] = creds
	}
	if a.Status == store.StatusActive {
		links["deactivate"] = Link{Href: base + "/lifecycle/deactivate", Hints: post}
	} else {
		links["activate"] = Link{Href: base + "/lifecycle/activate", Hints: post}
	}
	return links
}

// appRequest is what POST and PUT /api/v1/apps accept. Pointers tell an
// absent member from a zero one where the default depends on it; read-only
// members (status, created, _links…) are not decoded and so are ignored.
type appRequest struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Label       string             `json:"label"`
	SignOnMode  string             `json:"signOnMode"`
	Profile     map[string]any     `json:"profile"`
	Credentials *credentialsReq    `json:"credentials"`
	Settings    *store.AppSettings `json:"settings"`
}

type credentialsReq struct {
	UserNameTemplate *store.UserNameTemplate `json:"userNameTemplate"`
	OAuthClient      *oauthClientReq         `json:"oauthClient"`
}

type oauthClientReq struct {
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret"`
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method"`
	AutoKeyRotation         *bool  `json:"autoKeyRotation"`
	PKCERequired            *bool  `json:"pkce_required"`
}

// AppFromRequest turns the body of POST /api/v1/apps (existing == nil) or
// PUT /api/v1/apps/{id} (existing = the stored app) into the record to
// store, validated. The error is always a *oktaerr.Error:
//
//   - body that is not JSON, or a member of the wrong JSON type: 400 E0000003
//     "The request body was not well-formed." Okta rejects type mismatches
//     while binding, before validation, with this code; Sesame adds one cause
//     naming the member and the expected type, which Okta leaves out.
//   - anything service.ValidateApp refuses, an attempt to change id, client_id or
//     application_type, or an unacceptable client_secret: 400 E0000001 with
//     every cause.
//
// A create gets a new 0oa… id, status ACTIVE (the caller sets INACTIVE for
// ?activate=false) and client_id = id unless one is supplied. An update is a
// full replacement: what the body leaves out is reset to its default, except
// id, client_id, application_type, status, created, the signing kid and the
// DCR mark, which are kept, and the client secret (below).
//
// The client secret is needed by client_secret_basic, _post and _jwt. A
// non-empty client_secret in the body (14–100 printable ASCII characters; at
// least 32 for client_secret_jwt, whose HMAC key it is) replaces the secret.
// Without one, an update keeps the stored secret, and a create (or a switch
// to a method needing a secret the app does not have) generates one. An app
// whose method needs no secret keeps none: its hash is dropped. The clear
// secret is returned only when it was supplied or generated by this call;
// the caller shows it once (AppToJSON) and never stores it.
//
// The returned app carries the secrets' hashes. For client_secret_jwt the
// service also keeps the new secret itself, sealed under the master key,
// when it stores the app (service.Service.CreateApp and UpdateApp).
func AppFromRequest(body []byte, existing *store.App, now time.Time) (*store.App, string, error) {
	var req appRequest
	if e := decodeBody(body, &req); e != nil {
		return nil, "", e
	}
	a := newApp(existing, now)
	var pre oktaerr.Problems
	if existing != nil && req.ID != "" && req.ID != existing.ID {
		pre.Add("id", "The id of an application cannot be changed.")
	}
	a.Name = orDefault(req.Name, service.AppName)
	a.Label = req.Label
	a.SignOnMode = orDefault(req.SignOnMode, service.SignOnModeOIDC)
	a.Profile = req.Profile
	if req.Settings != nil {
		a.Settings = *req.Settings
	}
	var oc oauthClientReq
	if req.Credentials != nil {
		a.Credentials.UserNameTemplate = req.Credentials.UserNameTemplate
		if req.Credentials.OAuthClient != nil {
			oc = *req.Credentials.OAuthClient
		}
	}
	keepImmutable(a, existing, oc.ClientID, &pre)
	a.Credentials.OAuthClient.TokenEndpointAuthMethod = oc.TokenEndpointAuthMethod
	applyDefaults(a, defaults{
		consentMethod:   service.ConsentTrusted,
		pkceRequired:    oc.PKCERequired,
		autoKeyRotation: oc.AutoKeyRotation,
		leewayMissing:   !leewayPresent(body),
	})
	assignKeyIDs(a, existing, now)
	shown := applySecret(a, existing, oc.ClientSecret, now, &pre)
	// The service validates again when it stores the app; asking it here
	// lets one answer list the request's own problems with the app's.
	if causes := append(pre, service.AppProblems(a)...); len(causes) > 0 {
		return nil, "", causes.Err()
	}
	return a, shown, nil
}

// newApp starts the record: identity and lifecycle fields come from the
// stored app on update and are fresh on create.
func newApp(existing *store.App, now time.Time) *store.App {
	a := &store.App{LastUpdated: now}
	if existing == nil {
		a.ID = secret.NewID("0oa")
		a.Status = store.StatusActive
		a.Created = now
		return a
	}
	a.ID = existing.ID
	a.Status = existing.Status
	a.Created = existing.Created
	a.ClientID = existing.ClientID
	a.CreatedByDCR = existing.CreatedByDCR
	if s := existing.Credentials.Signing; s != nil {
		cp := *s
		a.Credentials.Signing = &cp
	}
	return a
}

// keepImmutable applies the client_id (create: supplied or the app id) and
// refuses changes to client_id and application_type on update.
func keepImmutable(a *store.App, existing *store.App, clientID string, c *oktaerr.Problems) {
	if existing == nil {
		a.ClientID = orDefault(clientID, a.ID)
		return
	}
	if clientID != "" && clientID != existing.ClientID {
		c.Add("client_id", "The client_id of an application cannot be changed.")
	}
	prev := existing.Settings.OAuthClient.ApplicationType
	switch cur := a.Settings.OAuthClient.ApplicationType; {
	case cur == "":
		a.Settings.OAuthClient.ApplicationType = prev
	case cur != prev:
		c.Add("application_type", "The application_type of an application cannot be changed.")
	}
}

type defaults struct {
	consentMethod   string
	pkceRequired    *bool
	autoKeyRotation *bool
	// leewayMissing is true when a refresh_token object was sent without
	// leeway (or none was sent), so that Okta's 30 s applies.
	leewayMissing bool
	// grantTypes is used when none were sent (DCR); the Apps API requires
	// grant_types and leaves it nil.
	grantTypes func(appType string) []string
}

// applyDefaults fills every member the request may leave out, following
// §4.1.1 of docs/okta-api.md (and §2.10 for DCR through d).
func applyDefaults(a *store.App, d defaults) {
	oc := &a.Settings.OAuthClient
	cr := &a.Credentials.OAuthClient
	cr.ClientID = a.ClientID

	if t := a.Credentials.UserNameTemplate; t == nil {
		a.Credentials.UserNameTemplate = &store.UserNameTemplate{Template: DefaultUserNameTpl, Type: UserNameBuiltIn}
	} else {
		cp := *t
		cp.Template = orDefault(cp.Template, DefaultUserNameTpl)
		cp.Type = orDefault(cp.Type, UserNameBuiltIn)
		a.Credentials.UserNameTemplate = &cp
	}

	if cr.TokenEndpointAuthMethod == "" {
		// Okta's default is client_secret_basic, which a browser app may
		// never use; defaulting a SPA to the only method it may have spares
		// every SPA request from spelling out "none".
		cr.TokenEndpointAuthMethod = service.AuthClientSecretBasic
		if oc.ApplicationType == service.TypeBrowser {
			cr.TokenEndpointAuthMethod = service.AuthNone
		}
	}
	cr.AutoKeyRotation = d.autoKeyRotation == nil || *d.autoKeyRotation
	if d.pkceRequired != nil {
		cr.PKCERequired = *d.pkceRequired
	} else {
		cr.PKCERequired = oc.ApplicationType == service.TypeBrowser || oc.ApplicationType == service.TypeNative ||
			cr.TokenEndpointAuthMethod == service.AuthNone
	}

	oc.GrantTypes = dedupe(oc.GrantTypes)
	if len(oc.GrantTypes) == 0 && d.grantTypes != nil {
		oc.GrantTypes = d.grantTypes(oc.ApplicationType)
	}
	oc.ResponseTypes = dedupe(oc.ResponseTypes)
	if len(oc.ResponseTypes) == 0 {
		oc.ResponseTypes = defaultResponseTypes(oc.ApplicationType, oc.GrantTypes)
	}
	oc.ConsentMethod = orDefault(oc.ConsentMethod, d.consentMethod)
	oc.IssuerMode = orDefault(oc.IssuerMode, service.IssuerOrgURL)
	oc.WildcardRedirect = orDefault(oc.WildcardRedirect, service.WildcardDisabled)

	// refresh_token settings exist only alongside the grant (§4.1.1).
	switch {
	case !slices.Contains(oc.GrantTypes, service.GrantRefreshToken):
		oc.RefreshToken = nil
	case oc.RefreshToken == nil:
		rt := defaultRefreshToken(oc.ApplicationType)
		oc.RefreshToken = &rt
	default:
		rt := *oc.RefreshToken
		if rt.RotationType == "" {
			rt.RotationType = defaultRefreshToken(oc.ApplicationType).RotationType
		}
		if d.leewayMissing {
			rt.Leeway = DefaultLeeway
		}
		oc.RefreshToken = &rt
	}
	if oc.JWKS != nil && len(oc.JWKS.Keys) == 0 {
		oc.JWKS = nil
	}
}

// defaultRefreshToken rotates refresh tokens of public browser clients, which
// cannot keep them safe, and keeps them static for the others (§4.1.1).
func defaultRefreshToken(appType string) store.RefreshTokenSettings {
	if appType == service.TypeBrowser {
		return store.RefreshTokenSettings{RotationType: service.RotationRotate, Leeway: DefaultLeeway}
	}
	return store.RefreshTokenSettings{RotationType: service.RotationStatic, Leeway: DefaultLeeway}
}

// defaultResponseTypes is ["token"] for service apps (as Okta answers) and
// otherwise follows the grants: "code" for authorization_code (the
// reference's ["code"] default) and "id_token" for implicit. Implicit gets
// only the ID token by default, like the console's preselection: access
// tokens in the front channel must be asked for explicitly. Without either
// grant there is nothing to default to, and no cause is raised about a
// value the client never sent.
func defaultResponseTypes(appType string, grants []string) []string {
	if appType == service.TypeService {
		return []string{"token"}
	}
	var rt []string
	if slices.Contains(grants, service.GrantAuthorizationCode) {
		rt = append(rt, "code")
	}
	if slices.Contains(grants, service.GrantImplicit) {
		rt = append(rt, "id_token")
	}
	return rt
}

// assignKeyIDs gives each client key Okta's bookkeeping. A key identical to
// one the app already had keeps its id and dates; anything else is a new key.
// Bookkeeping sent by the client is never trusted.
func assignKeyIDs(a *store.App, existing *store.App, now time.Time) {
	jw := a.Settings.OAuthClient.JWKS
	if jw == nil || len(jw.Keys) > service.MaxAppKeys {
		return // validation refuses a set this large; no work for it
	}
	var prev []store.AppJWK
	if existing != nil && existing.Settings.OAuthClient.JWKS != nil {
		prev = existing.Settings.OAuthClient.JWKS.Keys
	}
	stamp := FormatTime(now)
	keys := make([]store.AppJWK, len(jw.Keys))
	for i, k := range jw.Keys {
		k.JWK = normalizeJWK(k.JWK)
		keys[i] = store.AppJWK{JWK: k.JWK, ID: secret.NewID("pks"), Status: store.StatusActive, Created: stamp, LastUpdated: stamp}
		for _, p := range prev {
			if sameJWK(p.JWK, k.JWK) {
				keys[i].ID, keys[i].Status, keys[i].Created, keys[i].LastUpdated = p.ID, p.Status, p.Created, p.LastUpdated
				break
			}
		}
	}
	a.Settings.OAuthClient.JWKS = &store.AppJWKS{Keys: keys}
}

func sameJWK(x, y json.RawMessage) bool {
	if len(x) == 0 || len(y) == 0 {
		return false
	}
	var mx, my map[string]any
	if json.Unmarshal(x, &mx) != nil || json.Unmarshal(y, &my) != nil {
		return false
	}
	return reflect.DeepEqual(mx, my)
}

// applySecret decides the app's client secrets (see AppFromRequest) and
// returns the clear secret to show, if this call made one. supplied is
// never echoed in a cause.
func applySecret(a *store.App, existing *store.App, supplied string, now time.Time, c *oktaerr.Problems) string {
	method := a.ClientAuthMethod()
	a.Secrets = nil
	if !service.UsesClientSecret(method) {
		return ""
	}
	if supplied != "" {
		if msg := secretProblem(supplied, method); msg != "" {
			c.Add("client_secret", "%s", msg)
			return ""
		}
		a.Secrets = []store.AppSecret{service.NewAppSecret(supplied, now)}
		return supplied
	}
	// client_secret_jwt needs the secret itself; hashes alone (an app
	// switching from basic or post) cannot serve, so a new one is made.
	if existing != nil && len(existing.Secrets) > 0 && (method != service.AuthClientSecretJWT || hasSealed(existing.Secrets)) {
		a.Secrets = slices.Clone(existing.Secrets)
		return ""
	}
	s := secret.Token("", 30)
	a.Secrets = []store.AppSecret{service.NewAppSecret(s, now)}
	return s
}

func hasSealed(secrets []store.AppSecret) bool {
	return slices.ContainsFunc(secrets, func(s store.AppSecret) bool { return len(s.Sealed) > 0 })
}

func secretProblem(s, method string) string {
	if len(s) < 14 || len(s) > 100 {
		return "The client secret must be between 14 and 100 characters long."
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return "The client secret may contain only printable ASCII characters."
		}
	}
	if method == service.AuthClientSecretJWT && len(s) < 32 {
		return "The client secret must be at least 32 characters long for client_secret_jwt."
	}
	return ""
}

// leewayPresent reports whether settings.oauthClient.refresh_token.leeway
// was sent: 0 is a valid leeway, so the decoded value cannot tell.
func leewayPresent(body []byte) bool {
	var peek struct {
		Settings *struct {
			OAuthClient *struct {
				RefreshToken *struct {
					Leeway *json.RawMessage `json:"leeway"`
				} `json:"refresh_token"`
			} `json:"oauthClient"`
		} `json:"settings"`
	}
	if json.Unmarshal(body, &peek) != nil {
		return false
	}
	s := peek.Settings
	return s != nil && s.OAuthClient != nil && s.OAuthClient.RefreshToken != nil && s.OAuthClient.RefreshToken.Leeway != nil
}

// decodeBody decodes a management-API request body (see AppFromRequest for
// the errors).
func decodeBody(body []byte, v any) *oktaerr.Error {
	field, want, err := decode(body, v)
	if err == nil {
		return nil
	}
	e := oktaerr.MalformedBody()
	if field != "" {
		e.Causes = append(e.Causes, oktaerr.Cause{Summary: field + ": The value must be " + want + "."})
	}
	return e
}

// decode unmarshals body into v. On a type mismatch it names the member and
// the JSON type expected; any other failure is a malformed body.
func decode(body []byte, v any) (field, want string, err error) {
	err = json.Unmarshal(body, v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		field = te.Field
		// encoding/json names an embedded struct in the path
		// ("ClientMetadataJSON.redirect_uris"); the client sent only the member.
		if t := reflect.TypeOf(v); t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct {
			for _, f := range reflect.VisibleFields(t.Elem()) {
				if f.Anonymous {
					field = strings.TrimPrefix(field, f.Name+".")
				}
			}
		}
		return field, jsonKind(te.Type), err
	}
	return "", "", err
}

func jsonKind(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "of another type"
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// dedupe drops repeated values, keeping the first occurrence's position.
func dedupe(s []string) []string {
	if len(s) < 2 {
		return s
	}
	seen := make(map[string]bool, len(s))
	out := make([]string, 0, len(s))
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// normalizeJWK completes a client key the way Okta reads it: an EC key sent
// without crv (the Terraform provider's jwks block has no crv) gets the
// curve its coordinates' length names, when that length belongs to exactly
// one curve (32 bytes P-256, 48 P-384, 66 P-521, both coordinates alike).
// Anything else is returned unchanged, for checkKey to judge.
func normalizeJWK(raw json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return raw
	}
	var kty string
	if _, has := m["crv"]; has || json.Unmarshal(m["kty"], &kty) != nil || kty != "EC" {
		return raw
	}
	coordLen := func(name string) int {
		var s string
		if json.Unmarshal(m[name], &s) != nil {
			return -1
		}
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return -1
		}
		return len(b)
	}
	x, y := coordLen("x"), coordLen("y")
	curves := map[int]string{32: "P-256", 48: "P-384", 66: "P-521"}
	crv, ok := curves[x]
	if !ok || x != y {
		return raw
	}
	m["crv"], _ = json.Marshal(crv)
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}
