package console

import (
	"net/http"
	"strings"

	"github.com/sesame-idp/sesame/internal/store"
)

type originsData struct {
	APITabs
	Origins []*store.TrustedOrigin
	Form    map[string]string
}

func (c *Console) listOrigins(w http.ResponseWriter, r *http.Request, q *request) {
	c.renderOrigins(w, r, q, http.StatusOK, map[string]string{"added": "Trusted origin added.", "deleted": "Trusted origin deleted."}[r.URL.Query().Get("done")], "", nil, nil)
}

func (c *Console) renderOrigins(w http.ResponseWriter, r *http.Request, q *request, status int, notice, errText string, causes []string, form map[string]string) {
	os, err := c.svc.ListTrustedOrigins(r.Context(), store.Page{Limit: 200}, nil)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, status, "api_origins", &view{Title: "API", Section: "api", User: q.user, CSRF: q.csrf, Notice: notice, Error: errText, Causes: causes,
		Data: originsData{APITabs: APITabs{"origins"}, Origins: os, Form: form}})
}

func (c *Console) createOrigin(w http.ResponseWriter, r *http.Request, q *request) {
	form := formOf(r, "name", "origin", "cors", "redirect")
	o := &store.TrustedOrigin{Name: strings.TrimSpace(form["name"]), Origin: strings.TrimSpace(form["origin"])}
	if form["cors"] != "" {
		o.Scopes = append(o.Scopes, store.OriginScope{Type: "CORS"})
	}
	if form["redirect"] != "" {
		o.Scopes = append(o.Scopes, store.OriginScope{Type: "REDIRECT"})
	}
	if err := c.svc.CreateTrustedOrigin(r.Context(), q.ctx(r), o); err != nil {
		if summary, causes, ok := problem(err); ok {
			c.renderOrigins(w, r, q, http.StatusBadRequest, "", summary, causes, form)
			return
		}
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/api/origins?done=added", http.StatusSeeOther)
}

func (c *Console) deleteOrigin(w http.ResponseWriter, r *http.Request, q *request) {
	if err := c.svc.DeleteTrustedOrigin(r.Context(), q.ctx(r), r.PathValue("oid")); err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/api/origins?done=deleted", http.StatusSeeOther)
}

type tokenRow struct {
	*store.APIToken
	Owner string
}

type tokensData struct {
	APITabs
	Tokens []tokenRow
	// Created is a new token's value, shown once.
	Created, Name string
}

func (c *Console) listTokens(w http.ResponseWriter, r *http.Request, q *request) {
	c.renderTokens(w, r, q, http.StatusOK, map[string]string{"revoked": "Token revoked."}[r.URL.Query().Get("done")], "", tokensData{})
}

func (c *Console) renderTokens(w http.ResponseWriter, r *http.Request, q *request, status int, notice, errText string, d tokensData) {
	ts, err := c.svc.ListAPITokens(r.Context(), store.Page{Limit: 200})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d.Current = "tokens"
	owners := map[string]string{}
	for _, t := range ts {
		if _, ok := owners[t.UserID]; !ok {
			owners[t.UserID] = t.UserID
			if u, err := c.svc.Store.Users().Get(r.Context(), t.UserID); err == nil {
				owners[t.UserID] = u.Login
			}
		}
		d.Tokens = append(d.Tokens, tokenRow{APIToken: t, Owner: owners[t.UserID]})
	}
	c.render(w, status, "api_tokens", &view{Title: "API", Section: "api", User: q.user, CSRF: q.csrf, Notice: notice, Error: errText, Data: d})
}

func (c *Console) createToken(w http.ResponseWriter, r *http.Request, q *request) {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if name == "" || len(name) > 255 {
		c.renderTokens(w, r, q, http.StatusBadRequest, "", "Name the token (at most 255 characters): the name is how you will recognize it in this list.", tokensData{Name: name})
		return
	}
	tok, _, err := c.svc.CreateAPIToken(r.Context(), q.user.ID, name)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.renderTokens(w, r, q, http.StatusOK, "Token created. Copy it now: it is shown only this once.", "", tokensData{Created: tok})
}

func (c *Console) revokeToken(w http.ResponseWriter, r *http.Request, q *request) {
	if err := c.svc.RevokeAPIToken(r.Context(), q.ctx(r), r.PathValue("tid")); err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/api/tokens?done=revoked", http.StatusSeeOther)
}
