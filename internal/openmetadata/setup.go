package openmetadata

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sesame-idp/sesame/internal/keys"
)

// Options are setup's inputs.
type Options struct {
	OrgURL      string
	APIToken    string
	OMURL       string   // OpenMetadata's public URL, e.g. http://localhost:8585
	Name        string   // names the app, server, policy and bot (default "OpenMetadata")
	AdminEmails []string // OpenMetadata's admins; default the API token's user
	AssignGroup string   // who may sign in (default Everyone)
	OutDir      string   // where keys and configuration files go
}

// Result is what setup made or found.
type Result struct {
	Options
	Issuer      string
	ServerID    string
	ClientID    string // the single-page app
	BotClientID string
	BotEmail    string
	BotKeyFile  string // PKCS#8 PEM, mode 0600
	JWTKeyID    string
	spaAppID    string
	// Changes lists what this run changed; empty on a run that found
	// everything in place.
	Changes []string
}

// File names in the output directory.
const (
	BotKeyFile     = "ingestion-bot.private-key.pem"
	JWTPrivateFile = "private_key.der"
	JWTPublicFile  = "public_key.der"
	jwtKeyIDFile   = "jwt-key-id"
	DefaultScope   = "openmetadata"
)

// botScopes are the Okta API scopes the guide grants the ingestion bot.
var botScopes = []string{"okta.users.read", "okta.users.manage", "okta.clients.read"}

// Setup does the guide idempotently: everything is looked up by name first,
// so a second run changes nothing and a run after a partial failure
// completes the rest.
func Setup(ctx context.Context, o Options) (*Result, error) {
	o.OrgURL = strings.TrimRight(o.OrgURL, "/")
	o.OMURL = strings.TrimRight(o.OMURL, "/")
	if o.Name == "" {
		o.Name = "OpenMetadata"
	}
	if o.AssignGroup == "" {
		o.AssignGroup = "Everyone"
	}
	if o.OutDir == "" {
		o.OutDir = "openmetadata-sso"
	}
	if err := checkURL("--org-url", o.OrgURL); err != nil {
		return nil, err
	}
	if err := checkURL("--om-url", o.OMURL); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutDir, 0o700); err != nil {
		return nil, err
	}
	a := newAPI(o.OrgURL, o.APIToken)
	r := &Result{Options: o}
	if len(r.AdminEmails) == 0 {
		var me map[string]any
		if err := a.do(ctx, "GET", "/api/v1/users/me", nil, &me); err != nil {
			return nil, fmt.Errorf("the API token does not work: %w", err)
		}
		r.AdminEmails = []string{str(me, "profile.email")}
	}
	steps := []func(context.Context, *api, *Result) error{setupSPA, setupGroup, setupOrigin, setupServer, setupBot, setupPolicy, setupJWTKeys}
	for _, step := range steps {
		if err := step(ctx, a, r); err != nil {
			return r, err
		}
	}
	return r, nil
}

func checkURL(flag, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want an absolute http(s) URL", flag, s)
	}
	return nil
}

func (r *Result) changed(format string, args ...any) {
	r.Changes = append(r.Changes, fmt.Sprintf(format, args...))
}

// findApp returns the app with this label, or nil.
func findApp(ctx context.Context, a *api, label string) (map[string]any, error) {
	apps, err := a.list(ctx, "/api/v1/apps?limit=200")
	if err != nil {
		return nil, err
	}
	for _, app := range apps {
		if str(app, "label") == label {
			return app, nil
		}
	}
	return nil, nil
}

func (r *Result) spaSettings() map[string]any {
	return map[string]any{
		"application_type": "browser", "consent_method": "TRUSTED",
		"grant_types":               []string{"authorization_code", "refresh_token", "implicit"},
		"response_types":            []string{"code", "token", "id_token"},
		"redirect_uris":             []string{r.OMURL + "/callback", r.OMURL + "/silent-callback"},
		"post_logout_redirect_uris": []string{r.OMURL},
		"refresh_token":             map[string]any{"rotation_type": "ROTATE", "leeway": 30},
	}
}

