package signin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

// The second-factor step of a sign-in, shared by the Authentication API
// (/api/v1/authn's MFA states) and the hosted sign-in page. After the
// password, the org's sign-on policy decides whether a factor is due; if
// so the sign-in becomes a transaction named by a stateToken. Each
// transition (enrol, activate, verify) spends its stateToken and, unless it
// finishes the sign-in, hands out a new one: a token works once, and for
// stateTokenLifetime at most.

// Transaction states, as Okta names them.
const (
	StateMFARequired       = "MFA_REQUIRED"
	StateMFAEnroll         = "MFA_ENROLL"
	StateMFAEnrollActivate = "MFA_ENROLL_ACTIVATE"
	StateMFAChallenge      = "MFA_CHALLENGE"
)

const (
	codeAuthnState = "authn_state" // a stateToken
	codeMFADevice  = "mfa_device"  // a remembered device
	// stateTokenLifetime bounds each step of a transaction, as Okta's
	// transactions expire after a few minutes.
	stateTokenLifetime = 5 * time.Minute
	// DeviceCookie remembers a device that gave a factor, for the rule's
	// factorLifetime (factorPromptMode DEVICE).
	DeviceCookie = "sesame_mfa_device"
)

// mfaTx is what a stateToken stands for.
type mfaTx struct {
	UserID   string    `json:"uid"`
	Status   string    `json:"status"`
	AuthTime time.Time `json:"auth_time"`
	// FactorID is the factor being activated or challenged.
	FactorID string `json:"fid,omitempty"`
	// FromURI is where the hosted page goes on after sign-in.
	FromURI string `json:"from,omitempty"`
	// Remember: the policy lets the device be remembered (DEVICE), for
	// RememberMinutes; RememberDefault is the checkbox's initial state.
	Remember        bool `json:"remember,omitempty"`
	RememberDefault bool `json:"remember_default,omitempty"`
	RememberMinutes int  `json:"remember_minutes,omitempty"`
	// FactorType is webauthn while a passkey ceremony runs; WebAuthn is
	// that ceremony's state (challenge, user, allowed credentials).
	FactorType string          `json:"ftype,omitempty"`
	WebAuthn   json.RawMessage `json:"webauthn,omitempty"`
}

// errInvalidState is a stateToken that is unknown, expired or spent.
func errInvalidState() *oktaerr.Error { return oktaerr.InvalidToken() }

// RegisterMFA adds the Authentication API's factor routes and the hosted
// page's factor step; svc decides the policy and checks the factors.
func (h *Handler) RegisterMFA(mux *http.ServeMux, svc *service.Service) {
	h.svc = svc
	mux.HandleFunc("POST /api/v1/authn/factors", h.authnEnroll)
	mux.HandleFunc("POST /api/v1/authn/factors/{factorId}/verify", h.authnVerify)
	mux.HandleFunc("POST /api/v1/authn/factors/{factorId}/lifecycle/activate", h.authnActivate)
	mux.HandleFunc("POST /api/v1/authn/cancel", h.authnCancel)
	h.registerFactorPage(mux)
}

