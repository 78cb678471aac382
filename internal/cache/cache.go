// Package cache keeps the configuration that token requests need (apps,
// grants, authorization servers with their scopes, claims, policies and
// keys, trusted origins) in memory as one immutable snapshot, so that the
// hot paths never read it from the database. Every change bumps the store's config version; each
// replica is notified of it (PostgreSQL) or polls it (SQLite) and rebuilds
// its snapshot, and the replica that made the change rebuilds at once.
package cache

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/token"
)

// Snapshot is one consistent view of the configuration. It is never
// modified after it is built.
type Snapshot struct {
	Version int64
	Org     *store.Org
	// Servers holds the custom authorization servers by id, and the org
	// authorization server under store.OrgServerID.
	Servers map[string]*Server
	apps    map[string]*App // by client id
	// origins are the trusted origins in id order; allowed maps an active
	// origin to the scope types it is trusted for.
	origins []*store.TrustedOrigin
	allowed map[string]map[string]bool
	// redirectOrigins are the origins of active apps' sign-in redirect URIs,
	// from which Okta lets single-page apps call the token endpoint.
	redirectOrigins map[string]bool
	// compiled holds the claim expressions and group regexes, parsed once.
	compiled map[compiledKey]*compiled
}

// ClientKey is one public key of a client.
type ClientKey struct {
	KID string
	Alg string
	Use string
	Key crypto.PublicKey
}

// Server is an authorization server with its configuration and keys.
type Server struct {
	*store.AuthServer // nil for the org authorization server
	ID                string
	Scopes            []*store.Scope
	ScopesByName      map[string]*store.Scope
	Claims            []*store.Claim
	Policies          []*Policy
	// Active signs new tokens; Published are every key a verifier may meet.
	Active    *token.Key
	Published map[string]*rsa.PublicKey
	// JWKS is the encoded /v1/keys document, JWKSTag its entity tag
	// (quoted), so that a verifier revalidating its copy is answered 304.
	JWKS    []byte
	JWKSTag string
}

// Policy is an access policy with its rules in priority order.
type Policy struct {
	*store.Policy
	Rules []*store.PolicyRule
}

// IsOrg reports whether s is the org authorization server.
func (s *Server) IsOrg() bool { return s.ID == store.OrgServerID }

// Serving reports whether s exists and answers requests: the org server
// always does, a custom server while it is active. It may be called on nil.
func (s *Server) Serving() bool {
	return s != nil && (s.IsOrg() || s.Status == store.StatusActive)
}

// PublicKey finds a published key by kid.
func (s *Server) PublicKey(kid string) *rsa.PublicKey { return s.Published[kid] }

// AppByClientID returns the app with that client id, or nil.
func (s *Snapshot) AppByClientID(clientID string) *App { return s.apps[clientID] }

// Apps returns every app (order unspecified).
func (s *Snapshot) Apps() []*App {
	out := make([]*App, 0, len(s.apps))
	for _, a := range s.apps {
		out = append(out, a)
	}
	return out
}

// TrustedOrigins returns every trusted origin, active or not, in id order.
func (s *Snapshot) TrustedOrigins() []*store.TrustedOrigin { return s.origins }

// OriginAllowed reports whether an active trusted origin allows origin (as a
// browser sends it in the Origin header) for scopeType (CORS, REDIRECT,
// IFRAME_EMBED). Scheme and host compare case-insensitively, as URLs do.
func (s *Snapshot) OriginAllowed(origin, scopeType string) bool {
	return s.allowed[strings.ToLower(origin)][scopeType]
}

// IsRedirectOrigin reports whether origin is the origin of an active app's
// sign-in redirect URI.
func (s *Snapshot) IsRedirectOrigin(origin string) bool {
	return s.redirectOrigins[strings.ToLower(origin)]
}

