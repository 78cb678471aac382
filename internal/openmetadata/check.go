package openmetadata

import (
	"bufio"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/token"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

// CheckOptions are check's inputs. Issuer, ClientID and BotClientID default
// to what setup wrote into ConfigDir.
type CheckOptions struct {
	OrgURL, OMURL       string
	Issuer, ClientID    string
	BotClientID, BotKey string // BotKey: the bot's private key file (optional)
	ConfigDir           string
	// KeyOwner is the user OpenMetadata's server runs as, who must read the
	// key pair in ConfigDir; default ImageUser.
	KeyOwner   *Owner
	HTTPClient *http.Client
}

// Level grades a checklist line: Warn does not fail the check.
type Level int

// The levels, from good to bad.
const (
	OK Level = iota
	Warn
	Fail
)

// CheckItem is one line of the checklist.
type CheckItem struct {
	Level  Level
	What   string
	Detail string
}

func (c CheckItem) String() string {
	mark := [...]string{OK: "ok  ", Warn: "warn", Fail: "FAIL"}[c.Level]
	if c.Detail != "" {
		return fmt.Sprintf("[%s] %s — %s", mark, c.What, c.Detail)
	}
	return fmt.Sprintf("[%s] %s", mark, c.What)
}

// readEnv reads KEY=VALUE lines.
func readEnv(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}

// checker holds what one Check run needs.
type checker struct {
	ctx   context.Context
	hc    *http.Client
	items []CheckItem
}

func (c *checker) add(level Level, what, detail string) {
	c.items = append(c.items, CheckItem{level, what, detail})
}

func (c *checker) ok(cond bool, what, detail string) {
	c.add(map[bool]Level{true: OK, false: Fail}[cond], what, detail)
}

func (c *checker) do(method, u string, hdr map[string]string, body string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(c.ctx, method, u, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, b, nil
}

// Check runs the checklist: what OpenMetadata's UI, server and legacy
// ingestion will do against Sesame, and the validation OpenMetadata runs
// before it saves SSO settings, from outside.
func Check(ctx context.Context, o CheckOptions) ([]CheckItem, error) {
	if o.ConfigDir == "" {
		o.ConfigDir = "openmetadata-sso"
	}
	env := readEnv(filepath.Join(o.ConfigDir, EnvFile))
	if o.Issuer == "" {
		o.Issuer = env["AUTHENTICATION_AUTHORITY"]
	}
	if o.ClientID == "" {
		o.ClientID = env["AUTHENTICATION_CLIENT_ID"]
	}
	if o.BotClientID == "" {
		if b, err := os.ReadFile(filepath.Join(o.ConfigDir, LegacyIngest)); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(l), "clientId: "); ok {
					o.BotClientID = strings.Trim(v, `"`)
				}
			}
		}
	}
	if o.BotKey == "" {
		if p := filepath.Join(o.ConfigDir, BotKeyFile); fileExists(p) {
			o.BotKey = p
		}
	}
	if o.Issuer == "" || o.ClientID == "" {
		return nil, fmt.Errorf("no issuer or client id: give --issuer and --client-id, or --config-dir with what setup wrote")
	}
	keyURLs := []string{o.Issuer + "/v1/keys"}
	if list := strings.Trim(env["AUTHENTICATION_PUBLIC_KEYS"], "[]"); list != "" {
		keyURLs = strings.Split(list, ",")
	}
	o.OMURL = strings.TrimRight(o.OMURL, "/")
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second, CheckRedirect: noRedirects}
	}
	c := &checker{ctx: ctx, hc: hc}
	c.browser(o)
	c.saveValidation(o, keyURLs, env[AllowInternalEnv] == "true")
	if o.BotKey != "" && o.BotClientID != "" {
		base := oauthBase(o.Issuer)
		tok, detail := legacyBotToken(ctx, hc, base+"/v1/token", o.BotClientID, o.BotKey)
		c.ok(tok != "", "ingestion bot gets a token as the legacy client asks (kid-less assertion, parameters in the query, scope= empty)", detail)
		if tok != "" {
			own := ownKey(o.ConfigDir)
			where, err := jwtFilter(ctx, hc, own, keyURLs, tok)
			detail := "verified with " + where
			if err != nil {
				detail = err.Error()
			}
			c.ok(err == nil, "OpenMetadata's JwtFilter accepts the bot's token (its own key first, then each publicKeyUrls entry in order)", detail)
		}
	}
	if fileExists(filepath.Join(o.ConfigDir, JWTPrivateFile)) {
		owner := ImageUser
		if o.KeyOwner != nil {
			owner = *o.KeyOwner
		}
		r := &Result{Options: Options{OutDir: o.ConfigDir}}
		if err := keyAccess(o.ConfigDir, owner); err != nil {
			c.add(Warn, fmt.Sprintf("OpenMetadata's server (uid %d) can read its key pair from a bind mount of %s", owner.UID, o.ConfigDir),
				err.Error()+"; fix: "+r.ChownLine(owner)+" (or setup --key-owner "+owner.String()+" as root)")
		} else {
			c.add(OK, fmt.Sprintf("OpenMetadata's server (uid %d) can read its key pair from a bind mount of %s", owner.UID, o.ConfigDir), "")
		}
	}
	return c.items, nil
}

