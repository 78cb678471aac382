package oauth

import (
	"net/http"
	"slices"

	"github.com/sesame-idp/sesame/internal/signin"
	"github.com/sesame-idp/sesame/internal/store"
)

// Okta's acr values: a request with acr_values=urn:okta:loa:2fa:any needs
// a session with a second factor; the ID token's acr says which level the
// session reached.
const (
	acr1FA = "urn:okta:loa:1fa:pwd"
	acr2FA = "urn:okta:loa:2fa:any"
)

func hasFactor(amr []string) bool { return slices.Contains(amr, "mfa") }

func acrOf(amr []string) string {
	if hasFactor(amr) {
		return acr2FA
	}
	return acr1FA
}

// factorSatisfied checks the app's sign-on policy and acr_values against
// the session: when they ask for a second factor the session lacks (or
// gave longer ago than the policy allows), the person is sent to the
// factor step and comes back to this request. It answers the request
// itself and returns false then, or when the policy denies the app.
func (s *Server) factorSatisfied(w http.ResponseWriter, r *http.Request, a *authzRequest, sub *subject, sess *store.Session) bool {
	ctx := r.Context()
	var req AppRequirement
	if s.appSignOn != nil {
		var err error
		if req, err = s.appSignOn(ctx, a.app.ID, sub.user.ID); err != nil {
			s.failAuthorize(w, r, a, &authzError{err: serverError("evaluating the app's sign-on policy", err)})
			return false
		}
	}
	if req.Deny {
		s.auditAuthorize(r, a, sub, "FAILURE", "Denied by the app's sign-on policy.")
		s.failAuthorize(w, r, a, redirectError("access_denied", "Policy evaluation failed for this request, please check the policy configurations."))
		return false
	}
	need := req.RequireFactor || slices.Contains(a.acrValues, acr2FA)
	if !need {
		return true
	}
	fresh := hasFactor(sess.AMR) && (req.Within <= 0 || s.now().Sub(sess.Created) <= req.Within)
	if fresh {
		return true
	}
	if a.prompts("none") {
		s.failAuthorize(w, r, a, redirectError("login_required", "The client specified not to prompt, but the user is not logged in."))
		return false
	}
	k, err := s.savePending(ctx, a)
	if err != nil {
		s.failAuthorize(w, r, a, &authzError{err: serverError("saving authorize request", err)})
		return false
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, signin.StepUpURL(continueURI(k)), http.StatusFound)
	return false
}
