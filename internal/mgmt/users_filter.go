package mgmt

import (
	"net/http"
	"slices"

	"github.com/sesame-idp/sesame/internal/filter"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

// userFilterAttrs are the attributes Okta's users `filter` supports (§4.0).
// Okta allows the range operators on lastUpdated only; filter.Options has
// one operator list per expression, so Sesame also accepts them on the
// other six attributes (a superset: no valid Okta filter is refused).
var userFilterAttrs = []string{"status", "lastUpdated", "id", "profile.login", "profile.email", "profile.firstName", "profile.lastName"}

// userSearchAttrs are what `search` may name, and what sortBy may sort on.
var userSearchAttrs = []string{"status", "created", "activated", "statusChanged", "lastUpdated", "lastLogin",
	"passwordChanged", "id", "profile.*", "type.id"}

// userMatch turns a parsed expression into a user filter; withStatus says
// whether it names status, which also lists DEPROVISIONED users.
func (h *Handler) userMatch(e filter.Expr) (match service.UserFilter, withStatus bool) {
	return func(u *store.User) bool { return e.Match(h.userAttr(u)) }, slices.Contains(e.Attrs(), "status")
}

func (h *Handler) userFilter(expr string) (service.UserFilter, bool, *oktaerr.Error) {
	e, err := filter.ParseWith(expr, filter.Options{Allowed: userFilterAttrs, Operators: []string{"eq", "gt", "ge", "lt", "le"}})
	if err != nil {
		return nil, false, err
	}
	m, s := h.userMatch(e)
	return m, s, nil
}

func (h *Handler) userSearch(expr string) (service.UserFilter, bool, *oktaerr.Error) {
	e, err := filter.Parse(expr, userSearchAttrs)
	if err != nil {
		return nil, false, err
	}
	m, s := h.userMatch(e)
	return m, s, nil
}

// checkSortBy refuses a sort attribute search could not name.
func checkSortBy(attr string) *oktaerr.Error {
	if _, err := filter.Parse(attr+" pr", userSearchAttrs); err != nil {
		return oktaerr.New(http.StatusBadRequest, oktaerr.CodeInvalidSearch, "Invalid search criteria.", "sortBy: The attribute '"+attr+"' cannot be sorted on.")
	}
	return nil
}
