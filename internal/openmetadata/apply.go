package openmetadata

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ApplyOptions are apply's inputs. Exactly one of Password and JWT
// authenticates: the password of an OpenMetadata administrator for its
// basic-auth login, or a JWT of an administrator.
type ApplyOptions struct {
	OMURL      string // OpenMetadata's URL, as setup's --om-url
	ConfigDir  string // what setup wrote
	AdminEmail string // the administrator's login email (basic auth)
	Password   string // never stored, sent only to OMURL's login
	JWT        string
	// ValidateOnly asks OpenMetadata to validate and stops before saving.
	ValidateOnly bool
	HTTPClient   *http.Client
	Out          io.Writer // progress, one line per step
}

// ApplyResult is what OpenMetadata reported.
type ApplyResult struct {
	ProviderBefore string
	Sent           map[string]any // the body validated (and saved)
	// Now is GET /api/v1/system/config/auth after the save, and
	// PrincipalDomain that of /api/v1/system/config/authorizer.
	Now             map[string]any
	PrincipalDomain string
}

// FieldError is one refusal of OpenMetadata's validation, as it sends it.
type FieldError struct {
	Field string `json:"field"`
	Error string `json:"error"`
}

// RefusedError is OpenMetadata refusing the configuration; nothing was saved.
type RefusedError struct{ Errors []FieldError }

func (e *RefusedError) Error() string {
	var b strings.Builder
	b.WriteString("OpenMetadata refused the configuration; nothing was saved:")
	for _, fe := range e.Errors {
		field := fe.Field
		if field == "" {
			field = "(configuration)"
		}
		fmt.Fprintf(&b, "\n  %s: %s\n    what to do: %s", field, fe.Error, refusalHint(fe))
	}
	return b.String()
}

// omError is an OpenMetadata error answer: {"code":…,"message":…}.
type omError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *omError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
}

// sendJSON sends a request with a JSON body (when body is not nil) and an
// Authorization header (when auth is not empty), and returns the answer
// with its body read.
func sendJSON(ctx context.Context, hc *http.Client, method, u, auth string, body any) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp, raw, nil
}

// omClient calls OpenMetadata's REST API. It never follows a redirect: the
// login body carries the administrator's password, and Go's client would
// send it again to wherever a 307 points.
type omClient struct {
	base, token string
	hc          *http.Client
}

func (c *omClient) do(ctx context.Context, method, path string, body, out any) error {
	auth := ""
	if c.token != "" {
		auth = "Bearer " + c.token
	}
	resp, raw, err := sendJSON(ctx, c.hc, method, c.base+path, auth, body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return &omError{method, path, resp.StatusCode, "a redirect to " + resp.Header.Get("Location") +
			" (not followed: give --om-url the address OpenMetadata answers on)"}
	}
	if resp.StatusCode >= 400 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(raw))
		}
		return &omError{method, path, resp.StatusCode, e.Message}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: the answer is not JSON: %.200q", method, path, raw)
		}
	}
	return nil
}

