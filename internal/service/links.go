package service

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// Activation and password-reset links: one-time tokens kept as codes
// (only their SHA-256 is stored), served by the hosted pages /welcome/{token}
// and /reset_password/{token} (Okta's paths), where the person chooses a
// password and is signed in.

// Link kinds, as store.Code kinds.
const (
	LinkActivation = "activation_token"
	LinkReset      = "recovery_token"
)

// Okta's defaults: an activation e-mail is valid for 7 days, a reset link
// for one hour.
const (
	ActivationLinkLifetime = 7 * 24 * time.Hour
	ResetLinkLifetime      = time.Hour
)

// LinkSender delivers a link to the person it is for (an e-mail, in
// practice). It is called after the link exists, outside any transaction;
// an error is logged and does not undo the lifecycle operation (the
// administrator can ask for the link again with sendEmail=false).
type LinkSender interface {
	SendActivation(ctx context.Context, u *store.User, link string, expires time.Time) error
	SendReset(ctx context.Context, u *store.User, link string, expires time.Time) error
}

// LogOnlySender is the LinkSender of a Sesame without a mailer: it sends
// nothing and logs (without the link, which is a credential) that nothing
// was sent.
type LogOnlySender struct{ Service *Service }

func (l LogOnlySender) SendActivation(ctx context.Context, u *store.User, _ string, _ time.Time) error {
	l.Service.Log.Warn("no mailer configured: the activation link was not sent; use sendEmail=false to get it", "user", u.ID)
	return nil
}

func (l LogOnlySender) SendReset(ctx context.Context, u *store.User, _ string, _ time.Time) error {
	l.Service.Log.Warn("no mailer configured: the password reset link was not sent; use sendEmail=false to get it", "user", u.ID)
	return nil
}

// UserLink is an issued link.
type UserLink struct {
	Kind    string
	Token   string
	URL     string
	Expires time.Time
}

// linkData is what a link token stands for. PasswordChanged pins the
// link to the password it replaces: once any password is set the link is
// spent, so a newer link, an administrator's reset or the other link of
// the same user closes it.
type linkData struct {
	UserID          string `json:"uid"`
	PasswordChanged int64  `json:"pwc"`
}

func linkPath(kind string) string {
	if kind == LinkReset {
		return "/reset_password/"
	}
	return "/welcome/"
}

// wantsLink is the status a user must be in for a link of kind to work.
func wantsLink(kind string) string {
	if kind == LinkReset {
		return store.UserRecovery
	}
	return store.UserProvisioned
}

// LinkLifecycle runs activate, reactivate or reset_password and issues the
// link the new status calls for: an activation link for a PROVISIONED
// user, a reset link for one in RECOVERY (none for a user activated with a
// password). With sendEmail the link goes to the LinkSender and is not
// returned.
func (s *Service) LinkLifecycle(ctx context.Context, c Context, idOrLogin, op string, sendEmail bool) (*UserLink, error) {
	var link *UserLink
	var user *store.User
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := loadUser(ctx, tx, idOrLogin)
		if err != nil {
			return err
		}
		if err := s.transition(ctx, tx, c, u, op); err != nil {
			return err
		}
		user = u
		kind := LinkActivation
		if op == OpResetPassword {
			kind = LinkReset
		}
		if u.Status != wantsLink(kind) {
			return nil
		}
		lifetime := ActivationLinkLifetime
		if kind == LinkReset {
			lifetime = ResetLinkLifetime
		}
		now := s.now()
		tok := secret.RandomString(32)
		data, _ := json.Marshal(linkData{UserID: u.ID, PasswordChanged: u.PasswordChanged.UnixMilli()})
		link = &UserLink{Kind: kind, Token: tok, URL: s.OrgURL + linkPath(kind) + tok, Expires: now.Add(lifetime)}
		return tx.Codes().Create(ctx, &store.Code{Kind: kind, Hash: secret.Hash(tok), Data: data, Created: now, ExpiresAt: link.Expires})
	})
	if err != nil {
		return nil, err
	}
	s.syncRevocations(ctx)
	if link == nil || !sendEmail {
		return link, nil
	}
	var sender LinkSender = LogOnlySender{s}
	if s.Links != nil {
		sender = s.Links
	}
	send := sender.SendActivation
	if link.Kind == LinkReset {
		send = sender.SendReset
	}
	if err := send(ctx, user, link.URL, link.Expires); err != nil {
		s.Log.Error("sending the link failed", "user", user.ID, "kind", link.Kind, "err", err)
	}
	return nil, nil
}

