package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

func TestServiceAppFlow(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ctx := context.Background()
		clientID, key, kid := ts.serviceApp(t, "ingestion-bot")

		// Without a grant the org server refuses okta scopes.
		orgToken := tokenclient.TokenURL(ts.URL, "org")
		_, err := tokenclient.ClientCredentials(ctx, ts.HTTP, orgToken, ts.assertion(t, clientID, key, kid, orgToken), "okta.clients.read")
		expectOAuthError(t, err, 400, "consent_required", "You are not allowed any of the requested scopes.")

		// The guide's step 4: grant okta.clients.read.
		g := ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+clientID+"/grants", map[string]string{"scopeId": "okta.clients.read", "issuer": ts.URL})
		if g.status != http.StatusCreated {
			t.Fatalf("grant: %d %s", g.status, g.body)
		}
		if gm := g.json(t); gm["scopeId"] != "okta.clients.read" || gm["issuer"] != ts.URL || gm["clientId"] != clientID {
			t.Fatalf("grant object: %s", g.body)
		}

		tok, err := tokenclient.ClientCredentials(ctx, ts.HTTP, orgToken, ts.assertion(t, clientID, key, kid, orgToken), "okta.clients.read")
		if err != nil {
			t.Fatal(err)
		}
		if tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 || tok.Scope != "okta.clients.read" {
			t.Fatalf("org token response %+v", tok)
		}
		claims := decodeClaims(t, tok.AccessToken)
		if claims["iss"] != ts.URL || claims["aud"] != ts.URL || claims["sub"] != clientID || claims["cid"] != clientID {
			t.Fatalf("org token claims %v", claims)
		}
		// The org token reads the clients, and only reads them.
		list := ts.do(t, http.MethodGet, "/oauth2/v1/clients", "Bearer "+tok.AccessToken, "", nil)
		if list.status != 200 || !bytes.Contains(list.body, []byte(clientID)) {
			t.Fatalf("list clients with org token: %d %s", list.status, list.body)
		}
		write := ts.do(t, http.MethodPost, "/oauth2/v1/clients", "Bearer "+tok.AccessToken, "application/json", []byte(`{"client_name":"x"}`))
		if write.status != 403 || write.json(t)["errorCode"] != "E0000006" || !strings.Contains(write.header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
			t.Fatalf("write with read scope: %d %s %v", write.status, write.body, write.header)
		}
		// A custom-server token is not a management credential.
		defToken := tokenclient.TokenURL(ts.URL, "default")
		dtok, err := tokenclient.ClientCredentials(ctx, ts.HTTP, defToken, ts.assertion(t, clientID, key, kid, defToken), "")
		expectOAuthError(t, err, 400, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided.")

		// With a scope the default server issues a token a resource server
		// verifies through discovery and the JWKS (go-oidc).
		dtok, err = tokenclient.ClientCredentials(ctx, ts.HTTP, defToken, ts.assertion(t, clientID, key, kid, defToken), "profile")
		expectOAuthError(t, err, 400, "invalid_scope", "Cannot request 'openid' scopes using client credentials.")
		ts.createScope(t, "default", "ingest:metadata", true)
		dtok, err = tokenclient.ClientCredentials(ctx, ts.HTTP, defToken, ts.assertion(t, clientID, key, kid, defToken), "")
		if err != nil {
			t.Fatal(err)
		}
		if dtok.Scope != "ingest:metadata" {
			t.Fatalf("default scopes not applied: %+v", dtok)
		}
		if r := ts.do(t, http.MethodGet, "/oauth2/v1/clients", "Bearer "+dtok.AccessToken, "", nil); r.status != 401 || r.json(t)["errorCode"] != "E0000011" {
			t.Fatalf("custom-server token accepted by the management API: %d %s", r.status, r.body)
		}
		provider, err := oidc.NewProvider(oidc.ClientContext(ctx, ts.HTTP), ts.URL+"/oauth2/default")
		if err != nil {
			t.Fatal(err)
		}
		verifier := provider.Verifier(&oidc.Config{SkipClientIDCheck: true})
		idt, err := verifier.Verify(oidc.ClientContext(ctx, ts.HTTP), dtok.AccessToken)
		if err != nil {
			t.Fatalf("go-oidc refused the access token: %v", err)
		}
		var at struct {
			Ver int      `json:"ver"`
			JTI string   `json:"jti"`
			Aud string   `json:"aud"`
			Cid string   `json:"cid"`
			Scp []string `json:"scp"`
		}
		if err := idt.Claims(&at); err != nil {
			t.Fatal(err)
		}
		if idt.Subject != clientID || at.Aud != "api://default" || at.Cid != clientID || at.Ver != 1 || !strings.HasPrefix(at.JTI, "AT.") || len(at.Scp) != 1 {
			t.Fatalf("access token claims %+v sub=%s", at, idt.Subject)
		}

		// OpenMetadata's legacy ingestion: everything in the query string,
		// an empty body, no kid, no client_id.
		omAssertion := ts.assertion(t, clientID, key, "", defToken)
		q := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {omAssertion}}
		om := ts.do(t, http.MethodPost, "/oauth2/default/v1/token?"+q.Encode(), "", "application/x-www-form-urlencoded", nil)
		if om.status != 200 || om.json(t)["access_token"] == nil || om.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("query-string token request: %d %s", om.status, om.body)
		}

		// Introspection and revocation by the client itself.
		introspect := func(tok string) map[string]any {
			a := ts.form(t, "/oauth2/default/v1/introspect", "", url.Values{
				"token": {tok}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
				"client_assertion": {ts.assertion(t, clientID, key, kid, ts.URL+"/oauth2/default/v1/introspect")}})
			if a.status != 200 {
				t.Fatalf("introspect: %d %s", a.status, a.body)
			}
			return a.json(t)
		}
		if in := introspect(dtok.AccessToken); in["active"] != true || in["client_id"] != clientID || in["scope"] != "ingest:metadata" || in["token_type"] != "Bearer" {
			t.Fatalf("introspection %v", in)
		}
		if in := introspect("not-a-token"); len(in) != 1 || in["active"] != false {
			t.Fatalf("introspection of junk %v", in)
		}
		// A token of another server is not active here.
		if in := introspect(tok.AccessToken); in["active"] != false {
			t.Fatalf("org token active at the default server: %v", in)
		}
		rv := ts.form(t, "/oauth2/default/v1/revoke", "", url.Values{
			"token": {dtok.AccessToken}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion": {ts.assertion(t, clientID, key, kid, ts.URL+"/oauth2/default/v1/revoke")}})
		if rv.status != 200 || len(rv.body) != 0 {
			t.Fatalf("revoke: %d %q", rv.status, rv.body)
		}
		if in := introspect(dtok.AccessToken); in["active"] != false {
			t.Fatalf("revoked token still active: %v", in)
		}

		// Deactivating the app ends its tokens and its authentication.
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/apps/"+clientID+"/lifecycle/deactivate", nil); a.status != 200 || string(bytes.TrimSpace(a.body)) != "{}" {
			t.Fatalf("deactivate: %d %s", a.status, a.body)
		}
		if r := ts.do(t, http.MethodGet, "/oauth2/v1/clients", "Bearer "+tok.AccessToken, "", nil); r.status != 401 {
			t.Fatalf("token of a deactivated app still works: %d", r.status)
		}
		_, err = tokenclient.ClientCredentials(ctx, ts.HTTP, defToken, ts.assertion(t, clientID, key, kid, defToken), "")
		expectOAuthError(t, err, 401, "invalid_client", "The issuer claim for client_assertion is not a valid client_id.")
	})
}