// setupSPA: the single-page app OpenMetadata's UI signs in with.
func setupSPA(ctx context.Context, a *api, r *Result) error {
	label := r.Name
	app, err := findApp(ctx, a, label)
	if err != nil {
		return err
	}
	body := map[string]any{"name": "oidc_client", "label": label, "signOnMode": "OPENID_CONNECT",
		"credentials": map[string]any{"oauthClient": map[string]any{"token_endpoint_auth_method": "none", "pkce_required": true}},
		"settings":    map[string]any{"oauthClient": r.spaSettings()}}
	if app == nil {
		if err := a.do(ctx, "POST", "/api/v1/apps", body, &app); err != nil {
			return fmt.Errorf("create the single-page app: %w", err)
		}
		r.changed("created the single-page app %q", label)
	} else if !spaMatches(app, r) {
		body["credentials"].(map[string]any)["oauthClient"].(map[string]any)["client_id"] = str(app, "credentials.oauthClient.client_id")
		if err := a.do(ctx, "PUT", "/api/v1/apps/"+str(app, "id"), body, &app); err != nil {
			return fmt.Errorf("update the single-page app: %w", err)
		}
		r.changed("updated the single-page app %q", label)
	}
	if str(app, "status") != "ACTIVE" {
		if err := a.do(ctx, "POST", "/api/v1/apps/"+str(app, "id")+"/lifecycle/activate", nil, nil); err != nil {
			return err
		}
		r.changed("activated the single-page app")
	}
	r.ClientID = str(app, "credentials.oauthClient.client_id")
	r.spaAppID = str(app, "id")
	return nil
}

func spaMatches(app map[string]any, r *Result) bool {
	b, _ := json.Marshal(app["settings"].(map[string]any)["oauthClient"])
	var have map[string]any
	json.Unmarshal(b, &have)
	want := r.spaSettings()
	for k, v := range want {
		wb, _ := json.Marshal(v)
		hb, _ := json.Marshal(have[k])
		if string(wb) != string(hb) {
			return false
		}
	}
	pk, _ := app["credentials"].(map[string]any)["oauthClient"].(map[string]any)["pkce_required"].(bool)
	return pk && str(app, "credentials.oauthClient.token_endpoint_auth_method") == "none"
}

// setupGroup assigns the app to the group whose members may sign in.
func setupGroup(ctx context.Context, a *api, r *Result) error {
	groups, err := a.list(ctx, "/api/v1/groups?q="+q(r.AssignGroup))
	if err != nil {
		return err
	}
	gid := ""
	for _, g := range groups {
		if str(g, "profile.name") == r.AssignGroup {
			gid = str(g, "id")
		}
	}
	if gid == "" {
		return fmt.Errorf("--assign-group: there is no group named %q", r.AssignGroup)
	}
	appID := r.spaAppID
	err = a.do(ctx, "GET", "/api/v1/apps/"+appID+"/groups/"+gid, nil, nil)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == 404 {
		if err := a.do(ctx, "PUT", "/api/v1/apps/"+appID+"/groups/"+gid, map[string]any{}, nil); err != nil {
			return fmt.Errorf("assign the group: %w", err)
		}
		r.changed("assigned the app to the group %q", r.AssignGroup)
		return nil
	}
	return err
}

