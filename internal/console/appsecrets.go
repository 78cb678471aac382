package console

import (
	"net/http"

	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// An app's client secrets on its General tab: the same service calls as
// /api/v1/apps/{id}/credentials/secrets, so the rules (at most two, the last
// active one stays, only an inactive one can be deleted) are the API's.

func (c *Console) registerAppSecrets(mux *http.ServeMux) {
	mux.Handle("POST /admin/apps/{id}/secrets", c.admin("okta.apps.manage", c.newAppSecret))
	mux.Handle("POST /admin/apps/{id}/secrets/{sid}/{op}", c.admin("okta.apps.manage", c.appSecretOp))
}

// newAppSecret generates a new active secret and shows it this once: only
// its hash (and a sealed copy for client_secret_jwt) is kept.
func (c *Console) newAppSecret(w http.ResponseWriter, r *http.Request, q *request) {
	clear := secret.Token("", 30) // as the API generates one when none is sent
	a, _, err := c.svc.AddAppSecret(r.Context(), q.ctx(r), r.PathValue("id"), clear, store.StatusActive)
	if err != nil {
		c.appSecretProblem(w, r, q, err)
		return
	}
	c.renderApp(w, r, q, a, http.StatusOK, "New client secret generated. Copy it now: it is shown only this once.", clear, nil)
}

func (c *Console) appSecretOp(w http.ResponseWriter, r *http.Request, q *request) {
	id, sid := r.PathValue("id"), r.PathValue("sid")
	var err error
	done := ""
	switch r.PathValue("op") {
	case "activate":
		_, _, err = c.svc.SetAppSecretStatus(r.Context(), q.ctx(r), id, sid, store.StatusActive)
		done = "secret-activated"
	case "deactivate":
		_, _, err = c.svc.SetAppSecretStatus(r.Context(), q.ctx(r), id, sid, store.StatusInactive)
		done = "secret-deactivated"
	case "delete":
		err = c.svc.DeleteAppSecret(r.Context(), q.ctx(r), id, sid)
		done = "secret-deleted"
	default:
		c.message(w, r, http.StatusNotFound, "Not found", "There is no such action.")
		return
	}
	if err != nil {
		c.appSecretProblem(w, r, q, err)
		return
	}
	http.Redirect(w, r, "/admin/apps/"+id+"?done="+done, http.StatusSeeOther)
}

// appSecretProblem shows the General tab with the service's refusal (the
// API's message), or the error page when the app itself is gone.
func (c *Console) appSecretProblem(w http.ResponseWriter, r *http.Request, q *request, err error) {
	summary, causes, ok := problem(err)
	if !ok {
		c.fail(w, r, err)
		return
	}
	a, gerr := c.svc.GetApp(r.Context(), r.PathValue("id"))
	if gerr != nil {
		c.fail(w, r, gerr)
		return
	}
	c.renderApp(w, r, q, a, http.StatusBadRequest, "", "", append([]string{summary}, causes...))
}