// TestClientAssertionFailures is every way a client assertion is refused,
// each with Okta's status, error and description.
func TestClientAssertionFailures(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		clientID, key, kid := ts.serviceApp(t, "bot")
		tokenURL := tokenclient.TokenURL(ts.URL, "default")
		ts.createScope(t, "default", "bot:read", true)
		otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		rsaPub := &key.(*rsa.PrivateKey).PublicKey
		now := time.Now()

		sign := func(alg jose.SignatureAlgorithm, k any, hdrKID string, claims map[string]any) string {
			opts := &jose.SignerOptions{}
			if hdrKID != "" {
				opts = opts.WithHeader("kid", hdrKID)
			}
			s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: k}, opts)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(claims)
			o, err := s.Sign(b)
			if err != nil {
				t.Fatal(err)
			}
			c, err := o.CompactSerialize()
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		claims := func(edit func(map[string]any)) map[string]any {
			c := map[string]any{"iss": clientID, "sub": clientID, "aud": tokenURL, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
				"jti": strings.Repeat("j", 8) + time.Now().Format("150405.000000000")}
			if edit != nil {
				edit(c)
			}
			return c
		}
		replayed := sign(jose.RS256, key, kid, claims(nil))
		if _, err := tokenclient.ClientCredentials(context.Background(), ts.HTTP, tokenURL, replayed, ""); err != nil {
			t.Fatalf("first use of the assertion refused: %v", err)
		}
		noneTok := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." +
			base64.RawURLEncoding.EncodeToString(mustJSON(claims(nil))) + "."
		hsWithPublic := sign(jose.HS256, rsaPub.N.Bytes(), kid, claims(nil))

		cases := []struct {
			name      string
			assertion string
			status    int
			code      string
			desc      string
		}{
			{"wrong aud", sign(jose.RS256, key, kid, claims(func(c map[string]any) { c["aud"] = ts.URL + "/oauth2/v1/token" })), 401, "invalid_client", "The audience claim for client_assertion must be the endpoint invoked for the request."},
			{"expired", sign(jose.RS256, key, kid, claims(func(c map[string]any) { c["exp"] = now.Add(-10 * time.Minute).Unix() })), 401, "invalid_client", "The client_assertion token is expired."},
			{"far future", sign(jose.RS256, key, kid, claims(func(c map[string]any) { c["exp"] = now.Add(3 * time.Hour).Unix() })), 401, "invalid_client", "The client_assertion token has an expiration too far into the future."},
			{"no exp", sign(jose.RS256, key, kid, claims(func(c map[string]any) { delete(c, "exp") })), 401, "invalid_client", "The client_assertion must contain the 'exp' claim as seconds since epoch."},
			{"iat in future", sign(jose.RS256, key, kid, claims(func(c map[string]any) { c["iat"] = now.Add(30 * time.Minute).Unix() })), 401, "invalid_client", "The client_assertion token must be issued before the current time."},
			{"replayed jti", replayed, 401, "invalid_client", "The client_assertion token has already been used."},
			{"unknown kid", sign(jose.RS256, key, "no-such-kid", claims(nil)), 401, "invalid_client", "The client_assertion JWT kid is invalid."},
			{"wrong key", sign(jose.RS256, otherKey, kid, claims(nil)), 401, "invalid_client", "The client_assertion signature is invalid."},
			{"wrong key, no kid", sign(jose.RS256, otherKey, "", claims(nil)), 401, "invalid_client", "The client_assertion signature is invalid."},
			{"EC key for RSA client", sign(jose.ES256, ecKey, "", claims(nil)), 401, "invalid_client", "The client_assertion JWT signature algorithm is invalid."},
			{"alg none", noneTok, 401, "invalid_client", "The client_assertion JWT signature algorithm is invalid."},
			{"HS256 keyed with the public key", hsWithPublic, 401, "invalid_client", "The client_assertion JWT signature algorithm is invalid."},
			{"missing iss", sign(jose.RS256, key, kid, claims(func(c map[string]any) { delete(c, "iss") })), 401, "invalid_client", "The issuer claim for client_assertion is not a valid client_id."},
			{"wrong sub", sign(jose.RS256, key, kid, claims(func(c map[string]any) { c["sub"] = "someone-else" })), 401, "invalid_client", "The subject claim for client_assertion is not a valid client_id."},
			{"not a JWT", "abc.def", 401, "invalid_client", "The parsing of the client_assertion failed."},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := tokenclient.ClientCredentials(context.Background(), ts.HTTP, tokenURL, c.assertion, "")
				expectOAuthError(t, err, c.status, c.code, c.desc)
			})
		}
	})
}

