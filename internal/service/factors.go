package service

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// TOTP parameters: those every authenticator app understands (RFC 6238's
// defaults), which are also Okta's.
const (
	TOTPPeriod = 30
	totpDigits = otp.DigitsSix
	// totpSecretBytes is RFC 4226's recommended 160-bit key.
	totpSecretBytes = 20
	// totpSkew is how many steps either side of now a code may come from,
	// for clocks that drift and people who type slowly.
	totpSkew = 1
)

// Factor lockout: this many wrong codes in a row, each within
// FactorLockout of the one before, lock the factor for FactorLockout.
const (
	FactorMaxFailures = 5
	FactorLockout     = 15 * time.Minute
)

// qrLifetime bounds how long an enrolment's QR code link works.
const qrLifetime = 30 * time.Minute

// CodeFactorQR is the one-time-code kind of a QR code link.
const CodeFactorQR = "factor_qr"

// Okta's factor errors.
func errInvalidPasscode() *oktaerr.Error {
	return oktaerr.New(http.StatusForbidden, "E0000068", "Invalid Passcode/Answer",
		"Your passcode doesn't match our records. Please try again.")
}

// ErrPasscodeReplayed reports a code that was used already.
func ErrPasscodeReplayed() *oktaerr.Error {
	return oktaerr.New(http.StatusForbidden, "E0000082", "Each code can only be used once. Please wait for a new code and try again.")
}

func errFactorLocked() *oktaerr.Error {
	return oktaerr.New(http.StatusForbidden, "E0000069", "User Locked",
		"Too many wrong codes: this factor is locked for a while. Try again later or ask your administrator to reset it.")
}

func errFactorNotFound(id string) *oktaerr.Error { return oktaerr.NotFound(id, "UserFactor") }

// IsFactorError reports whether err is one of the answers to a wrong,
// reused or locked code (as opposed to a server failure).
func IsFactorError(err error) bool {
	var oe *oktaerr.Error
	return errors.As(err, &oe) && (oe.Code == "E0000068" || oe.Code == "E0000082" || oe.Code == "E0000069")
}

// FactorEnrollment is a new factor with what is shown once: the TOTP
// secret and a link token for its QR code.
type FactorEnrollment struct {
	Factor       *store.Factor
	SharedSecret string
	QRToken      string
	ExpiresAt    time.Time
}

// FactorProfile is the public profile of a TOTP factor.
type FactorProfile struct {
	CredentialID string `json:"credentialId"`
}

func factorTarget(f *store.Factor) audit.Target {
	return audit.Target{ID: f.ID, Type: "Factor", AlternateID: f.Type, DisplayName: factorDisplayName(f.Type)}
}

func factorDisplayName(typ string) string {
	switch typ {
	case store.FactorTOTP:
		return "Okta Verify TOTP"
	case store.FactorWebAuthn:
		return "Security Key or Biometric"
	}
	return typ
}

// ListFactors returns a user's factors.
func (s *Service) ListFactors(ctx context.Context, idOrLogin string) (*store.User, []*store.Factor, error) {
	u, err := loadUser(ctx, s.Store, idOrLogin)
	if err != nil {
		return nil, nil, err
	}
	fs, err := s.Store.Factors().ListByUser(ctx, u.ID)
	return u, fs, err
}

// GetFactor returns a factor of a user; the factor of another user is not
// found, exactly as a factor that does not exist.
func (s *Service) GetFactor(ctx context.Context, idOrLogin, factorID string) (*store.User, *store.Factor, error) {
	return getFactor(ctx, s.Store, idOrLogin, factorID)
}

func getFactor(ctx context.Context, st store.Store, idOrLogin, factorID string) (*store.User, *store.Factor, error) {
	u, err := loadUser(ctx, st, idOrLogin)
	if err != nil {
		return nil, nil, err
	}
	f, err := st.Factors().Get(ctx, factorID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && f.UserID != u.ID) {
		return nil, nil, errFactorNotFound(factorID)
	}
	return u, f, err
}

