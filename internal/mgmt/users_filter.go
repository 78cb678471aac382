package mgmt

import (
	"net/http"

	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/web"
)

// userFilter and userSearch wait for the shared expression parser
// (internal/filter); until it is merged both answer E0000094.
func (h *Handler) userFilter(expr string) (service.UserFilter, *web.Error) {
	return nil, web.NewError(http.StatusBadRequest, web.CodeUnsupportedFilter, "The provided filter is unsupported.")
}

func (h *Handler) userSearch(expr string) (service.UserFilter, *web.Error) {
	return nil, web.NewError(http.StatusBadRequest, web.CodeUnsupportedFilter, "The provided filter is unsupported.")
}