// Cache holds the current snapshot and the revoked token ids.
type Cache struct {
	store  store.Store
	sealer *keys.Sealer
	log    *slog.Logger

	cur     atomic.Pointer[Snapshot]
	rebuild sync.Mutex

	// listening is whether change notifications are arriving.
	listening atomic.Bool

	revMu   sync.RWMutex
	revoked map[string]time.Time // jti → expiry
	// revokedFamilies is family key → when the family's last access
	// token expires.
	revokedFamilies map[string]time.Time
	revChecked      time.Time

	// now decides which keys have retired and which revocations expired;
	// the app's clock, so that a test that moves time sees both move.
	now func() time.Time
}

// New returns an empty cache; call Load before use.
func New(st store.Store, sealer *keys.Sealer, log *slog.Logger) *Cache {
	return &Cache{store: st, sealer: sealer, log: log, revoked: map[string]time.Time{}, revokedFamilies: map[string]time.Time{}, now: time.Now}
}

// SetClock replaces the clock; call it before Load.
func (c *Cache) SetClock(now func() time.Time) { c.now = now }

// Current returns the snapshot in force.
func (c *Cache) Current() *Snapshot { return c.cur.Load() }

// Load builds a snapshot from the store when the config version moved (or
// always, when force is set).
func (c *Cache) Load(ctx context.Context, force bool) error {
	c.rebuild.Lock()
	defer c.rebuild.Unlock()
	v, err := c.store.Config().Get(ctx)
	if err != nil {
		return fmt.Errorf("cache: read config version: %w", err)
	}
	if cur := c.cur.Load(); cur != nil && cur.Version == v && !force {
		return nil
	}
	snap, err := c.build(ctx, v)
	if err != nil {
		return err
	}
	c.cur.Store(snap)
	return nil
}

// Watch keeps the snapshot and the revocation list current until ctx ends.
// On a store that notifies (PostgreSQL) changes arrive as they commit —
// a new config version reloads the snapshot, a revoked id is recorded at
// once — and polling every `every` is only the fallback while the
// notification connection is down; each time it comes up, Watch catches
// up on what it may have missed. Elsewhere it polls.
func (c *Cache) Watch(ctx context.Context, every time.Duration) {
	listening := &c.listening
	if n, ok := c.store.(store.Notifier); ok {
		// Reloads run beside the listener, so that revocations behind a
		// config change are not held up by its reload; requests made while
		// one runs fold into the next.
		reload := make(chan struct{}, 1)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-reload:
					c.sync(ctx, false)
				}
			}
		}()
		go n.Listen(ctx, func(no store.Notice) {
			switch {
			case no.JTI != "":
				c.Revoke(no.JTI, no.ExpiresAt)
			case no.Version > 0:
				if cur := c.Current(); cur == nil || cur.Version < no.Version {
					select {
					case reload <- struct{}{}:
					default:
					}
				}
			}
		}, func(up bool) {
			if up {
				// Listening already: nothing committed from here on is
				// missed, so one catch-up covers the gap.
				c.sync(ctx, true)
			} else if ctx.Err() == nil {
				c.log.Warn("change notifications lost; polling until they are back")
			}
			listening.Store(up)
		})
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !listening.Load() {
				c.sync(ctx, true)
			}
		}
	}
}

// Listening reports whether change notifications are arriving (false on
// SQLite, which polls, and while the notification connection is down).
func (c *Cache) Listening() bool { return c.listening.Load() }

// sync reloads the snapshot if the config version moved and, with
// revocations, reads the ids revoked since the last sync.
func (c *Cache) sync(ctx context.Context, revocations bool) {
	if err := c.Load(ctx, false); err != nil && ctx.Err() == nil {
		c.log.Error("configuration reload failed", "err", err)
	}
	if !revocations {
		return
	}
	if err := c.SyncRevocations(ctx); err != nil && ctx.Err() == nil {
		c.log.Error("revocation sync failed", "err", err)
	}
}

