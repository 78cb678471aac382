package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

func appTarget(a *store.App) audit.Target {
	return audit.Target{ID: a.ID, Type: "AppInstance", AlternateID: a.Label, DisplayName: a.Label}
}

// sealSecret keeps the clear secret of a client_secret_jwt app, which needs
// it as the HMAC key, sealed beside the hash of the secret it belongs to;
// every other app keeps only hashes. clientSecret is the secret the request
// supplied or generated, if any.
func (s *Service) sealSecret(a *store.App, clientSecret string) {
	jwt := a.ClientAuthMethod() == "client_secret_jwt"
	for i := range a.Secrets {
		sec := &a.Secrets[i]
		switch {
		case !jwt:
			sec.Sealed = nil
		case clientSecret != "" && secret.Matches(clientSecret, sec.Hash):
			sec.Sealed = s.Sealer.Seal([]byte(clientSecret), []byte(a.ID))
		}
	}
}

// CreateApp stores a new app, refused with ValidateApp's error unless it is
// valid. clientSecret is the clear secret generated or supplied for it, if
// any.
func (s *Service) CreateApp(ctx context.Context, c Context, a *store.App, clientSecret string) error {
	if e := ValidateApp(a); e != nil {
		return e
	}
	s.sealSecret(a, clientSecret)
	err := s.configChange(ctx, func(tx store.Store) error {
		if err := tx.Apps().Create(ctx, a); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return oktaerr.Validation("client_id", "client_id: An object with this field already exists in the current organization")
			}
			return err
		}
		return s.record(ctx, tx, c, "application.lifecycle.create", "Add application", appTarget(a))
	})
	return err
}

// UpdateApp replaces an app, refused with ValidateApp's error unless the
// replacement is valid.
func (s *Service) UpdateApp(ctx context.Context, c Context, a *store.App, clientSecret string) error {
	if e := ValidateApp(a); e != nil {
		return e
	}
	s.sealSecret(a, clientSecret)
	return s.configChange(ctx, func(tx store.Store) error {
		if err := tx.Apps().Update(ctx, a); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return oktaerr.NotFound(a.ID, "App")
			}
			return err
		}
		return s.record(ctx, tx, c, "application.lifecycle.update", "Update application", appTarget(a))
	})
}

// loadApp reads an app through st (a transaction or the store), answering
// E0000007 when it does not exist.
func loadApp(ctx context.Context, st store.Store, id string) (*store.App, error) {
	a, err := st.Apps().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(id, "App")
	}
	return a, err
}

// GetApp returns an app by id.
func (s *Service) GetApp(ctx context.Context, id string) (*store.App, error) {
	return loadApp(ctx, s.Store, id)
}

// GetAppByClientID returns an app by client id.
func (s *Service) GetAppByClientID(ctx context.Context, clientID string) (*store.App, error) {
	return s.Store.Apps().GetByClientID(ctx, clientID)
}

// ListApps lists apps in id order.
func (s *Service) ListApps(ctx context.Context, p store.Page) ([]*store.App, error) {
	return s.Store.Apps().List(ctx, p)
}

// SetAppStatus activates or deactivates an app. Deactivation makes its
// tokens invalid at once (they are checked against the app's status).
func (s *Service) SetAppStatus(ctx context.Context, c Context, id, status string) error {
	return s.configChange(ctx, func(tx store.Store) error {
		a, err := loadApp(ctx, tx, id)
		if err != nil {
			return err
		}
		if a.Status == status {
			return nil
		}
		a.Status = status
		a.LastUpdated = s.now()
		if err := tx.Apps().Update(ctx, a); err != nil {
			return err
		}
		ev, msg := "application.lifecycle.activate", "Activate application"
		if status == store.StatusInactive {
			ev, msg = "application.lifecycle.deactivate", "Deactivate application"
		}
		return s.record(ctx, tx, c, ev, msg, appTarget(a))
	})
}