// TestSecretClientOnCustomServer is a confidential web app using its
// client secret (Basic and post) for client_credentials, through
// golang.org/x/oauth2.
func TestSecretClientOnCustomServer(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		ts.createScope(t, "default", "reports:read", false)
		a := ts.mgmt(t, http.MethodPost, "/api/v1/apps", map[string]any{
			"name": "oidc_client", "label": "Reports", "signOnMode": "OPENID_CONNECT",
			"credentials": map[string]any{"oauthClient": map[string]any{"token_endpoint_auth_method": "client_secret_basic"}},
			"settings": map[string]any{"oauthClient": map[string]any{"application_type": "web",
				"redirect_uris": []string{"https://reports.example.com/callback"}, "response_types": []string{"code"},
				"grant_types": []string{"authorization_code", "client_credentials"}}},
		})
		if a.status != 200 {
			t.Fatalf("create app: %d %s", a.status, a.body)
		}
		m := a.json(t)
		oc := m["credentials"].(map[string]any)["oauthClient"].(map[string]any)
		clientID, secret := oc["client_id"].(string), oc["client_secret"].(string)
		if secret == "" {
			t.Fatal("no client_secret on create")
		}
		if got := ts.mgmt(t, http.MethodGet, "/api/v1/apps/"+m["id"].(string), nil); bytes.Contains(got.body, []byte(secret)) || bytes.Contains(got.body, []byte(`"client_secret":`)) {
			t.Fatalf("GET shows the secret: %s", got.body)
		}

		ctx := oidc.ClientContext(context.Background(), ts.HTTP)
		cc := clientcredentials.Config{ClientID: clientID, ClientSecret: secret, TokenURL: ts.URL + "/oauth2/default/v1/token",
			Scopes: []string{"reports:read"}, AuthStyle: 2 /* oauth2.AuthStyleInHeader */}
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("client_secret_basic: %v", err)
		}
		if c := decodeClaims(t, tok.AccessToken); c["cid"] != clientID || c["aud"] != "api://default" {
			t.Fatalf("claims %v", c)
		}
		// client_secret_post is a different method from the one registered.
		cc.AuthStyle = 1 // oauth2.AuthStyleInParams
		if _, err := cc.Token(ctx); err == nil || !strings.Contains(err.Error(), "invalid_client") {
			t.Fatalf("client_secret_post accepted for a client_secret_basic app: %v", err)
		}
		cc.AuthStyle, cc.ClientSecret = 2, secret+"x"
		if _, err := cc.Token(ctx); err == nil || !strings.Contains(err.Error(), "The client secret supplied for a confidential client is invalid.") {
			t.Fatalf("wrong secret: %v", err)
		}

		// Secrets never travel in the query string.
		q := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}, "scope": {"reports:read"}}
		r := ts.do(t, http.MethodPost, "/oauth2/default/v1/token?"+q.Encode(), "", "application/x-www-form-urlencoded", nil)
		if m := r.json(t); r.status != 400 || m["error"] != "invalid_request" || m["error_description"] != "Client credentials cannot be supplied via query parameters." {
			t.Fatalf("secret in query: %d %s", r.status, r.body)
		}
		// Two mechanisms at once.
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(clientID+":"+secret))
		r = ts.form(t, "/oauth2/default/v1/token", basic, url.Values{"grant_type": {"client_credentials"}, "client_secret": {secret}, "client_id": {clientID}})
		if m := r.json(t); r.status != 401 || m["error"] != "invalid_request" {
			t.Fatalf("multiple credentials: %d %s", r.status, r.body)
		}
		// The org server is only for service apps with private_key_jwt.
		r = ts.form(t, "/oauth2/v1/token", basic, url.Values{"grant_type": {"client_credentials"}, "scope": {"okta.users.read"}})
		if m := r.json(t); r.status != 401 || m["error_description"] != "Only clients with 'application_type' of 'service' may use the client_credentials 'grant_type' with the Org Authorization Server." {
			t.Fatalf("web app at the org server: %d %s", r.status, r.body)
		}
		// A grant the app does not have.
		r = ts.form(t, "/oauth2/default/v1/token", basic, url.Values{"grant_type": {"password"}, "username": {"a"}, "password": {"b"}})
		if m := r.json(t); r.status != 400 || m["error"] != "unauthorized_client" {
			t.Fatalf("password grant: %d %s", r.status, r.body)
		}
		r = ts.form(t, "/oauth2/default/v1/token", basic, url.Values{"grant_type": {"urn:example:nonsense"}})
		if m := r.json(t); r.status != 400 || m["error"] != "unsupported_grant_type" {
			t.Fatalf("unknown grant: %d %s", r.status, r.body)
		}
		r = ts.form(t, "/oauth2/default/v1/token", basic, url.Values{})
		if m := r.json(t); r.status != 400 || m["error"] != "invalid_request" || !strings.HasPrefix(m["error_description"].(string), "The token request must specify a 'grant_type'.") {
			t.Fatalf("no grant: %d %s", r.status, r.body)
		}
		// Introspection with Basic; a public-style Basic without secret is
		// refused for a confidential client.
		r = ts.form(t, "/oauth2/default/v1/introspect", basic, url.Values{"token": {tok.AccessToken}})
		if r.status != 200 || r.json(t)["active"] != true {
			t.Fatalf("introspect: %d %s", r.status, r.body)
		}
		r = ts.form(t, "/oauth2/default/v1/introspect", "Basic "+base64.StdEncoding.EncodeToString([]byte(clientID)), url.Values{"token": {tok.AccessToken}})
		if r.status != 401 || r.json(t)["error"] != "invalid_client" {
			t.Fatalf("introspect without secret: %d %s", r.status, r.body)
		}
		r = ts.form(t, "/oauth2/default/v1/introspect", basic, url.Values{})
		if m := r.json(t); r.status != 400 || m["error_description"] != "The 'token' parameter is required." {
			t.Fatalf("introspect without token: %d %s", r.status, r.body)
		}
	})
}

