package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
// an error does not undo the lifecycle operation: the link is then handed
// to the administrator instead (see LinkLifecycle).
type LinkSender interface {
	SendActivation(ctx context.Context, u *store.User, link string, expires time.Time) error
	SendReset(ctx context.Context, u *store.User, link string, expires time.Time) error
}

// UserLink is an issued link.
type UserLink struct {
	Kind    string
	Token   string
	URL     string
	Expires time.Time
	// Sent is set when the link went to the person by e-mail; otherwise
	// the caller must show it to the administrator.
	Sent bool
	// NotSent says why a link asked to be e-mailed was not (no mailer
	// configured, or the mail server refused).
	NotSent string
}

// linkData is what a link token stands for. PasswordChanged pins the
// link to the password it replaces: once any password is set the link is
// spent, so a newer link, an administrator's reset or the other link of
// the same user closes it.
type linkData struct {
	UserID          string `json:"uid"`
	PasswordChanged int64  `json:"pwc"`
	// Self marks the reset link of a person's own "Forgot password?": it
	// leaves them ACTIVE (anyone can ask for it, so it must not lock them
	// out) and works while they may still sign in.
	Self bool `json:"self,omitempty"`
}

// selfResetStatuses are the statuses in which a person may reset their
// own password by e-mail.
var selfResetStatuses = map[string]bool{store.UserActive: true, store.UserPasswordExpired: true, store.UserRecovery: true}

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
// password). With sendEmail the link goes to the LinkSender (Sent); with
// no LinkSender configured, or when sending fails, the link is returned
// unsent with the reason, so that it is never silently lost: the caller
// shows it to the administrator.
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
		link, err = s.issueLink(ctx, tx, u, kind, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.syncRevocations(ctx)
	if link == nil || !sendEmail {
		return link, nil
	}
	s.sendLink(ctx, user, link)
	return link, nil
}

// issueLink stores a new link of kind for u.
func (s *Service) issueLink(ctx context.Context, tx store.Store, u *store.User, kind string, self bool) (*UserLink, error) {
	lifetime := ActivationLinkLifetime
	if kind == LinkReset {
		lifetime = ResetLinkLifetime
	}
	now := s.now()
	tok := secret.RandomString(32)
	data, _ := json.Marshal(linkData{UserID: u.ID, PasswordChanged: u.PasswordChanged.UnixMilli(), Self: self})
	link := &UserLink{Kind: kind, Token: tok, URL: s.OrgURL + linkPath(kind) + tok, Expires: now.Add(lifetime)}
	return link, tx.Codes().Create(ctx, &store.Code{Kind: kind, Hash: secret.Hash(tok), Data: data, Created: now, ExpiresAt: link.Expires})
}

// SelfResetAvailable says whether "Forgot password?" can work: only with
// a mail server, since the link must reach the person and no one else.
func (s *Service) SelfResetAvailable() bool { return s.Links != nil }

// ForgotPassword is the sign-in page's "Forgot password?": when login
// names a person who may reset their password (ACTIVE, PASSWORD_EXPIRED
// or RECOVERY), a reset link is e-mailed to them; their status and
// password stay as they are until the link is used. It returns nothing
// the caller could tell apart: the page answers the same whether or not
// the person exists. Every request is in the System Log:
// system.email.password_reset.sent_message, SUCCESS when the e-mail left,
// FAILURE (with the reason) otherwise.
func (s *Service) ForgotPassword(ctx context.Context, req audit.Request, login string) {
	anon := audit.Actor{ID: "unknown", Type: "User", AlternateID: login, DisplayName: "unknown"}
	event := func(actor audit.Actor, result, reason string, targets ...audit.Target) {
		e, err := audit.New(req, "system.email.password_reset.sent_message", "Send password reset email", actor, result, reason, targets...)
		if err == nil {
			err = s.Store.Audit().Append(ctx, e)
		}
		if err != nil {
			s.Log.Error("recording a password reset request failed", "err", err)
		}
	}
	if s.Links == nil {
		event(anon, "FAILURE", "no mail server is configured")
		return
	}
	u, err := s.Store.Users().GetByLogin(ctx, login)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.Log.Error("looking up a person for a password reset failed", "err", err)
		}
		event(anon, "FAILURE", "no such user")
		return
	}
	actor, target := audit.UserActor(u), userTarget(u)
	if !selfResetStatuses[u.Status] {
		event(actor, "FAILURE", "not allowed in the user's status "+u.Status, target)
		return
	}
	link, err := s.issueLink(ctx, s.Store, u, LinkReset, true)
	if err != nil {
		s.Log.Error("issuing a password reset link failed", "user", u.ID, "err", err)
		event(actor, "FAILURE", "internal error", target)
		return
	}
	if err := s.Links.SendReset(ctx, u, link.URL, link.Expires); err != nil {
		s.Log.Error("sending the password reset e-mail failed", "user", u.ID, "err", err)
		event(actor, "FAILURE", "the e-mail could not be sent", target)
		return
	}
	event(actor, "SUCCESS", "", target)
}

// sendLink e-mails link to u, or records in link why it was not.
func (s *Service) sendLink(ctx context.Context, u *store.User, link *UserLink) {
	if s.Links == nil {
		link.NotSent = "no mail server is configured (--smtp-url)"
		s.Log.Warn("no mailer configured: the link is handed to the administrator instead of e-mailed", "user", u.ID, "kind", link.Kind)
		return
	}
	send := s.Links.SendActivation
	if link.Kind == LinkReset {
		send = s.Links.SendReset
	}
	if err := send(ctx, u, link.URL, link.Expires); err != nil {
		link.NotSent = "the e-mail could not be sent"
		s.Log.Error("sending the link failed; it is handed to the administrator instead", "user", u.ID, "kind", link.Kind, "err", err)
		return
	}
	link.Sent = true
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
	statusOK := u.Status == wantsLink(c.Kind)
	if d.Self {
		statusOK = c.Kind == LinkReset && selfResetStatuses[u.Status]
	}
	if !statusOK || u.PasswordChanged.UnixMilli() != d.PasswordChanged {
		return nil, ErrLinkUsed
	}
	return u, nil
}

// CompleteLink spends a link: the password (held to the password policy,
// checked before the link is spent so that a refused password leaves it
// usable) becomes the user's, who is then ACTIVE. A reset also ends every
// session the user had.
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
			// Whoever held the account before the reset — perhaps the
			// reason for it — keeps no session; the person who reset it
			// is signed in afresh once this commits.
			if _, err := tx.Sessions().DeleteByUser(ctx, u.ID); err != nil {
				return fmt.Errorf("end sessions of %s: %w", u.ID, err)
			}
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