// Apply makes a running OpenMetadata use Sesame through its own settings
// API, as its Settings → SSO screen does: sign in as an administrator, read
// the stored configuration, lay what setup wrote over it, have OpenMetadata
// validate it (POST /api/v1/system/security/validate — the screen's check
// before saving; PUT itself saves whatever it is given), save it (PUT
// /api/v1/system/security/config), and read back what OpenMetadata now
// serves. OpenMetadata 1.10 and later keep this configuration in their
// database once they have started, and ignore the environment from then on.
func Apply(ctx context.Context, o ApplyOptions) (*ApplyResult, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if err := checkURL("--om-url", o.OMURL); err != nil {
		return nil, err
	}
	o.OMURL = strings.TrimRight(o.OMURL, "/")
	if (o.Password == "") == (o.JWT == "") {
		return nil, errors.New("give an administrator's password or a JWT, not both and not neither")
	}
	ours, err := readSecurityFile(o.ConfigDir)
	if err != nil {
		return nil, err
	}
	if cb, _ := url.Parse(ours.Authentication.CallbackURL); cb != nil && !strings.EqualFold(cb.Scheme+"://"+cb.Host, originOf(o.OMURL)) {
		fmt.Fprintf(o.Out, "note: browsers reach OpenMetadata at %s://%s (setup's --om-url); apply talks to it at %s\n", cb.Scheme, cb.Host, o.OMURL)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	noFollow := *hc
	noFollow.CheckRedirect = noRedirects
	c := &omClient{base: o.OMURL, token: o.JWT, hc: &noFollow}

	if c.token == "" {
		if o.AdminEmail == "" {
			return nil, errors.New("--om-admin-email is required with a password")
		}
		if u, _ := url.Parse(o.OMURL); u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
			fmt.Fprintf(o.Out, "warning: %s is plain http: the password crosses the network unencrypted\n", o.OMURL)
		}
		if c.token, err = login(ctx, c, o.AdminEmail, o.Password); err != nil {
			return nil, err
		}
		fmt.Fprintf(o.Out, "signed in to OpenMetadata as %s\n", o.AdminEmail)
	}

	var current map[string]any
	if err := c.do(ctx, "GET", "/api/v1/system/security/config", nil, &current); err != nil {
		return nil, settingsAPIError(err)
	}
	res := &ApplyResult{ProviderBefore: str(current, "authenticationConfiguration.provider")}
	fmt.Fprintf(o.Out, "OpenMetadata uses provider %q now (GET /api/v1/system/security/config)\n", res.ProviderBefore)
	res.Sent = overlay(current, ours)

	var verdict struct {
		Status string       `json:"status"`
		Errors []FieldError `json:"errors"`
	}
	if err := c.do(ctx, "POST", "/api/v1/system/security/validate", res.Sent, &verdict); err != nil {
		return res, fmt.Errorf("OpenMetadata's validation could not run: %w", err)
	}
	if !strings.EqualFold(verdict.Status, "success") {
		if len(verdict.Errors) == 0 {
			verdict.Errors = []FieldError{{Error: "validation status " + verdict.Status}}
		}
		return res, &RefusedError{verdict.Errors}
	}
	fmt.Fprintln(o.Out, "OpenMetadata validated the configuration (POST /api/v1/system/security/validate)")
	if o.ValidateOnly {
		return res, nil
	}
	if err := c.do(ctx, "PUT", "/api/v1/system/security/config", res.Sent, nil); err != nil {
		return res, fmt.Errorf("OpenMetadata did not save the configuration: %w", err)
	}
	fmt.Fprintln(o.Out, "OpenMetadata saved it and reloaded its security (PUT /api/v1/system/security/config)")

	// The public endpoints the UI reads before anyone signs in: what a
	// browser gets from now on.
	public := &omClient{base: o.OMURL, hc: &noFollow}
	if err := public.do(ctx, "GET", "/api/v1/system/config/auth", nil, &res.Now); err != nil {
		return res, fmt.Errorf("read back: %w", err)
	}
	var authz map[string]any
	if err := public.do(ctx, "GET", "/api/v1/system/config/authorizer", nil, &authz); err == nil {
		res.PrincipalDomain = str(authz, "principalDomain")
	}
	want := ours.Authentication
	for _, f := range []struct{ key, want string }{{"provider", want.Provider}, {"authority", want.Authority},
		{"clientId", want.ClientID}, {"callbackUrl", want.CallbackURL}} {
		if got := str(res.Now, f.key); got != f.want {
			return res, fmt.Errorf("OpenMetadata saved the configuration but serves %s %q, not %q (GET /api/v1/system/config/auth): "+
				"another OpenMetadata replica may not have reloaded yet — restart it, then run apply again", f.key, got, f.want)
		}
	}
	return res, nil
}

func readSecurityFile(dir string) (SecurityConfig, error) {
	var sc SecurityConfig
	p := filepath.Join(dir, SecurityFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return sc, fmt.Errorf("%w (run sesame openmetadata setup first, with --out-dir %s)", err, dir)
	}
	if err := json.Unmarshal(b, &sc); err != nil || sc.Authentication.Authority == "" || sc.Authentication.ClientID == "" {
		return sc, fmt.Errorf("%s is not what setup writes: run setup again", p)
	}
	return sc, nil
}

// login is OpenMetadata's basic-auth sign-in: POST /api/v1/users/login with
// the email and the password base64-encoded (UserResource decodes it).
func login(ctx context.Context, c *omClient, email, password string) (string, error) {
	var jr struct {
		AccessToken string `json:"accessToken"`
	}
	err := c.do(ctx, "POST", "/api/v1/users/login",
		map[string]string{"email": email, "password": base64.StdEncoding.EncodeToString([]byte(password))}, &jr)
	var oe *omError
	switch {
	case errors.As(err, &oe) && oe.Status == http.StatusForbidden:
		return "", fmt.Errorf("OpenMetadata refused the password sign-in: %q — it no longer uses basic authentication. "+
			"Sign in to OpenMetadata as an administrator through its single sign-on, create a personal access token "+
			"(your profile → Access Token) and pass it with --om-jwt-file", oe.Message)
	case errors.As(err, &oe):
		return "", fmt.Errorf("OpenMetadata refused the sign-in of %s: %d %q (the administrator of a fresh OpenMetadata is admin@open-metadata.org)", email, oe.Status, oe.Message)
	case err != nil:
		return "", fmt.Errorf("sign in to OpenMetadata: %w", err)
	case jr.AccessToken == "":
		return "", errors.New("OpenMetadata's sign-in answered without an accessToken")
	}
	return jr.AccessToken, nil
}

