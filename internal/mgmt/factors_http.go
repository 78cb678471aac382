package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

func (h *Handler) registerFactors(mux *http.ServeMux) {
	const all = "/api/v1/users/{id}/factors"
	const one = all + "/{factorId}"
	mux.Handle("GET "+all, h.auth("okta.users.read", h.listFactors))
	mux.Handle("POST "+all, h.auth("okta.users.manage", h.enrollFactor))
	mux.Handle("GET "+all+"/catalog", h.auth("okta.users.read", h.factorCatalog))
	mux.Handle("GET "+all+"/questions", h.auth("okta.users.read", h.factorQuestions))
	mux.Handle("GET "+one, h.auth("okta.users.read", h.getFactor))
	mux.Handle("DELETE "+one, h.auth("okta.users.manage", h.deleteFactor))
	mux.Handle("POST "+one+"/lifecycle/activate", h.auth("okta.users.manage", h.activateFactor))
	mux.Handle("POST "+one+"/verify", h.auth("okta.users.manage", h.verifyFactor))
	mux.Handle("POST /api/v1/users/{id}/lifecycle/reset_factors", h.auth("okta.users.manage", h.resetFactors))
	// The QR code link carries its own credential (an image element cannot
	// send an API token), as Okta's does.
	mux.HandleFunc("GET "+one+"/qr/{token}", h.factorQR)
}

// FactorJSON is Okta's UserFactor object.
type FactorJSON struct {
	ID          string          `json:"id"`
	FactorType  string          `json:"factorType"`
	Provider    string          `json:"provider"`
	VendorName  string          `json:"vendorName"`
	Status      string          `json:"status"`
	Created     Time            `json:"created"`
	LastUpdated Time            `json:"lastUpdated"`
	Profile     json.RawMessage `json:"profile"`
	Links       map[string]Link `json:"_links"`
	Embedded    map[string]any  `json:"_embedded,omitempty"`
}

func (h *Handler) factorToJSON(f *store.Factor) FactorJSON {
	user := h.orgURL + "/api/v1/users/" + f.UserID
	self := user + "/factors/" + f.ID
	links := map[string]Link{
		"self": {Href: self, Hints: &Hints{Allow: []string{"GET", "DELETE"}}},
		"user": {Href: user, Hints: &Hints{Allow: []string{"GET"}}},
	}
	if f.Status == store.FactorPending {
		links["activate"] = Link{Href: self + "/lifecycle/activate", Hints: &Hints{Allow: []string{"POST"}}}
	} else {
		links["verify"] = Link{Href: self + "/verify", Hints: &Hints{Allow: []string{"POST"}}}
	}
	profile := json.RawMessage(f.Profile)
	if len(profile) == 0 {
		profile = json.RawMessage("{}")
	}
	return FactorJSON{ID: f.ID, FactorType: f.Type, Provider: f.Provider, VendorName: f.Provider, Status: f.Status,
		Created: Time{f.Created}, LastUpdated: Time{f.LastUpdated}, Profile: profile, Links: links}
}

func (h *Handler) listFactors(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	_, fs, err := h.svc.ListFactors(r.Context(), id)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]FactorJSON, 0, len(fs))
	for _, f := range fs {
		out = append(out, h.factorToJSON(f))
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) getFactor(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	_, f, err := h.svc.GetFactor(r.Context(), id, r.PathValue("factorId"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, h.factorToJSON(f))
}

func (h *Handler) enrollFactor(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	var in struct {
		FactorType string `json:"factorType"`
		Provider   string `json:"provider"`
	}
	if !readInto(w, r, &in) {
		return
	}
	e, err := h.svc.EnrollFactor(r.Context(), serviceContext(r, p), id, in.FactorType, in.Provider)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := h.factorToJSON(e.Factor)
	qr := h.orgURL + "/api/v1/users/" + e.Factor.UserID + "/factors/" + e.Factor.ID + "/qr/" + e.QRToken
	out.Embedded = map[string]any{"activation": map[string]any{
		"timeStep": service.TOTPPeriod, "sharedSecret": e.SharedSecret, "encoding": "base32", "keyLength": len(e.SharedSecret),
		"_links": map[string]Link{"qrcode": {Href: qr, Type: "image/png"}},
	}}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, out)
}