// factorDue decides, right after the password, whether this sign-in needs
// a second factor: the org's sign-on policy says so and the device is not
// one remembered for this user. A DENY rule is ErrInvalidCredentials, as
// Okta answers it.
func (h *Handler) factorDue(ctx context.Context, r *http.Request, u *store.User) (*service.SignOnDecision, error) {
	if h.svc == nil {
		return nil, nil
	}
	d, err := h.svc.EvaluateSignOn(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if d.Deny {
		return nil, ErrInvalidCredentials
	}
	if !d.RequireFactor {
		return nil, nil
	}
	if d.PromptMode == service.PromptDevice && h.deviceRemembered(ctx, r, u.ID) {
		return nil, nil
	}
	return d, nil
}

// deviceRemembered says whether the request's device cookie was set for
// this user by a factor verification still within its lifetime.
func (h *Handler) deviceRemembered(ctx context.Context, r *http.Request, userID string) bool {
	c, err := r.Cookie(DeviceCookie)
	if err != nil || c.Value == "" || len(c.Value) > 200 {
		return false
	}
	code, err := h.mgr.st.Codes().Get(ctx, codeMFADevice, secret.Hash(c.Value))
	if err != nil || !h.mgr.clock().Before(code.ExpiresAt) {
		return false
	}
	var d struct {
		UserID string `json:"uid"`
	}
	return json.Unmarshal(code.Data, &d) == nil && d.UserID == userID
}

// rememberDevice sets the device cookie after a factor, for minutes.
func (h *Handler) rememberDevice(ctx context.Context, w http.ResponseWriter, r *http.Request, userID string, minutes int) error {
	if minutes <= 0 {
		minutes = service.DefaultFactorLifetime
	}
	now := h.mgr.clock()
	exp := now.Add(time.Duration(minutes) * time.Minute)
	tok := secret.RandomString(43)
	data, _ := json.Marshal(map[string]string{"uid": userID})
	if err := h.mgr.st.Codes().Create(ctx, &store.Code{Kind: codeMFADevice, Hash: secret.Hash(tok), Data: data, Created: now, ExpiresAt: exp}); err != nil {
		return err
	}
	c := h.mgr.cookie(r, tok, exp.Truncate(time.Second).Add(time.Second))
	c.Name = DeviceCookie
	http.SetCookie(w, c)
	return nil
}

// startTx opens the factor step for a user whose password was right:
// MFA_REQUIRED when they have an active factor, MFA_ENROLL when not.
func (h *Handler) startTx(ctx context.Context, u *store.User, d *service.SignOnDecision, from string) (*mfaTx, string, time.Time, error) {
	tx := &mfaTx{UserID: u.ID, AuthTime: h.mgr.clock(), FromURI: from}
	if d != nil && d.PromptMode == service.PromptDevice {
		tx.Remember, tx.RememberDefault, tx.RememberMinutes = true, d.RememberDeviceByDefault, int(d.FactorLifetime/time.Minute)
	}
	active, err := h.activeFactors(ctx, u.ID)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	tx.Status = StateMFAEnroll
	if len(active) > 0 {
		tx.Status = StateMFARequired
	}
	tok, exp, err := h.saveTx(ctx, tx)
	return tx, tok, exp, err
}

// startStepUp opens the factor step for someone already signed in whose
// app asks for a factor their session does not have.
func (h *Handler) startStepUp(ctx context.Context, s *store.Session, from string) (*mfaTx, string, error) {
	tx := &mfaTx{UserID: s.UserID, AuthTime: s.Created, FromURI: from}
	active, err := h.activeFactors(ctx, s.UserID)
	if err != nil {
		return nil, "", err
	}
	tx.Status = StateMFAEnroll
	if len(active) > 0 {
		tx.Status = StateMFARequired
	}
	tok, _, err := h.saveTx(ctx, tx)
	return tx, tok, err
}

func (h *Handler) activeFactors(ctx context.Context, userID string) ([]*store.Factor, error) {
	fs, err := h.mgr.st.Factors().ListByUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(fs, func(f *store.Factor) bool { return f.Status != store.FactorActive }), nil
}

func (h *Handler) saveTx(ctx context.Context, tx *mfaTx) (string, time.Time, error) {
	now := h.mgr.clock()
	tok := secret.Token("00", 40)
	data, _ := json.Marshal(tx)
	exp := now.Add(stateTokenLifetime)
	err := h.mgr.st.Codes().Create(ctx, &store.Code{Kind: codeAuthnState, Hash: secret.Hash(tok), Data: data, Created: now, ExpiresAt: exp})
	return tok, exp, err
}

// loadTx reads the transaction of a stateToken that is still good, without
// spending it: a wrong code leaves the step where it was.
func (h *Handler) loadTx(ctx context.Context, tok string) (*mfaTx, error) {
	if tok == "" || len(tok) > 200 {
		return nil, errInvalidState()
	}
	c, err := h.mgr.st.Codes().Get(ctx, codeAuthnState, secret.Hash(tok))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidState()
	}
	if err != nil {
		return nil, err
	}
	if !c.UsedAt.IsZero() || !h.mgr.clock().Before(c.ExpiresAt) {
		return nil, errInvalidState()
	}
	var tx mfaTx
	if json.Unmarshal(c.Data, &tx) != nil {
		return nil, errInvalidState()
	}
	u, err := h.mgr.st.Users().Get(ctx, tx.UserID)
	if err != nil || !u.CanSignIn() {
		return nil, errInvalidState()
	}
	return &tx, nil
}