// DeleteApp deletes an inactive app; an active one is refused with
// E0000056 as Okta does.
func (s *Service) DeleteApp(ctx context.Context, c Context, id string) error {
	return s.configChange(ctx, func(tx store.Store) error {
		a, err := loadApp(ctx, tx, id)
		if err != nil {
			return err
		}
		if a.Status == store.StatusActive {
			return oktaerr.New(http.StatusForbidden, oktaerr.CodeDeleteAppActive, "Delete application forbidden.")
		}
		if err := tx.Apps().Delete(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, c, "application.lifecycle.delete", "Delete application", appTarget(a))
	})
}

// NewClientSecret replaces an app's client secrets with a new one and
// returns it (DCR's lifecycle/newSecret).
func (s *Service) NewClientSecret(ctx context.Context, c Context, id string) (*store.App, string, error) {
	var out *store.App
	sec := secret.Token("", 30)
	err := s.configChange(ctx, func(tx store.Store) error {
		a, err := loadApp(ctx, tx, id)
		if err != nil {
			return err
		}
		if !UsesClientSecret(a.ClientAuthMethod()) {
			return oktaerr.Validation("client_secret", "client_secret: This client does not use a client secret.")
		}
		a.LastUpdated = s.now()
		a.Secrets = []store.AppSecret{NewAppSecret(sec, a.LastUpdated)}
		s.sealSecret(a, sec)
		if err := tx.Apps().Update(ctx, a); err != nil {
			return err
		}
		out = a
		return s.record(ctx, tx, c, "application.lifecycle.update", "Rotate client secret", appTarget(a))
	})
	return out, sec, err
}

// CreateGrant grants an Okta API scope to an app (§4.1.3).
func (s *Service) CreateGrant(ctx context.Context, c Context, appID, scopeID, issuer string) (*store.AppGrant, error) {
	var g *store.AppGrant
	err := s.configChange(ctx, func(tx store.Store) error {
		a, err := loadApp(ctx, tx, appID)
		if err != nil {
			return err
		}
		now := s.now()
		g = &store.AppGrant{ID: secret.NewID("oag"), AppID: a.ID, Issuer: issuer, ScopeID: scopeID, Status: store.StatusActive,
			Source: "ADMIN", CreatedBy: c.Actor.ID, Created: now, LastUpdated: now}
		if err := tx.Apps().CreateGrant(ctx, g); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return oktaerr.Validation("scopeId", "scopeId: This scope has already been granted to the client.")
			}
			return err
		}
		return s.record(ctx, tx, c, "app.oauth2.admin.consent.grant", "Grant Okta API scope to an app", appTarget(a),
			audit.Target{ID: scopeID, Type: "OAuth2Scope"})
	})
	return g, err
}

// ListGrants lists an app's scope grants.
func (s *Service) ListGrants(ctx context.Context, appID string) ([]*store.AppGrant, error) {
	if _, err := s.GetApp(ctx, appID); err != nil {
		return nil, err
	}
	return s.Store.Apps().ListGrants(ctx, appID)
}

// GetGrant returns one grant.
func (s *Service) GetGrant(ctx context.Context, appID, grantID string) (*store.AppGrant, error) {
	if _, err := s.GetApp(ctx, appID); err != nil {
		return nil, err
	}
	g, err := s.Store.Apps().GetGrant(ctx, appID, grantID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oktaerr.NotFound(grantID, "OAuth2ScopeConsentGrant")
	}
	return g, err
}

// DeleteGrant revokes a grant.
func (s *Service) DeleteGrant(ctx context.Context, c Context, appID, grantID string) error {
	return s.configChange(ctx, func(tx store.Store) error {
		a, err := loadApp(ctx, tx, appID)
		if err != nil {
			return err
		}
		g, err := tx.Apps().GetGrant(ctx, appID, grantID)
		if errors.Is(err, store.ErrNotFound) {
			return oktaerr.NotFound(grantID, "OAuth2ScopeConsentGrant")
		}
		if err != nil {
			return err
		}
		if err := tx.Apps().DeleteGrant(ctx, appID, grantID); err != nil {
			return fmt.Errorf("delete grant: %w", err)
		}
		return s.record(ctx, tx, c, "app.oauth2.admin.consent.revoke", "Revoke Okta API scope from an app", appTarget(a),
			audit.Target{ID: g.ScopeID, Type: "OAuth2Scope"})
	})
}
