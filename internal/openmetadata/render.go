package openmetadata

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Files are the configuration outputs, by file name.
type Files map[string]string

// Container paths under which the Docker and Kubernetes configurations
// expect the output directory's key files to be mounted.
const containerKeyDir = "/opt/openmetadata/sesame"

func (r *Result) publicKeyURLs() []string {
	return []string{r.Issuer + "/v1/keys", r.OMURL + "/api/v1/system/config/jwks"}
}

func (r *Result) admins() []string {
	var out []string
	for _, e := range r.AdminEmails {
		local, _, _ := strings.Cut(e, "@")
		if local != "" {
			out = append(out, strings.ToLower(local))
		}
	}
	return out
}

func (r *Result) domain() string {
	u, _ := url.Parse(r.OMURL)
	return principalDomain(r.AdminEmails, u.Hostname())
}

// Render returns every configuration file OpenMetadata reads, filled with
// what setup made.
func (r *Result) Render() Files {
	abs, err := filepath.Abs(r.OutDir)
	if err != nil {
		abs = r.OutDir
	}
	keysURLs := r.publicKeyURLs()
	admins := r.admins()
	f := Files{}

	f["openmetadata.env"] = fmt.Sprintf(`# OpenMetadata ⇄ Sesame (docker compose: env_file, or append to .env).
# Mount %[1]s read-only at %[2]s in the openmetadata-server container for the JWT key files.
AUTHENTICATION_PROVIDER=okta
CUSTOM_OIDC_AUTHENTICATION_PROVIDER_NAME=Sesame
AUTHENTICATION_CLIENT_TYPE=public
AUTHENTICATION_PUBLIC_KEYS=[%[3]s]
AUTHENTICATION_AUTHORITY=%[4]s
AUTHENTICATION_CLIENT_ID=%[5]s
AUTHENTICATION_CALLBACK_URL=%[6]s/callback
AUTHENTICATION_JWT_PRINCIPAL_CLAIMS=[email,preferred_username,sub]
AUTHENTICATION_ENABLE_SELF_SIGNUP=true
AUTHORIZER_CLASS_NAME=org.openmetadata.service.security.DefaultAuthorizer
AUTHORIZER_REQUEST_FILTER=org.openmetadata.service.security.JwtFilter
AUTHORIZER_ADMIN_PRINCIPALS=[%[7]s]
AUTHORIZER_PRINCIPAL_DOMAIN=%[8]s
AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN=%[13]t
RSA_PUBLIC_KEY_FILE_PATH=%[2]s/%[9]s
RSA_PRIVATE_KEY_FILE_PATH=%[2]s/%[10]s
JWT_KEY_ID=%[11]s
JWT_ISSUER=%[12]s
`, abs, containerKeyDir, strings.Join(keysURLs, ","), r.Issuer, r.ClientID, r.OMURL, strings.Join(admins, ","), r.domain(),
		JWTPublicFile, JWTPrivateFile, r.JWTKeyID, r.domain(), r.EnforcePrincipalDomain)

	f["openmetadata-security.yaml"] = fmt.Sprintf(`# Bare metal: merge into conf/openmetadata.yaml.
authenticationConfiguration:
  provider: "okta"
  providerName: "Sesame"
  clientType: "public"
  publicKeyUrls:
%[1]s
  authority: "%[2]s"
  clientId: "%[3]s"
  callbackUrl: "%[4]s/callback"
  jwtPrincipalClaims: ["email", "preferred_username", "sub"]
  enableSelfSignup: true
authorizerConfiguration:
  className: "org.openmetadata.service.security.DefaultAuthorizer"
  containerRequestFilter: "org.openmetadata.service.security.JwtFilter"
  adminPrincipals:
%[5]s
  principalDomain: "%[6]s"
  enforcePrincipalDomain: %[10]t
jwtTokenConfiguration:
  rsapublicKeyFilePath: "%[7]s"
  rsaprivateKeyFilePath: "%[8]s"
  jwtissuer: "%[6]s"
  keyId: "%[9]s"
`, yamlList(keysURLs, "    "), r.Issuer, r.ClientID, r.OMURL, yamlList(admins, "    "), r.domain(),
		filepath.Join(abs, JWTPublicFile), filepath.Join(abs, JWTPrivateFile), r.JWTKeyID, r.EnforcePrincipalDomain)

	f["values-sesame.yaml"] = fmt.Sprintf(`# Kubernetes: helm upgrade --install openmetadata open-metadata/openmetadata --values values-sesame.yaml
# Create the key secret first:
#   kubectl create secret generic openmetadata-jwt-keys --from-file=%[10]s=%[11]s --from-file=%[12]s=%[13]s
# and mount it at %[9]s (extraVolumes / extraVolumeMounts of the chart).
openmetadata:
  config:
    authentication:
      provider: "okta"
      publicKeys:
%[1]s
      authority: "%[2]s"
      clientId: "%[3]s"
      callbackUrl: "%[4]s/callback"
      enableSelfSignup: true
      jwtPrincipalClaims: ["email", "preferred_username", "sub"]
    authorizer:
      className: "org.openmetadata.service.security.DefaultAuthorizer"
      containerRequestFilter: "org.openmetadata.service.security.JwtFilter"
      initialAdmins:
%[5]s
      principalDomain: "%[6]s"
      enforcePrincipalDomain: %[14]t
    jwtTokenConfiguration:
      enabled: true
      rsapublicKeyFilePath: "%[9]s/%[12]s"
      rsaprivateKeyFilePath: "%[9]s/%[10]s"
      jwtissuer: "%[6]s"
      keyId: "%[7]s"
`, yamlList(keysURLs, "        "), r.Issuer, r.ClientID, r.OMURL, yamlList(admins, "        "), r.domain(), r.JWTKeyID, "",
		containerKeyDir, JWTPrivateFile, filepath.Join(abs, JWTPrivateFile), JWTPublicFile, filepath.Join(abs, JWTPublicFile), r.EnforcePrincipalDomain)

	sec, _ := json.MarshalIndent(r.SecurityConfig(), "", "  ")
	f[SecurityFile] = string(sec) + "\n"

	f["ingestion-workflow.yaml"] = fmt.Sprintf(`# Ingestion (OpenMetadata 1.3 and later): the bot authenticates with its OpenMetadata JWT.
# Copy the ingestion-bot's token from OpenMetadata (Settings → Bots → ingestion-bot) — only
# OpenMetadata can issue it.
workflowConfig:
  openMetadataServerConfig:
    hostPort: "%[1]s/api"
    authProvider: openmetadata
    securityConfig:
      jwtToken: "<the ingestion-bot token from OpenMetadata>"
`, r.OMURL)

	f["ingestion-workflow-legacy-okta.yaml"] = fmt.Sprintf(`# Ingestion before OpenMetadata 1.3 (the "okta" auth provider): the bot gets Sesame tokens itself,
# with the private key made by setup. Add %[1]s to the ingestion principals.
workflowConfig:
  openMetadataServerConfig:
    hostPort: "%[2]s/api"
    authProvider: okta
    securityConfig:
      clientId: "%[1]s"
      orgURL: "%[3]s/v1/token"
      privateKey: "%[4]s"
      email: "%[5]s"
      scopes: []
`, r.BotClientID, r.OMURL, r.Issuer, filepath.Join(abs, BotKeyFile), r.BotEmail)
	return f
}

func yamlList(items []string, indent string) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s- %q", indent, it)
	}
	return b.String()
}

// Write writes the files into the output directory (mode 0644: they hold
// no secret; the keys are written by Setup with their own modes).
func (f Files) Write(dir string) ([]string, error) {
	var out []string
	for _, name := range []string{"openmetadata.env", SecurityFile, "openmetadata-security.yaml", "values-sesame.yaml", "ingestion-workflow.yaml", "ingestion-workflow-legacy-okta.yaml"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(f[name]), 0o644); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}
