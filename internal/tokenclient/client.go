// Package tokenclient gets access tokens from an Okta-compatible token
// endpoint by client_credentials with a private_key_jwt assertion: what the
// CLI, the benchmark and OpenMetadata's ingestion bot do.
package tokenclient

import (
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
)

// TokenURL is the token endpoint of an authorization server: "org" (or "")
// for the org server, else the custom server's id.
func TokenURL(orgURL, authServer string) string {
	orgURL = strings.TrimRight(orgURL, "/")
	if authServer == "" || authServer == "org" {
		return orgURL + "/oauth2/v1/token"
	}
	return orgURL + "/oauth2/" + url.PathEscape(authServer) + "/v1/token"
}

// Assertion is a client assertion to sign.
type Assertion struct {
	ClientID string
	Audience string // the token URL
	KID      string // optional
	Key      crypto.Signer
	Lifetime time.Duration
}

// Sign returns the compact JWT: iss = sub = client id, aud, iat, exp, jti.
func (a Assertion) Sign(now time.Time) (string, error) {
	alg := jose.SignatureAlgorithm(keys.DefaultAlg(a.Key))
	opts := &jose.SignerOptions{}
	if a.KID != "" {
		opts = opts.WithHeader("kid", a.KID)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: a.Key}, opts.WithType("JWT"))
	if err != nil {
		return "", err
	}
	life := a.Lifetime
	if life == 0 {
		life = 5 * time.Minute
	}
	claims, err := json.Marshal(map[string]any{
		"iss": a.ClientID, "sub": a.ClientID, "aud": a.Audience,
		"iat": now.Unix(), "exp": now.Add(life).Unix(), "jti": secret.RandomString(32),
	})
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(claims)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// Response is a token endpoint answer, success or error.
type Response struct {
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	AccessToken      string `json:"access_token"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	Status           int    `json:"-"`
}

// Error reports an OAuth error answer.
type Error struct{ Response *Response }

func (e *Error) Error() string {
	return fmt.Sprintf("token endpoint answered %d %s: %s", e.Response.Status, e.Response.Error, e.Response.ErrorDescription)
}

// ClientCredentials posts a client_credentials request with the assertion
// in the form body.
func ClientCredentials(ctx context.Context, hc *http.Client, tokenURL, assertion, scope string) (*Response, error) {
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}
	if scope != "" {
		form.Set("scope", scope)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	var r Response
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("token endpoint answered %d with a body that is not JSON", resp.StatusCode)
	}
	r.Status = resp.StatusCode
	if resp.StatusCode != http.StatusOK || r.AccessToken == "" {
		return nil, &Error{Response: &r}
	}
	return &r, nil
}