// EnrollFactor starts enrolling a factor (POST /api/v1/users/{id}/factors):
// the factor is PENDING_ACTIVATION until a code proves the person set it
// up. Enrolling again while pending replaces the pending factor with a new
// secret; a type already ACTIVE must be reset first.
func (s *Service) EnrollFactor(ctx context.Context, c Context, idOrLogin, factorType, provider string) (*FactorEnrollment, error) {
	if factorType != store.FactorTOTP || (provider != "OKTA" && provider != "") {
		return nil, oktaerr.Validation("factorEnrollRequest",
			fmt.Sprintf("factorType: The factor type %q with provider %q is not supported: Sesame enrolls token:software:totp with provider OKTA, and webauthn on the sign-in page.", factorType, provider))
	}
	var out *FactorEnrollment
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := loadUser(ctx, tx, idOrLogin)
		if err != nil {
			return err
		}
		if !UserOpAllowed(OpDeactivate, u.Status) {
			return ErrUserStatus()
		}
		existing, err := tx.Factors().ListByUser(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, f := range existing {
			if f.Type != factorType {
				continue
			}
			if f.Status == store.FactorActive {
				return oktaerr.Validation("factorEnrollRequest", "There is an existing verified factor of this type: reset it before enrolling another.")
			}
			if err := tx.Factors().Delete(ctx, f.ID); err != nil {
				return err
			}
		}
		raw := secret.RawBytes(totpSecretBytes)
		now := s.now()
		f := &store.Factor{ID: secret.NewID("ost"), UserID: u.ID, Type: store.FactorTOTP, Provider: "OKTA",
			Status: store.FactorPending, Created: now, LastUpdated: now}
		f.Profile, _ = json.Marshal(FactorProfile{CredentialID: u.Login})
		if f.SecretSealed, err = keys.SealFactorSecret(s.Sealer, raw, f.ID); err != nil {
			return err
		}
		if err := tx.Factors().Create(ctx, f); err != nil {
			return err
		}
		key, err := s.totpKey(u, raw)
		if err != nil {
			return err
		}
		qr := secret.Token("", 24)
		exp := now.Add(qrLifetime)
		data, _ := json.Marshal(qrData{UserID: u.ID, FactorID: f.ID})
		if err := tx.Codes().Create(ctx, &store.Code{Kind: CodeFactorQR, Hash: secret.Hash(qr), Data: data, Created: now, ExpiresAt: exp}); err != nil {
			return err
		}
		out = &FactorEnrollment{Factor: f, SharedSecret: key.Secret(), QRToken: qr, ExpiresAt: exp}
		return audit.Record(ctx, tx, c.Request, "user.mfa.factor.update", "Enroll factor", c.Actor, "SUCCESS", userTarget(u), factorTarget(f))
	})
	return out, err
}

type qrData struct {
	UserID   string `json:"uid"`
	FactorID string `json:"fid"`
}

// totpKey is the otpauth:// key of a secret: the issuer is the org's name
// and the account the user's login, as an authenticator app lists them.
func (s *Service) totpKey(u *store.User, raw []byte) (*otp.Key, error) {
	issuer := "Sesame"
	if s.Cache != nil {
		if snap := s.Cache.Current(); snap != nil && snap.Org != nil && snap.Org.Name != "" {
			issuer = snap.Org.Name
		}
	}
	return totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: u.Login, Period: TOTPPeriod,
		Secret: raw, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
}