// Why a link does not work.
var (
	ErrLinkInvalid = errors.New("the link is not valid")
	ErrLinkUsed    = errors.New("the link was used already")
	ErrLinkExpired = errors.New("the link has expired")
)

// CheckLink returns the user a link is for while it works.
func (s *Service) CheckLink(ctx context.Context, kind, token string) (*store.User, error) {
	if token == "" || len(token) > 100 {
		return nil, ErrLinkInvalid
	}
	c, err := s.Store.Codes().Get(ctx, kind, secret.Hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrLinkInvalid
	}
	if err != nil {
		return nil, err
	}
	if !c.UsedAt.IsZero() {
		return nil, ErrLinkUsed
	}
	if !s.now().Before(c.ExpiresAt) {
		return nil, ErrLinkExpired
	}
	return s.linkUser(ctx, s.Store, c)
}

func (s *Service) linkUser(ctx context.Context, st store.Store, c *store.Code) (*store.User, error) {
	var d linkData
	if err := json.Unmarshal(c.Data, &d); err != nil {
		return nil, ErrLinkInvalid
	}
	u, err := st.Users().Get(ctx, d.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrLinkInvalid
	}
	if err != nil {
		return nil, err
	}
	if u.Status != wantsLink(c.Kind) || u.PasswordChanged.UnixMilli() != d.PasswordChanged {
		return nil, ErrLinkUsed
	}
	return u, nil
}

// CompleteLink spends a link: the password (held to the password policy,
// checked before the link is spent so that a refused password leaves it
// usable) becomes the user's, who is then ACTIVE.
func (s *Service) CompleteLink(ctx context.Context, req audit.Request, kind, token, password string) (*store.User, error) {
	u, err := s.CheckLink(ctx, kind, token)
	if err != nil {
		return nil, err
	}
	if err := checkPasswordStrength(password, u.Login); err != nil {
		return nil, err
	}
	hash, err := secret.HashPassword(password)
	if err != nil {
		return nil, err
	}
	var out *store.User
	err = s.Store.InTx(ctx, func(tx store.Store) error {
		c, err := tx.Codes().Use(ctx, kind, secret.Hash(token), s.now())
		switch {
		case errors.Is(err, store.ErrConflict):
			return ErrLinkUsed
		case errors.Is(err, store.ErrNotFound):
			return ErrLinkExpired
		case err != nil:
			return err
		}
		u, err := s.linkUser(ctx, tx, c)
		if err != nil {
			return err
		}
		now := s.now()
		if err := s.setPassword(u, password, hash, now); err != nil {
			return err
		}
		u.LastUpdated = now
		if err := tx.Users().Update(ctx, u); err != nil {
			return err
		}
		out = u
		actor := Context{Actor: audit.UserActor(u), Request: req}
		if kind == LinkReset {
			return s.record(ctx, tx, actor, "user.account.reset_password", "Reset user password", userTarget(u))
		}
		return s.record(ctx, tx, actor, "user.lifecycle.activate", "Activate Okta user", userTarget(u))
	})
	return out, err
}

// PasswordRules are the password policy's rules as a person reads them
// (checkPasswordStrength enforces them).
func PasswordRules() []string {
	return []string{"At least 8 characters", "A lowercase letter, an uppercase letter and a number", "No part of your username"}
}
