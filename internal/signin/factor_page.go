package signin

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/pages"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// The hosted page's factor step: after the password (when the sign-on
// policy asks), or for a signed-in person whose app asks for a factor the
// session lacks (step-up, GET /login/factor?fromURI=…). The forms carry
// the transaction's stateToken, spent as in the Authentication API.

func (h *Handler) registerFactorPage(mux *http.ServeMux) {
	mux.HandleFunc("GET /login/factor", h.factorStepUp)
	mux.HandleFunc("POST /login/factor", h.factorVerifySubmit)
	mux.HandleFunc("POST /login/factor/enroll", h.factorEnrollSubmit)
	mux.HandleFunc("POST /login/factor/activate", h.factorActivateSubmit)
	mux.HandleFunc("POST /login/factor/webauthn/start", h.webAuthnStartSubmit)
	mux.HandleFunc("POST /login/factor/webauthn", h.webAuthnFinishSubmit)
	mux.HandleFunc("POST /login/factor/recovery", h.recoverySubmit)
}

// recoverySubmit signs in with a recovery code in place of the factor
// (the verify step only: enrolment gives codes, it does not take them).
func (h *Handler) recoverySubmit(w http.ResponseWriter, r *http.Request) {
	tx, tok, ok := h.factorForm(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if tx.Status != StateMFARequired && tx.Status != StateMFAChallenge {
		h.renderFactor(w, r, http.StatusForbidden, tx, tok, "This step is not possible now. Sign in again.")
		return
	}
	u, err := h.mgr.st.Users().Get(ctx, tx.UserID)
	if err != nil {
		h.factorFailed(w, r, err)
		return
	}
	if err := h.svc.UseRecoveryCode(ctx, h.svcContext(r, u), u, r.PostForm.Get("recoveryCode")); err != nil {
		if _, status, known := factorMessage(err); known {
			h.renderFactor(w, r, status, tx, tok, "That recovery code is not right or was used already.")
			return
		}
		h.factorFailed(w, r, err)
		return
	}
	if err := h.spendTx(ctx, tok); err != nil {
		h.signInExpired(w, r)
		return
	}
	h.finishFactor(w, r, tx, []string{"pwd", "mfa"}, false, false)
}

// StepUpURL is the factor step for a signed-in person, continuing to
// fromURI (a path on this server).
func StepUpURL(fromURI string) string {
	return "/login/factor?fromURI=" + url.QueryEscape(fromURI)
}

func factorLabel(f *store.Factor) string {
	if f.Type == store.FactorWebAuthn {
		return "Security key or biometric"
	}
	return "Authenticator app (one-time code)"
}

// renderFactor shows the step a transaction is at. fresh is the secret of
// an enrolment just started (nil: read the pending factor again).
func (h *Handler) renderFactor(w http.ResponseWriter, r *http.Request, status int, tx *mfaTx, tok, msg string) {
	ctx := r.Context()
	u, err := h.mgr.st.Users().Get(ctx, tx.UserID)
	if err != nil {
		h.factorFailed(w, r, err)
		return
	}
	title := "Verify it's you"
	if tx.Status != StateMFARequired {
		title = "Set up a second factor"
	}
	p := &pages.Factor{Common: h.common(title), CSRF: h.csrfToken(w, r), StateToken: tok, State: tx.Status, Login: u.Login, Error: msg,
		Remember: tx.Remember, RememberChecked: tx.RememberDefault, RememberMinutes: tx.RememberMinutes}
	switch tx.Status {
	case StateMFARequired, StateMFAChallenge:
		p.State = StateMFARequired
		active, err := h.activeFactors(ctx, tx.UserID)
		if err != nil {
			h.factorFailed(w, r, err)
			return
		}
		for _, f := range active {
			if f.Type == store.FactorWebAuthn {
				p.HasWebAuthn = true
				continue
			}
			p.Factors = append(p.Factors, pages.FactorChoice{ID: f.ID, Label: factorLabel(f), Checked: len(p.Factors) == 0 || f.ID == tx.FactorID})
		}
	case StateMFAEnrollActivate:
		f, err := h.txFactor(ctx, tx, tx.FactorID)
		if err != nil {
			h.factorFailed(w, r, err)
			return
		}
		img, secret, err := h.svc.PendingTOTP(u, f)
		if err != nil {
			h.factorFailed(w, r, err)
			return
		}
		p.FactorID, p.SharedSecret = f.ID, secret
		p.QRCode = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(img))
	}
	pages.Render(w, h.log, status, p)
}

