package oauth

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/policy"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/token"
)

// ruleLifetimes are the token lifetimes of the policy rule that allowed a
// grant, remembered with it so that refreshes keep them.
type ruleLifetimes struct {
	PolicyID       string `json:"policy,omitempty"`
	RuleID         string `json:"rule,omitempty"`
	AccessMinutes  int    `json:"access"`
	RefreshMinutes int    `json:"refresh"` // 0: unlimited
	WindowMinutes  int    `json:"window"`
}

// orgRule is the org server's fixed lifetimes: one-hour access tokens,
// refresh tokens without an absolute end and a seven-day idle window.
var orgRule = ruleLifetimes{AccessMinutes: 60, WindowMinutes: 10080}

// userGrant is everything needed to mint tokens for a user.
type userGrant struct {
	srv    *cache.Server
	snap   *cache.Snapshot
	origin string // the issuer's origin
	// reqOrigin is the origin the request came in under (the org URL or an
	// alias): a DYNAMIC app's ID tokens from the org server carry it.
	reqOrigin string
	app       *cache.App
	sub       *subject
	scopes    []string
	nonce     string
	authTime  time.Time
	amr       []string
	acr       string // the acr claim, when the request asked with acr_values
	sessionID string
	familyID  string
	rule      ruleLifetimes
	// refreshExpires is the absolute end a rotated refresh token inherits.
	refreshExpires time.Time

	accessLife time.Duration
}

// lifetimesOf is the lifetimes of the rule that allowed a grant.
func lifetimesOf(res *policy.Result) ruleLifetimes {
	return ruleLifetimes{PolicyID: res.PolicyID, RuleID: res.RuleID, AccessMinutes: res.AccessTokenLifetimeMinutes,
		RefreshMinutes: res.RefreshTokenLifetimeMinutes, WindowMinutes: res.RefreshTokenWindowMinutes}
}

func (g *userGrant) lifetimes() ruleLifetimes {
	if g.rule.AccessMinutes == 0 {
		return orgRule
	}
	return g.rule
}

// issueUserTokens mints an access token, an ID token (when asked and
// openid is granted) and a refresh token (when asked, offline_access is
// granted and the app may refresh), in the grant's family so that the
// family can be revoked as a whole.
func (s *Server) issueUserTokens(ctx context.Context, g *userGrant, access, id, refresh bool, code string, now time.Time) (*TokenResponse, *Error) {
	m, err := s.mintUserTokens(g, access, id, refresh, code, now)
	if err != nil {
		return nil, err
	}
	if serr := s.store.InTx(ctx, func(tx store.Store) error { return m.save(ctx, tx) }); serr != nil {
		return nil, serverError("storing issued tokens", serr)
	}
	return m.resp, nil
}

// minted is what a grant issued, with the records that must be stored
// before it is handed out. Tokens are signed before any write, so that a
// grant's writes go to the database in one short transaction instead of
// holding SQLite's single writer during signatures.
// The access token's id carries its family, so that nothing is stored per
// access token: a refresh token records the family, and a family without
// one is recorded once (family) for revoking its user's tokens.
type minted struct {
	resp    *TokenResponse
	family  *store.TokenFamily
	refresh *store.RefreshToken
}

func (m *minted) save(ctx context.Context, st store.Store) error {
	if m.refresh != nil {
		return st.RefreshTokens().Create(ctx, m.refresh)
	}
	if m.family != nil {
		return st.RefreshTokens().CreateFamily(ctx, m.family)
	}
	return nil
}

