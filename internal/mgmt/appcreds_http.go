package mgmt

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// The app's credentials sub-resources: client secrets (at most two, so that
// one can replace the other without downtime), the client's public keys,
// the keys that sign its ID tokens, and Okta's internal ID-token settings
// that the Terraform provider writes after every okta_app_oauth create.
func (h *Handler) registerAppCredentials(mux *http.ServeMux) {
	const app = "/api/v1/apps/{id}"
	mux.Handle("GET "+app+"/credentials/secrets", h.auth("okta.apps.read", h.listAppSecrets))
	mux.Handle("POST "+app+"/credentials/secrets", h.auth("okta.apps.manage", h.createAppSecret))
	mux.Handle("GET "+app+"/credentials/secrets/{secretId}", h.auth("okta.apps.read", h.getAppSecret))
	mux.Handle("POST "+app+"/credentials/secrets/{secretId}/lifecycle/activate", h.auth("okta.apps.manage", h.appSecretLifecycle(store.StatusActive)))
	mux.Handle("POST "+app+"/credentials/secrets/{secretId}/lifecycle/deactivate", h.auth("okta.apps.manage", h.appSecretLifecycle(store.StatusInactive)))
	mux.Handle("DELETE "+app+"/credentials/secrets/{secretId}", h.auth("okta.apps.manage", h.deleteAppSecret))

	mux.Handle("GET "+app+"/credentials/jwks", h.auth("okta.apps.read", h.listAppJWKS))
	mux.Handle("POST "+app+"/credentials/jwks", h.auth("okta.apps.manage", h.addAppJWK))
	mux.Handle("GET "+app+"/credentials/jwks/{keyId}", h.auth("okta.apps.read", h.getAppJWK))
	mux.Handle("POST "+app+"/credentials/jwks/{keyId}/lifecycle/activate", h.auth("okta.apps.manage", h.appJWKLifecycle(store.StatusActive)))
	mux.Handle("POST "+app+"/credentials/jwks/{keyId}/lifecycle/deactivate", h.auth("okta.apps.manage", h.appJWKLifecycle(store.StatusInactive)))
	mux.Handle("DELETE "+app+"/credentials/jwks/{keyId}", h.auth("okta.apps.manage", h.deleteAppJWK))

	mux.Handle("GET "+app+"/credentials/keys", h.auth("okta.apps.read", h.listAppKeys))
	mux.Handle("GET "+app+"/credentials/keys/{keyId}", h.auth("okta.apps.read", h.getAppKey))

	const idToken = "/api/v1/internal/apps/{id}/settings/oauth/idToken"
	mux.Handle("GET "+idToken, h.auth("okta.apps.read", h.getIDTokenSettings))
	mux.Handle("POST "+idToken, h.auth("okta.apps.manage", h.setIDTokenSettings))
}

// SecretJSON is one client secret. The clear secret is shown only in the
// answer to the request that made it: Sesame keeps hashes alone.
// secret_hash identifies a secret without revealing it (the start of its
// SHA-256, as long as Okta's).
type SecretJSON struct {
	ID           string         `json:"id"`
	Status       string         `json:"status"`
	ClientSecret string         `json:"client_secret,omitempty"`
	SecretHash   string         `json:"secret_hash"`
	Created      Time           `json:"created"`
	LastUpdated  Time           `json:"lastUpdated"`
	Links        map[string]any `json:"_links"`
}

func (h *Handler) secretToJSON(a *store.App, s store.AppSecret, clear string) SecretJSON {
	links := credentialLinks(h.orgURL+"/api/v1/apps/"+url.PathEscape(a.ID)+"/credentials/secrets/"+url.PathEscape(s.ID), s.Status)
	hash := s.Hash
	if len(hash) > 16 {
		hash = hash[:16]
	}
	return SecretJSON{ID: s.ID, Status: s.Status, ClientSecret: clear, SecretHash: base64.RawURLEncoding.EncodeToString(hash),
		Created: Time{s.Created}, LastUpdated: Time{s.LastUpdated}, Links: links}
}