func (h *Handler) factorFailed(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("factor step failed", "request_id", web.RequestID(r.Context()), "err", err)
	status, msg := web.PageFailure(w, err)
	pages.Render(w, h.log, status, &pages.Message{Common: h.common("Sign-in error"), Error: msg})
}

// factorForm reads a factor form: CSRF and a live transaction, or it
// answers itself (an expired step goes back to the sign-in page).
func (h *Handler) factorForm(w http.ResponseWriter, r *http.Request) (*mfaTx, string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || !CheckCSRF(r) {
		pages.Render(w, h.log, http.StatusForbidden, &pages.Login{Common: h.common("Sign in"), CSRF: h.csrfToken(w, r),
			Error: "This page expired. Sign in again."})
		return nil, "", false
	}
	tok := r.PostForm.Get("stateToken")
	tx, err := h.loadTx(r.Context(), tok)
	if err != nil {
		var oe *oktaerr.Error
		if errors.As(err, &oe) {
			h.signInExpired(w, r)
		} else {
			h.factorFailed(w, r, err)
		}
		return nil, "", false
	}
	return tx, tok, true
}

// factorMessage is what the page says about a refused code.
func factorMessage(err error) (string, int, bool) {
	var oe *oktaerr.Error
	if !errors.As(err, &oe) {
		return "", 0, false
	}
	switch oe.Code {
	case "E0000068":
		return "That code is not right. Check your authenticator app and try again.", http.StatusUnauthorized, true
	case "E0000082":
		return "That code was used already. Wait for your app to show a new one.", http.StatusUnauthorized, true
	case "E0000069":
		return "Too many wrong codes: this factor is locked for a while. Try again later or ask your administrator.", http.StatusForbidden, true
	case "E0000001":
		return "Enter the code your authenticator app shows.", http.StatusBadRequest, true
	}
	return "This step is not possible now. Sign in again.", oe.Status, true
}

func (h *Handler) factorVerifySubmit(w http.ResponseWriter, r *http.Request) {
	h.factorCheckSubmit(w, r, false)
}

func (h *Handler) factorActivateSubmit(w http.ResponseWriter, r *http.Request) {
	h.factorCheckSubmit(w, r, true)
}

