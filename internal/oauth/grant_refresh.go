package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/policy"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// refreshData is the grant a refresh token carries.
type refreshData struct {
	AuthTime  time.Time     `json:"auth_time"`
	AMR       []string      `json:"amr"`
	ACR       string        `json:"acr,omitempty"`
	SessionID string        `json:"sid,omitempty"`
	Rule      ruleLifetimes `json:"rule"`
}

// errReused ends the transaction of a refresh that found its token rotated
// by another request longer ago than the leeway.
var errReused = errors.New("refresh token reused after its leeway")

// errRevoked ends the transaction of a refresh whose token was revoked
// after it was read: no successor may be issued in a revoked family.
var errRevoked = errors.New("refresh token revoked")

// refreshToken implements §3.5: STATIC tokens are returned unchanged;
// ROTATE tokens are replaced, the presented one staying usable for the
// app's leeway, after which presenting it again revokes its family. The
// new tokens are signed first; one transaction then marks the rotation and
// stores them.
func (s *Server) refreshToken(ctx context.Context, req *tokenRequest, c *authenticatedClient, now time.Time) (*TokenResponse, *Error) {
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
	settings := c.app.RefreshToken
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
	if aerr != nil && aerr.Status >= 500 {
		// The database could not say whether the person may still use
		// the app: the token is not invalid, so the client may retry.
		return nil, aerr
	}
	if aerr != nil || sub == nil {
		return nil, errRefreshInvalid
	}

	g := &userGrant{srv: req.server, snap: req.snap, origin: req.origin, reqOrigin: req.reqOrigin, app: c.app, sub: sub, scopes: scopes, authTime: d.AuthTime, amr: d.AMR, acr: d.ACR,
		sessionID: d.SessionID, familyID: rt.FamilyID, rule: d.Rule, refreshExpires: rt.ExpiresAt}
	m, terr := s.mintUserTokens(g, true, true, false, "", now)
	if terr != nil {
		return nil, terr
	}
	m.family = nil // recorded by its refresh tokens
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
				if !cur.RevokedAt.IsZero() {
					return errRevoked
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
	if errors.Is(err, errRevoked) {
		return nil, errRefreshInvalid
	}
	if err != nil {
		return nil, serverError("refreshing", err)
	}
	return m.resp, nil
}

func (s *Server) auditReuse(req *tokenRequest, c *authenticatedClient, reason string) {
	if s.audit != nil {
		s.audit.Event(req.req, eventPrefix(req.server)+".token.detect_reuse", "OAuth2 token reuse detected", audit.ClientActor(c.app.ClientID, c.app.Label),
			"FAILURE", reason, audit.Target{ID: req.server.ID, Type: "AuthorizationServer"})
	}
}

var errRefreshInvalid = oerr(400, "invalid_grant", "The refresh token is invalid or expired.")
