package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// WebAuthn (Okta's webauthn factor, provider FIDO): passkeys and security
// keys, platform or roaming, user verification preferred. The relying
// party is the org URL's host, and only the org URL's origin is accepted:
// an assertion made for any other origin is refused. The credential (its
// public key and flags) is sealed under the master key like a TOTP secret;
// the factor's counter is the authenticator's signature counter, which
// must grow with every use (an authenticator that keeps it at 0, as synced
// passkeys do, is exempt).

// webAuthnTimeout bounds a ceremony.
const webAuthnTimeout = 5 * time.Minute

// WebAuthnProfile is the public profile of a webauthn factor.
type WebAuthnProfile struct {
	CredentialID      string `json:"credentialId"`
	AuthenticatorName string `json:"authenticatorName"`
}

func errWebAuthnRefused() *oktaerr.Error {
	return oktaerr.New(http.StatusForbidden, "E0000068", "Invalid Passcode/Answer",
		"The security key or passkey could not be verified. Try again.")
}

func (s *Service) relyingParty() (*webauthn.WebAuthn, error) {
	u, err := url.Parse(s.OrgURL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("webauthn: the org URL has no host")
	}
	name := "Sesame"
	if s.Cache != nil {
		if snap := s.Cache.Current(); snap != nil && snap.Org != nil && snap.Org.Name != "" {
			name = snap.Org.Name
		}
	}
	return webauthn.New(&webauthn.Config{RPID: u.Hostname(), RPDisplayName: name, RPOrigins: []string{u.Scheme + "://" + u.Host},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: webAuthnTimeout},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: webAuthnTimeout},
		}})
}

// waUser is a user as the WebAuthn library sees them, with their active
// webauthn factors' credentials.
type waUser struct {
	u       *store.User
	creds   []webauthn.Credential
	factors []*store.Factor // factors[i] holds creds[i]
}

func (w *waUser) WebAuthnID() []byte                         { return []byte(w.u.ID) }
func (w *waUser) WebAuthnName() string                       { return w.u.Login }
func (w *waUser) WebAuthnDisplayName() string                { return w.u.DisplayName() }
func (w *waUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

func (s *Service) webAuthnUser(ctx context.Context, u *store.User) (*waUser, error) {
	fs, err := s.Store.Factors().ListByUser(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	w := &waUser{u: u}
	for _, f := range fs {
		if f.Type != store.FactorWebAuthn || f.Status != store.FactorActive {
			continue
		}
		raw, err := keys.OpenFactorSecret(s.Sealer, f.SecretSealed, f.ID)
		if err != nil {
			return nil, err
		}
		var c webauthn.Credential
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		w.creds, w.factors = append(w.creds, c), append(w.factors, f)
	}
	return w, nil
}

// HasWebAuthn says whether a user has an active webauthn factor.
func (s *Service) HasWebAuthn(ctx context.Context, u *store.User) (bool, error) {
	w, err := s.webAuthnUser(ctx, u)
	return err == nil && len(w.creds) > 0, err
}

// BeginWebAuthnEnroll starts registering a passkey: the options for
// navigator.credentials.create and the ceremony's state, which the caller
// keeps (in the sign-in transaction) for FinishWebAuthnEnroll.
func (s *Service) BeginWebAuthnEnroll(ctx context.Context, u *store.User) (options, state []byte, err error) {
	rp, err := s.relyingParty()
	if err != nil {
		return nil, nil, err
	}
	w, err := s.webAuthnUser(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(w.creds))
	for _, c := range w.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, session, err := rp.BeginRegistration(w, webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationPreferred}))
	if err != nil {
		return nil, nil, err
	}
	if options, err = json.Marshal(creation); err != nil {
		return nil, nil, err
	}
	state, err = json.Marshal(session)
	return options, state, err
}

// ceremony is what finishing an enrolment or a verification starts from:
// the relying party, the ceremony's stored session (its challenge) and the
// person as the library sees them.
func (s *Service) ceremony(ctx context.Context, u *store.User, state []byte) (*webauthn.WebAuthn, webauthn.SessionData, *waUser, error) {
	var session webauthn.SessionData
	rp, err := s.relyingParty()
	if err != nil {
		return nil, session, nil, err
	}
	if json.Unmarshal(state, &session) != nil {
		return nil, session, nil, errWebAuthnRefused()
	}
	w, err := s.webAuthnUser(ctx, u)
	if err != nil {
		return nil, session, nil, err
	}
	return rp, session, w, nil
}

// FinishWebAuthnEnroll checks the authenticator's answer and stores the
// credential as an ACTIVE webauthn factor.
func (s *Service) FinishWebAuthnEnroll(ctx context.Context, c Context, u *store.User, factorID string, state, response []byte) (*store.Factor, error) {
	rp, session, w, err := s.ceremony(ctx, u, state)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, s.webAuthnFailed(ctx, c, u, nil, "INVALID_CREDENTIALS")
	}
	cred, err := rp.CreateCredential(w, session, parsed)
	if err != nil {
		return nil, s.webAuthnFailed(ctx, c, u, nil, "INVALID_CREDENTIALS")
	}
	sealedCred, _ := json.Marshal(cred)
	now := s.now()
	if factorID == "" {
		factorID = NewWebAuthnFactorID()
	}
	f := &store.Factor{ID: factorID, UserID: u.ID, Type: store.FactorWebAuthn, Provider: "FIDO", Status: store.FactorActive,
		Counter: int64(cred.Authenticator.SignCount), LastVerified: now, Created: now, LastUpdated: now}
	f.Profile, _ = json.Marshal(WebAuthnProfile{CredentialID: base64.RawURLEncoding.EncodeToString(cred.ID), AuthenticatorName: authenticatorName(cred)})
	if f.SecretSealed, err = keys.SealFactorSecret(s.Sealer, sealedCred, f.ID); err != nil {
		return nil, err
	}
	err = s.Store.InTx(ctx, func(tx store.Store) error {
		if err := tx.Factors().Create(ctx, f); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, c.Request, "user.mfa.factor.update", "Enroll factor", c.Actor, "SUCCESS", userTarget(u), factorTarget(f)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, c.Request, "user.mfa.factor.activate", "Activate factor", c.Actor, "SUCCESS", userTarget(u), factorTarget(f))
	})
	return f, err
}

