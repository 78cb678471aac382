package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/policy"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/signin"
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

// codeData is what an authorization code stands for.
type codeData struct {
	ServerID    string        `json:"as"`
	ClientID    string        `json:"cid"`
	RedirectURI string        `json:"ru"`
	UserID      string        `json:"uid"`
	Scopes      []string      `json:"scp"`
	Nonce       string        `json:"nonce,omitempty"`
	Challenge   string        `json:"cc,omitempty"`
	AuthTime    time.Time     `json:"auth_time"`
	AMR         []string      `json:"amr"`
	SessionID   string        `json:"sid,omitempty"`
	FamilyID    string        `json:"fam"`
	Rule        ruleLifetimes `json:"rule"`
}

// refreshData is the grant a refresh token carries.
type refreshData struct {
	AuthTime  time.Time     `json:"auth_time"`
	AMR       []string      `json:"amr"`
	SessionID string        `json:"sid,omitempty"`
	Rule      ruleLifetimes `json:"rule"`
}

// issueUserTokens mints an access token, an ID token (when asked and
// openid is granted) and a refresh token (when asked, offline_access is
// granted and the app may refresh), recording the access token in the
// grant's family so that the family can be revoked as a whole.
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
type minted struct {
	resp    *TokenResponse
	access  *store.FamilyAccessToken
	refresh *store.RefreshToken
}

