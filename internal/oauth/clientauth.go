package oauth

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/store"
)

const assertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Auth methods (credentials.oauthClient.token_endpoint_auth_method).
const (
	methodBasic     = "client_secret_basic"
	methodPost      = "client_secret_post"
	methodSecretJWT = "client_secret_jwt"
	methodKeyJWT    = "private_key_jwt"
	methodNone      = "none"
)

// clientCredentials is everything a request offers to identify its client.
type clientCredentials struct {
	// Authorization header.
	authorization string
	// Form or query members.
	clientID, clientSecret         string
	assertion, assertionType       string
	hasSecret, hasAssertion        bool
	secretInQuery, assertionInBody bool
}

func credentialsFrom(authorization string, p params) clientCredentials {
	return clientCredentials{
		authorization: authorization,
		clientID:      p.get("client_id"),
		clientSecret:  p.get("client_secret"),
		hasSecret:     p.has("client_secret"),
		secretInQuery: p.inQuery["client_secret"],
		assertion:     p.get("client_assertion"),
		assertionType: p.get("client_assertion_type"),
		hasAssertion:  p.has("client_assertion") || p.has("client_assertion_type"),
	}
}

// authenticatedClient is the outcome of client authentication.
type authenticatedClient struct {
	app    *cache.App
	method string
}

// authenticateClient implements §2.3. endpoint is the absolute URL of the
// endpoint invoked, which a client assertion's aud must name.
func (s *Server) authenticateClient(ctx context.Context, snap *cache.Snapshot, c clientCredentials, endpoint string, now time.Time) (*authenticatedClient, *Error) {
	if c.secretInQuery {
		return nil, errCredentialsInQuery
	}
	basic := c.authorization != ""
	n := 0
	for _, used := range []bool{basic, c.hasSecret, c.hasAssertion} {
		if used {
			n++
		}
	}
	if n > 1 {
		return nil, errMultipleCredentials
	}

	switch {
	case c.hasAssertion:
		if c.assertionType != assertionTypeJWTBearer {
			return nil, errAssertionType
		}
		app, method, err := s.verifyAssertion(ctx, snap, c.clientID, c.assertion, endpoint, now)
		if err != nil {
			return nil, err
		}
		return &authenticatedClient{app: app, method: method}, nil

	case basic:
		id, sec, hasSecret, ok := parseBasic(c.authorization)
		if !ok {
			return nil, errInvalidBasicAuth
		}
		if c.clientID != "" && c.clientID != id {
			return nil, errInvalidClient
		}
		if !hasSecret {
			// okta-auth-js authenticates public clients at /revoke and
			// /introspect with Basic base64(client_id): no colon, no secret.
			return publicClient(snap, id)
		}
		return secretClient(snap, id, sec, methodBasic)

	case c.hasSecret:
		if c.clientID == "" {
			return nil, errNoClientCredentials
		}
		return secretClient(snap, c.clientID, c.clientSecret, methodPost)

	case c.clientID != "":
		return publicClient(snap, c.clientID)
	}
	return nil, errNoClientCredentials
}

func publicClient(snap *cache.Snapshot, clientID string) (*authenticatedClient, *Error) {
	app := activeApp(snap, clientID)
	if app == nil {
		return nil, errInvalidClientID
	}
	if app.ClientAuthMethod() != methodNone {
		return nil, errInvalidClient
	}
	return &authenticatedClient{app: app, method: methodNone}, nil
}

func secretClient(snap *cache.Snapshot, clientID, sec, method string) (*authenticatedClient, *Error) {
	app := activeApp(snap, clientID)
	if app == nil {
		return nil, errInvalidClientID
	}
	if app.ClientAuthMethod() != method {
		return nil, errInvalidClient
	}
	// Any active secret authenticates: while one replaces the other, both
	// are valid.
	if !app.SecretMatches(sec) {
		return nil, errInvalidSecret
	}
	return &authenticatedClient{app: app, method: method}, nil
}

// activeApp returns the app if it exists and is active: a deactivated
// client can no longer authenticate.
func activeApp(snap *cache.Snapshot, clientID string) *cache.App {
	app := snap.AppByClientID(clientID)
	if app == nil || app.Status != store.StatusActive {
		return nil
	}
	return app
}

// parseBasic decodes "Basic base64(id[:secret])"; id and secret are
// form-urlencoded (RFC 6749 §2.3.1).
func parseBasic(h string) (id, sec string, hasSecret, ok bool) {
	scheme, val, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false, false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val))
	if err != nil {
		return "", "", false, false
	}
	rawID, rawSecret, hasSecret := strings.Cut(string(raw), ":")
	if id, err = url.QueryUnescape(rawID); err != nil || id == "" {
		return "", "", false, false
	}
	if sec, err = url.QueryUnescape(rawSecret); err != nil {
		return "", "", false, false
	}
	return id, sec, hasSecret, true
}

// claimedClientID is the client a failed request says it is, for the System
// Log: the client_id parameter, the Basic user, or the assertion's iss. It is
// not authenticated.
func claimedClientID(c clientCredentials) string {
	if c.clientID != "" {
		return c.clientID
	}
	if id, _, _, ok := parseBasic(c.authorization); ok {
		return id
	}
	if _, claims, err := parseAssertion(c.assertion); err == nil {
		return claims.Iss
	}
	return ""
}
