package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// signinSetup is what the sign-in scenarios use: a person assigned to a
// single-page app with PKCE and rotating refresh tokens.
type signinSetup struct {
	orgURL, clientID, appID, login, password string
	verifier, challenge                      string
}

const benchRedirect = "https://bench.example.com/callback"

func prepareSignin(ctx context.Context, hc *http.Client, orgURL, apiToken string) (*signinSetup, error) {
	mgmt := mgmtClient(ctx, hc, orgURL, apiToken)
	s := &signinSetup{orgURL: orgURL, login: "bench.user." + strconv.FormatInt(time.Now().UnixNano(), 36) + "@example.com", password: "Bench-Password-42"}
	u, err := mgmt(http.MethodPost, "/api/v1/users?activate=true", map[string]any{
		"profile":     map[string]any{"login": s.login, "email": s.login, "firstName": "Bench", "lastName": "User"},
		"credentials": map[string]any{"password": map[string]any{"value": s.password}},
	})
	if err != nil {
		return nil, err
	}
	app, err := mgmt(http.MethodPost, "/api/v1/apps", map[string]any{
		"name": "oidc_client", "label": "bench SPA", "signOnMode": "OPENID_CONNECT",
		"credentials": map[string]any{"oauthClient": map[string]any{"token_endpoint_auth_method": "none", "pkce_required": true}},
		"settings": map[string]any{"oauthClient": map[string]any{"application_type": "browser", "redirect_uris": []string{benchRedirect},
			"response_types": []string{"code"}, "grant_types": []string{"authorization_code", "refresh_token"},
			"refresh_token": map[string]any{"rotation_type": "ROTATE", "leeway": 30}}},
	})
	if err != nil {
		return nil, err
	}
	s.clientID = app["credentials"].(map[string]any)["oauthClient"].(map[string]any)["client_id"].(string)
	s.appID = app["id"].(string)
	if _, err := mgmt(http.MethodPost, "/api/v1/apps/"+app["id"].(string)+"/users", map[string]any{"id": u["id"]}); err != nil {
		return nil, err
	}
	s.verifier = "bench-verifier-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-0123456789abcdefghijklmnopqrstuvwxyz"
	sum := sha256.Sum256([]byte(s.verifier))
	s.challenge = base64.RawURLEncoding.EncodeToString(sum[:])
	return s, nil
}

// codeSource is a signed-in browser asking for authorization codes with
// prompt=none, the way a browser's silent renewal does. Codes live 300 s.
type codeSource struct {
	s *signinSetup
	c *http.Client
	q url.Values
}

// newCodeSource signs the person in once (authn → sessionToken → a session
// cookie); every later authorize request rides on that session.
func newCodeSource(s *signinSetup, hc *http.Client, scope string) (*codeSource, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: hc.Transport, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Post(s.orgURL+"/api/v1/authn", "application/json",
		bytes.NewReader([]byte(`{"username":"`+s.login+`","password":"`+s.password+`"}`)))
	if err != nil {
		return nil, err
	}
	var authn struct {
		SessionToken string `json:"sessionToken"`
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if json.Unmarshal(raw, &authn) != nil || authn.SessionToken == "" {
		return nil, fmt.Errorf("authn: %d %s", resp.StatusCode, raw)
	}
	cs := &codeSource{s: s, c: c, q: url.Values{"client_id": {s.clientID}, "redirect_uri": {benchRedirect}, "response_type": {"code"},
		"scope": {scope}, "state": {"bench"}, "code_challenge": {s.challenge}, "code_challenge_method": {"S256"}, "prompt": {"none"}}}
	// The first request carries the session token and sets the cookie; its
	// code is left unused.
	first := url.Values{"sessionToken": {authn.SessionToken}}
	for k, v := range cs.q {
		first[k] = v
	}
	if _, err := cs.one(first); err != nil {
		return nil, err
	}
	return cs, nil
}

func (cs *codeSource) one(q url.Values) (string, error) {
	for attempt := 0; ; attempt++ {
		resp, err := cs.c.Get(cs.s.orgURL + "/oauth2/default/v1/authorize?" + q.Encode())
		if err != nil {
			return "", err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 50 {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || loc.Query().Get("code") == "" {
			return "", fmt.Errorf("authorize: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		return loc.Query().Get("code"), nil
	}
}

// codes asks for n codes, conc at a time.
func (cs *codeSource) codes(n, conc int) ([]string, error) {
	return parallel(n, conc, func(int) (string, error) { return cs.one(cs.q) })
}

// mintCodes asks for n codes for one freshly signed-in person. They must all
// be redeemed within 300 s of the first.
func mintCodes(s *signinSetup, hc *http.Client, scope string, n, conc int) ([]string, error) {
	start := time.Now()
	cs, err := newCodeSource(s, hc, scope)
	if err != nil {
		return nil, err
	}
	codes, err := cs.codes(n, conc)
	if took := time.Since(start); err == nil && took > 200*time.Second {
		return nil, fmt.Errorf("minting %d codes took %s and they live 300 s: the first would expire before their turn (shorten -duration)", n, took.Round(time.Second))
	}
	return codes, err
}

// parallel makes n items with conc workers; the first error stops it.
func parallel(n, conc int, make1 func(i int) (string, error)) ([]string, error) {
	out := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if int(i) >= n || firstErr.Load() != nil {
					return
				}
				v, err := make1(int(i))
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				out[i] = v
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *signinSetup) exchangeRequest(code string) *http.Request {
	return formRequest(s.orgURL+"/oauth2/default/v1/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {s.clientID},
		"code": {code}, "code_verifier": {s.verifier}, "redirect_uri": {benchRedirect}}, "")
}

// mintRefreshTokens redeems codes asked with offline_access. It asks for
// and redeems them in rounds, so that no code waits long: on a large org
// under load, minting every code first let the early ones expire before
// their turn came.
func mintRefreshTokens(s *signinSetup, hc *http.Client, n, conc int) ([]string, error) {
	cs, err := newCodeSource(s, hc, "openid offline_access")
	if err != nil {
		return nil, err
	}
	const round = 500
	out := make([]string, 0, n)
	for len(out) < n {
		codes, err := cs.codes(min(round, n-len(out)), conc)
		if err != nil {
			return nil, err
		}
		rts, err := parallel(len(codes), conc, func(i int) (string, error) {
			resp, err := hc.Do(s.exchangeRequest(codes[i]))
			if err != nil {
				return "", err
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var m struct {
				RefreshToken string `json:"refresh_token"`
			}
			if json.Unmarshal(raw, &m) != nil || m.RefreshToken == "" {
				return "", fmt.Errorf("exchange: %d %s", resp.StatusCode, raw)
			}
			return m.RefreshToken, nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, rts...)
	}
	return out, nil
}

// fromList hands out one prepared item per request and nil when they run out.
func fromList(items []string, mk func(string) *http.Request) func() *http.Request {
	var next atomic.Int64
	return func() *http.Request {
		i := next.Add(1) - 1
		if int(i) >= len(items) {
			return nil
		}
		return mk(items[i])
	}
}