func settingsAPIError(err error) error {
	var oe *omError
	if errors.As(err, &oe) {
		switch oe.Status {
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			return fmt.Errorf("%w: this OpenMetadata has no security settings API (it came with 1.10). It reads its authentication "+
				"configuration from its environment: use the files setup wrote (docker-compose.sesame.yml, openmetadata-security.yaml or "+
				"values-sesame.yaml) and restart it", err)
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%w: the token is not an OpenMetadata administrator's", err)
		}
	}
	return fmt.Errorf("read OpenMetadata's security configuration: %w", err)
}

// overlay lays Sesame's configuration over OpenMetadata's stored one. Members
// Sesame does not set stay as they are, except the provider-specific blocks:
// a public client has no oidcConfiguration (OpenMetadata runs its
// confidential-client checks on any it finds, and its docker-compose fills
// one with defaults on first start), and LDAP and SAML blocks belong to
// other providers.
func overlay(current map[string]any, ours SecurityConfig) map[string]any {
	merged := map[string]any{}
	for part, v := range map[string]any{"authenticationConfiguration": ours.Authentication, "authorizerConfiguration": ours.Authorizer} {
		m := map[string]any{}
		if cur, ok := current[part].(map[string]any); ok {
			for k, x := range cur {
				m[k] = x
			}
		}
		b, _ := json.Marshal(v)
		var o map[string]any
		json.Unmarshal(b, &o)
		for k, x := range o {
			m[k] = x
		}
		merged[part] = m
	}
	auth := merged["authenticationConfiguration"].(map[string]any)
	for _, k := range []string{"oidcConfiguration", "ldapConfiguration", "samlConfiguration"} {
		delete(auth, k)
	}
	return merged
}

// refusalHint says what to do about one of OpenMetadata's refusals.
func refusalHint(fe FieldError) string {
	msg := fe.Error
	switch {
	case strings.Contains(msg, "Invalid or unsafe URL"):
		u := unsafeURL(msg)
		if host := hostOf(u); net.ParseIP(host) != nil {
			return fmt.Sprintf("OpenMetadata refuses a URL written as a private or loopback IP address (%s), whatever its settings. "+
				"Give Sesame (--org-url) and OpenMetadata (--om-url) host names instead, run setup again, then apply.", host)
		}
		return fmt.Sprintf("OpenMetadata refuses URLs whose host resolves to a loopback or private address (%s), a guard against "+
			"server-side request forgery. Start the OpenMetadata server with OPENMETADATA_ALLOW_INTERNAL_URL_TARGETS=true "+
			"(setup writes it into docker-compose.sesame.yml and values-sesame.yaml when it sees such an address), or give "+
			"Sesame a name that resolves to a public address.", hostOf(u))
	case strings.Contains(msg, "discovery"):
		return "OpenMetadata could not read {authority}/.well-known/openid-configuration from its own server. Check that the " +
			"OpenMetadata container reaches Sesame at that URL (docs/openmetadata.md, Troubleshooting), then run " +
			"sesame openmetadata check, which runs the same steps from outside."
	case strings.Contains(msg, "public key URL") || strings.Contains(msg, "JWKS"):
		return "Every publicKeyUrls entry must answer OpenMetadata's server with a non-empty key set, and the first must be " +
			"{authority}/v1/keys exactly. Check that OpenMetadata reaches each URL; do not rewrite the first one."
	case strings.Contains(msg, "Client ID") || strings.Contains(msg, "introspection"):
		return "OpenMetadata asked Sesame's introspection endpoint about this client id and did not get 200 with \"active\": " +
			"the app may have been deleted or deactivated. Run sesame openmetadata setup again."
	case strings.HasPrefix(fe.Field, "authorizerConfiguration"):
		return "Give setup the administrators with --admin-email (their OpenMetadata usernames are the part before @) and run it again."
	}
	return "Fix what OpenMetadata names, run setup again, then apply. sesame openmetadata check runs OpenMetadata's " +
		"validation from outside and says which step fails."
}

// unsafeURL finds the URL in OpenMetadata's "Invalid or unsafe URL: <url>".
func unsafeURL(msg string) string {
	_, rest, _ := strings.Cut(msg, "Invalid or unsafe URL: ")
	if i := strings.IndexAny(rest, " ;"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Hostname()
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
