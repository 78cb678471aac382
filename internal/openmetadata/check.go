package openmetadata

import (
	"bufio"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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
	HTTPClient          *http.Client
}

// CheckItem is one line of the checklist.
type CheckItem struct {
	OK     bool
	What   string
	Detail string
}

func (c CheckItem) String() string {
	mark := "ok  "
	if !c.OK {
		mark = "FAIL"
	}
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

// Check runs the checklist: what OpenMetadata's UI, server and legacy
// ingestion will do against Sesame, from outside.
func Check(ctx context.Context, o CheckOptions) ([]CheckItem, error) {
	if o.ConfigDir == "" {
		o.ConfigDir = "openmetadata-sso"
	}
	env := readEnv(filepath.Join(o.ConfigDir, "openmetadata.env"))
	if o.Issuer == "" {
		o.Issuer = env["AUTHENTICATION_AUTHORITY"]
	}
	if o.ClientID == "" {
		o.ClientID = env["AUTHENTICATION_CLIENT_ID"]
	}
	if o.BotClientID == "" {
		if b, err := os.ReadFile(filepath.Join(o.ConfigDir, "ingestion-workflow-legacy-okta.yaml")); err == nil {
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
	o.OMURL = strings.TrimRight(o.OMURL, "/")
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	omOrigin := ""
	if u, err := url.Parse(o.OMURL); err == nil {
		omOrigin = u.Scheme + "://" + u.Host
	}
	var items []CheckItem
	add := func(ok bool, what, detail string) { items = append(items, CheckItem{ok, what, detail}) }
	do := func(method, u string, hdr map[string]string, body string) (*http.Response, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp, b, nil
	}

	// 1. Discovery, as okta-auth-js reads it.
	var disco struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		PKCE    []string `json:"code_challenge_methods_supported"`
		Intro   string   `json:"introspection_endpoint"`
	}
	resp, body, err := do("GET", o.Issuer+"/.well-known/openid-configuration", map[string]string{"Accept": "application/json", "Origin": omOrigin}, "")
	switch {
	case err != nil:
		add(false, "discovery document reachable", err.Error())
	case resp.StatusCode != 200 || json.Unmarshal(body, &disco) != nil:
		add(false, "discovery document reachable", fmt.Sprintf("%s answered %d", o.Issuer, resp.StatusCode))
	default:
		add(disco.Issuer == o.Issuer, "discovery issuer is the configured authority", disco.Issuer)
		add(slices.Contains(disco.PKCE, "S256"), "discovery advertises PKCE S256", strings.Join(disco.PKCE, ","))
		add(resp.Header.Get("Access-Control-Allow-Origin") != "", "discovery answers the browser (CORS)", resp.Header.Get("Access-Control-Allow-Origin"))
	}

	// 2. The paths okta-auth-js derives from the issuer.
	base := o.Issuer
	if !strings.Contains(base, "/oauth2") {
		base += "/oauth2"
	}
	for _, p := range []struct{ method, path string }{{"GET", "/v1/keys"}, {"GET", "/v1/authorize"}, {"POST", "/v1/token"},
		{"GET", "/v1/userinfo"}, {"POST", "/v1/revoke"}, {"GET", "/v1/logout"}} {
		resp, _, err := do(p.method, base+p.path, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "")
		ok := err == nil && resp.StatusCode != 404 && resp.StatusCode != 405 && resp.StatusCode < 500
		detail := ""
		if err != nil {
			detail = err.Error()
		} else {
			detail = fmt.Sprintf("%d", resp.StatusCode)
		}
		add(ok, "served: "+p.method+" "+base+p.path, detail)
	}

	// 3. CORS for OpenMetadata's origin with okta-auth-js's headers.
	resp, _, err = do("OPTIONS", base+"/v1/token", map[string]string{"Origin": omOrigin, "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "content-type,x-okta-user-agent-extended"}, "")
	cors := err == nil && resp.Header.Get("Access-Control-Allow-Origin") == omOrigin &&
		strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "x-okta-user-agent-extended")
	add(cors, "token endpoint allows "+omOrigin+" with X-Okta-User-Agent-Extended (CORS)", "")
	resp, _, err = do("OPTIONS", strings.TrimSuffix(o.OrgURL, "/")+"/api/v1/sessions/me", map[string]string{"Origin": omOrigin, "Access-Control-Request-Method": "DELETE"}, "")
	add(err == nil && resp.Header.Get("Access-Control-Allow-Origin") == omOrigin && resp.Header.Get("Access-Control-Allow-Credentials") == "true",
		"sessions/me allows "+omOrigin+" with credentials (sign-out)", "")

	// 4. Both redirect URIs registered: Sesame sends an unregistered one an
	// error page and a registered one on to sign-in.
	for _, ru := range []string{o.OMURL + "/callback", o.OMURL + "/silent-callback"} {
		q := url.Values{"client_id": {o.ClientID}, "redirect_uri": {ru}, "response_type": {"code"}, "scope": {"openid"}, "state": {"check"},
			"nonce": {"check"}, "code_challenge": {strings.Repeat("A", 43)}, "code_challenge_method": {"S256"}}
		resp, body, err := do("GET", base+"/v1/authorize?"+q.Encode(), nil, "")
		ok := err == nil && resp.StatusCode == http.StatusFound
		detail := ""
		if err == nil && !ok {
			detail = "not registered for the app: " + firstAlert(body)
		}
		add(ok, "redirect URI registered: "+ru, detail)
	}

	// 5. OpenMetadata's settings validator: introspection of a dummy token
	// with the public client's id answers 200 with "active".
	resp, body, err = do("POST", base+"/v1/introspect", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		url.Values{"token": {"dummy_invalid_token"}, "token_type_hint": {"access_token"}, "client_id": {o.ClientID}}.Encode())
	add(err == nil && resp.StatusCode == 200 && strings.Contains(string(body), `"active"`), "the client id passes OpenMetadata's introspection check", "")

	// 6. The bot, as the legacy ingestion client gets its token, and the
	// token checked against the JWKS OpenMetadata is configured with.
	if o.BotKey != "" && o.BotClientID != "" {
		tok, detail := legacyBotToken(ctx, hc, base+"/v1/token", o.BotClientID, o.BotKey)
		add(tok != "", "ingestion bot gets a token (kid-less assertion, parameters in the query)", detail)
		if tok != "" {
			add(verifyWithJWKS(ctx, hc, base+"/v1/keys", tok, o.BotClientID), "the bot's token verifies against "+base+"/v1/keys", "")
		}
	}
	return items, nil
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

// legacyBotToken does what OpenMetadata's legacy Okta ingestion client does.
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
	q := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion": {assertion}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL+"?"+q.Encode(), nil)
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

// verifyWithJWKS checks a token as OpenMetadata's JwtFilter does: RS256 with
// the key named by kid in the key set, unexpired, principal = sub.
func verifyWithJWKS(ctx context.Context, hc *http.Client, jwksURL, tok, wantSub string) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set) != nil {
		return false
	}
	pubs := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if key, info, err := keys.ParseJWK(k); err == nil {
			if pk, ok := key.(*rsa.PublicKey); ok {
				pubs[info.KID] = pk
			}
		}
	}
	c, err := token.ParseAccess(tok, func(kid string) *rsa.PublicKey { return pubs[kid] })
	return err == nil && c.Exp > time.Now().Unix() && c.Sub == wantSub
}