// FactorQR renders the QR code of a pending TOTP factor as a PNG, for the
// link the enrolment returned (which is the credential: it works without
// an API token, as Okta's does, until it expires or the factor is active).
func (s *Service) FactorQR(ctx context.Context, userID, factorID, token string) ([]byte, error) {
	notFound := oktaerr.PathNotFound()
	if token == "" || len(token) > 200 {
		return nil, notFound
	}
	code, err := s.Store.Codes().Get(ctx, CodeFactorQR, secret.Hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	var d qrData
	if json.Unmarshal(code.Data, &d) != nil || d.UserID != userID || d.FactorID != factorID || !s.now().Before(code.ExpiresAt) {
		return nil, notFound
	}
	u, f, err := getFactor(ctx, s.Store, userID, factorID)
	if err != nil {
		return nil, notFound
	}
	if f.Status != store.FactorPending {
		return nil, notFound
	}
	return s.TOTPQRCode(u, f)
}

// TOTPQRCode renders a TOTP factor's otpauth:// URL as a PNG QR code.
func (s *Service) TOTPQRCode(u *store.User, f *store.Factor) ([]byte, error) {
	raw, err := keys.OpenFactorSecret(s.Sealer, f.SecretSealed, f.ID)
	if err != nil {
		return nil, err
	}
	key, err := s.totpKey(u, raw)
	if err != nil {
		return nil, err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ActivateFactor finishes an enrolment with a code from the new factor.
func (s *Service) ActivateFactor(ctx context.Context, c Context, idOrLogin, factorID, passCode string) (*store.Factor, error) {
	u, f, err := s.GetFactor(ctx, idOrLogin, factorID)
	if err != nil {
		return nil, err
	}
	if f.Status != store.FactorPending {
		return nil, oktaerr.Validation("factor", "The factor is already active.")
	}
	if err := s.checkCode(ctx, c, u, f, passCode); err != nil {
		return nil, err
	}
	err = s.Store.InTx(ctx, func(tx store.Store) error {
		f.Status, f.LastUpdated = store.FactorActive, s.now()
		if err := tx.Factors().Update(ctx, f); err != nil {
			return err
		}
		return audit.Record(ctx, tx, c.Request, "user.mfa.factor.activate", "Activate factor", c.Actor, "SUCCESS", userTarget(u), factorTarget(f))
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errFactorNotFound(factorID)
	}
	return f, err
}

// VerifyFactor checks a code of an ACTIVE factor
// (POST /api/v1/users/{id}/factors/{factorId}/verify, and the sign-in
// step).
func (s *Service) VerifyFactor(ctx context.Context, c Context, idOrLogin, factorID, passCode string) (*store.Factor, error) {
	u, f, err := s.GetFactor(ctx, idOrLogin, factorID)
	if err != nil {
		return nil, err
	}
	if f.Status != store.FactorActive {
		return nil, oktaerr.Validation("factor", "The factor is not active: activate it first.")
	}
	if f.Type != store.FactorTOTP {
		return nil, oktaerr.Validation("factor", "This factor is verified with an assertion, not a passCode.")
	}
	if err := s.checkCode(ctx, c, u, f, passCode); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, s.Store, c.Request, "user.authentication.auth_via_mfa", "Authentication of user via MFA",
		c.Actor, "SUCCESS", userTarget(u), factorTarget(f)); err != nil {
		return nil, err
	}
	return f, nil
}

// checkCode accepts a TOTP code of now's step or one step either side,
// once: the step it matched becomes the factor's counter, so that neither
// the same code nor an older one is accepted again. Wrong codes count
// towards the factor's lockout, and every refusal is in the System Log.
func (s *Service) checkCode(ctx context.Context, c Context, u *store.User, f *store.Factor, passCode string) error {
	now := s.now()
	fail := func(reason string, e *oktaerr.Error) error {
		ev, err := audit.New(c.Request, "user.authentication.auth_via_mfa", "Authentication of user via MFA", c.Actor, "FAILURE", reason,
			userTarget(u), factorTarget(f))
		if err == nil {
			err = s.Store.Audit().Append(ctx, ev)
		}
		if err != nil {
			return err
		}
		return e
	}
	if f.FailedAttempts >= FactorMaxFailures && now.Sub(f.LastFailure) < FactorLockout {
		return fail("LOCKED_OUT", errFactorLocked())
	}
	passCode = strings.TrimSpace(passCode)
	if passCode == "" {
		return oktaerr.Validation("passCode", "passCode: The field cannot be left blank")
	}
	raw, err := keys.OpenFactorSecret(s.Sealer, f.SecretSealed, f.ID)
	if err != nil {
		return err
	}
	b32 := totpSecretString(raw)
	step := now.Unix() / TOTPPeriod
	matched := int64(-1)
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		want, err := hotp.GenerateCodeCustom(b32, uint64(step+d), hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(passCode)) == 1 {
			matched = step + d
		}
	}
	if matched < 0 {
		n, err := s.Store.Factors().Fail(ctx, f.ID, now, FactorLockout)
		if err != nil {
			return err
		}
		if n == FactorMaxFailures {
			_ = audit.Record(ctx, s.Store, c.Request, "user.mfa.factor.suspend", "Factor locked after too many wrong codes", c.Actor, "SUCCESS", userTarget(u), factorTarget(f))
		}
		return fail("INVALID_CREDENTIALS", errInvalidPasscode())
	}
	ok, err := s.Store.Factors().Advance(ctx, f.ID, matched, now)
	if err != nil {
		return err
	}
	if !ok {
		return fail("PASSCODE_REPLAYED", ErrPasscodeReplayed())
	}
	f.Counter, f.FailedAttempts, f.LastVerified = matched, 0, now
	return nil
}

// totpSecretString is a raw secret as authenticator apps take it: base32
// without padding.
func totpSecretString(raw []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
}

// DeleteFactor removes one factor (DELETE /api/v1/users/{id}/factors/{factorId}).
func (s *Service) DeleteFactor(ctx context.Context, c Context, idOrLogin, factorID string) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		u, f, err := getFactor(ctx, tx, idOrLogin, factorID)
		if err != nil {
			return err
		}
		if err := tx.Factors().Delete(ctx, f.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, c.Request, "user.mfa.factor.deactivate", "Reset factor", c.Actor, "SUCCESS", userTarget(u), factorTarget(f))
	})
}

// ResetFactors removes every factor of a user (lifecycle/reset_factors):
// the person enrolls again at the next sign-in that asks for a factor.
func (s *Service) ResetFactors(ctx context.Context, c Context, idOrLogin string) error {
	return s.Store.InTx(ctx, func(tx store.Store) error {
		u, err := loadUser(ctx, tx, idOrLogin)
		if err != nil {
			return err
		}
		if _, err := tx.Factors().DeleteByUser(ctx, u.ID); err != nil {
			return err
		}
		if err := tx.RecoveryCodes().DeleteByUser(ctx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, c.Request, "user.mfa.factor.reset_all", "Reset all factors for user", c.Actor, "SUCCESS", userTarget(u))
	})
}

// PendingTOTP shows a pending TOTP factor again, on the sign-in page after
// a wrong first code: its QR code (PNG) and its secret as typed. An active
// factor's secret is never shown again.
func (s *Service) PendingTOTP(u *store.User, f *store.Factor) ([]byte, string, error) {
	if f.Status != store.FactorPending || f.Type != store.FactorTOTP || f.UserID != u.ID {
		return nil, "", errFactorNotFound(f.ID)
	}
	raw, err := keys.OpenFactorSecret(s.Sealer, f.SecretSealed, f.ID)
	if err != nil {
		return nil, "", err
	}
	img, err := s.TOTPQRCode(u, f)
	return img, totpSecretString(raw), err
}