func (h *Handler) factorCheckSubmit(w http.ResponseWriter, r *http.Request, activate bool) {
	tx, tok, ok := h.factorForm(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	fid := r.PostForm.Get("factorId")
	if activate {
		fid = tx.FactorID
	}
	f, err := h.txFactor(ctx, tx, fid)
	if err == nil {
		err = h.checkInTx(ctx, r, tx, f, r.PostForm.Get("passCode"), activate)
	}
	if err != nil {
		h.factorRefused(w, r, tx, tok, err)
		return
	}
	if err := h.spendTx(ctx, tok); err != nil {
		h.signInExpired(w, r)
		return
	}
	h.finishFactor(w, r, tx, amrOf(f), tx.Remember && r.PostForm.Get("rememberDevice") == "true", tx.Status == StateMFAEnrollActivate)
}

// finishFactor opens the session the factor completed and goes on.
func (h *Handler) finishFactor(w http.ResponseWriter, r *http.Request, tx *mfaTx, amr []string, remember, enrolled bool) {
	ctx := r.Context()
	u, err := h.mgr.st.Users().Get(ctx, tx.UserID)
	if err != nil {
		h.factorFailed(w, r, err)
		return
	}
	if remember {
		if err := h.rememberDevice(ctx, w, r, u.ID, tx.RememberMinutes); err != nil {
			h.factorFailed(w, r, err)
			return
		}
	}
	// The session starts now: its auth_time is when the second factor
	// was given, which is what max_age and reauthenticateIn measure.
	s, err := h.mgr.Start(ctx, w, r, u.ID, amr, h.mgr.clock())
	if err != nil {
		h.factorFailed(w, r, err)
		return
	}
	h.sessionStarted(audit.RequestFrom(r), u, s)
	// A person who just enrolled and has no recovery codes gets a set,
	// shown once, before going on.
	if enrolled {
		left, err := h.svc.RemainingRecoveryCodes(ctx, u.ID)
		if err != nil {
			h.factorFailed(w, r, err)
			return
		}
		if left == 0 {
			codes, err := h.svc.NewRecoveryCodes(ctx, h.svcContext(r, u), u)
			if err != nil {
				h.factorFailed(w, r, err)
				return
			}
			pages.Render(w, h.log, http.StatusOK, &pages.Recovery{Common: h.common("Save your recovery codes"), Login: u.Login, Codes: codes, Continue: tx.FromURI})
			return
		}
	}
	if tx.FromURI == "" {
		h.signedIn(w, r, u)
		return
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, tx.FromURI, http.StatusFound)
}

func (h *Handler) factorEnrollSubmit(w http.ResponseWriter, r *http.Request) {
	tx, tok, ok := h.factorForm(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if r.PostForm.Get("factorType") == store.FactorWebAuthn {
		h.webAuthnBegin(w, r, tx, tok, true)
		return
	}
	e, err := h.enrollInTx(ctx, r, tx, r.PostForm.Get("factorType"), "OKTA")
	if err != nil {
		h.factorRefused(w, r, tx, tok, err)
		return
	}
	if err := h.spendTx(ctx, tok); err != nil {
		h.signInExpired(w, r)
		return
	}
	tx.Status, tx.FactorID = StateMFAEnrollActivate, e.Factor.ID
	ntok, _, err := h.saveTx(ctx, tx)
	if err != nil {
		h.factorFailed(w, r, err)
		return
	}
	h.renderFactor(w, r, http.StatusOK, tx, ntok, "")
}

// factorStepUp is GET /login/factor?fromURI=…: the signed-in person gives
// a factor their app asks for; without a session, the sign-in page.
func (h *Handler) factorStepUp(w http.ResponseWriter, r *http.Request) {
	from := safeFromURI(r.URL.Query().Get("fromURI"))
	s := h.mgr.Current(r)
	if s == nil || h.svc == nil {
		http.Redirect(w, r, LoginURL(from), http.StatusFound)
		return
	}
	tx, tok, err := h.startStepUp(r.Context(), s, from)
	if err != nil {
		h.factorFailed(w, r, err)
		return
	}
	h.renderFactor(w, r, http.StatusOK, tx, tok, "")
}

// webAuthnBegin starts a passkey ceremony in a transaction: registration
// (enrol, from MFA_ENROLL) or assertion (verify, from MFA_REQUIRED). The
// ceremony's state travels in the next stateToken's transaction.
func (h *Handler) webAuthnBegin(w http.ResponseWriter, r *http.Request, tx *mfaTx, tok string, enrol bool) {
	ctx := r.Context()
	u, err := h.mgr.st.Users().Get(ctx, tx.UserID)
	if err != nil {
		h.factorFailed(w, r, err)
		return
	}
	var options, state []byte
	next, mode := StateMFAChallenge, "get"
	if enrol {
		if tx.Status != StateMFAEnroll && tx.Status != StateMFAEnrollActivate {
			h.renderFactor(w, r, http.StatusForbidden, tx, tok, "This step is not possible now. Sign in again.")
			return
		}
		next, mode = StateMFAEnrollActivate, "create"
		options, state, err = h.svc.BeginWebAuthnEnroll(ctx, u)
	} else {
		if tx.Status != StateMFARequired && tx.Status != StateMFAChallenge {
			h.renderFactor(w, r, http.StatusForbidden, tx, tok, "This step is not possible now. Sign in again.")
			return
		}
		options, state, err = h.svc.BeginWebAuthnVerify(ctx, u)
	}
	if err != nil {
		h.factorRefused(w, r, tx, tok, err)
		return
	}
	if err := h.spendTx(ctx, tok); err != nil {
		h.signInExpired(w, r)
		return
	}
	tx.Status, tx.FactorID, tx.FactorType, tx.WebAuthn = next, "", store.FactorWebAuthn, state
	ntok, _, err := h.saveTx(ctx, tx)
	if err != nil {
		h.factorFailed(w, r, err)
		return
	}
	title := "Verify it's you"
	if enrol {
		title = "Set up a passkey"
	}
	pages.Render(w, h.log, http.StatusOK, &pages.Factor{Common: h.common(title), CSRF: h.csrfToken(w, r), StateToken: ntok, State: next,
		Login: u.Login, WebAuthnMode: mode, WebAuthnOptions: string(options),
		Remember: tx.Remember, RememberChecked: tx.RememberDefault, RememberMinutes: tx.RememberMinutes})
}

// webAuthnStartSubmit is the verify step's "use a passkey" button.
func (h *Handler) webAuthnStartSubmit(w http.ResponseWriter, r *http.Request) {
	tx, tok, ok := h.factorForm(w, r)
	if !ok {
		return
	}
	h.webAuthnBegin(w, r, tx, tok, false)
}

// webAuthnFinishSubmit receives the authenticator's answer. A refused one
// starts the step again (with a new ceremony): a challenge is good once.
func (h *Handler) webAuthnFinishSubmit(w http.ResponseWriter, r *http.Request) {
	tx, tok, ok := h.factorForm(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if tx.FactorType != store.FactorWebAuthn || len(tx.WebAuthn) == 0 {
		h.renderFactor(w, r, http.StatusForbidden, tx, tok, "This step is not possible now. Sign in again.")
		return
	}
	if err := h.spendTx(ctx, tok); err != nil {
		h.signInExpired(w, r)
		return
	}
	u, err := h.mgr.st.Users().Get(ctx, tx.UserID)
	if err != nil {
		h.factorFailed(w, r, err)
		return
	}
	cred := []byte(r.PostForm.Get("credential"))
	var f *store.Factor
	if tx.Status == StateMFAEnrollActivate {
		f, err = h.svc.FinishWebAuthnEnroll(ctx, h.svcContext(r, u), u, "", tx.WebAuthn, cred)
	} else {
		f, err = h.svc.FinishWebAuthnVerify(ctx, h.svcContext(r, u), u, tx.WebAuthn, cred)
	}
	if err != nil {
		msg, status, known := factorMessage(err)
		if !known {
			h.factorFailed(w, r, err)
			return
		}
		if status == http.StatusUnauthorized {
			msg = "The passkey or security key could not be verified. Try again."
		}
		// Back to the step the ceremony started from, with a new token.
		active, aerr := h.activeFactors(ctx, u.ID)
		if aerr != nil {
			h.factorFailed(w, r, aerr)
			return
		}
		tx.Status, tx.FactorType, tx.WebAuthn, tx.FactorID = StateMFAEnroll, "", nil, ""
		if len(active) > 0 {
			tx.Status = StateMFARequired
		}
		ntok, _, serr := h.saveTx(ctx, tx)
		if serr != nil {
			h.factorFailed(w, r, serr)
			return
		}
		h.renderFactor(w, r, status, tx, ntok, msg)
		return
	}
	h.finishFactor(w, r, tx, amrOf(f), tx.Remember && r.PostForm.Get("rememberDevice") == "true", tx.Status == StateMFAEnrollActivate)
}

// signInExpired answers a factor step whose state token is spent or
// expired: the sign-in starts over.
func (h *Handler) signInExpired(w http.ResponseWriter, r *http.Request) {
	pages.Render(w, h.log, http.StatusUnauthorized, &pages.Login{Common: h.common("Sign in"), CSRF: h.csrfToken(w, r),
		Error: "Your sign-in expired or was already used. Sign in again."})
}

// factorRefused shows the factor step again with what the person can fix
// (a wrong code, a locked factor), or fails the step for anything else.
func (h *Handler) factorRefused(w http.ResponseWriter, r *http.Request, tx *mfaTx, tok string, err error) {
	if msg, status, ok := factorMessage(err); ok {
		h.renderFactor(w, r, status, tx, tok, msg)
		return
	}
	h.factorFailed(w, r, err)
}
