package openmetadata

// SecurityConfig is the body of OpenMetadata's security settings API
// (GET/PUT /api/v1/system/security/config, POST /api/v1/system/security/validate):
// what its Settings → SSO screen validates and saves. Setup writes it to
// SecurityFile; apply sends it.
type SecurityConfig struct {
	Authentication AuthenticationConfig `json:"authenticationConfiguration"`
	Authorizer     AuthorizerConfig     `json:"authorizerConfiguration"`
}

// AuthenticationConfig is the part of OpenMetadata's
// authenticationConfiguration that Sesame sets.
type AuthenticationConfig struct {
	Provider                  string   `json:"provider"`
	ProviderName              string   `json:"providerName"`
	ClientType                string   `json:"clientType"`
	PublicKeyURLs             []string `json:"publicKeyUrls"`
	Authority                 string   `json:"authority"`
	ClientID                  string   `json:"clientId"`
	CallbackURL               string   `json:"callbackUrl"`
	JWTPrincipalClaims        []string `json:"jwtPrincipalClaims"`
	JWTPrincipalClaimsMapping []string `json:"jwtPrincipalClaimsMapping"`
	EnableSelfSignup          bool     `json:"enableSelfSignup"`
}

// AuthorizerConfig is the part of OpenMetadata's authorizerConfiguration
// that Sesame sets.
type AuthorizerConfig struct {
	ClassName              string   `json:"className"`
	ContainerRequestFilter string   `json:"containerRequestFilter"`
	AdminPrincipals        []string `json:"adminPrincipals"`
	PrincipalDomain        string   `json:"principalDomain"`
	EnforcePrincipalDomain bool     `json:"enforcePrincipalDomain"`
}

// SecurityFile is where setup writes the SecurityConfig apply sends.
const SecurityFile = "openmetadata-security.json"

// principalClaims is the order in which OpenMetadata looks for the
// principal in a token: email first, so the username is the part of the
// email before "@".
var principalClaims = []string{"email", "preferred_username", "sub"}

// SecurityConfig returns what OpenMetadata is to use, from what setup made.
func (r *Result) SecurityConfig() SecurityConfig {
	return SecurityConfig{
		Authentication: AuthenticationConfig{
			Provider: "okta", ProviderName: "Sesame", ClientType: "public",
			PublicKeyURLs: r.publicKeyURLs(), Authority: r.Issuer, ClientID: r.ClientID,
			CallbackURL: r.OMURL + "/callback", JWTPrincipalClaims: principalClaims,
			JWTPrincipalClaimsMapping: []string{}, EnableSelfSignup: true,
		},
		Authorizer: AuthorizerConfig{
			ClassName:              "org.openmetadata.service.security.DefaultAuthorizer",
			ContainerRequestFilter: "org.openmetadata.service.security.JwtFilter",
			AdminPrincipals:        r.admins(), PrincipalDomain: r.domain(),
			EnforcePrincipalDomain: r.EnforcePrincipalDomain,
		},
	}
}