// setupOrigin trusts OpenMetadata's origin for CORS and redirects.
func setupOrigin(ctx context.Context, a *api, r *Result) error {
	u, _ := url.Parse(r.OMURL)
	origin := u.Scheme + "://" + u.Host
	all, err := a.list(ctx, "/api/v1/trustedOrigins?limit=200")
	if err != nil {
		return err
	}
	want := []map[string]any{{"type": "CORS"}, {"type": "REDIRECT"}}
	for _, o := range all {
		if !strings.EqualFold(str(o, "origin"), origin) {
			continue
		}
		var types []string
		scopes, _ := o["scopes"].([]any)
		for _, s := range scopes {
			if m, ok := s.(map[string]any); ok {
				types = append(types, str(m, "type"))
			}
		}
		if slices.Contains(types, "CORS") && slices.Contains(types, "REDIRECT") && str(o, "status") == "ACTIVE" {
			return nil
		}
		body := map[string]any{"name": str(o, "name"), "origin": str(o, "origin"), "scopes": want}
		if err := a.do(ctx, "PUT", "/api/v1/trustedOrigins/"+str(o, "id"), body, nil); err != nil {
			return err
		}
		if str(o, "status") != "ACTIVE" {
			if err := a.do(ctx, "POST", "/api/v1/trustedOrigins/"+str(o, "id")+"/lifecycle/activate", nil, nil); err != nil {
				return err
			}
		}
		r.changed("updated the trusted origin %s", origin)
		return nil
	}
	if err := a.do(ctx, "POST", "/api/v1/trustedOrigins", map[string]any{"name": r.Name, "origin": origin, "scopes": want}, nil); err != nil {
		return fmt.Errorf("trust %s: %w", origin, err)
	}
	r.changed("trusted the origin %s for CORS and redirects", origin)
	return nil
}

// setupServer: an authorization server whose audience is the app's client
// id, issuing under the org URL, with a default scope.
func setupServer(ctx context.Context, a *api, r *Result) error {
	servers, err := a.list(ctx, "/api/v1/authorizationServers?q="+q(r.Name))
	if err != nil {
		return err
	}
	var srv map[string]any
	for _, s := range servers {
		if str(s, "name") == r.Name {
			srv = s
		}
	}
	body := map[string]any{"name": r.Name, "description": "OpenMetadata sign-in and ingestion", "audiences": []string{r.ClientID}, "issuerMode": "ORG_URL"}
	switch {
	case srv == nil:
		if err := a.do(ctx, "POST", "/api/v1/authorizationServers", body, &srv); err != nil {
			return fmt.Errorf("create the authorization server: %w", err)
		}
		r.changed("created the authorization server %q", r.Name)
	default:
		auds, _ := srv["audiences"].([]any)
		if len(auds) != 1 || auds[0] != r.ClientID || str(srv, "issuerMode") != "ORG_URL" {
			if err := a.do(ctx, "PUT", "/api/v1/authorizationServers/"+str(srv, "id"), body, &srv); err != nil {
				return fmt.Errorf("update the authorization server: %w", err)
			}
			r.changed("set the authorization server's audience and issuer mode")
		}
	}
	if str(srv, "status") != "ACTIVE" {
		if err := a.do(ctx, "POST", "/api/v1/authorizationServers/"+str(srv, "id")+"/lifecycle/activate", nil, nil); err != nil {
			return err
		}
		r.changed("activated the authorization server")
	}
	r.ServerID, r.Issuer = str(srv, "id"), str(srv, "issuer")
	scopes, err := a.list(ctx, "/api/v1/authorizationServers/"+r.ServerID+"/scopes")
	if err != nil {
		return err
	}
	for _, s := range scopes {
		if str(s, "name") == DefaultScope {
			if d, _ := s["default"].(bool); d {
				return nil
			}
			s["default"] = true
			if err := a.do(ctx, "PUT", "/api/v1/authorizationServers/"+r.ServerID+"/scopes/"+str(s, "id"), s, nil); err != nil {
				return err
			}
			r.changed("made %q a default scope", DefaultScope)
			return nil
		}
	}
	if err := a.do(ctx, "POST", "/api/v1/authorizationServers/"+r.ServerID+"/scopes", map[string]any{"name": DefaultScope,
		"description": "OpenMetadata APIs", "default": true, "metadataPublish": "ALL_CLIENTS", "consent": "IMPLICIT"}, nil); err != nil {
		return fmt.Errorf("create the default scope: %w", err)
	}
	r.changed("created the default scope %q", DefaultScope)
	return nil
}