// passCodeBody reads {"passCode": "…"}.
func passCodeBody(w http.ResponseWriter, r *http.Request) (string, *oktaerr.Error) {
	body, werr := readBody(w, r)
	if werr != nil {
		return "", werr
	}
	var in struct {
		PassCode string `json:"passCode"`
	}
	if len(body) > 0 {
		if werr := decodeBody(body, &in); werr != nil {
			return "", werr
		}
	}
	return in.PassCode, nil
}

func (h *Handler) activateFactor(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr == nil {
		var code string
		if code, werr = passCodeBody(w, r); werr == nil {
			f, err := h.svc.ActivateFactor(r.Context(), serviceContext(r, p), id, r.PathValue("factorId"), code)
			if err != nil {
				h.writeErr(w, r, err)
				return
			}
			web.WriteJSON(w, http.StatusOK, h.factorToJSON(f))
			return
		}
	}
	web.WriteError(w, werr)
}

func (h *Handler) verifyFactor(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr == nil {
		var code string
		if code, werr = passCodeBody(w, r); werr == nil {
			if _, err := h.svc.VerifyFactor(r.Context(), serviceContext(r, p), id, r.PathValue("factorId"), code); err != nil {
				h.writeErr(w, r, err)
				return
			}
			web.WriteJSON(w, http.StatusOK, map[string]string{"factorResult": "SUCCESS"})
			return
		}
	}
	web.WriteError(w, werr)
}

func (h *Handler) deleteFactor(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	h.writeNoContent(w, r, h.svc.DeleteFactor(r.Context(), serviceContext(r, p), id, r.PathValue("factorId")))
}

func (h *Handler) resetFactors(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	if err := h.svc.ResetFactors(r.Context(), serviceContext(r, p), id); err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, struct{}{})
}

// factorCatalog lists what the user can enroll through this API and
// whether they have (GET …/factors/catalog).
func (h *Handler) factorCatalog(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	u, fs, err := h.svc.ListFactors(r.Context(), id)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	status := "NOT_SETUP"
	for _, f := range fs {
		if f.Type == store.FactorTOTP {
			status = f.Status
		}
	}
	web.WriteJSON(w, http.StatusOK, []map[string]any{{
		"factorType": store.FactorTOTP, "provider": "OKTA", "vendorName": "OKTA", "status": status,
		"_links": map[string]Link{"enroll": {Href: h.orgURL + "/api/v1/users/" + u.ID + "/factors", Hints: &Hints{Allow: []string{"POST"}}}},
	}})
}

// securityQuestions are Okta's security questions. Sesame does not enroll
// the question factor; the list is served for clients that read it.
var securityQuestions = []map[string]string{
	{"question": "disliked_food", "questionText": "What is the food you least liked as a child?"},
	{"question": "name_of_first_plush_toy", "questionText": "What is the name of your first stuffed animal?"},
	{"question": "first_award", "questionText": "What did you earn your first medal or award for?"},
	{"question": "favorite_security_question", "questionText": "What is your favorite security question?"},
	{"question": "favorite_toy", "questionText": "What is the toy/stuffed animal you liked the most as a kid?"},
	{"question": "first_computer_game", "questionText": "What was the first computer game you played?"},
	{"question": "favorite_movie_quote", "questionText": "What is your favorite movie quote?"},
	{"question": "first_sports_team_mascot", "questionText": "What was the mascot of the first sports team you played on?"},
}

func (h *Handler) factorQuestions(w http.ResponseWriter, r *http.Request, p *principal) {
	id, werr := userID(r, p)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	if _, err := h.svc.GetUser(r.Context(), id); err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, securityQuestions)
}

func (h *Handler) factorQR(w http.ResponseWriter, r *http.Request) {
	img, err := h.svc.FactorQR(r.Context(), r.PathValue("id"), r.PathValue("factorId"), r.PathValue("token"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(img)
}
