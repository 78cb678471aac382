package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// KeyRetireAfter is how long a rotated-out signing key stays published: the
// longest access-token lifetime a rule can set (1440 minutes), so every
// token it signed can still be verified until it expires.
const KeyRetireAfter = 24 * time.Hour

// AutoRotationPeriod is when an AUTO server's next rotation is due, as
// Okta's real data shows (about quarterly).
const AutoRotationPeriod = 90 * 24 * time.Hour

func serverTarget(s *store.AuthServer) audit.Target {
	return audit.Target{ID: s.ID, Type: "AuthorizationServer", AlternateID: s.Name, DisplayName: s.Name}
}

// ValidateAuthServer normalizes and checks a server (§4.2).
func ValidateAuthServer(s *store.AuthServer) *oktaerr.Error {
	var causes []string
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		causes = append(causes, "name: The field cannot be left blank")
	} else if len(s.Name) > 100 {
		causes = append(causes, "name: The field must be at most 100 characters")
	}
	switch len(s.Audiences) {
	case 0:
		causes = append(causes, "audiences: The field cannot be left blank")
	case 1:
		a := strings.TrimSpace(s.Audiences[0])
		if a == "" {
			causes = append(causes, "audiences: The field cannot be left blank")
		} else if strings.Contains(a, ":") {
			if u, err := url.Parse(a); err != nil || u.Scheme == "" {
				causes = append(causes, "audiences: An audience containing ':' must be a valid URI")
			}
		}
		s.Audiences = []string{a}
	default:
		causes = append(causes, "audiences: Only one audience is supported")
	}
	if s.IssuerMode == "" {
		s.IssuerMode = "ORG_URL"
	}
	if s.IssuerMode != "ORG_URL" && s.IssuerMode != "DYNAMIC" && s.IssuerMode != "CUSTOM_URL" {
		causes = append(causes, "issuerMode: Must be one of ORG_URL, DYNAMIC, CUSTOM_URL")
	}
	if s.RotationMode == "" {
		s.RotationMode = "AUTO"
	}
	if s.RotationMode != "AUTO" && s.RotationMode != "MANUAL" {
		causes = append(causes, "credentials.signing.rotationMode: Must be one of AUTO, MANUAL")
	}
	if len(s.Description) > 1000 {
		causes = append(causes, "description: The field must be at most 1000 characters")
	}
	if len(causes) > 0 {
		return oktaerr.Validation(strings.SplitN(causes[0], ":", 2)[0], causes...)
	}
	return nil
}

// CreateAuthServer adds a custom authorization server with the system scopes
// and a first signing key.
func (s *Service) CreateAuthServer(ctx context.Context, c Context, srv *store.AuthServer) error {
	if err := ValidateAuthServer(srv); err != nil {
		return err
	}
	now := s.now()
	srv.ID, srv.Default, srv.Created, srv.LastUpdated, srv.LastRotated = secret.NewID("aus"), false, now, now, now
	if srv.Status == "" {
		srv.Status = store.StatusActive
	}
	if srv.RotationMode == "AUTO" {
		srv.NextRotation = now.Add(AutoRotationPeriod)
	}
	return s.configChange(ctx, func(tx store.Store) error {
		if err := s.createServer(ctx, tx, srv); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "oauth2.as.created", "Create authorization server", serverTarget(srv))
	})
}

// UpdateAuthServer replaces a server's name, description, audience, issuer
// mode and rotation mode.
func (s *Service) UpdateAuthServer(ctx context.Context, c Context, in *store.AuthServer) error {
	if err := ValidateAuthServer(in); err != nil {
		return err
	}
	return s.configChange(ctx, func(tx store.Store) error {
		old, err := tx.AuthServers().Get(ctx, in.ID)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(in.ID, "AuthorizationServer")
		}
		if err != nil {
			return err
		}
		old.Name, old.Description, old.Audiences, old.IssuerMode = in.Name, in.Description, in.Audiences, in.IssuerMode
		if old.RotationMode != in.RotationMode {
			old.RotationMode = in.RotationMode
			old.NextRotation = time.Time{}
			if in.RotationMode == "AUTO" {
				old.NextRotation = s.now().Add(AutoRotationPeriod)
			}
		}
		old.LastUpdated = s.now()
		if err := tx.AuthServers().Update(ctx, old); err != nil {
			return err
		}
		*in = *old
		return s.record(ctx, tx, c, "oauth2.as.updated", "Update authorization server", serverTarget(old))
	})
}

