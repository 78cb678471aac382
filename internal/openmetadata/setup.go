package openmetadata

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

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
	// RotateBotKey replaces every key registered for the ingestion bot by a
	// new one; without it a run only adds its key, so the keys an earlier
	// run handed out keep working.
	RotateBotKey bool
	// RotateJWTKey makes a new key pair for OpenMetadata's own tokens even
	// when OpenMetadata already signs with a key of its own (every bot token
	// it issued stops working once it restarts with the new pair).
	RotateJWTKey bool
	// NoEnforcePrincipalDomain leaves enforcePrincipalDomain off even when
	// every admin is in one domain.
	NoEnforcePrincipalDomain bool
	// KeyOwner, when set, gets OpenMetadata's key pair (chown) and the
	// output directory's group, so that the server's non-root user reads
	// them from a bind mount (ImageUser for OpenMetadata's image).
	KeyOwner *Owner
	// HTTPClient reaches OpenMetadata (to see which JWT key it uses); nil
	// means a client with a short timeout.
	HTTPClient *http.Client
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
	BotKeyID    string // the kid of the key in BotKeyFile
	// BotKeyIDs are the kids registered for the bot after this run;
	// RemovedBotKeyIDs the ones --rotate-bot-key removed.
	BotKeyIDs, RemovedBotKeyIDs []string
	JWTKeyID                    string
	// EnforcePrincipalDomain: every admin email is in the principal domain,
	// so OpenMetadata is told to refuse principals from other domains.
	EnforcePrincipalDomain bool
	// AllowInternal: a URL OpenMetadata validates has a host name resolving
	// to an internal address, so the files set AllowInternalEnv.
	AllowInternal bool
	// Notes are what the person running setup must know, in order.
	Notes    []string
	spaAppID string
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
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second, CheckRedirect: noRedirects}
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
	r.EnforcePrincipalDomain = !o.NoEnforcePrincipalDomain && oneDomain(r.AdminEmails)
	r.checkAddresses(ctx)
	// The JWT key pair first: it is the only step that can refuse, and it
	// changes nothing in Sesame.
	steps := []func(context.Context, *api, *Result) error{setupJWTKeys, setupSPA, setupGroup, setupOrigin, setupServer, setupBot, setupPolicy}
	for _, step := range steps {
		if err := step(ctx, a, r); err != nil {
			return r, err
		}
	}
	r.checkIssuerAddress(ctx)
	if o.KeyOwner != nil {
		if err := r.ownKeyFiles(*o.KeyOwner); err != nil {
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

// spaListSettings are the members a run adds to rather than replaces: a
// second OpenMetadata (another --om-url) signing in with the same app must
// not take the first one's redirect URIs away.
var spaListSettings = []string{"grant_types", "response_types", "redirect_uris", "post_logout_redirect_uris"}

// setupSPA: the single-page app OpenMetadata's UI signs in with.
func setupSPA(ctx context.Context, a *api, r *Result) error {
	label := r.Name
	app, err := findApp(ctx, a, label)
	if err != nil {
		return err
	}
	creds := map[string]any{"token_endpoint_auth_method": "none", "pkce_required": true}
	body := map[string]any{"name": "oidc_client", "label": label, "signOnMode": "OPENID_CONNECT",
		"credentials": map[string]any{"oauthClient": creds}}
	if app == nil {
		body["settings"] = map[string]any{"oauthClient": r.spaSettings()}
		if err := a.do(ctx, "POST", "/api/v1/apps", body, &app); err != nil {
			return fmt.Errorf("create the single-page app: %w", err)
		}
		r.changed("created the single-page app %q", label)
	} else if merged, changed := mergeSPASettings(app, r.spaSettings()); changed || !spaCredentialsOK(app) {
		creds["client_id"] = str(app, "credentials.oauthClient.client_id")
		body["settings"] = map[string]any{"oauthClient": merged}
		if err := a.do(ctx, "PUT", "/api/v1/apps/"+str(app, "id"), body, &app); err != nil {
			return fmt.Errorf("update the single-page app: %w", err)
		}
		r.changed("updated the single-page app %q (kept its other redirect URIs)", label)
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

// mergeSPASettings returns the app's oauthClient settings with want laid
// over them: list members gain what is missing and keep the rest, other
// members take want's value. changed says whether anything differs.
func mergeSPASettings(app map[string]any, want map[string]any) (map[string]any, bool) {
	have, _ := app["settings"].(map[string]any)["oauthClient"].(map[string]any)
	merged := map[string]any{}
	for k, v := range have {
		merged[k] = v
	}
	changed := false
	for k, v := range want {
		if slices.Contains(spaListSettings, k) {
			list, added := union(have[k], v.([]string)...)
			merged[k] = list
			changed = changed || added
			continue
		}
		if !sameJSON(have[k], v) {
			merged[k] = v
			changed = true
		}
	}
	return merged, changed
}

func spaCredentialsOK(app map[string]any) bool {
	pk, _ := app["credentials"].(map[string]any)["oauthClient"].(map[string]any)["pkce_required"].(bool)
	return pk && str(app, "credentials.oauthClient.token_endpoint_auth_method") == "none"
}

// union returns the strings of a decoded JSON list followed by those of want
// it lacks, and whether it added any.
func union(have any, want ...string) ([]string, bool) {
	var out []string
	if list, ok := have.([]any); ok {
		for _, v := range list {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	added := false
	for _, w := range want {
		if !slices.Contains(out, w) {
			out = append(out, w)
			added = true
		}
	}
	return out, added
}

func sameJSON(a, b any) bool {
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	var an, bn any
	json.Unmarshal(ab, &an)
	json.Unmarshal(bb, &bn)
	ab, _ = json.Marshal(an)
	bb, _ = json.Marshal(bn)
	return string(ab) == string(bb)
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
		// Audiences someone added stay: tokens minted for them must keep
		// their audience.
		auds, added := union(srv["audiences"], r.ClientID)
		if added || str(srv, "issuerMode") != "ORG_URL" {
			body["audiences"], body["description"] = auds, srv["description"]
			if err := a.do(ctx, "PUT", "/api/v1/authorizationServers/"+str(srv, "id"), body, &srv); err != nil {
				return fmt.Errorf("update the authorization server: %w", err)
			}
			r.changed("added the app's client id to the authorization server's audiences, issuer mode ORG_URL")
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
//
// The bot's key set only grows: a run in another --out-dir adds its key and
// keeps the ones registered before, so ingestion configured from an earlier
// run keeps authenticating. --rotate-bot-key is the one way to remove keys.
func setupBot(ctx context.Context, a *api, r *Result) error {
	name := r.Name + " ingestion bot"
	r.BotKeyFile = filepath.Join(r.OutDir, BotKeyFile)
	u, _ := url.Parse(r.OMURL)
	r.BotEmail = "ingestion-bot@" + principalDomain(r.AdminEmails, u.Hostname())

	signer, fresh, err := botKey(r)
	if err != nil {
		return err
	}
	kid := keys.Thumbprint(signer.Public())
	pub, err := keys.PublicJWK(signer.Public(), kid, "RS256", "sig")
	if err != nil {
		return err
	}
	app, err := findApp(ctx, a, name)
	if err != nil {
		return err
	}
	var registered []map[string]any
	if app != nil {
		registered = appKeys(app)
	}
	set, removed := []json.RawMessage{pub}, []string(nil)
	for _, k := range registered {
		switch {
		case str(k, "kid") == kid:
		case r.RotateBotKey:
			removed = append(removed, str(k, "kid"))
		default:
			b, _ := json.Marshal(withKID(k))
			set = append(set, b)
		}
	}
	meta := map[string]any{"client_name": name, "application_type": "service", "grant_types": []string{"client_credentials"},
		"response_types": []string{"token"}, "token_endpoint_auth_method": "private_key_jwt", "jwks": json.RawMessage(keys.JWKS(set...))}
	switch {
	case app == nil:
		if err := a.do(ctx, "POST", "/oauth2/v1/clients", meta, nil); err != nil {
			return fmt.Errorf("register the ingestion bot: %w", err)
		}
		r.changed("registered the ingestion bot %q (private_key_jwt, key %s)", name, kid)
		if app, err = findApp(ctx, a, name); err != nil || app == nil {
			return fmt.Errorf("the registered bot is not listed: %v", err)
		}
	case !hasKey(registered, kid) || len(removed) > 0:
		if err := a.do(ctx, "PUT", "/oauth2/v1/clients/"+str(app, "credentials.oauthClient.client_id"), meta, nil); err != nil {
			return fmt.Errorf("register the bot's key %s: %w (with --rotate-bot-key a run replaces the key set instead of adding to it)", kid, err)
		}
		if len(removed) > 0 {
			r.changed("replaced the bot's keys: registered %s, removed %s (ingestion still using them stops authenticating)", kid, strings.Join(removed, ", "))
		} else {
			r.changed("added the key %s to the bot's key set (kept %d registered before)", kid, len(registered))
		}
	}
	if fresh != nil {
		if err := fresh(); err != nil {
			return err
		}
	}
	r.BotKeyID, r.RemovedBotKeyIDs = kid, removed
	for _, k := range set {
		var m map[string]any
		json.Unmarshal(k, &m)
		r.BotKeyIDs = append(r.BotKeyIDs, str(m, "kid"))
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
		if err := a.do(ctx, "POST", "/api/v1/apps/"+str(app, "id")+"/grants", map[string]any{"scopeId": sc, "issuer": r.orgIssuer()}, nil); err != nil {
			return fmt.Errorf("grant %s: %w", sc, err)
		}
		r.changed("granted the bot %s", sc)
	}
	return nil
}

// orgIssuer is the org authorization server's issuer: the org URL Sesame
// serves under (serve --url), which the server's ORG_URL issuer starts with;
// the --org-url setup calls may be another name for the same server.
func (r *Result) orgIssuer() string {
	if org, _, ok := strings.Cut(r.Issuer, "/oauth2/"); ok {
		return org
	}
	return r.OrgURL
}

// botKey returns the bot's key: the one in the output directory, or a new
// one. A new key is written before it is registered (a run that stops in
// between registers it next time) — except a rotation's, which replaces a
// working key: it goes to a temporary file that commit renames into place
// once Sesame has the new key.
func botKey(r *Result) (signer crypto.Signer, commit func() error, err error) {
	data, err := os.ReadFile(r.BotKeyFile)
	switch {
	case err == nil && !r.RotateBotKey:
		signer, _, err = keys.ParsePrivateKey(data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", r.BotKeyFile, err)
		}
		return signer, nil, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, nil, err
	}
	g, err := keys.GenerateSet(keys.GenerateOptions{Alg: "RS256", Size: 2048, Use: "sig"})
	if err != nil {
		return nil, nil, err
	}
	if !r.RotateBotKey || data == nil {
		if err := os.WriteFile(r.BotKeyFile, g.PrivatePEM, 0o600); err != nil {
			return nil, nil, err
		}
		r.changed("made the ingestion bot's key pair (%s, mode 0600)", r.BotKeyFile)
		return g.Key, nil, nil
	}
	tmp := r.BotKeyFile + ".new"
	if err := os.WriteFile(tmp, g.PrivatePEM, 0o600); err != nil {
		return nil, nil, err
	}
	return g.Key, func() error {
		if err := os.Rename(tmp, r.BotKeyFile); err != nil {
			return err
		}
		r.changed("replaced the ingestion bot's private key in %s", r.BotKeyFile)
		return nil
	}, nil
}

// appKeys returns the public keys registered for an app.
func appKeys(app map[string]any) []map[string]any {
	jwks, _ := app["settings"].(map[string]any)["oauthClient"].(map[string]any)["jwks"].(map[string]any)
	list, _ := jwks["keys"].([]any)
	var out []map[string]any
	for _, k := range list {
		if m, ok := k.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func hasKey(registered []map[string]any, kid string) bool {
	return slices.ContainsFunc(registered, func(k map[string]any) bool { return str(k, "kid") == kid })
}

// withKID gives a key registered without a kid its thumbprint: a key set of
// more than one key needs a kid on each.
func withKID(k map[string]any) map[string]any {
	if str(k, "kid") != "" {
		return k
	}
	b, _ := json.Marshal(k)
	if pub, _, err := keys.ParseJWK(b); err == nil {
		k["kid"] = keys.Thumbprint(pub)
	}
	return k
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
		clients, _ := pol["conditions"].(map[string]any)["clients"].(map[string]any)
		if inc, added := union(clients["include"], r.ClientID, r.BotClientID); added {
			body["conditions"] = map[string]any{"clients": map[string]any{"include": inc}}
			body["priority"], body["description"] = pol["priority"], pol["description"]
			if err := a.do(ctx, "PUT", base+"/"+str(pol, "id"), body, &pol); err != nil {
				return err
			}
			r.changed("added the app and the bot to the access policy's clients")
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

// ShippedJWTKeyID is the key id of the JWT key pair in OpenMetadata's public
// repository (conf/private_key.der), the one its docker-compose.yml and Helm
// chart configure by default (JWT_KEY_ID, jwtTokenConfiguration.keyId).
const ShippedJWTKeyID = "Gb389a-9f76-gdjs-a92j-0242bk94356"

// setupJWTKeys makes the key pair OpenMetadata signs its own tokens with,
// as the DER files jwtTokenConfiguration reads, so the keys shipped in
// OpenMetadata's public repository can be replaced.
//
// OpenMetadata's bot tokens are signed with that pair: a new pair given to
// an OpenMetadata that already uses one of its own invalidates every bot
// token it issued. So a run with no pair in its output directory asks
// OpenMetadata which key it publishes (GET /api/v1/system/config/jwks needs
// no token) and refuses to make one when it is not the shipped key, unless
// --rotate-jwt-key says to.
func setupJWTKeys(ctx context.Context, _ *api, r *Result) error {
	priv, pub := filepath.Join(r.OutDir, JWTPrivateFile), filepath.Join(r.OutDir, JWTPublicFile)
	idFile := filepath.Join(r.OutDir, jwtKeyIDFile)
	current := ""
	if b, err := os.ReadFile(idFile); err == nil && fileExists(priv) {
		current = strings.TrimSpace(string(b))
	}
	omKIDs, omErr := openMetadataKeyIDs(ctx, r.HTTPClient, r.OMURL)
	omOwn := slices.DeleteFunc(slices.Clone(omKIDs), func(k string) bool { return k == ShippedJWTKeyID || k == current })
	if current != "" && !r.RotateJWTKey {
		r.JWTKeyID = current
		if omErr == nil && len(omOwn) > 0 {
			r.note("OpenMetadata at %s signs its tokens with the key %s, not with the pair in %s (%s): giving it these files replaces its key, and every bot token it issued stops working.",
				r.OMURL, strings.Join(omOwn, ", "), r.OutDir, current)
		}
		return nil
	}
	switch {
	case current == "" && omErr == nil && len(omOwn) > 0 && !r.RotateJWTKey:
		return fmt.Errorf("OpenMetadata at %s already signs its tokens with a key of its own (%s), and %s has no key pair: "+
			"a new pair would invalidate every bot token OpenMetadata issued. Copy the files OpenMetadata uses into %s "+
			"(%s, %s, and its key id in %s), or pass --rotate-jwt-key to replace its key", r.OMURL, strings.Join(omOwn, ", "),
			r.OutDir, r.OutDir, JWTPrivateFile, JWTPublicFile, jwtKeyIDFile)
	case current == "" && omErr != nil:
		r.note("Could not ask OpenMetadata which JWT key it uses (%v). The new pair in %s is for a first start, or to replace the key shipped with OpenMetadata; if OpenMetadata already uses a key pair of its own, keep it (copy its files here) — a new pair invalidates its bot tokens.", omErr, r.OutDir)
	case slices.Contains(omKIDs, ShippedJWTKeyID):
		r.note("OpenMetadata at %s still signs with the key pair shipped in its public repository (%s): the new pair replaces it. Regenerate the bot tokens (Settings → Bots) after OpenMetadata restarts with it.", r.OMURL, ShippedJWTKeyID)
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
		if err := writeFileAtomic(f.path, f.data, f.mode); err != nil {
			return err
		}
	}
	if replaced := slices.DeleteFunc(append([]string{current}, omOwn...), func(k string) bool { return k == "" }); len(replaced) > 0 {
		r.changed("made a new JWT key pair for OpenMetadata (%s), replacing %s: every bot token signed with it stops working once OpenMetadata restarts with the new files", r.JWTKeyID, strings.Join(replaced, ", "))
	} else {
		r.changed("made OpenMetadata's JWT key pair (%s, %s)", priv, pub)
	}
	return nil
}

// openMetadataKeyIDs returns the kids OpenMetadata publishes for its own
// tokens.
func openMetadataKeyIDs(ctx context.Context, hc *http.Client, omURL string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, omURL+"/api/v1/system/config/jwks", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/api/v1/system/config/jwks answered %d", omURL, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil || len(set.Keys) == 0 {
		return nil, fmt.Errorf("GET %s/api/v1/system/config/jwks is not a key set", omURL)
	}
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KID)
	}
	return out, nil
}

// writeFileAtomic replaces path with data in one rename, so OpenMetadata
// restarting meanwhile reads the old file or the new one, never half.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (r *Result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// oneDomain says whether every email is in the same domain.
func oneDomain(emails []string) bool {
	domain := ""
	for _, e := range emails {
		_, d, ok := strings.Cut(e, "@")
		if !ok || d == "" || (domain != "" && !strings.EqualFold(d, domain)) {
			return false
		}
		domain = d
	}
	return domain != ""
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
