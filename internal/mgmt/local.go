package mgmt

import (
	"net/http"

	"github.com/sesame-idp/sesame/internal/audit"
)

// Local returns the management API for a process that holds the database
// itself (sesame apply and export on --data, sesame dev): every request acts
// as actor with full rights, with no token. It is never registered on the
// public mux; its point is that an org file applied locally goes through
// exactly the decoding, validation and System Log events a remote apply
// meets over HTTP.
func (h *Handler) Local(actor audit.Actor) http.Handler {
	local := *h
	local.as = &principal{actor: actor}
	mux := http.NewServeMux()
	local.Register(mux)
	return mux
}
