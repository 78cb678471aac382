package signin

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// The Authentication API's MFA states (Okta's classic /api/v1/authn
// transaction), as okta-auth-js's authn flow and the classic Sign-In
// Widget drive them.

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func link(href string, methods ...string) map[string]any {
	return map[string]any{"href": href, "hints": map[string]any{"allow": methods}}
}

func authnUserJSON(u *store.User) map[string]any {
	profile := map[string]any{"login": u.Login}
	for _, k := range []string{"firstName", "lastName", "locale", "timeZone"} {
		if v, ok := u.Profile[k]; ok {
			profile[k] = v
		}
	}
	user := map[string]any{"id": u.ID, "profile": profile}
	if !u.PasswordChanged.IsZero() {
		user["passwordChanged"] = isoTime(u.PasswordChanged)
	}
	return user
}

// factorInTxJSON is a factor as a transaction embeds it.
func (h *Handler) factorInTxJSON(f *store.Factor, rel string) map[string]any {
	profile := json.RawMessage(f.Profile)
	if len(profile) == 0 {
		profile = json.RawMessage("{}")
	}
	base := h.orgURL + "/api/v1/authn/factors/" + f.ID
	links := map[string]any{}
	switch rel {
	case "verify":
		links["verify"] = link(base+"/verify", "POST")
	case "activate":
		links["next"] = map[string]any{"name": "activate", "href": base + "/lifecycle/activate", "hints": map[string]any{"allow": []string{"POST"}}}
	}
	return map[string]any{"id": f.ID, "factorType": f.Type, "provider": f.Provider, "vendorName": f.Provider,
		"profile": profile, "_links": links}
}

// catalogJSON is the factors a person may enrol (MFA_ENROLL).
func (h *Handler) catalogJSON() []map[string]any {
	enroll := map[string]any{"enroll": link(h.orgURL+"/api/v1/authn/factors", "POST")}
	return []map[string]any{
		{"factorType": store.FactorTOTP, "provider": "OKTA", "vendorName": "OKTA", "status": "NOT_SETUP", "enrollment": "OPTIONAL", "_links": enroll},
		{"factorType": store.FactorWebAuthn, "provider": "FIDO", "vendorName": "FIDO", "status": "NOT_SETUP", "enrollment": "OPTIONAL", "_links": enroll},
	}
}

// txJSON answers a transaction that waits for a factor.
func (h *Handler) txJSON(r *http.Request, tx *mfaTx, tok string, exp time.Time, extra map[string]any) (map[string]any, error) {
	ctx := r.Context()
	u, err := h.mgr.st.Users().Get(ctx, tx.UserID)
	if err != nil {
		return nil, err
	}
	embedded := map[string]any{"user": authnUserJSON(u),
		"policy": map[string]any{"allowRememberDevice": tx.Remember, "rememberDeviceByDefault": tx.RememberDefault,
			"rememberDeviceLifetimeInMinutes": tx.RememberMinutes, "factorsPolicyInfo": map[string]any{}}}
	links := map[string]any{"cancel": link(h.orgURL+"/api/v1/authn/cancel", "POST")}
	switch tx.Status {
	case StateMFARequired:
		active, err := h.activeFactors(ctx, tx.UserID)
		if err != nil {
			return nil, err
		}
		fs := make([]map[string]any, 0, len(active))
		for _, f := range active {
			fs = append(fs, h.factorInTxJSON(f, "verify"))
		}
		embedded["factors"] = fs
	case StateMFAEnroll:
		embedded["factors"] = h.catalogJSON()
	}
	for k, v := range extra {
		if k == "_links" {
			for lk, lv := range v.(map[string]any) {
				links[lk] = lv
			}
			continue
		}
		embedded[k] = v
	}
	return map[string]any{"stateToken": tok, "expiresAt": isoTime(exp), "status": tx.Status, "_embedded": embedded, "_links": links}, nil
}