// setupBot registers the ingestion bot by dynamic client registration with
// a key pair made here, and grants it the guide's Okta API scopes.
func setupBot(ctx context.Context, a *api, r *Result) error {
	name := r.Name + " ingestion bot"
	r.BotKeyFile = filepath.Join(r.OutDir, BotKeyFile)
	u, _ := url.Parse(r.OMURL)
	r.BotEmail = "ingestion-bot@" + principalDomain(r.AdminEmails, u.Hostname())

	var signer crypto.Signer
	if data, err := os.ReadFile(r.BotKeyFile); err == nil {
		if signer, _, err = keys.ParsePrivateKey(data); err != nil {
			return fmt.Errorf("%s: %w", r.BotKeyFile, err)
		}
	} else {
		g, err := keys.GenerateSet(keys.GenerateOptions{Alg: "RS256", Size: 2048, Use: "sig"})
		if err != nil {
			return err
		}
		if err := os.WriteFile(r.BotKeyFile, g.PrivatePEM, 0o600); err != nil {
			return err
		}
		signer = g.Key
		r.changed("made the ingestion bot's key pair (%s, mode 0600)", r.BotKeyFile)
	}
	kid := keys.Thumbprint(signer.Public())
	pub, err := keys.PublicJWK(signer.Public(), kid, "RS256", "sig")
	if err != nil {
		return err
	}
	jwks := json.RawMessage(keys.JWKS(pub))
	meta := map[string]any{"client_name": name, "application_type": "service", "grant_types": []string{"client_credentials"},
		"response_types": []string{"token"}, "token_endpoint_auth_method": "private_key_jwt", "jwks": jwks}

	app, err := findApp(ctx, a, name)
	if err != nil {
		return err
	}
	if app == nil {
		var created map[string]any
		if err := a.do(ctx, "POST", "/oauth2/v1/clients", meta, &created); err != nil {
			return fmt.Errorf("register the ingestion bot: %w", err)
		}
		r.changed("registered the ingestion bot %q (private_key_jwt)", name)
		if app, err = findApp(ctx, a, name); err != nil || app == nil {
			return fmt.Errorf("the registered bot is not listed: %v", err)
		}
	} else if !hasKey(app, kid) {
		if err := a.do(ctx, "PUT", "/oauth2/v1/clients/"+str(app, "credentials.oauthClient.client_id"), meta, nil); err != nil {
			return fmt.Errorf("register the bot's key: %w", err)
		}
		r.changed("registered the bot's key %s", kid)
	}
	r.BotClientID = str(app, "credentials.oauthClient.client_id")
	grants, err := a.list(ctx, "/api/v1/apps/"+str(app, "id")+"/grants")
	if err != nil {
		return err
	}
	for _, sc := range botScopes {
		if slices.ContainsFunc(grants, func(g map[string]any) bool { return str(g, "scopeId") == sc }) {
			continue
		}
		if err := a.do(ctx, "POST", "/api/v1/apps/"+str(app, "id")+"/grants", map[string]any{"scopeId": sc, "issuer": r.OrgURL}, nil); err != nil {
			return fmt.Errorf("grant %s: %w", sc, err)
		}
		r.changed("granted the bot %s", sc)
	}
	return nil
}

func hasKey(app map[string]any, kid string) bool {
	jwks, _ := app["settings"].(map[string]any)["oauthClient"].(map[string]any)["jwks"].(map[string]any)
	ks, _ := jwks["keys"].([]any)
	for _, k := range ks {
		if m, ok := k.(map[string]any); ok && str(m, "kid") == kid {
			return true
		}
	}
	return false
}

// ruleSpecs are the access policy's rules: people signing in, the bot's
// client credentials, device authorization and token exchange. Refresh
// tokens follow the grant that issued them (offline_access and the app's
// refresh_token grant), so no rule names them.
var ruleSpecs = []struct {
	name   string
	grants []string
}{
	{"Sign-in", []string{"authorization_code", "implicit"}},
	{"Ingestion bot", []string{"client_credentials"}},
	{"Device sign-in", []string{"urn:ietf:params:oauth:grant-type:device_code"}},
	{"Token exchange", []string{"urn:ietf:params:oauth:grant-type:token-exchange"}},
}