// credentialLinks are a client credential's links: the lifecycle links of
// any object, and delete while it is inactive (only inactive ones can go).
func credentialLinks(self, status string) map[string]any {
	links := lifecycleLinks(self, status)
	delete(links, "self")
	if status != store.StatusActive {
		links["delete"] = Link{Href: self, Hints: &Hints{Allow: []string{"DELETE"}}}
	}
	return links
}

func (h *Handler) listAppSecrets(w http.ResponseWriter, r *http.Request, p *principal) {
	a, err := h.svc.GetApp(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]SecretJSON, 0, len(a.Secrets))
	for _, s := range a.Secrets {
		out = append(out, h.secretToJSON(a, s, ""))
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) getAppSecret(w http.ResponseWriter, r *http.Request, p *principal) {
	a, err := h.svc.GetApp(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	id := r.PathValue("secretId")
	i := slices.IndexFunc(a.Secrets, func(s store.AppSecret) bool { return s.ID == id })
	if i < 0 {
		web.WriteError(w, oktaerr.NotFound(id, "ClientSecret"))
		return
	}
	web.WriteJSON(w, http.StatusOK, h.secretToJSON(a, a.Secrets[i], ""))
}

// createAppSecret adds a secret: the one in the body (Okta's rules for a
// supplied secret) or a generated one, ACTIVE unless the body says INACTIVE.
func (h *Handler) createAppSecret(w http.ResponseWriter, r *http.Request, p *principal) {
	body, werr := readBody(w, r)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	var in struct {
		ClientSecret string `json:"client_secret"`
		Status       string `json:"status"`
	}
	if len(body) > 0 {
		if e := decodeBody(body, &in); e != nil {
			web.WriteError(w, e)
			return
		}
	}
	existing, err := h.svc.GetApp(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	var c oktaerr.Problems
	status := orDefault(in.Status, store.StatusActive)
	c.Enum("status", status, store.StatusActive, store.StatusInactive)
	clear := in.ClientSecret
	if clear == "" {
		clear = secret.Token("", 30)
	} else if msg := secretProblem(clear, existing.ClientAuthMethod()); msg != "" {
		c.Add("client_secret", "%s", msg)
	}
	if len(c) > 0 {
		web.WriteError(w, c.Err())
		return
	}
	a, added, err := h.svc.AddAppSecret(r.Context(), serviceContext(r, p), existing.ID, clear, status)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, h.secretToJSON(a, added, clear))
}

func (h *Handler) appSecretLifecycle(status string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		a, s, err := h.svc.SetAppSecretStatus(r.Context(), serviceContext(r, p), r.PathValue("id"), r.PathValue("secretId"), status)
		if err != nil {
			h.writeErr(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, h.secretToJSON(a, s, ""))
	}
}

func (h *Handler) deleteAppSecret(w http.ResponseWriter, r *http.Request, p *principal) {
	h.writeNoContent(w, r, h.svc.DeleteAppSecret(r.Context(), serviceContext(r, p), r.PathValue("id"), r.PathValue("secretId")))
}

// jwkToJSON is one client key: its members as registered, Okta's
// bookkeeping and lifecycle links.
func (h *Handler) jwkToJSON(a *store.App, k store.AppJWK) map[string]any {
	var m map[string]any
	b, _ := json.Marshal(k)
	json.Unmarshal(b, &m)
	m["_links"] = credentialLinks(h.orgURL+"/api/v1/apps/"+url.PathEscape(a.ID)+"/credentials/jwks/"+url.PathEscape(k.ID), k.Status)
	return m
}

func appKeys(a *store.App) []store.AppJWK {
	if jw := a.Settings.OAuthClient.JWKS; jw != nil {
		return jw.Keys
	}
	return nil
}

func (h *Handler) listAppJWKS(w http.ResponseWriter, r *http.Request, p *principal) {
	a, err := h.svc.GetApp(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	// Okta answers a key set, not a bare array.
	out := []map[string]any{}
	for _, k := range appKeys(a) {
		out = append(out, h.jwkToJSON(a, k))
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"keys": out})
}

func (h *Handler) getAppJWK(w http.ResponseWriter, r *http.Request, p *principal) {
	a, err := h.svc.GetApp(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	id := r.PathValue("keyId")
	keys := appKeys(a)
	i := slices.IndexFunc(keys, func(k store.AppJWK) bool { return k.ID == id })
	if i < 0 {
		web.WriteError(w, oktaerr.NotFound(id, "JsonWebKey"))
		return
	}
	web.WriteJSON(w, http.StatusOK, h.jwkToJSON(a, keys[i]))
}

// addAppJWK registers one more public key (201), validated like the keys of
// settings.oauthClient.jwks (by the service); status may say INACTIVE.
func (h *Handler) addAppJWK(w http.ResponseWriter, r *http.Request, p *principal) {
	body, werr := readBody(w, r)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil || members == nil {
		web.WriteError(w, oktaerr.MalformedBody())
		return
	}
	status := store.StatusActive
	if raw, ok := members["status"]; ok {
		if json.Unmarshal(raw, &status) != nil {
			web.WriteError(w, oktaerr.Validation("status", "status: The value must be a string."))
			return
		}
	}
	// Bookkeeping is Sesame's to assign, never the client's.
	for _, k := range []string{"status", "id", "created", "lastUpdated", "_links"} {
		delete(members, k)
	}
	var c oktaerr.Problems
	c.Enum("status", status, store.StatusActive, store.StatusInactive)
	if len(c) > 0 {
		web.WriteError(w, c.Err())
		return
	}
	jwk, _ := json.Marshal(members)
	var added store.AppJWK
	a, err := h.svc.ModifyApp(r.Context(), serviceContext(r, p), r.PathValue("id"), "application.lifecycle.update", "Add client key",
		func(a *store.App, now time.Time) error {
			stamp := FormatTime(now)
			added = store.AppJWK{ID: secret.NewID("pks"), Status: status, Created: stamp, LastUpdated: stamp, JWK: normalizeJWK(jwk)}
			jw := a.Settings.OAuthClient.JWKS
			if jw == nil {
				jw = &store.AppJWKS{}
			}
			// ModifyApp refuses the key unless the app passes validation with it.
			a.Settings.OAuthClient.JWKS = &store.AppJWKS{Keys: append(slices.Clone(jw.Keys), added)}
			return nil
		})
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, h.jwkToJSON(a, added))
}

func (h *Handler) appJWKLifecycle(status string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		id := r.PathValue("keyId")
		var changed store.AppJWK
		a, err := h.svc.ModifyApp(r.Context(), serviceContext(r, p), r.PathValue("id"), "application.lifecycle.update", "Change client key status",
			func(a *store.App, now time.Time) error {
				keys := slices.Clone(appKeys(a))
				i := slices.IndexFunc(keys, func(k store.AppJWK) bool { return k.ID == id })
				if i < 0 {
					return oktaerr.NotFound(id, "JsonWebKey")
				}
				if keys[i].Status != status {
					keys[i].Status, keys[i].LastUpdated = status, FormatTime(now)
				}
				changed = keys[i]
				a.Settings.OAuthClient.JWKS = &store.AppJWKS{Keys: keys}
				if status == store.StatusInactive && a.ClientAuthMethod() == service.AuthPrivateKeyJWT && a.Settings.OAuthClient.JWKSURI == "" &&
					!slices.ContainsFunc(keys, func(k store.AppJWK) bool { return k.Status == store.StatusActive }) {
					return oktaerr.Validation("status", "status: The last active key of a private_key_jwt client cannot be deactivated. Add and activate another one first.")
				}
				return nil
			})
		if err != nil {
			h.writeErr(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, h.jwkToJSON(a, changed))
	}
}

func (h *Handler) deleteAppJWK(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("keyId")
	_, err := h.svc.ModifyApp(r.Context(), serviceContext(r, p), r.PathValue("id"), "application.lifecycle.update", "Delete client key",
		func(a *store.App, now time.Time) error {
			keys := appKeys(a)
			i := slices.IndexFunc(keys, func(k store.AppJWK) bool { return k.ID == id })
			if i < 0 {
				return oktaerr.NotFound(id, "JsonWebKey")
			}
			if keys[i].Status == store.StatusActive {
				return oktaerr.Validation("status", "status: An active key cannot be deleted. Deactivate it first.")
			}
			keys = slices.Delete(slices.Clone(keys), i, i+1)
			a.Settings.OAuthClient.JWKS = &store.AppJWKS{Keys: keys}
			if len(keys) == 0 {
				a.Settings.OAuthClient.JWKS = nil
			}
			return nil
		})
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// appKeyToJSON is one key that signs the app's ID tokens, in Okta's
// JsonWebKey shape.
func (h *Handler) appKeyToJSON(k *store.SigningKey) map[string]any {
	m := map[string]any{}
	json.Unmarshal(k.PublicJWK, &m)
	m["created"] = FormatTime(k.Created)
	m["lastUpdated"] = FormatTime(k.Created)
	if !k.Activated.IsZero() {
		m["lastUpdated"] = FormatTime(k.Activated)
	}
	if !k.RetireAt.IsZero() {
		m["expiresAt"] = FormatTime(k.RetireAt)
	}
	return m
}

func (h *Handler) listAppKeys(w http.ResponseWriter, r *http.Request, p *principal) {
	ks, err := h.svc.ListAppKeys(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(ks))
	for _, k := range ks {
		out = append(out, h.appKeyToJSON(k))
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) getAppKey(w http.ResponseWriter, r *http.Request, p *principal) {
	ks, err := h.svc.ListAppKeys(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	for _, k := range ks {
		if k.KID == r.PathValue("keyId") {
			web.WriteJSON(w, http.StatusOK, h.appKeyToJSON(k))
			return
		}
	}
	web.WriteError(w, oktaerr.NotFound(r.PathValue("keyId"), "JsonWebKey"))
}

// IDTokenSettingsJSON is Okta's internal ID-token settings object of an OIDC
// app: the issuer its ID tokens from the org server carry, their audience,
// and the app's groups claim.
type IDTokenSettingsJSON struct {
	Issuer          *string `json:"issuer"`
	OrgURL          *string `json:"orgUrl"`
	CustomURL       *string `json:"customUrl"`
	Audience        *string `json:"audience"`
	IssuerMode      string  `json:"issuerMode"`
	ValueType       string  `json:"valueType,omitempty"`
	Name            string  `json:"name,omitempty"`
	GroupFilterType string  `json:"groupFilterType,omitempty"`
	Value           string  `json:"value,omitempty"`
}

func (h *Handler) idTokenToJSON(a *store.App) IDTokenSettingsJSON {
	iss, aud := h.oauth.OrgIDTokenIssuer(a), a.ClientID
	out := IDTokenSettingsJSON{Issuer: &iss, Audience: &aud, IssuerMode: a.Settings.OAuthClient.IssuerMode}
	if gc := a.GroupsClaim; gc != nil {
		out.ValueType, out.Name, out.GroupFilterType, out.Value = gc.ValueType, gc.Name, gc.GroupFilterType, gc.Value
	}
	return out
}

func (h *Handler) getIDTokenSettings(w http.ResponseWriter, r *http.Request, p *principal) {
	a, err := h.svc.GetApp(r.Context(), r.PathValue("id"))
	writeOne(h, w, r, a, err, h.idTokenToJSON)
}

// IDTokenSettingsInput is the body of POST
// /api/v1/internal/apps/{id}/settings/oauth/idToken: service.IDTokenSettings
// in Okta's member names.
type IDTokenSettingsInput struct {
	IssuerMode      string `json:"issuerMode"`
	ValueType       string `json:"valueType"`
	Name            string `json:"name"`
	Value           string `json:"value"`
	GroupFilterType string `json:"groupFilterType"`
}

func (h *Handler) setIDTokenSettings(w http.ResponseWriter, r *http.Request, p *principal) {
	body, werr := readBody(w, r)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	var in IDTokenSettingsInput
	if e := decodeBody(body, &in); e != nil {
		web.WriteError(w, e)
		return
	}
	a, err := h.svc.SetIDTokenSettings(r.Context(), serviceContext(r, p), r.PathValue("id"), service.IDTokenSettings(in))
	writeOne(h, w, r, a, err, h.idTokenToJSON)
}
