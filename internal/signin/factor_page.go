package signin

import "net/http"

// registerFactorPage adds the hosted page's factor step.
func (h *Handler) registerFactorPage(mux *http.ServeMux) {}
