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

// Output file names, in the order setup prints them.
const (
	EnvFile      = "openmetadata.env"
	ComposeFile  = "docker-compose.sesame.yml"
	YAMLFile     = "openmetadata-security.yaml"
	HelmFile     = "values-sesame.yaml"
	IngestFile   = "ingestion-workflow.yaml"
	LegacyIngest = "ingestion-workflow-legacy-okta.yaml"
)

var outputFiles = []string{EnvFile, ComposeFile, SecurityFile, YAMLFile, HelmFile, IngestFile, LegacyIngest}

// Container paths under which the Docker and Kubernetes configurations
// expect the output directory's key files to be mounted.
const containerKeyDir = "/opt/openmetadata/sesame"

// composeService is the OpenMetadata server's service in OpenMetadata's
// docker-compose files (docker/docker-compose-quickstart/docker-compose.yml
// and docker-compose-postgres.yml).
const composeService = "openmetadata-server"

// AllowInternalEnv is OpenMetadata's switch that lets its URL filter
// (URLValidator) accept host names resolving to loopback or private
// addresses; read from the server's environment at each validation.
const AllowInternalEnv = "OPENMETADATA_ALLOW_INTERNAL_URL_TARGETS"

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

func (r *Result) absOutDir() string {
	abs, err := filepath.Abs(r.OutDir)
	if err != nil {
		return r.OutDir
	}
	return abs
}

// envEntry is one environment variable of OpenMetadata's server.
type envEntry struct{ key, value string }

// env is what OpenMetadata's docker-compose.yml reads from the environment
// (its ${VAR:-default} entries), set for Sesame: the authentication and
// authorizer configuration, the JWT key pair mounted at containerKeyDir,
// and the URL filter's switch when an address needs it.
func (r *Result) env() []envEntry {
	sc := r.SecurityConfig()
	a, z := sc.Authentication, sc.Authorizer
	e := []envEntry{
		{"AUTHENTICATION_PROVIDER", a.Provider},
		{"CUSTOM_OIDC_AUTHENTICATION_PROVIDER_NAME", a.ProviderName},
		{"AUTHENTICATION_CLIENT_TYPE", a.ClientType},
		{"AUTHENTICATION_PUBLIC_KEYS", "[" + strings.Join(a.PublicKeyURLs, ",") + "]"},
		{"AUTHENTICATION_AUTHORITY", a.Authority},
		{"AUTHENTICATION_CLIENT_ID", a.ClientID},
		{"AUTHENTICATION_CALLBACK_URL", a.CallbackURL},
		{"AUTHENTICATION_JWT_PRINCIPAL_CLAIMS", "[" + strings.Join(a.JWTPrincipalClaims, ",") + "]"},
		{"AUTHENTICATION_ENABLE_SELF_SIGNUP", fmt.Sprint(a.EnableSelfSignup)},
		{"AUTHORIZER_CLASS_NAME", z.ClassName},
		{"AUTHORIZER_REQUEST_FILTER", z.ContainerRequestFilter},
		{"AUTHORIZER_ADMIN_PRINCIPALS", "[" + strings.Join(z.AdminPrincipals, ",") + "]"},
		{"AUTHORIZER_PRINCIPAL_DOMAIN", z.PrincipalDomain},
		{"AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN", fmt.Sprint(z.EnforcePrincipalDomain)},
		{"RSA_PUBLIC_KEY_FILE_PATH", containerKeyDir + "/" + JWTPublicFile},
		{"RSA_PRIVATE_KEY_FILE_PATH", containerKeyDir + "/" + JWTPrivateFile},
		{"JWT_KEY_ID", r.JWTKeyID},
		{"JWT_ISSUER", r.domain()},
	}
	if r.AllowInternal {
		e = append(e, envEntry{AllowInternalEnv, "true"})
	}
	return e
}