func setupPolicy(ctx context.Context, a *api, r *Result) error {
	base := "/api/v1/authorizationServers/" + r.ServerID + "/policies"
	name := r.Name + " access"
	policies, err := a.list(ctx, base)
	if err != nil {
		return err
	}
	var pol map[string]any
	for _, p := range policies {
		if str(p, "name") == name {
			pol = p
		}
	}
	body := map[string]any{"type": "OAUTH_AUTHORIZATION_POLICY", "name": name, "description": "OpenMetadata's app and ingestion bot",
		"priority": 1, "conditions": map[string]any{"clients": map[string]any{"include": []string{r.ClientID, r.BotClientID}}}}
	if pol == nil {
		if err := a.do(ctx, "POST", base, body, &pol); err != nil {
			return fmt.Errorf("create the access policy: %w", err)
		}
		r.changed("created the access policy %q", name)
	} else {
		inc, _ := pol["conditions"].(map[string]any)["clients"].(map[string]any)["include"].([]any)
		if !slices.Contains(inc, any(r.ClientID)) || !slices.Contains(inc, any(r.BotClientID)) {
			if err := a.do(ctx, "PUT", base+"/"+str(pol, "id"), body, &pol); err != nil {
				return err
			}
			r.changed("set the access policy's clients")
		}
	}
	rules, err := a.list(ctx, base+"/"+str(pol, "id")+"/rules")
	if err != nil {
		return err
	}
	for _, spec := range ruleSpecs {
		if slices.ContainsFunc(rules, func(x map[string]any) bool { return str(x, "name") == spec.name }) {
			continue
		}
		rule := map[string]any{"type": "RESOURCE_ACCESS", "name": spec.name,
			"conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{"EVERYONE"}}},
				"grantTypes": map[string]any{"include": spec.grants}, "scopes": map[string]any{"include": []string{"*"}}},
			"actions": map[string]any{"token": map[string]any{"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0,
				"refreshTokenWindowMinutes": 10080}}}
		if err := a.do(ctx, "POST", base+"/"+str(pol, "id")+"/rules", rule, nil); err != nil {
			return fmt.Errorf("create the rule %q: %w", spec.name, err)
		}
		r.changed("created the rule %q", spec.name)
	}
	return nil
}

// setupJWTKeys makes the key pair OpenMetadata signs its own tokens with,
// as the DER files jwtTokenConfiguration reads, so the keys shipped in
// OpenMetadata's public repository can be replaced.
func setupJWTKeys(_ context.Context, _ *api, r *Result) error {
	priv, pub := filepath.Join(r.OutDir, JWTPrivateFile), filepath.Join(r.OutDir, JWTPublicFile)
	idFile := filepath.Join(r.OutDir, jwtKeyIDFile)
	if b, err := os.ReadFile(idFile); err == nil {
		if _, err := os.Stat(priv); err == nil {
			r.JWTKeyID = strings.TrimSpace(string(b))
			return nil
		}
	}
	k, err := keys.Generate("RS256", 2048)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(k.(*rsa.PrivateKey).Public())
	if err != nil {
		return err
	}
	r.JWTKeyID = keys.Thumbprint(k.Public())
	for _, f := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{{priv, der, 0o600}, {pub, pubDER, 0o644}, {idFile, []byte(r.JWTKeyID + "\n"), 0o644}} {
		if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
			return err
		}
	}
	r.changed("made OpenMetadata's JWT key pair (%s, %s)", priv, pub)
	return nil
}

// principalDomain is the domain of the first admin email, else fallback.
func principalDomain(emails []string, fallback string) string {
	for _, e := range emails {
		if _, d, ok := strings.Cut(e, "@"); ok && d != "" {
			return d
		}
	}
	return fallback
}