func (c *Cache) build(ctx context.Context, version int64) (*Snapshot, error) {
	snap := &Snapshot{Version: version, Servers: map[string]*Server{}, allowed: map[string]map[string]bool{}, redirectOrigins: map[string]bool{}}
	org, err := c.store.Orgs().Get(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("cache: org: %w", err)
	}
	snap.Org = org

	apps, err := c.store.Apps().ListAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("cache: apps: %w", err)
	}
	grants, err := c.store.Apps().ListAllGrants(ctx)
	if err != nil {
		return nil, fmt.Errorf("cache: grants: %w", err)
	}
	byID := make(map[string]*App, len(apps))
	snap.apps = make(map[string]*App, len(apps))
	packed := make([]App, len(apps))
	p := newAppPacker(c.sealer, c.log)
	for i, a := range apps {
		ca := &packed[i]
		p.pack(ca, a)
		snap.apps[ca.ClientID] = ca
		byID[ca.ID] = ca
		if ca.Status == store.StatusActive {
			for _, ru := range ca.RedirectURIs {
				if u, err := url.Parse(ru); err == nil && u.Host != "" {
					snap.redirectOrigins[p.origin(ru, strings.ToLower(u.Scheme+"://"+u.Host))] = true
				}
			}
		}
	}
	for _, g := range grants {
		if a := byID[g.AppID]; a != nil && g.Status == store.StatusActive {
			p.grant(a, g.ScopeID)
		}
	}

	if snap.origins, err = c.store.TrustedOrigins().ListAll(ctx); err != nil {
		return nil, fmt.Errorf("cache: trusted origins: %w", err)
	}
	for _, o := range snap.origins {
		if o.Status != store.StatusActive {
			continue
		}
		types := map[string]bool{}
		for _, sc := range o.Scopes {
			types[sc.Type] = true
		}
		snap.allowed[strings.ToLower(o.Origin)] = types
	}

	servers, err := c.store.AuthServers().ListAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("cache: servers: %w", err)
	}
	snap.Servers[store.OrgServerID] = &Server{ID: store.OrgServerID, ScopesByName: map[string]*store.Scope{}}
	for _, s := range servers {
		srv := &Server{AuthServer: s, ID: s.ID, ScopesByName: map[string]*store.Scope{}}
		if srv.Scopes, err = c.store.AuthServers().ListScopes(ctx, s.ID); err != nil {
			return nil, fmt.Errorf("cache: scopes of %s: %w", s.ID, err)
		}
		for _, sc := range srv.Scopes {
			srv.ScopesByName[sc.Name] = sc
		}
		if srv.Claims, err = c.store.AuthServers().ListClaims(ctx, s.ID); err != nil {
			return nil, fmt.Errorf("cache: claims of %s: %w", s.ID, err)
		}
		pols, err := c.store.AuthServers().ListPolicies(ctx, s.ID)
		if err != nil {
			return nil, fmt.Errorf("cache: policies of %s: %w", s.ID, err)
		}
		for _, p := range pols {
			rules, err := c.store.AuthServers().ListRules(ctx, p.ID)
			if err != nil {
				return nil, fmt.Errorf("cache: rules of %s: %w", p.ID, err)
			}
			srv.Policies = append(srv.Policies, &Policy{Policy: p, Rules: rules})
		}
		snap.Servers[s.ID] = srv
	}

	snap.compileClaims()

	allKeys, err := c.store.Keys().ListAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("cache: keys: %w", err)
	}
	jwks := map[string][]json.RawMessage{}
	now := c.now()
	for _, k := range allKeys {
		srv := snap.Servers[k.ServerID]
		// A rotated-out key stays published until every token it signed
		// has expired (RetireAt), then no verifier may meet it.
		if srv == nil || (k.Status == store.KeyExpired && !k.RetireAt.IsZero() && !now.Before(k.RetireAt)) {
			continue
		}
		if srv.Published == nil {
			srv.Published = map[string]*rsa.PublicKey{}
		}
		pub, _, err := keys.ParseJWK(k.PublicJWK)
		if err != nil {
			return nil, fmt.Errorf("cache: key %s: %w", k.KID, err)
		}
		rpub, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("cache: key %s is not RSA", k.KID)
		}
		srv.Published[k.KID] = rpub
		jwks[k.ServerID] = append(jwks[k.ServerID], json.RawMessage(k.PublicJWK))
		if k.Status == store.KeyActive {
			signer, err := keys.OpenPrivateKey(c.sealer, k.PrivateSealed, k.KID)
			if err != nil {
				return nil, fmt.Errorf("cache: open key %s: %w", k.KID, err)
			}
			rk, ok := signer.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("cache: key %s is not RSA", k.KID)
			}
			srv.Active = &token.Key{KID: k.KID, Private: rk}
		}
	}
	for id, srv := range snap.Servers {
		srv.JWKS = keys.JWKS(jwks[id]...)
		sum := sha256.Sum256(srv.JWKS)
		srv.JWKSTag = `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	}
	return snap, nil
}

// clientKeys decodes an app's JWKS; a key that does not parse is skipped and
// logged (it was validated when saved, so this means a damaged record).
func clientKeys(a *store.App, log *slog.Logger) []ClientKey {
	jw := a.Settings.OAuthClient.JWKS
	if jw == nil {
		return nil
	}
	var out []ClientKey
	for _, k := range jw.Keys {
		if k.Status != "" && k.Status != store.StatusActive {
			continue
		}
		pub, info, err := keys.ParseJWK(k.JWK)
		if err != nil {
			log.Error("skipping unreadable client key", "app", a.ID, "err", err)
			continue
		}
		out = append(out, ClientKey{KID: info.KID, Alg: info.Alg, Use: info.Use, Key: pub})
	}
	return out
}

// Revoke records a revoked token id locally (the store write is the
// caller's); other replicas learn of it at their next sync.
// A family's record (store.FamilyRevocationID) revokes every access token
// whose id carries the family's key.
func (c *Cache) Revoke(jti string, exp time.Time) {
	c.revMu.Lock()
	c.revokeLocked(jti, exp)
	c.revMu.Unlock()
}

func (c *Cache) revokeLocked(jti string, exp time.Time) {
	if fam, ok := store.RevokedFamily(jti); ok {
		if key := token.FamilyKey(fam); key != "" {
			c.revokedFamilies[key] = exp
		}
		return
	}
	c.revoked[jti] = exp
}

// IsRevoked reports whether a token id was revoked, by itself or with its
// family.
func (c *Cache) IsRevoked(jti string) bool {
	c.revMu.RLock()
	_, ok := c.revoked[jti]
	if !ok && len(c.revokedFamilies) > 0 {
		if fam := token.FamilyKeyOf(jti); fam != "" {
			_, ok = c.revokedFamilies[fam]
		}
	}
	c.revMu.RUnlock()
	return ok
}

// SyncRevocations loads ids revoked since the last sync and forgets expired ones.
func (c *Cache) SyncRevocations(ctx context.Context) error {
	c.revMu.RLock()
	since := c.revChecked
	c.revMu.RUnlock()
	// Overlap by a few seconds: a revocation committed by another replica
	// with a slightly earlier clock must not be missed.
	from := since.Add(-5 * time.Second)
	if since.IsZero() {
		from = time.Time{}
	}
	started := time.Now()
	revs, err := c.store.Revocations().Since(ctx, from)
	if err != nil {
		return err
	}
	now := c.now()
	c.revMu.Lock()
	defer c.revMu.Unlock()
	for _, r := range revs {
		c.revokeLocked(r.JTI, r.ExpiresAt)
	}
	for jti, exp := range c.revoked {
		if exp.Before(now) {
			delete(c.revoked, jti)
		}
	}
	for fam, exp := range c.revokedFamilies {
		if exp.Before(now) {
			delete(c.revokedFamilies, fam)
		}
	}
	c.revChecked = started
	return nil
}