// SetAuthServerStatus activates or deactivates a server; an inactive server
// answers 404 on its OAuth endpoints.
func (s *Service) SetAuthServerStatus(ctx context.Context, c Context, id, status string) error {
	return s.configChange(ctx, func(tx store.Store) error {
		srv, err := tx.AuthServers().Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(id, "AuthorizationServer")
		}
		if err != nil {
			return err
		}
		if srv.Status == status {
			return nil
		}
		srv.Status, srv.LastUpdated = status, s.now()
		if err := tx.AuthServers().Update(ctx, srv); err != nil {
			return err
		}
		ev := "oauth2.as.activated"
		if status == store.StatusInactive {
			ev = "oauth2.as.deactivated"
		}
		return s.record(ctx, tx, c, ev, "Change authorization server status", serverTarget(srv))
	})
}

// DeleteAuthServer deletes a custom server with its scopes, claims,
// policies and keys. The default server cannot be deleted.
func (s *Service) DeleteAuthServer(ctx context.Context, c Context, id string) error {
	return s.configChange(ctx, func(tx store.Store) error {
		srv, err := tx.AuthServers().Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(id, "AuthorizationServer")
		}
		if err != nil {
			return err
		}
		if srv.Default {
			return oktaerr.Forbidden("The default authorization server cannot be deleted.")
		}
		if err := tx.AuthServers().Delete(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "oauth2.as.deleted", "Delete authorization server", serverTarget(srv))
	})
}

// ListServerKeys lists a server's signing keys in creation order, without
// keys retired for good.
func (s *Service) ListServerKeys(ctx context.Context, serverID string) ([]*store.SigningKey, error) {
	if _, err := s.GetAuthServer(ctx, serverID); err != nil {
		return nil, err
	}
	return s.publishedKeys(ctx, serverID)
}

// ListAppKeys lists the keys that sign an app's ID tokens from the org
// authorization server (Okta's /api/v1/apps/{id}/credentials/keys).
func (s *Service) ListAppKeys(ctx context.Context, appID string) ([]*store.SigningKey, error) {
	if _, err := s.GetApp(ctx, appID); err != nil {
		return nil, err
	}
	return s.publishedKeys(ctx, store.OrgServerID)
}

func (s *Service) publishedKeys(ctx context.Context, serverID string) ([]*store.SigningKey, error) {
	ks, err := s.Store.Keys().List(ctx, serverID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := ks[:0]
	for _, k := range ks {
		if !Retired(k, now) {
			out = append(out, k)
		}
	}
	return out, nil
}

// Retired reports whether an expired key may no longer be met by verifiers.
func Retired(k *store.SigningKey, now time.Time) bool {
	return k.Status == store.KeyExpired && !k.RetireAt.IsZero() && !now.Before(k.RetireAt)
}

// RotateKeys makes the server's NEXT key (or a fresh one) ACTIVE and the
// active one EXPIRED, published until KeyRetireAfter has passed; keys retired
// for good are deleted. The config version is bumped first in the
// transaction: that row lock serializes concurrent rotations on every
// replica, so two of them cannot leave two active keys.
func (s *Service) RotateKeys(ctx context.Context, c Context, serverID string) ([]*store.SigningKey, error) {
	var out []*store.SigningKey
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		if err := tx.Config().Bump(ctx); err != nil {
			return err
		}
		srv, err := tx.AuthServers().Get(ctx, serverID)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(serverID, "AuthorizationServer")
		}
		if err != nil {
			return err
		}
		ks, err := tx.Keys().List(ctx, serverID)
		if err != nil {
			return err
		}
		now := s.now()
		var next *store.SigningKey
		for _, k := range ks {
			switch {
			case k.Status == store.KeyActive:
				k.Status, k.RetireAt = store.KeyExpired, now.Add(KeyRetireAfter)
				if err := tx.Keys().Update(ctx, k); err != nil {
					return err
				}
			case k.Status == store.KeyNext && next == nil:
				next = k
			case Retired(k, now):
				if err := tx.Keys().Delete(ctx, k.KID); err != nil {
					return err
				}
			}
		}
		if next != nil {
			next.Status, next.Activated = store.KeyActive, now
			if err := tx.Keys().Update(ctx, next); err != nil {
				return err
			}
		} else {
			k, err := s.newSigningKey(serverID, store.KeyActive)
			if err != nil {
				return fmt.Errorf("generate signing key: %w", err)
			}
			if err := tx.Keys().Create(ctx, k); err != nil {
				return err
			}
		}
		srv.LastRotated, srv.LastUpdated = now, now
		if srv.RotationMode == "AUTO" {
			srv.NextRotation = now.Add(AutoRotationPeriod)
		}
		if err := tx.AuthServers().Update(ctx, srv); err != nil {
			return err
		}
		if out, err = tx.Keys().List(ctx, serverID); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "app.oauth2.as.key.rollover", "Rotate authorization server signing keys", serverTarget(srv))
	})
	if err != nil {
		return nil, err
	}
	if err := s.Cache.Load(ctx, false); err != nil {
		return nil, err
	}
	return out, nil
}