// Render returns every configuration file OpenMetadata reads, filled with
// what setup made.
func (r *Result) Render() Files {
	abs := r.absOutDir()
	keysURLs := r.publicKeyURLs()
	admins := r.admins()
	env := r.env()
	f := Files{}

	var b strings.Builder
	fmt.Fprintf(&b, `# OpenMetadata ⇄ Sesame: lines for the .env file next to OpenMetadata's docker-compose.yml (or for
# docker compose --env-file). Its environment: entries are ${VAR:-default}, so they take these values.
# An env_file: entry would change nothing: in Compose, environment: wins over env_file:.
# The key files also need a volume, which .env cannot add: use %s for both.
`, ComposeFile)
	for _, e := range env {
		fmt.Fprintf(&b, "%s=%s\n", e.key, e.value)
	}
	f[EnvFile] = b.String()

	b.Reset()
	fmt.Fprintf(&b, `# OpenMetadata ⇄ Sesame: a Compose override for OpenMetadata's docker-compose.yml, next to it:
#   docker compose -f docker-compose.yml -f %[1]s up -d
# Its environment entries replace the %[2]s service's ${VAR:-default} ones; the volume mounts the
# key pair for OpenMetadata's own tokens read-only.
# OpenMetadata 1.10 and later read the authentication and authorizer entries only on their first start
# (they store them in their database): for one that has run before, use sesame openmetadata apply.
# The key files and %[3]s are read at every start.
services:
  %[2]s:
    environment:
`, filepath.Join(abs, ComposeFile), composeService, AllowInternalEnv)
	for _, e := range env {
		fmt.Fprintf(&b, "      %s: %s\n", e.key, composeQuote(e.value))
	}
	fmt.Fprintf(&b, "    volumes:\n      - %s\n", composeQuote(abs+":"+containerKeyDir+":ro"))
	if hosts := r.containerHosts(); len(hosts) > 0 {
		b.WriteString("    extra_hosts:\n")
		for _, h := range hosts {
			fmt.Fprintf(&b, "      - %s\n", composeQuote(h+":host-gateway"))
		}
	}
	f[ComposeFile] = b.String()

	sec, _ := json.MarshalIndent(r.SecurityConfig(), "", "  ")
	f[SecurityFile] = string(sec) + "\n"

	sc := r.SecurityConfig()
	f[YAMLFile] = fmt.Sprintf(`# Bare metal: merge into conf/openmetadata.yaml.%[11]s
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
		filepath.Join(abs, JWTPublicFile), filepath.Join(abs, JWTPrivateFile), r.JWTKeyID, sc.Authorizer.EnforcePrincipalDomain,
		map[bool]string{true: "\n# Start OpenMetadata with " + AllowInternalEnv + "=true in its environment (see setup's notes).", false: ""}[r.AllowInternal])

	b.Reset()
	fmt.Fprintf(&b, `# Kubernetes: create the key secret, then install or upgrade the chart with these values:
#   kubectl create secret generic openmetadata-jwt-keys --from-file=%[1]s=%[2]s --from-file=%[3]s=%[4]s
#   helm upgrade --install openmetadata open-metadata/openmetadata --values %[5]s
# The chart mounts the secret read-only at %[6]s (extraVolumes, extraVolumeMounts); secret files are
# mode 0644, readable by the server's non-root user.
# OpenMetadata 1.10 and later read authentication and authorizer only on their first start: for one
# that has run before, use sesame openmetadata apply (the key pair still comes from here).
openmetadata:
  config:
    authentication:
      provider: "okta"
      publicKeys:
%[7]s
      authority: "%[8]s"
      clientId: "%[9]s"
      callbackUrl: "%[10]s/callback"
      enableSelfSignup: true
      jwtPrincipalClaims: ["email", "preferred_username", "sub"]
    authorizer:
      className: "org.openmetadata.service.security.DefaultAuthorizer"
      containerRequestFilter: "org.openmetadata.service.security.JwtFilter"
      initialAdmins:
%[11]s
      principalDomain: "%[12]s"
      enforcePrincipalDomain: %[13]t
    jwtTokenConfiguration:
      enabled: true
      rsapublicKeyFilePath: "%[6]s/%[3]s"
      rsaprivateKeyFilePath: "%[6]s/%[1]s"
      jwtissuer: "%[12]s"
      keyId: "%[14]s"
extraVolumes:
  - name: sesame-jwt-keys
    secret:
      secretName: openmetadata-jwt-keys
extraVolumeMounts:
  - name: sesame-jwt-keys
    mountPath: %[6]s
    readOnly: true
`, JWTPrivateFile, filepath.Join(abs, JWTPrivateFile), JWTPublicFile, filepath.Join(abs, JWTPublicFile), filepath.Join(abs, HelmFile),
		containerKeyDir, yamlList(keysURLs, "        "), r.Issuer, r.ClientID, r.OMURL, yamlList(admins, "        "), r.domain(),
		sc.Authorizer.EnforcePrincipalDomain, r.JWTKeyID)
	if r.AllowInternal {
		fmt.Fprintf(&b, "extraEnvs:\n  - name: %s\n    value: \"true\"\n", AllowInternalEnv)
	}
	f[HelmFile] = b.String()

	f[IngestFile] = fmt.Sprintf(`# Ingestion (OpenMetadata 1.3 and later): the bot authenticates with its OpenMetadata JWT.
# Copy the ingestion-bot's token from OpenMetadata (Settings → Bots → ingestion-bot) — only
# OpenMetadata can issue it.
workflowConfig:
  openMetadataServerConfig:
    hostPort: "%[1]s/api"
    authProvider: openmetadata
    securityConfig:
      jwtToken: "<the ingestion-bot token from OpenMetadata>"
`, r.OMURL)

	f[LegacyIngest] = fmt.Sprintf(`# Ingestion before OpenMetadata 1.3 (the "okta" auth provider): the bot gets Sesame tokens itself,
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

// composeQuote writes a value as a YAML double-quoted string with Compose's
// interpolation disabled ($ doubled): a list such as [a,b] must reach
// OpenMetadata as the text it parses, not as a YAML sequence.
func composeQuote(s string) string {
	b, _ := json.Marshal(strings.ReplaceAll(s, "$", "$$"))
	return string(b)
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
	for _, name := range outputFiles {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(f[name]), 0o644); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}
