package sesametest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// Issuer is the issuer of an authorization server: "org" for the org
// authorization server, "default" for the default one, or the name of a
// custom server (made by the org file). It panics for an unknown name.
func (s *Server) Issuer(name string) string {
	switch name {
	case "org":
		return s.URL
	case "default":
		return s.URL + "/oauth2/default"
	}
	var servers []struct{ Name, Issuer string }
	if err := s.call(http.MethodGet, "/api/v1/authorizationServers", nil, &servers); err != nil {
		panic("sesametest: " + err.Error())
	}
	for _, as := range servers {
		if as.Name == name {
			return as.Issuer
		}
	}
	panic(fmt.Sprintf("sesametest: no authorization server named %q", name))
}

// api calls the management API with the administrator's token.
func (s *Server) api(t testing.TB, method, path string, body, out any) {
	t.Helper()
	if err := s.call(method, path, body, out); err != nil {
		t.Fatalf("sesametest: %v", err)
	}
}

func (s *Server) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	req.Header.Set("Authorization", "SSWS "+s.APIToken())
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// sessionToken signs a person in with the Authentication API.
func (s *Server) sessionToken(t testing.TB, login, password string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"username": login, "password": password})
	resp, err := http.Post(s.URL+"/api/v1/authn", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("sesametest: sign in %s: %v", login, err)
	}
	defer resp.Body.Close()
	var out struct {
		Status       string `json:"status"`
		SessionToken string `json:"sessionToken"`
		Summary      string `json:"errorSummary"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if out.SessionToken == "" {
		t.Fatalf("sesametest: sign in %s: %d %s %s", login, resp.StatusCode, out.Status, out.Summary)
	}
	return out.SessionToken
}

// SignIn signs a person in as the hosted sign-in page does and returns a
// cookie jar holding the session: an http.Client with it is that person's
// browser (GET /api/v1/sessions/me, /authorize without a password).
func (s *Server) SignIn(t testing.TB, login, password string) http.CookieJar {
	t.Helper()
	tok := s.sessionToken(t, login, password)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(s.URL + "/login/sessionCookieRedirect?" + url.Values{"token": {tok}, "redirectUrl": {s.URL + "/"}}.Encode())
	if err != nil {
		t.Fatalf("sesametest: session cookie: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("sesametest: session cookie: %d", resp.StatusCode)
	}
	return jar
}

// ClientToken gets an access token with the client credentials grant for
// a client that authenticates with a secret.
func (s *Server) ClientToken(t testing.TB, issuer, clientID, clientSecret string, scopes ...string) *oauth2.Token {
	t.Helper()
	v := url.Values{"grant_type": {"client_credentials"}}
	if len(scopes) > 0 {
		v.Set("scope", strings.Join(scopes, " "))
	}
	return s.token(t, issuer, clientID, clientSecret, v)
}

// UserTokenRequest names the app and person of a UserToken.
type UserTokenRequest struct {
	Issuer       string // from Issuer
	ClientID     string
	ClientSecret string // empty for a public client (PKCE alone)
	RedirectURI  string // one of the app's; default its first
	Login        string
	Password     string
	Scopes       []string // default openid profile email
}

// UserToken gets tokens for a person with the authorization code flow and
// PKCE, as a browser would but without one: the person signs in with the
// Authentication API and /authorize redirects with the code at once. The
// app must allow authorization_code and be assigned to the person.
func (s *Server) UserToken(t testing.TB, r UserTokenRequest) *oauth2.Token {
	t.Helper()
	if len(r.Scopes) == 0 {
		r.Scopes = []string{"openid", "profile", "email"}
	}
	if r.RedirectURI == "" {
		var apps []struct {
			Credentials struct {
				OAuthClient struct {
					ClientID string `json:"client_id"`
				} `json:"oauthClient"`
			} `json:"credentials"`
			Settings struct {
				OAuthClient struct {
					RedirectURIs []string `json:"redirect_uris"`
				} `json:"oauthClient"`
			} `json:"settings"`
		}
		s.api(t, http.MethodGet, "/api/v1/apps?limit=200", nil, &apps)
		for _, a := range apps {
			if a.Credentials.OAuthClient.ClientID == r.ClientID && len(a.Settings.OAuthClient.RedirectURIs) > 0 {
				r.RedirectURI = a.Settings.OAuthClient.RedirectURIs[0]
			}
		}
	}
	verifier := randomString()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {r.ClientID}, "response_type": {"code"}, "scope": {strings.Join(r.Scopes, " ")},
		"redirect_uri": {r.RedirectURI}, "state": {randomString()}, "nonce": {randomString()},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"sessionToken": {s.sessionToken(t, r.Login, r.Password)}}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(strings.TrimSuffix(authBase(r.Issuer), "/") + "/v1/authorize?" + q.Encode())
	if err != nil {
		t.Fatalf("sesametest: authorize: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := ""
	if loc != nil {
		code = loc.Query().Get("code")
	}
	if resp.StatusCode != http.StatusFound || code == "" {
		t.Fatalf("sesametest: authorize for %s: %d %s %s", r.Login, resp.StatusCode, resp.Header.Get("Location"), firstLine(body))
	}
	return s.token(t, r.Issuer, r.ClientID, r.ClientSecret, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {r.RedirectURI}, "code_verifier": {verifier}})
}

// Refresh redeems a refresh token.
func (s *Server) Refresh(t testing.TB, issuer, clientID, clientSecret, refreshToken string) *oauth2.Token {
	t.Helper()
	return s.token(t, issuer, clientID, clientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// authBase is where an issuer's OAuth endpoints live: the org server's
// under /oauth2, a custom server's under its issuer.
func authBase(issuer string) string {
	if strings.Contains(issuer, "/oauth2/") {
		return issuer
	}
	return strings.TrimSuffix(issuer, "/") + "/oauth2"
}

func (s *Server) token(t testing.TB, issuer, clientID, clientSecret string, v url.Values) *oauth2.Token {
	t.Helper()
	tok, err := s.TryToken(context.Background(), issuer, clientID, clientSecret, v)
	if err != nil {
		t.Fatalf("sesametest: %v", err)
	}
	return tok
}

// TokenError is a refusal of the token endpoint.
type TokenError struct {
	Status      int
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func (e *TokenError) Error() string {
	return fmt.Sprintf("token endpoint: %d %s: %s", e.Status, e.Code, e.Description)
}

// TryToken posts a token request and returns the tokens, or a *TokenError
// for a refusal (an expired refresh token, a reused one).
func (s *Server) TryToken(ctx context.Context, issuer, clientID, clientSecret string, v url.Values) (*oauth2.Token, error) {
	if clientSecret == "" {
		v.Set("client_id", clientID)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, authBase(issuer)+"/v1/token", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if clientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e := &TokenError{Status: resp.StatusCode}
		json.Unmarshal(raw, e)
		return nil, e
	}
	var out struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	var extra map[string]any
	json.Unmarshal(raw, &extra)
	tok := &oauth2.Token{AccessToken: out.AccessToken, TokenType: out.TokenType, RefreshToken: out.RefreshToken,
		Expiry: s.Now().Add(time.Duration(out.ExpiresIn) * time.Second)}
	return tok.WithExtra(extra), nil
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func firstLine(b []byte) string {
	s := string(b)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
