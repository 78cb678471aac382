package orgfile

import (
	"context"
	"errors"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/mgmt"
	"github.com/sesame-idp/sesame/internal/mgmtclient"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

// Actor is who the System Log says made the changes of a local apply.
var Actor = audit.Actor{ID: "sesame-apply", Type: "PublicClientApp", AlternateID: "sesame apply", DisplayName: "sesame apply"}

// LocalTarget is the org in a database this process holds: requests go to
// the management API handler in-process (mgmt.Handler.Local), and what the
// API cannot do goes to the service layer.
func LocalTarget(svc *service.Service, h *mgmt.Handler) Target {
	return Target{API: mgmtclient.Local(svc.OrgURL, h.Local(Actor)), Local: &local{svc: svc}}
}

type local struct{ svc *service.Service }

var applyContext = service.Context{Actor: Actor}

func (l *local) user(ctx context.Context, id string) (*store.User, error) {
	return l.svc.GetUser(ctx, id)
}

func (l *local) PasswordMatches(ctx context.Context, userID, password string) (bool, error) {
	u, err := l.user(ctx, userID)
	if err != nil || u.PasswordHash == "" {
		return false, err
	}
	ok, err := secret.VerifyPassword(password, u.PasswordHash)
	if errors.Is(err, secret.ErrBadHash) {
		return false, nil
	}
	return ok, err
}

func (l *local) PasswordHash(ctx context.Context, userID string) (string, error) {
	u, err := l.user(ctx, userID)
	if err != nil {
		return "", err
	}
	return u.PasswordHash, nil
}

func (l *local) SetPasswordHash(ctx context.Context, userID, phc string) error {
	_, err := l.svc.ImportPasswordHash(ctx, applyContext, userID, phc)
	return err
}

func (l *local) ClientSecretMatches(ctx context.Context, appID, clientSecret string) (bool, error) {
	a, err := l.svc.GetApp(ctx, appID)
	if err != nil {
		return false, err
	}
	return a.SecretMatches(clientSecret), nil
}

func (l *local) SuperAdmin(ctx context.Context, userID string) (bool, error) {
	u, err := l.user(ctx, userID)
	if err != nil {
		return false, err
	}
	return u.SuperAdmin, nil
}

func (l *local) CreateAPIToken(ctx context.Context, ownerID, name, value string) (string, error) {
	return l.svc.ImportAPIToken(ctx, ownerID, name, value)
}

func (l *local) APITokenMatches(ctx context.Context, tokenID, value string) (bool, error) {
	t, err := l.svc.GetAPIToken(ctx, tokenID)
	if err != nil {
		return false, err
	}
	return secret.Matches(value, t.TokenHash), nil
}