func (m *minted) save(ctx context.Context, st store.Store) error {
	if m.access != nil {
		if err := st.RefreshTokens().RecordAccessToken(ctx, m.access); err != nil {
			return err
		}
	}
	if m.refresh != nil {
		return st.RefreshTokens().Create(ctx, m.refresh)
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
		at, claims, err := token.MintAccess(k, token.Access{Issuer: iss, Audience: aud, ClientID: g.app.ClientID, UserID: g.sub.user.ID,
			Subject: g.sub.user.Login, Scopes: g.scopes, AuthTime: g.authTime, Lifetime: life, Extra: extra}, now)
		if err != nil {
			return nil, serverError("minting access token", err)
		}
		if g.familyID != "" {
			m.access = &store.FamilyAccessToken{FamilyID: g.familyID, JTI: claims.JTI, UserID: g.sub.user.ID, ClientID: g.app.ClientID,
				ExpiresAt: time.Unix(claims.Exp, 0)}
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
			idIss = s.orgIDTokenIssuer(g.app, g.reqOrigin)
			if custom, cerr = s.appGroupsClaim(g.snap, g.app, g.scopes, g.sub); cerr != nil {
				return nil, cerr
			}
		}
		for k, v := range custom {
			extra[k] = v
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
	if refresh && slices.Contains(g.scopes, "offline_access") && slices.Contains(g.app.Settings.OAuthClient.GrantTypes, grantRefreshToken) {
		resp.RefreshToken, m.refresh = s.newRefreshToken(g, now)
	}
	return m, nil
}

// newRefreshToken makes a refresh token and the record to store for it.
func (s *Server) newRefreshToken(g *userGrant, now time.Time) (string, *store.RefreshToken) {
	rule := g.lifetimes()
	tok := secret.RandomString(43)
	data, _ := json.Marshal(refreshData{AuthTime: g.authTime, AMR: g.amr, SessionID: g.sessionID, Rule: rule})
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

// revokeFamily revokes every refresh token of a family and every access
// token issued in it, on every replica.
func (s *Server) revokeFamily(ctx context.Context, familyID string, now time.Time) error {
	if err := s.store.RefreshTokens().RevokeFamily(ctx, familyID, now); err != nil {
		return err
	}
	ats, err := s.store.RefreshTokens().AccessTokens(ctx, familyID, "", "", now)
	if err != nil {
		return err
	}
	for _, at := range ats {
		if err := s.store.Revocations().Revoke(ctx, at.JTI, at.ExpiresAt); err != nil {
			return err
		}
		s.cache.Revoke(at.JTI, at.ExpiresAt)
	}
	return nil
}

var (
	errCodeInvalid     = oerr(400, "invalid_grant", "The authorization code is invalid or has expired.")
	errRefreshInvalid  = oerr(400, "invalid_grant", "The refresh token is invalid or expired.")
	errBadCredentials  = oerr(400, "invalid_grant", "The credentials provided were invalid.")
	errNotAssigned     = oerr(400, "access_denied", "User is not assigned to the client application.")
	errVerifierMissing = oerr(400, "invalid_request", "PKCE code verifier is required by the application.")
)

// userAllowed reloads the user of a grant and checks they may still use
// the app.
func (s *Server) userAllowed(ctx context.Context, userID string, app *cache.App) (*subject, *Error) {
	sub, err := s.loadSubject(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, serverError("loading user", err)
	}
	if !sub.user.CanSignIn() {
		return nil, nil
	}
	ok, err := s.store.Apps().AssignedTo(ctx, app.ID, userID, sub.groupIDs)
	if err != nil {
		return nil, serverError("checking assignment", err)
	}
	if !ok {
		return nil, errNotAssigned
	}
	return sub, nil
}

// authorizationCode redeems a code (§2.2). A second use fails and revokes
// whatever the first use issued. The code is read, the tokens signed, and
// then one transaction claims the code and stores the grant's records: of
// two concurrent redemptions only one commits.
func (s *Server) authorizationCode(ctx context.Context, req tokenRequest, c *authenticatedClient, now time.Time) (*TokenResponse, *Error) {
	code := req.params.get("code")
	if code == "" {
		return nil, oerr(400, "invalid_request", "The 'code' parameter is required.")
	}
	hash := secret.Hash(code)
	rec, err := s.store.Codes().Get(ctx, store.CodeAuthorization, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errCodeInvalid
	}
	if err != nil {
		return nil, serverError("reading code", err)
	}
	var d codeData
	if json.Unmarshal(rec.Data, &d) != nil {
		return nil, errCodeInvalid
	}
	if !rec.UsedAt.IsZero() {
		s.codeReused(ctx, req, c, d, now)
		return nil, errCodeInvalid
	}
	if !now.Before(rec.ExpiresAt) {
		return nil, errCodeInvalid
	}
	// Any refused redemption uses the code up, as a successful one would.
	refuse := func(e *Error) (*TokenResponse, *Error) {
		s.store.Codes().Use(ctx, store.CodeAuthorization, hash, now)
		return nil, e
	}
	if d.ServerID != req.server.ID {
		return refuse(errCodeInvalid)
	}
	if d.ClientID != c.app.ClientID {
		return refuse(oerr(400, "invalid_grant", "The grant was issued to another client. Please make sure the 'client_id' matches the one used at the authorize request."))
	}
	if req.params.get("redirect_uri") != d.RedirectURI {
		return refuse(oerr(400, "invalid_grant", "The 'redirect_uri' does not match the redirection URI used in the authorization request."))
	}
	if d.Challenge != "" {
		v := req.params.get("code_verifier")
		if v == "" {
			return refuse(errVerifierMissing)
		}
		sum := sha256.Sum256([]byte(v))
		if len(v) < 43 || len(v) > 128 || subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(d.Challenge)) != 1 {
			return refuse(oerr(400, "invalid_grant", "PKCE verification failed."))
		}
	} else if c.method == methodNone {
		return refuse(errVerifierMissing)
	}
	sub, aerr := s.userAllowed(ctx, d.UserID, c.app)
	if aerr != nil {
		return refuse(aerr)
	}
	if sub == nil {
		return refuse(errCodeInvalid)
	}
	g := &userGrant{srv: req.server, snap: req.snap, origin: req.origin, reqOrigin: req.reqOrigin, app: c.app, sub: sub, scopes: d.Scopes, nonce: d.Nonce,
		authTime: d.AuthTime, amr: d.AMR, sessionID: d.SessionID, familyID: d.FamilyID, rule: d.Rule}
	m, terr := s.mintUserTokens(g, true, true, true, "", now)
	if terr != nil {
		return refuse(terr)
	}
	err = s.store.InTx(ctx, func(tx store.Store) error {
		if _, err := tx.Codes().Use(ctx, store.CodeAuthorization, hash, now); err != nil {
			return err
		}
		return m.save(ctx, tx)
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		s.codeReused(ctx, req, c, d, now)
		return nil, errCodeInvalid
	case errors.Is(err, store.ErrNotFound):
		return nil, errCodeInvalid
	case err != nil:
		return nil, serverError("redeeming code", err)
	}
	return m.resp, nil
}

// codeReused revokes what the first redemption of a code issued.
func (s *Server) codeReused(ctx context.Context, req tokenRequest, c *authenticatedClient, d codeData, now time.Time) {
	if d.FamilyID != "" {
		if err := s.revokeFamily(ctx, d.FamilyID, now); err != nil {
			s.logError(ctx, "revoking tokens of a reused code failed", err)
		}
	}
	s.auditReuse(req, c, "authorization code reused; its tokens are revoked")
}

// errReused ends the transaction of a refresh that found its token rotated
// by another request longer ago than the leeway.
var errReused = errors.New("refresh token reused after its leeway")

// refreshToken implements §3.5: STATIC tokens are returned unchanged;
// ROTATE tokens are replaced, the presented one staying usable for the
// app's leeway, after which presenting it again revokes its family. The
// new tokens are signed first; one transaction then marks the rotation and
// stores them.
func (s *Server) refreshToken(ctx context.Context, req tokenRequest, c *authenticatedClient, now time.Time) (*TokenResponse, *Error) {
	raw := req.params.get("refresh_token")
	if raw == "" {
		return nil, oerr(400, "invalid_request", "The 'refresh_token' parameter is required.")
	}
	if len(raw) > 200 {
		return nil, errRefreshInvalid
	}
	hash := secret.Hash(raw)
	rt, err := s.store.RefreshTokens().GetByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errRefreshInvalid
	}
	if err != nil {
		return nil, serverError("reading refresh token", err)
	}
	if rt.ServerID != req.server.ID || rt.ClientID != c.app.ClientID || !rt.RevokedAt.IsZero() ||
		(!rt.ExpiresAt.IsZero() && !now.Before(rt.ExpiresAt)) || !now.Before(rt.IdleExpiresAt) {
		return nil, errRefreshInvalid
	}
	var d refreshData
	if json.Unmarshal(rt.Data, &d) != nil {
		return nil, errRefreshInvalid
	}
	scopes := rt.Scopes
	if asked := policy.ParseScopes(req.params.get("scope")); len(asked) > 0 {
		var denied []string
		for _, sc := range asked {
			if !slices.Contains(rt.Scopes, sc) {
				denied = append(denied, sc)
			}
		}
		if len(denied) > 0 {
			return nil, oerr(400, "access_denied", "Some of the scopes requested for the refresh request were not granted in the original authorize request. Denied scopes: "+list(denied)+".")
		}
		scopes = asked
	}
	settings := c.app.Settings.OAuthClient.RefreshToken
	rotate := settings != nil && settings.RotationType == "ROTATE"
	leeway := time.Duration(0)
	if rotate {
		leeway = time.Duration(settings.Leeway) * time.Second
	}
	pastLeeway := func(t *store.RefreshToken) bool {
		return !t.RotatedAt.IsZero() && t.RotatedAt.Before(now) && now.Sub(t.RotatedAt) > leeway
	}
	reused := func() (*TokenResponse, *Error) {
		if err := s.revokeFamily(ctx, rt.FamilyID, now); err != nil {
			s.logError(ctx, "revoking a reused refresh token's family failed", err)
		}
		s.auditReuse(req, c, "refresh token reused after its leeway; its family is revoked")
		return nil, errRefreshInvalid
	}
	if rotate && pastLeeway(rt) {
		return reused()
	}
	sub, aerr := s.userAllowed(ctx, rt.UserID, c.app)
	if aerr != nil || sub == nil {
		return nil, errRefreshInvalid
	}

	g := &userGrant{srv: req.server, snap: req.snap, origin: req.origin, reqOrigin: req.reqOrigin, app: c.app, sub: sub, scopes: scopes, authTime: d.AuthTime, amr: d.AMR,
		sessionID: d.SessionID, familyID: rt.FamilyID, rule: d.Rule, refreshExpires: rt.ExpiresAt}
	m, terr := s.mintUserTokens(g, true, true, false, "", now)
	if terr != nil {
		return nil, terr
	}
	if rotate {
		// The successor keeps the original scopes, so that a narrowed
		// refresh does not narrow the grant itself.
		g.scopes = rt.Scopes
		m.resp.RefreshToken, m.refresh = s.newRefreshToken(g, now)
	} else {
		m.resp.RefreshToken = raw
	}
	err = s.store.InTx(ctx, func(tx store.Store) error {
		if rotate && rt.RotatedAt.IsZero() {
			won, err := tx.RefreshTokens().MarkRotated(ctx, rt.ID, now)
			if err != nil {
				return err
			}
			if !won {
				// Another request rotated it a moment ago: the leeway rule
				// decides, with the time it recorded.
				cur, err := tx.RefreshTokens().GetByHash(ctx, hash)
				if err != nil {
					return err
				}
				if pastLeeway(cur) {
					return errReused
				}
			}
		}
		if !rotate {
			// A STATIC token's idle window restarts with each use.
			idle := now.Add(time.Duration(d.Rule.WindowMinutes) * time.Minute)
			if !rt.ExpiresAt.IsZero() && rt.ExpiresAt.Before(idle) {
				idle = rt.ExpiresAt
			}
			if err := tx.RefreshTokens().Slide(ctx, rt.ID, idle); err != nil {
				return err
			}
		}
		return m.save(ctx, tx)
	})
	if errors.Is(err, errReused) {
		return reused()
	}
	if err != nil {
		return nil, serverError("refreshing", err)
	}
	return m.resp, nil
}

func (s *Server) auditReuse(req tokenRequest, c *authenticatedClient, reason string) {
	if s.audit != nil {
		s.audit.Event(req.req, eventPrefix(req.server)+".token.detect_reuse", "OAuth2 token reuse detected", audit.ClientActor(c.app.ClientID, c.app.Label),
			"FAILURE", reason, audit.Target{ID: req.server.ID, Type: "AuthorizationServer"})
	}
}

// password is the resource owner password grant.
func (s *Server) password(ctx context.Context, req tokenRequest, c *authenticatedClient, now time.Time) (*TokenResponse, *Error) {
	username, pw := req.params.get("username"), req.params.get("password")
	if username == "" || !req.params.has("password") {
		return nil, oerr(400, "invalid_request", "The 'username' and 'password' parameters are required.")
	}
	if s.passwords == nil {
		return nil, serverError("password grant without a password checker", nil)
	}
	u, err := s.passwords.Check(ctx, req.req, username, pw)
	switch {
	case errors.Is(err, signin.ErrInvalidCredentials), errors.Is(err, signin.ErrLockedOut), errors.Is(err, signin.ErrThrottled):
		return nil, errBadCredentials
	case err != nil:
		return nil, serverError("password check", err)
	}
	sub, aerr := s.userAllowed(ctx, u.ID, c.app)
	if aerr != nil {
		return nil, aerr
	}
	if sub == nil {
		return nil, errBadCredentials
	}
	scopes := policy.ParseScopes(req.params.get("scope"))
	g := &userGrant{srv: req.server, snap: req.snap, origin: req.origin, reqOrigin: req.reqOrigin, app: c.app, sub: sub, authTime: now, amr: []string{"pwd"}, familyID: secret.NewID("fam")}
	if req.server.IsOrg() {
		if len(scopes) == 0 {
			return nil, errMissingScopes
		}
		for _, sc := range scopes {
			if !slices.Contains(orgScopes, sc) {
				return nil, errInvalidScope
			}
		}
		g.scopes = scopes
	} else {
		res, denial := policy.Evaluate(req.server, policy.Request{ClientID: c.app.ClientID, GrantType: grantPassword, Scopes: scopes,
			UserID: sub.user.ID, UserGroups: sub.groupIDs})
		if denial != nil {
			return nil, oerr(denial.Status, denial.Code, denial.Description)
		}
		g.scopes = res.Scopes
		g.rule = lifetimesOf(res)
		if need := s.consentDue(ctx, req.server, c.app, sub, g.scopes, false); len(need) > 0 {
			return nil, oerr(400, "consent_required", "The following scopes require user consent: "+list(need)+". Set the app's consent method to TRUSTED to use the password grant.")
		}
	}
	return s.issueUserTokens(ctx, g, true, true, true, "", now)
}