func (h *Handler) writeTx(w http.ResponseWriter, r *http.Request, tx *mfaTx, tok string, exp time.Time, extra map[string]any) {
	out, err := h.txJSON(r, tx, tok, exp, extra)
	if err != nil {
		web.Fail(w, r, h.log, fmt.Errorf("answering the transaction: %w", err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, out)
}

// writeSuccess finishes a transaction with a one-time session token.
func (h *Handler) writeSuccess(w http.ResponseWriter, r *http.Request, u *store.User, amr []string) {
	tok, exp, err := h.mgr.NewSessionToken(r.Context(), u.ID, amr)
	if err != nil {
		web.Fail(w, r, h.log, fmt.Errorf("issuing a session token: %w", err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, map[string]any{
		"expiresAt": isoTime(exp), "status": "SUCCESS", "sessionToken": tok,
		"_embedded": map[string]any{"user": authnUserJSON(u)},
	})
}

// mfaBody is what the factor calls send.
type mfaBody struct {
	StateToken string `json:"stateToken"`
	PassCode   string `json:"passCode"`
	FactorType string `json:"factorType"`
	Provider   string `json:"provider"`
	// WebAuthn, as Okta's Authentication API takes it (base64url).
	Attestation       string `json:"attestation"`
	ClientData        string `json:"clientData"`
	AuthenticatorData string `json:"authenticatorData"`
	SignatureData     string `json:"signatureData"`
}

func readMFABody(w http.ResponseWriter, r *http.Request) (*mfaBody, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		web.WriteError(w, oktaerr.MalformedBody())
		return nil, false
	}
	var in mfaBody
	if err := json.Unmarshal(b, &in); err != nil {
		web.WriteError(w, oktaerr.MalformedBody())
		return nil, false
	}
	if in.StateToken == "" {
		web.WriteError(w, oktaerr.Validation("stateToken", "stateToken: The field cannot be left blank"))
		return nil, false
	}
	return &in, true
}

func (h *Handler) writeMFAErr(w http.ResponseWriter, r *http.Request, err error) {
	web.Fail(w, r, h.log, err)
}

// authnState answers POST /api/v1/authn with only a stateToken: the
// transaction's current state, the token unspent.
func (h *Handler) authnState(w http.ResponseWriter, r *http.Request, tok string) {
	tx, err := h.loadTx(r.Context(), tok)
	if err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	c, _ := h.mgr.st.Codes().Get(r.Context(), codeAuthnState, hashOf(tok))
	h.writeTx(w, r, tx, tok, c.ExpiresAt, h.stateExtra(r, tx))
}

// stateExtra is what a state embeds besides the user and the factors.
func (h *Handler) stateExtra(r *http.Request, tx *mfaTx) map[string]any {
	if tx.FactorID == "" {
		return nil
	}
	f, err := h.mgr.st.Factors().Get(r.Context(), tx.FactorID)
	if err != nil {
		return nil
	}
	rel := "verify"
	if tx.Status == StateMFAEnrollActivate {
		rel = "activate"
	}
	fj := h.factorInTxJSON(f, rel)
	extra := map[string]any{"factor": fj}
	if rel == "activate" {
		extra["_links"] = map[string]any{"next": fj["_links"].(map[string]any)["next"]}
	} else {
		extra["_links"] = map[string]any{"next": map[string]any{"name": "verify", "href": h.orgURL + "/api/v1/authn/factors/" + f.ID + "/verify",
			"hints": map[string]any{"allow": []string{"POST"}}}}
	}
	return extra
}

// afterPasswordAPI answers /api/v1/authn once the password was right.
func (h *Handler) afterPasswordAPI(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, err := h.factorDue(r.Context(), r, u)
	if err == ErrInvalidCredentials {
		web.WriteError(w, oktaerr.New(http.StatusUnauthorized, oktaerr.CodeAuthnFailed, "Authentication failed"))
		return
	}
	if err != nil {
		web.Fail(w, r, h.log, fmt.Errorf("evaluating the sign-on policy: %w", err))
		return
	}
	if d == nil {
		h.writeSuccess(w, r, u, []string{"pwd"})
		return
	}
	tx, tok, exp, err := h.startTx(r.Context(), u, d, "")
	if err != nil {
		web.Fail(w, r, h.log, fmt.Errorf("starting the factor step: %w", err))
		return
	}
	h.writeTx(w, r, tx, tok, exp, nil)
}

// authnEnroll is POST /api/v1/authn/factors: enrol a factor in MFA_ENROLL.
func (h *Handler) authnEnroll(w http.ResponseWriter, r *http.Request) {
	in, ok := readMFABody(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	tx, err := h.loadTx(ctx, in.StateToken)
	if err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	if in.FactorType == store.FactorWebAuthn {
		h.authnWebAuthnEnroll(w, r, tx, in)
		return
	}
	e, err := h.enrollInTx(ctx, r, tx, in.FactorType, in.Provider)
	if err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	if err := h.spendTx(ctx, in.StateToken); err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	tx.Status, tx.FactorID = StateMFAEnrollActivate, e.Factor.ID
	tok, exp, err := h.saveTx(ctx, tx)
	if err != nil {
		web.Fail(w, r, h.log, fmt.Errorf("saving the transaction: %w", err))
		return
	}
	extra := h.stateExtra(r, tx)
	fj := extra["factor"].(map[string]any)
	fj["status"] = store.FactorPending
	fj["_embedded"] = map[string]any{"activation": activationJSON(h.orgURL, e)}
	h.writeTx(w, r, tx, tok, exp, extra)
}

// activationJSON is a new TOTP factor's activation: the shared secret and
// the link to its QR code.
func activationJSON(orgURL string, e *service.FactorEnrollment) map[string]any {
	qr := orgURL + "/api/v1/users/" + e.Factor.UserID + "/factors/" + e.Factor.ID + "/qr/" + e.QRToken
	return map[string]any{
		"timeStep": service.TOTPPeriod, "sharedSecret": e.SharedSecret, "encoding": "base32", "keyLength": len(e.SharedSecret),
		"_links": map[string]any{"qrcode": map[string]any{"href": qr, "type": "image/png"}},
	}
}

// authnActivate is POST /api/v1/authn/factors/{id}/lifecycle/activate.
func (h *Handler) authnActivate(w http.ResponseWriter, r *http.Request) {
	h.authnCheck(w, r, true)
}

// authnVerify is POST /api/v1/authn/factors/{id}/verify: with a passCode it
// finishes the sign-in; without one it moves to MFA_CHALLENGE for that
// factor.
func (h *Handler) authnVerify(w http.ResponseWriter, r *http.Request) {
	h.authnCheck(w, r, false)
}

func (h *Handler) authnCheck(w http.ResponseWriter, r *http.Request, activate bool) {
	in, ok := readMFABody(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	tx, err := h.loadTx(ctx, in.StateToken)
	if err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	if activate && tx.FactorType == store.FactorWebAuthn {
		h.authnWebAuthnActivate(w, r, tx, in)
		return
	}
	f, err := h.txFactor(ctx, tx, r.PathValue("factorId"))
	if err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	if !activate && f.Type == store.FactorWebAuthn {
		h.authnWebAuthnVerify(w, r, tx, f, in)
		return
	}
	if !activate && in.PassCode == "" && f.Status == store.FactorActive && (tx.Status == StateMFARequired || tx.Status == StateMFAChallenge) {
		if err := h.spendTx(ctx, in.StateToken); err != nil {
			h.writeMFAErr(w, r, err)
			return
		}
		tx.Status, tx.FactorID = StateMFAChallenge, f.ID
		tok, exp, err := h.saveTx(ctx, tx)
		if err != nil {
			web.Fail(w, r, h.log, fmt.Errorf("saving the transaction: %w", err))
			return
		}
		h.writeTx(w, r, tx, tok, exp, h.stateExtra(r, tx))
		return
	}
	if tx.Status == StateMFAChallenge && tx.FactorID != f.ID {
		h.writeMFAErr(w, r, oktaerr.New(http.StatusForbidden, "E0000038", "This operation is not allowed in the current authentication state."))
		return
	}
	if err := h.checkInTx(ctx, r, tx, f, in.PassCode, activate); err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	if err := h.spendTx(ctx, in.StateToken); err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	u, err := h.mgr.st.Users().Get(ctx, tx.UserID)
	if err != nil {
		h.writeMFAErr(w, r, errInvalidState())
		return
	}
	if tx.Remember && (r.URL.Query().Get("rememberDevice") == "true" || (tx.RememberDefault && r.URL.Query().Get("rememberDevice") != "false")) {
		if err := h.rememberDevice(ctx, w, r, u.ID, tx.RememberMinutes); err != nil {
			web.Fail(w, r, h.log, fmt.Errorf("remembering the device: %w", err))
			return
		}
	}
	h.writeSuccess(w, r, u, amrOf(f))
}

// authnCancel is POST /api/v1/authn/cancel: the stateToken is spent.
func (h *Handler) authnCancel(w http.ResponseWriter, r *http.Request) {
	in, ok := readMFABody(w, r)
	if !ok {
		return
	}
	if _, err := h.loadTx(r.Context(), in.StateToken); err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	if err := h.spendTx(r.Context(), in.StateToken); err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"status": "UNAUTHENTICATED"})
}
