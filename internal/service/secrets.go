package service

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// MaxAppSecrets is how many client secrets an app may have: two, so that a
// new one can be rolled out while the old one still works.
const MaxAppSecrets = 2

// NewAppSecret is the record of a new, active client secret: its hash only
// (sealSecret adds the sealed copy client_secret_jwt needs).
func NewAppSecret(clear string, now time.Time) store.AppSecret {
	return store.AppSecret{ID: secret.NewID("ocs"), Status: store.StatusActive, Hash: secret.Hash(clear), Created: now, LastUpdated: now}
}

// ModifyApp changes an app in one transaction: fn edits the stored app (and
// may refuse with an Okta error); the app as changed must pass ValidateApp.
// The change is saved with its System Log event and the configuration
// reloaded. It returns the app as saved.
func (s *Service) ModifyApp(ctx context.Context, c Context, id, eventType, msg string, fn func(a *store.App, now time.Time) error) (*store.App, error) {
	var out *store.App
	err := s.configChange(ctx, func(tx store.Store) error {
		a, err := loadApp(ctx, tx, id)
		if err != nil {
			return err
		}
		now := s.now()
		if err := fn(a, now); err != nil {
			return err
		}
		if e := ValidateApp(a); e != nil {
			return e
		}
		a.LastUpdated = now
		if err := tx.Apps().Update(ctx, a); err != nil {
			return err
		}
		out = a
		return s.record(ctx, tx, c, eventType, msg, appTarget(a))
	})
	return out, err
}

// AddAppSecret gives an app another client secret (clear, already checked
// by the caller) with the given status. At most MaxAppSecrets.
func (s *Service) AddAppSecret(ctx context.Context, c Context, appID, clear, status string) (*store.App, store.AppSecret, error) {
	var added store.AppSecret
	a, err := s.ModifyApp(ctx, c, appID, "application.lifecycle.update", "Add client secret", func(a *store.App, now time.Time) error {
		if !UsesClientSecret(a.ClientAuthMethod()) {
			return noSecrets()
		}
		if len(a.Secrets) >= MaxAppSecrets {
			return oktaerr.Validation("client_secret", "client_secret: An application can have at most two client secrets. Delete an inactive one first.")
		}
		added = NewAppSecret(clear, now)
		added.Status = status
		a.Secrets = append(a.Secrets, added)
		s.sealSecret(a, clear)
		added = a.Secrets[len(a.Secrets)-1]
		return nil
	})
	return a, added, err
}

// SetAppSecretStatus activates or deactivates one client secret. The last
// active secret cannot be deactivated: the client would be locked out.
func (s *Service) SetAppSecretStatus(ctx context.Context, c Context, appID, secretID, status string) (*store.App, store.AppSecret, error) {
	var changed store.AppSecret
	msg := "Activate client secret"
	if status == store.StatusInactive {
		msg = "Deactivate client secret"
	}
	a, err := s.ModifyApp(ctx, c, appID, "application.lifecycle.update", msg, func(a *store.App, now time.Time) error {
		i := slices.IndexFunc(a.Secrets, func(x store.AppSecret) bool { return x.ID == secretID })
		if i < 0 {
			return oktaerr.NotFound(secretID, "ClientSecret")
		}
		sec := &a.Secrets[i]
		if status == store.StatusInactive && sec.Status == store.StatusActive && len(a.ActiveSecrets()) == 1 {
			return oktaerr.Validation("status", "status: The last active client secret cannot be deactivated. Add and activate another one first.")
		}
		if sec.Status != status {
			sec.Status, sec.LastUpdated = status, now
		}
		changed = *sec
		return nil
	})
	return a, changed, err
}

// DeleteAppSecret deletes an inactive client secret; an active one must be
// deactivated first.
func (s *Service) DeleteAppSecret(ctx context.Context, c Context, appID, secretID string) error {
	_, err := s.ModifyApp(ctx, c, appID, "application.lifecycle.update", "Delete client secret", func(a *store.App, now time.Time) error {
		i := slices.IndexFunc(a.Secrets, func(x store.AppSecret) bool { return x.ID == secretID })
		if i < 0 {
			return oktaerr.NotFound(secretID, "ClientSecret")
		}
		if a.Secrets[i].Status == store.StatusActive {
			return oktaerr.Validation("status", "status: An active client secret cannot be deleted. Deactivate it first.")
		}
		a.Secrets = slices.Delete(a.Secrets, i, i+1)
		return nil
	})
	return err
}

func noSecrets() *oktaerr.Error {
	return oktaerr.New(http.StatusBadRequest, oktaerr.CodeValidation, "Api validation failed: client_secret",
		"client_secret: This application does not authenticate with a client secret.")
}

// UsesClientSecret reports whether a token-endpoint authentication method
// needs a client secret.
func UsesClientSecret(method string) bool {
	return method == "client_secret_basic" || method == "client_secret_post" || method == "client_secret_jwt"
}