// NewWebAuthnFactorID names a webauthn factor before it exists: the
// Authentication API shows a pending factor's id at enrolment.
func NewWebAuthnFactorID() string { return secret.NewID("fwf") }

// CredentialIDOf reads the credential id out of an attestation object
// (base64url), for clients that send the attestation without it, as
// Okta's Authentication API takes it.
func CredentialIDOf(attestation []byte) ([]byte, error) {
	var ao protocol.AttestationObject
	if err := webauthncbor.Unmarshal(attestation, &ao); err != nil {
		return nil, err
	}
	if err := ao.AuthData.Unmarshal(ao.RawAuthData); err != nil {
		return nil, err
	}
	if len(ao.AuthData.AttData.CredentialID) == 0 {
		return nil, errors.New("webauthn: the attestation names no credential")
	}
	return ao.AuthData.AttData.CredentialID, nil
}

func authenticatorName(c *webauthn.Credential) string {
	if c.Authenticator.Attachment == protocol.Platform {
		return "Passkey on this device"
	}
	return "Security key or passkey"
}

// BeginWebAuthnVerify starts an assertion with the user's webauthn factors.
func (s *Service) BeginWebAuthnVerify(ctx context.Context, u *store.User) (options, state []byte, err error) {
	rp, err := s.relyingParty()
	if err != nil {
		return nil, nil, err
	}
	w, err := s.webAuthnUser(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	if len(w.creds) == 0 {
		return nil, nil, oktaerr.Validation("factor", "The user has no active webauthn factor.")
	}
	assertion, session, err := rp.BeginLogin(w, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, nil, err
	}
	if options, err = json.Marshal(assertion); err != nil {
		return nil, nil, err
	}
	state, err = json.Marshal(session)
	return options, state, err
}

// FinishWebAuthnVerify checks an assertion: its origin, challenge,
// signature and the factor's signature counter, which must grow.
func (s *Service) FinishWebAuthnVerify(ctx context.Context, c Context, u *store.User, state, response []byte) (*store.Factor, error) {
	rp, session, w, err := s.ceremony(ctx, u, state)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, s.webAuthnFailed(ctx, c, u, nil, "INVALID_CREDENTIALS")
	}
	var f *store.Factor
	for i, cr := range w.creds {
		if string(cr.ID) == string(parsed.RawID) {
			f = w.factors[i]
		}
	}
	if f == nil {
		return nil, s.webAuthnFailed(ctx, c, u, nil, "INVALID_CREDENTIALS")
	}
	now := s.now()
	if f.FailedAttempts >= FactorMaxFailures && now.Sub(f.LastFailure) < FactorLockout {
		return nil, s.webAuthnFailed(ctx, c, u, f, "LOCKED_OUT")
	}
	cred, err := rp.ValidateLogin(w, session, parsed)
	if err != nil {
		if _, ferr := s.Store.Factors().Fail(ctx, f.ID, now, FactorLockout); ferr != nil {
			return nil, ferr
		}
		return nil, s.webAuthnFailed(ctx, c, u, f, "INVALID_CREDENTIALS")
	}
	count := int64(cred.Authenticator.SignCount)
	if count != 0 || f.Counter != 0 {
		ok, err := s.Store.Factors().Advance(ctx, f.ID, count, now)
		if err != nil {
			return nil, err
		}
		if !ok {
			// The counter did not grow: a cloned authenticator, or an
			// assertion replayed.
			return nil, s.webAuthnFailed(ctx, c, u, f, "SIGN_COUNTER_NOT_INCREASED")
		}
	}
	if err := audit.Record(ctx, s.Store, c.Request, "user.authentication.auth_via_mfa", "Authentication of user via MFA",
		c.Actor, "SUCCESS", userTarget(u), factorTarget(f)); err != nil {
		return nil, err
	}
	return f, nil
}

// webAuthnFailed records a refused ceremony and answers it.
func (s *Service) webAuthnFailed(ctx context.Context, c Context, u *store.User, f *store.Factor, reason string) error {
	targets := []audit.Target{userTarget(u)}
	if f != nil {
		targets = append(targets, factorTarget(f))
	}
	ev, err := audit.New(c.Request, "user.authentication.auth_via_mfa", "Authentication of user via MFA", c.Actor, "FAILURE", reason, targets...)
	if err == nil {
		err = s.Store.Audit().Append(ctx, ev)
	}
	if err != nil {
		return err
	}
	if reason == "LOCKED_OUT" {
		return errFactorLocked()
	}
	return errWebAuthnRefused()
}