// spendTx marks a stateToken used; of two concurrent transitions only one
// gets through.
func (h *Handler) spendTx(ctx context.Context, tok string) error {
	_, err := h.mgr.st.Codes().Use(ctx, codeAuthnState, secret.Hash(tok), h.mgr.clock())
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		return errInvalidState()
	}
	return err
}

// txFactor is a factor of the transaction's user: another user's factor
// is not found, exactly as one that does not exist.
func (h *Handler) txFactor(ctx context.Context, tx *mfaTx, factorID string) (*store.Factor, error) {
	f, err := h.mgr.st.Factors().Get(ctx, factorID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && f.UserID != tx.UserID) {
		return nil, oktaerr.NotFound(factorID, "UserFactor")
	}
	return f, err
}

// amrOf is what a factor adds to the password in the session's and the ID
// token's amr, as Okta writes it.
func amrOf(f *store.Factor) []string {
	switch f.Type {
	case store.FactorWebAuthn:
		return []string{"pwd", "hwk", "mfa"}
	default:
		return []string{"pwd", "otp", "mfa"}
	}
}

func (h *Handler) svcContext(r *http.Request, u *store.User) service.Context {
	return service.Context{Actor: audit.UserActor(u), Request: audit.RequestFrom(r)}
}

// enrollInTx starts enrolling a factor in a transaction: its state must be
// MFA_ENROLL, or MFA_REQUIRED/ENROLL_ACTIVATE (a person adding or
// restarting an enrolment).
func (h *Handler) enrollInTx(ctx context.Context, r *http.Request, tx *mfaTx, factorType, provider string) (*service.FactorEnrollment, error) {
	u, err := h.mgr.st.Users().Get(ctx, tx.UserID)
	if err != nil {
		return nil, errInvalidState()
	}
	if tx.Status != StateMFAEnroll && tx.Status != StateMFAEnrollActivate {
		return nil, oktaerr.New(http.StatusForbidden, "E0000038", "This operation is not allowed in the current authentication state.")
	}
	return h.svc.EnrollFactor(ctx, h.svcContext(r, u), u.ID, factorType, provider)
}

// checkInTx checks a passCode for the factor of a transaction: activation
// of the factor being enrolled (MFA_ENROLL_ACTIVATE) or verification of an
// active factor (MFA_REQUIRED, MFA_CHALLENGE).
func (h *Handler) checkInTx(ctx context.Context, r *http.Request, tx *mfaTx, f *store.Factor, passCode string, activate bool) error {
	u, err := h.mgr.st.Users().Get(ctx, tx.UserID)
	if err != nil {
		return errInvalidState()
	}
	sc := h.svcContext(r, u)
	if activate {
		if tx.Status != StateMFAEnrollActivate || tx.FactorID != f.ID {
			return oktaerr.New(http.StatusForbidden, "E0000038", "This operation is not allowed in the current authentication state.")
		}
		_, err = h.svc.ActivateFactor(ctx, sc, u.ID, f.ID, passCode)
		return err
	}
	if tx.Status != StateMFARequired && tx.Status != StateMFAChallenge {
		return oktaerr.New(http.StatusForbidden, "E0000038", "This operation is not allowed in the current authentication state.")
	}
	_, err = h.svc.VerifyFactor(ctx, sc, u.ID, f.ID, passCode)
	return err
}

func hashOf(tok string) []byte { return secret.Hash(tok) }
