package signin

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// The webauthn factor through the Authentication API, in Okta's shapes:
// enrolment answers MFA_ENROLL_ACTIVATE with the creation options in
// _embedded.factor._embedded.activation, and activate takes
// {attestation, clientData}; verify without an answer moves to
// MFA_CHALLENGE with _embedded.factor._embedded.challenge, and verify
// with {clientData, authenticatorData, signatureData} finishes.

func errNotNow() *oktaerr.Error {
	return oktaerr.New(http.StatusForbidden, "E0000038", "This operation is not allowed in the current authentication state.")
}

// b64url accepts base64 in either alphabet, padded or not, and answers
// base64url without padding, which the WebAuthn library reads.
func b64url(s string) string {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	return strings.NewReplacer("+", "-", "/", "_").Replace(s)
}

func (h *Handler) authnWebAuthnEnroll(w http.ResponseWriter, r *http.Request, tx *mfaTx, in *mfaBody) {
	ctx := r.Context()
	if tx.Status != StateMFAEnroll && tx.Status != StateMFAEnrollActivate {
		h.writeMFAErr(w, r, errNotNow())
		return
	}
	u, err := h.mgr.st.Users().Get(ctx, tx.UserID)
	if err != nil {
		h.writeMFAErr(w, r, errInvalidState())
		return
	}
	options, state, err := h.svc.BeginWebAuthnEnroll(ctx, u)
	if err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	if err := h.spendTx(ctx, in.StateToken); err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	tx.Status, tx.FactorID, tx.FactorType, tx.WebAuthn = StateMFAEnrollActivate, service.NewWebAuthnFactorID(), store.FactorWebAuthn, state
	tok, exp, err := h.saveTx(ctx, tx)
	if err != nil {
		web.Fail(w, r, h.log, fmt.Errorf("saving the transaction: %w", err))
		return
	}
	var opts struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	_ = json.Unmarshal(options, &opts)
	next := map[string]any{"name": "activate", "href": h.orgURL + "/api/v1/authn/factors/" + tx.FactorID + "/lifecycle/activate",
		"hints": map[string]any{"allow": []string{"POST"}}}
	factor := map[string]any{"id": tx.FactorID, "factorType": store.FactorWebAuthn, "provider": "FIDO", "vendorName": "FIDO",
		"status": store.FactorPending, "profile": map[string]any{}, "_links": map[string]any{"next": next},
		"_embedded": map[string]any{"activation": opts.PublicKey}}
	h.writeTx(w, r, tx, tok, exp, map[string]any{"factor": factor, "_links": map[string]any{"next": next}})
}

func (h *Handler) authnWebAuthnActivate(w http.ResponseWriter, r *http.Request, tx *mfaTx, in *mfaBody) {
	ctx := r.Context()
	if tx.Status != StateMFAEnrollActivate || r.PathValue("factorId") != tx.FactorID {
		h.writeMFAErr(w, r, oktaerr.NotFound(r.PathValue("factorId"), "UserFactor"))
		return
	}
	if in.Attestation == "" || in.ClientData == "" {
		h.writeMFAErr(w, r, oktaerr.Validation("attestation", "attestation: The field cannot be left blank", "clientData: The field cannot be left blank"))
		return
	}
	u, err := h.mgr.st.Users().Get(ctx, tx.UserID)
	if err != nil {
		h.writeMFAErr(w, r, errInvalidState())
		return
	}
	att, clientData := b64url(in.Attestation), b64url(in.ClientData)
	raw, err := base64.RawURLEncoding.DecodeString(att)
	var credID []byte
	if err == nil {
		credID, err = service.CredentialIDOf(raw)
	}
	if err != nil {
		h.writeMFAErr(w, r, oktaerr.New(http.StatusForbidden, "E0000068", "Invalid Passcode/Answer", "The attestation could not be read."))
		return
	}
	id := base64.RawURLEncoding.EncodeToString(credID)
	resp, _ := json.Marshal(map[string]any{"id": id, "rawId": id, "type": "public-key", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": clientData, "attestationObject": att}})
	f, err := h.svc.FinishWebAuthnEnroll(ctx, h.svcContext(r, u), u, tx.FactorID, tx.WebAuthn, resp)
	if err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	if err := h.spendTx(ctx, in.StateToken); err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	h.writeSuccess(w, r, u, amrOf(f))
}

func (h *Handler) authnWebAuthnVerify(w http.ResponseWriter, r *http.Request, tx *mfaTx, f *store.Factor, in *mfaBody) {
	ctx := r.Context()
	if tx.Status != StateMFARequired && tx.Status != StateMFAChallenge {
		h.writeMFAErr(w, r, errNotNow())
		return
	}
	u, err := h.mgr.st.Users().Get(ctx, tx.UserID)
	if err != nil {
		h.writeMFAErr(w, r, errInvalidState())
		return
	}
	if in.ClientData == "" {
		// The challenge.
		options, state, err := h.svc.BeginWebAuthnVerify(ctx, u)
		if err != nil {
			h.writeMFAErr(w, r, err)
			return
		}
		if err := h.spendTx(ctx, in.StateToken); err != nil {
			h.writeMFAErr(w, r, err)
			return
		}
		tx.Status, tx.FactorID, tx.FactorType, tx.WebAuthn = StateMFAChallenge, f.ID, store.FactorWebAuthn, state
		tok, exp, err := h.saveTx(ctx, tx)
		if err != nil {
			web.Fail(w, r, h.log, fmt.Errorf("saving the transaction: %w", err))
			return
		}
		var opts struct {
			PublicKey struct {
				Challenge        string `json:"challenge"`
				UserVerification string `json:"userVerification"`
			} `json:"publicKey"`
		}
		_ = json.Unmarshal(options, &opts)
		fj := h.factorInTxJSON(f, "verify")
		fj["_embedded"] = map[string]any{"challenge": map[string]any{"challenge": opts.PublicKey.Challenge,
			"userVerification": opts.PublicKey.UserVerification, "extensions": map[string]any{}}}
		next := map[string]any{"name": "verify", "href": h.orgURL + "/api/v1/authn/factors/" + f.ID + "/verify", "hints": map[string]any{"allow": []string{"POST"}}}
		h.writeTx(w, r, tx, tok, exp, map[string]any{"factor": fj, "_links": map[string]any{"next": next}})
		return
	}
	if tx.FactorType != store.FactorWebAuthn || tx.FactorID != f.ID || len(tx.WebAuthn) == 0 {
		h.writeMFAErr(w, r, errNotNow())
		return
	}
	var profile service.WebAuthnProfile
	_ = json.Unmarshal(f.Profile, &profile)
	resp, _ := json.Marshal(map[string]any{"id": profile.CredentialID, "rawId": profile.CredentialID, "type": "public-key",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64url(in.ClientData), "authenticatorData": b64url(in.AuthenticatorData),
			"signature": b64url(in.SignatureData), "userHandle": base64.RawURLEncoding.EncodeToString([]byte(u.ID))}})
	vf, err := h.svc.FinishWebAuthnVerify(ctx, h.svcContext(r, u), u, tx.WebAuthn, resp)
	if err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	if err := h.spendTx(ctx, in.StateToken); err != nil {
		h.writeMFAErr(w, r, err)
		return
	}
	h.writeSuccess(w, r, u, amrOf(vf))
}