// oauthBase is where okta-auth-js puts the /v1 endpoints of an issuer.
func oauthBase(issuer string) string {
	if strings.Contains(issuer, "/oauth2") {
		return issuer
	}
	return issuer + "/oauth2"
}

// browser checks what the UI (okta-auth-js at OpenMetadata's origin) does.
func (c *checker) browser(o CheckOptions) {
	omOrigin := originOf(o.OMURL)
	// 1. Discovery, as okta-auth-js reads it.
	var disco struct {
		Issuer string   `json:"issuer"`
		PKCE   []string `json:"code_challenge_methods_supported"`
	}
	resp, body, err := c.do("GET", o.Issuer+"/.well-known/openid-configuration", map[string]string{"Accept": "application/json", "Origin": omOrigin}, "")
	switch {
	case err != nil:
		c.add(Fail, "discovery document reachable", err.Error())
	case resp.StatusCode != 200 || json.Unmarshal(body, &disco) != nil:
		c.add(Fail, "discovery document reachable", fmt.Sprintf("%s answered %d", o.Issuer, resp.StatusCode))
	default:
		c.ok(disco.Issuer == o.Issuer, "discovery issuer is the configured authority", disco.Issuer)
		c.ok(slices.Contains(disco.PKCE, "S256"), "discovery advertises PKCE S256", strings.Join(disco.PKCE, ","))
		c.ok(resp.Header.Get("Access-Control-Allow-Origin") != "", "discovery answers the browser (CORS)", resp.Header.Get("Access-Control-Allow-Origin"))
	}

	// 2. The paths okta-auth-js derives from the issuer.
	base := oauthBase(o.Issuer)
	for _, p := range []struct{ method, path string }{{"GET", "/v1/keys"}, {"GET", "/v1/authorize"}, {"POST", "/v1/token"},
		{"GET", "/v1/userinfo"}, {"POST", "/v1/revoke"}, {"GET", "/v1/logout"}} {
		resp, _, err := c.do(p.method, base+p.path, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "")
		detail := ""
		if err != nil {
			detail = err.Error()
		} else {
			detail = fmt.Sprintf("%d", resp.StatusCode)
		}
		c.ok(err == nil && resp.StatusCode != 404 && resp.StatusCode != 405 && resp.StatusCode < 500, "served: "+p.method+" "+base+p.path, detail)
	}

	// 3. CORS for OpenMetadata's origin with okta-auth-js's headers.
	resp, _, err = c.do("OPTIONS", base+"/v1/token", map[string]string{"Origin": omOrigin, "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "content-type,x-okta-user-agent-extended"}, "")
	c.ok(err == nil && resp.Header.Get("Access-Control-Allow-Origin") == omOrigin &&
		strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "x-okta-user-agent-extended"),
		"token endpoint allows "+omOrigin+" with X-Okta-User-Agent-Extended (CORS)", "")
	resp, _, err = c.do("OPTIONS", strings.TrimSuffix(o.OrgURL, "/")+"/api/v1/sessions/me", map[string]string{"Origin": omOrigin, "Access-Control-Request-Method": "DELETE"}, "")
	c.ok(err == nil && resp.Header.Get("Access-Control-Allow-Origin") == omOrigin && resp.Header.Get("Access-Control-Allow-Credentials") == "true",
		"sessions/me allows "+omOrigin+" with credentials (sign-out)", "")

	// 4. Both redirect URIs registered: Sesame sends an unregistered one an
	// error page and a registered one on to sign-in.
	for _, ru := range []string{o.OMURL + "/callback", o.OMURL + "/silent-callback"} {
		q := url.Values{"client_id": {o.ClientID}, "redirect_uri": {ru}, "response_type": {"code"}, "scope": {"openid"}, "state": {"check"},
			"nonce": {"check"}, "code_challenge": {strings.Repeat("A", 43)}, "code_challenge_method": {"S256"}}
		resp, body, err := c.do("GET", base+"/v1/authorize?"+q.Encode(), nil, "")
		ok := err == nil && resp.StatusCode == http.StatusFound
		detail := ""
		if err == nil && !ok {
			detail = "not registered for the app: " + firstAlert(body)
		}
		c.ok(ok, "redirect URI registered: "+ru, detail)
	}
}

var customServerIssuer = regexp.MustCompile(`.*/oauth2/[^/]+$`)

// saveValidation runs, step by step, what OpenMetadata checks before its
// Settings → SSO screen (or apply) saves an Okta public client
// (OktaAuthValidator, OidcDiscoveryValidator, URLValidator): a step that
// fails here makes OpenMetadata refuse the configuration.
func (c *checker) saveValidation(o CheckOptions, keyURLs []string, allowInternal bool) {
	const step = "OpenMetadata's save-time validation: "
	discoveryURL := o.Issuer + "/.well-known/openid-configuration"
	for _, u := range append([]string{discoveryURL}, keyURLs...) {
		it := describeHost(c.ctx, u, allowInternal)
		it.What = step + strings.TrimPrefix(it.What, "OpenMetadata's ")
		c.items = append(c.items, it)
	}
	var doc map[string]any
	resp, body, err := c.do("GET", discoveryURL, map[string]string{"Accept": "application/json"}, "")
	if err != nil || resp.StatusCode != 200 || json.Unmarshal(body, &doc) != nil {
		detail := ""
		if err != nil {
			detail = err.Error()
		} else {
			detail = fmt.Sprintf("%d", resp.StatusCode)
		}
		c.add(Fail, step+"GET "+discoveryURL+" answers 200 with JSON", detail)
		return
	}
	missing := func(keys ...string) string {
		var m []string
		for _, k := range keys {
			if _, ok := doc[k]; !ok {
				m = append(m, k)
			}
		}
		return strings.Join(m, ", ")
	}
	m := missing("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint")
	c.ok(m == "", step+"discovery has issuer, authorization_endpoint, token_endpoint, userinfo_endpoint", map[bool]string{true: "", false: "missing " + m}[m == ""])
	has := func(key string, want ...string) (bool, string) {
		list, _ := doc[key].([]any)
		if len(list) == 0 {
			return true, key + " absent: not checked"
		}
		var lacking []string
		for _, w := range want {
			if !slices.Contains(list, any(w)) {
				lacking = append(lacking, w)
			}
		}
		return len(lacking) == 0, map[bool]string{true: "", false: "lacks " + strings.Join(lacking, ", ")}[len(lacking) == 0]
	}
	ok, d := has("scopes_supported", "openid", "email", "profile")
	c.ok(ok, step+"scopes_supported has openid, email, profile", d)
	ok, d = has("response_types_supported", "code")
	c.ok(ok, step+"response_types_supported has code", d)
	ok, d = has("id_token_signing_alg_values_supported", "RS256")
	c.ok(ok, step+"id_token_signing_alg_values_supported has RS256", d)

	introspect, _ := doc["introspection_endpoint"].(string)
	if introspect == "" {
		introspect = oauthBase(strings.TrimRight(o.Issuer, "/")) + "/v1/introspect"
	}
	resp, body, err = c.do("POST", introspect, map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		"token=dummy_invalid_token&token_type_hint=access_token&client_id="+url.QueryEscape(o.ClientID))
	var intro map[string]any
	active := false
	if err == nil && json.Unmarshal(body, &intro) == nil {
		_, active = intro["active"]
	}
	detail := ""
	if err != nil {
		detail = err.Error()
	} else if resp.StatusCode != 200 {
		detail = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	c.ok(err == nil && resp.StatusCode == 200 && active, step+"POST "+introspect+" with a dummy token and the client id answers 200 with \"active\"", detail)

	expected := strings.TrimSuffix(o.Issuer, "/") + "/oauth2/v1/keys"
	if customServerIssuer.MatchString(strings.TrimSuffix(o.Issuer, "/")) {
		expected = strings.TrimSuffix(o.Issuer, "/") + "/v1/keys"
	}
	c.ok(slices.Contains(keyURLs, expected), step+"publicKeyUrls contains exactly "+expected, strings.Join(keyURLs, ","))
	for _, u := range keyURLs {
		resp, body, err := c.do("GET", u, nil, "")
		var set struct {
			Keys []json.RawMessage `json:"keys"`
		}
		what := step + "GET " + u + " answers a non-empty key set"
		switch {
		case err != nil && o.OMURL != "" && strings.HasPrefix(u, o.OMURL+"/"):
			// OpenMetadata's own key set: before its first start nothing
			// answers, and its validation fetches it from its own server.
			c.add(Warn, what, "OpenMetadata does not answer here (yet?): "+err.Error())
		case err != nil:
			c.add(Fail, what, err.Error())
		case resp.StatusCode != 200:
			c.add(Fail, what, fmt.Sprintf("%d", resp.StatusCode))
		default:
			c.ok(json.Unmarshal(body, &set) == nil && len(set.Keys) > 0, what, "")
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func firstAlert(body []byte) string {
	s := string(body)
	if i := strings.Index(s, `role="alert">`); i >= 0 {
		s = s[i+len(`role="alert">`):]
		if j := strings.Index(s, "<"); j >= 0 {
			return strings.ReplaceAll(s[:j], "&#39;", "'")
		}
	}
	return ""
}

// legacyBotToken does what OpenMetadata's legacy Okta ingestion client
// (ingestion/src/metadata/ingestion/ometa/auth_provider.py,
// OktaAuthenticationProvider, 1.2) does: a client assertion without kid,
// aud = the token URL, and every parameter in the query of a POST with an
// empty body — scope included, empty when its scopes list is (" ".join of
// []), in the order it builds them, spaces as %20.
func legacyBotToken(ctx context.Context, hc *http.Client, tokenURL, clientID, keyFile string) (string, string) {
	data, err := os.ReadFile(keyFile)
	if err != nil {
		return "", err.Error()
	}
	key, _, err := keys.ParsePrivateKey(data)
	if err != nil {
		return "", err.Error()
	}
	assertion, err := tokenclient.Assertion{ClientID: clientID, Audience: tokenURL, Key: key, Lifetime: time.Hour}.Sign(time.Now())
	if err != nil {
		return "", err.Error()
	}
	query := "grant_type=client_credentials&scope=&client_assertion_type=" + pyQuote("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
		"&client_assertion=" + pyQuote(assertion)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL+"?"+query, nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err.Error()
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out)
	at, _ := out["access_token"].(string)
	if at == "" {
		return "", fmt.Sprintf("%d %v: %v", resp.StatusCode, out["error"], out["error_description"])
	}
	return at, ""
}

// pyQuote escapes as Python's urllib.parse.quote does by default: every
// byte but letters, digits, "_.-~" and "/".
func pyQuote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("_.-~/", ch) >= 0 {
			b.WriteByte(ch)
		} else {
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

// ownKey is the public key OpenMetadata signs its own tokens with, from the
// pair setup wrote, by its kid; nil when there is none.
func ownKey(dir string) map[string]*rsa.PublicKey {
	der, err1 := os.ReadFile(filepath.Join(dir, JWTPublicFile))
	kid, err2 := os.ReadFile(filepath.Join(dir, jwtKeyIDFile))
	if err1 != nil || err2 != nil {
		return nil
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if rsaPub, ok := pub.(*rsa.PublicKey); err == nil && ok {
		return map[string]*rsa.PublicKey{strings.TrimSpace(string(kid)): rsaPub}
	}
	return nil
}

// jwtFilter checks a bearer token as OpenMetadata's JwtFilter does
// (security/JwtFilter.java, MultiUrlJwkProvider.java): the key named by the
// token's kid from OpenMetadata's own key first, then from each
// publicKeyUrls entry in order, an entry that cannot be fetched or lacks the
// kid skipped; RS256 whatever the header says; exp checked when present,
// without leeway. It returns where the key was found.
func jwtFilter(ctx context.Context, hc *http.Client, own map[string]*rsa.PublicKey, keyURLs []string, tok string) (string, error) {
	var where string
	var skipped []string
	find := func(kid string) *rsa.PublicKey {
		if k := own[kid]; k != nil {
			where = "OpenMetadata's own key"
			return k
		}
		for _, u := range keyURLs {
			k, err := fetchKey(ctx, hc, u, kid)
			if err != nil {
				skipped = append(skipped, fmt.Sprintf("%s (%v)", u, err))
				continue
			}
			where = u
			return k
		}
		return nil
	}
	payload, err := token.Verify(tok, find)
	if err != nil {
		if len(skipped) > 0 {
			return "", fmt.Errorf("%v; skipped %s", err, strings.Join(skipped, ", "))
		}
		return "", err
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	json.Unmarshal(payload, &claims)
	if claims.Exp != 0 && claims.Exp < time.Now().Unix() {
		return "", fmt.Errorf("expired")
	}
	return where, nil
}

func fetchKey(ctx context.Context, hc *http.Client, jwksURL, kid string) (*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%d", resp.StatusCode)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("not a key set")
	}
	for _, k := range set.Keys {
		if key, info, err := keys.ParseJWK(k); err == nil && info.KID == kid {
			if pk, ok := key.(*rsa.PublicKey); ok {
				return pk, nil
			}
		}
	}
	return nil, fmt.Errorf("no key %s", kid)
}