// NextKeyLead is how long before an AUTO rotation the next key is
// published, so that verifiers have it cached before it signs anything.
const NextKeyLead = 7 * 24 * time.Hour

// AutoRotate performs the scheduled key work of every active AUTO server at
// time now: publish a NEXT key NextKeyLead before the rotation is due, and
// rotate once it is. Every replica may run it; the work is idempotent and
// each step runs in one transaction that bumps the config version first.
func (s *Service) AutoRotate(ctx context.Context, now time.Time) error {
	servers, err := s.Store.AuthServers().ListAll(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, srv := range servers {
		if srv.RotationMode != "AUTO" || srv.Status != store.StatusActive || srv.NextRotation.IsZero() {
			continue
		}
		if !now.Before(srv.NextRotation) {
			if _, err := s.RotateKeys(ctx, SystemContext, srv.ID); err != nil {
				errs = append(errs, fmt.Errorf("rotate keys of %s: %w", srv.ID, err))
			}
			continue
		}
		if now.Before(srv.NextRotation.Add(-NextKeyLead)) {
			continue
		}
		if err := s.publishNextKey(ctx, srv.ID); err != nil {
			errs = append(errs, fmt.Errorf("publish next key of %s: %w", srv.ID, err))
		}
	}
	return errors.Join(errs...)
}

// publishNextKey adds a NEXT key to a server that has none. The config
// version is bumped first so that replicas doing the same at the same time
// queue on its row and the second one finds the key.
func (s *Service) publishNextKey(ctx context.Context, serverID string) error {
	return s.configChange(ctx, func(tx store.Store) error {
		if err := tx.Config().Bump(ctx); err != nil {
			return err
		}
		ks, err := tx.Keys().List(ctx, serverID)
		if err != nil {
			return err
		}
		for _, k := range ks {
			if k.Status == store.KeyNext {
				return nil
			}
		}
		k, err := s.newSigningKey(serverID, store.KeyNext)
		if err != nil {
			return err
		}
		return tx.Keys().Create(ctx, k)
	})
}

// ListAssociatedServers lists the servers a server trusts for token
// exchange (GET …/associatedServers?trusted=true).
func (s *Service) ListAssociatedServers(ctx context.Context, id string) ([]*store.AuthServer, error) {
	srv, err := s.GetAuthServer(ctx, id)
	if err != nil {
		return nil, err
	}
	out := []*store.AuthServer{}
	for _, tid := range srv.TrustedServers {
		if t, err := s.Store.AuthServers().Get(ctx, tid); err == nil {
			out = append(out, t)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return out, nil
}

// AssociateServers adds trusted servers (POST …/associatedServers with
// {"trusted": [ids]}); each must exist and differ from the server itself.
func (s *Service) AssociateServers(ctx context.Context, c Context, id string, trusted []string) ([]*store.AuthServer, error) {
	var added []*store.AuthServer
	err := s.configChange(ctx, func(tx store.Store) error {
		srv, err := tx.AuthServers().Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(id, "AuthorizationServer")
		}
		if err != nil {
			return err
		}
		if len(trusted) == 0 {
			return oktaerr.Validation("trusted", "trusted: The field cannot be left blank")
		}
		for _, tid := range trusted {
			if tid == id {
				return oktaerr.Validation("trusted", "trusted: An authorization server cannot trust itself")
			}
			t, err := tx.AuthServers().Get(ctx, tid)
			if errors.Is(err, store.ErrNotFound) {
				return oktaerr.Validation("trusted", "trusted: The authorization server '"+tid+"' does not exist")
			}
			if err != nil {
				return err
			}
			added = append(added, t)
			if !slices.Contains(srv.TrustedServers, tid) {
				srv.TrustedServers = append(srv.TrustedServers, tid)
			}
		}
		srv.LastUpdated = s.now()
		if err := tx.AuthServers().Update(ctx, srv); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "oauth2.as.updated", "Associate trusted authorization servers", serverTarget(srv))
	})
	return added, err
}

// DissociateServer removes a trusted server (DELETE …/associatedServers/{id}).
func (s *Service) DissociateServer(ctx context.Context, c Context, id, trustedID string) error {
	return s.configChange(ctx, func(tx store.Store) error {
		srv, err := tx.AuthServers().Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(id, "AuthorizationServer")
		}
		if err != nil {
			return err
		}
		if !slices.Contains(srv.TrustedServers, trustedID) {
			return oktaerr.NotFound(trustedID, "AssociatedServer")
		}
		srv.TrustedServers = slices.DeleteFunc(srv.TrustedServers, func(x string) bool { return x == trustedID })
		srv.LastUpdated = s.now()
		if err := tx.AuthServers().Update(ctx, srv); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "oauth2.as.updated", "Dissociate a trusted authorization server", serverTarget(srv))
	})
}