// mintUserTokens signs the tokens of a grant without storing anything.
func (s *Server) mintUserTokens(g *userGrant, access, id, refresh bool, code string, now time.Time) (*minted, *Error) {
	k := g.srv.Active
	if k == nil {
		return nil, serverError("authorization server "+g.srv.ID+" has no active signing key", nil)
	}
	rule := g.lifetimes()
	resp := &TokenResponse{TokenType: "Bearer", Scope: scopeString(g.scopes)}
	m := &minted{resp: resp}
	origin := g.origin
	if origin == "" {
		origin = s.orgURL
	}
	iss := s.issuerAt(origin, g.srv)
	if access {
		aud := s.orgURL
		if !g.srv.IsOrg() && len(g.srv.Audiences) > 0 {
			aud = g.srv.Audiences[0]
		}
		extra, cerr := s.customClaims(g.snap, g.srv, g.app, g.scopes, g.sub, "RESOURCE", false)
		if cerr != nil {
			return nil, cerr
		}
		life := time.Duration(rule.AccessMinutes) * time.Minute
		jti := ""
		if g.familyID != "" {
			var ok bool
			if jti, ok = token.FamilyAccessJTI(g.familyID); !ok {
				return nil, serverError("token family "+g.familyID+" has no key", nil)
			}
		}
		at, claims, err := token.MintAccess(k, token.Access{Issuer: iss, Audience: aud, ClientID: g.app.ClientID, UserID: g.sub.user.ID,
			Subject: g.sub.user.Login, Scopes: g.scopes, AuthTime: g.authTime, Lifetime: life, JTI: jti, Extra: extra}, now)
		if err != nil {
			return nil, serverError("minting access token", err)
		}
		if g.familyID != "" {
			m.family = &store.TokenFamily{ID: g.familyID, UserID: g.sub.user.ID, ClientID: g.app.ClientID, ExpiresAt: time.Unix(claims.Exp, 0)}
		}
		resp.AccessToken, resp.ExpiresIn, resp.jti = at, expiresIn(life), claims.JTI
	}
	if id && slices.Contains(g.scopes, "openid") {
		extra := scopeClaims(g.sub.user, g.scopes, !access)
		custom, cerr := s.customClaims(g.snap, g.srv, g.app, g.scopes, g.sub, "IDENTITY", access)
		if cerr != nil {
			return nil, cerr
		}
		idIss := iss
		if g.srv.IsOrg() {
			idIss = s.orgIDTokenIssuer(g.app.IssuerMode, g.reqOrigin)
			if custom, cerr = s.appGroupsClaim(g.snap, g.app, g.scopes, g.sub); cerr != nil {
				return nil, cerr
			}
		}
		for k, v := range custom {
			extra[k] = v
		}
		if g.acr != "" {
			extra["acr"] = g.acr
		}
		orgID := ""
		if g.snap.Org != nil {
			orgID = g.snap.Org.ID
		}
		idt, _, err := token.MintID(k, token.ID{Issuer: idIss, ClientID: g.app.ClientID, UserID: g.sub.user.ID, OrgID: orgID,
			AMR: g.amr, AuthTime: g.authTime, Nonce: g.nonce, AccessToken: resp.AccessToken, Code: code,
			Lifetime: idTokenLifetime, Extra: extra}, now)
		if err != nil {
			return nil, serverError("minting ID token", err)
		}
		resp.IDToken = idt
	}
	if refresh && slices.Contains(g.scopes, "offline_access") && slices.Contains(g.app.GrantTypes, grantRefreshToken) {
		resp.RefreshToken, m.refresh = s.newRefreshToken(g, now)
	}
	return m, nil
}

// newRefreshToken makes a refresh token and the record to store for it.
func (s *Server) newRefreshToken(g *userGrant, now time.Time) (string, *store.RefreshToken) {
	rule := g.lifetimes()
	tok := secret.RandomString(43)
	data, _ := json.Marshal(refreshData{AuthTime: g.authTime, AMR: g.amr, ACR: g.acr, SessionID: g.sessionID, Rule: rule})
	exp := g.refreshExpires
	if exp.IsZero() && rule.RefreshMinutes > 0 {
		exp = now.Add(time.Duration(rule.RefreshMinutes) * time.Minute)
	}
	idle := now.Add(time.Duration(rule.WindowMinutes) * time.Minute)
	if !exp.IsZero() && exp.Before(idle) {
		idle = exp
	}
	return tok, &store.RefreshToken{
		ID: secret.NewID("oar"), Hash: secret.Hash(tok), FamilyID: g.familyID, ServerID: g.srv.ID, ClientID: g.app.ClientID,
		UserID: g.sub.user.ID, Scopes: g.scopes, Data: data, Created: now, ExpiresAt: exp, IdleExpiresAt: idle,
	}
}

func (s *Server) mintClientToken(k *token.Key, iss, aud, clientID string, scopes []string, life time.Duration, extra map[string]any, now time.Time) (*TokenResponse, *Error) {
	if k == nil {
		return nil, serverError("no active signing key for issuer "+iss, nil)
	}
	at, claims, err := token.MintAccess(k, token.Access{
		Issuer: iss, Audience: aud, ClientID: clientID, Subject: clientID, Scopes: scopes, Lifetime: life, Extra: extra,
	}, now)
	if err != nil {
		return nil, serverError("minting access token", err)
	}
	return &TokenResponse{TokenType: "Bearer", ExpiresIn: expiresIn(life), AccessToken: at, Scope: scopeString(scopes), jti: claims.JTI}, nil
}