// TestTokenEventsInSystemLog: token grants, refusals and revocations are
// System Log events.
func TestTokenEventsInSystemLog(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		clientID, key, kid := ts.serviceApp(t, "audited")
		ts.createScope(t, "default", "audit:read", true)
		tokenURL := tokenclient.TokenURL(ts.URL, "default")
		ctx := context.Background()
		tok, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, ts.assertion(t, clientID, key, kid, tokenURL), "")
		if err != nil {
			t.Fatal(err)
		}
		// Two refusals, for the failure events below.
		if _, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, ts.assertion(t, clientID, key, kid, ts.URL+"/elsewhere"), ""); err == nil {
			t.Fatal("an assertion for another audience was accepted")
		}
		if _, err := tokenclient.ClientCredentials(ctx, ts.HTTP, tokenURL, ts.assertion(t, clientID, key, kid, tokenURL), "nope:scope"); err == nil {
			t.Fatal("an unknown scope was granted")
		}
		ts.form(t, "/oauth2/default/v1/revoke", "", url.Values{"token": {tok.AccessToken},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {ts.assertion(t, clientID, key, kid, ts.URL+"/oauth2/default/v1/revoke")}})
		ts.App.Audit.Flush()
		events, err := ts.App.Store.Audit().List(ctx, store.AuditQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		jti := decodeClaims(t, tok.AccessToken)["jti"]
		want := map[string]bool{"app.oauth2.as.token.grant.access_token": false, "app.oauth2.invalid_client_credentials": false,
			"app.oauth2.as.token.grant": false, "app.oauth2.as.token.revoke": false}
		for _, e := range events {
			var ev map[string]any
			if err := json.Unmarshal(e.Data, &ev); err != nil {
				t.Fatal(err)
			}
			if _, ok := want[e.EventType]; !ok {
				continue
			}
			want[e.EventType] = true
			actor := ev["actor"].(map[string]any)
			if actor["id"] != clientID {
				t.Errorf("%s: actor %v", e.EventType, actor)
			}
			outcome := ev["outcome"].(map[string]any)
			switch e.EventType {
			case "app.oauth2.as.token.grant.access_token", "app.oauth2.as.token.revoke":
				if outcome["result"] != "SUCCESS" || ev["target"].([]any)[0].(map[string]any)["id"] != jti {
					t.Errorf("%s: %s", e.EventType, e.Data)
				}
			default:
				if outcome["result"] != "FAILURE" || outcome["reason"] == nil || e.Severity != "WARN" {
					t.Errorf("%s: %s", e.EventType, e.Data)
				}
			}
			if bytes.Contains(e.Data, []byte(tok.AccessToken)) {
				t.Errorf("%s carries the token itself", e.EventType)
			}
		}
		for typ, seen := range want {
			if !seen {
				t.Errorf("no %s event", typ)
			}
		}
	})
}
