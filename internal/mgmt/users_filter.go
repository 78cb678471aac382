package mgmt

import (
	"net/http"
	"slices"
	"strings"

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

func (h *Handler) userFilter(expr string) (*userQuery, *oktaerr.Error) {
	e, err := filter.ParseWith(expr, filter.Options{Allowed: userFilterAttrs, Operators: []string{"eq", "gt", "ge", "lt", "le"}})
	if err != nil {
		return nil, err
	}
	return h.userQueryOf(e), nil
}

func (h *Handler) userSearch(expr string) (*userQuery, *oktaerr.Error) {
	e, err := filter.Parse(expr, userSearchAttrs)
	if err != nil {
		return nil, err
	}
	return h.userQueryOf(e), nil
}

// userQuery is a parsed search, filter or q: the exact match, and the
// indexed condition that narrows what the store reads.
type userQuery struct {
	match service.UserFilter
	where store.UserWhere
	// withStatus says whether the expression names status, which also
	// lists DEPROVISIONED users.
	withStatus bool
}

func (h *Handler) userQueryOf(e filter.Expr) *userQuery {
	where, _ := filter.Narrow(e, userTerm, func(ws []store.UserWhere) store.UserWhere { return store.UserWhere{And: ws} },
		func(ws []store.UserWhere) store.UserWhere { return store.UserWhere{Or: ws} })
	return &userQuery{match: func(u *store.User) bool { return e.Match(h.userAttr(u)) }, where: where,
		withStatus: slices.Contains(e.Attrs(), "status")}
}

// userTerm is the indexed condition of one comparison, when there is one.
func userTerm(t filter.Term) (store.UserWhere, bool) {
	if !t.IsString {
		return store.UserWhere{}, false
	}
	ordering := t.Op == "eq" || t.Op == "gt" || t.Op == "ge" || t.Op == "lt" || t.Op == "le"
	switch t.Attr {
	case "status":
		// Statuses are upper-case ASCII, so the one a case-insensitive
		// literal can equal is its upper-case form.
		if t.Op == "eq" && isASCII(t.String) {
			return store.UserWhere{Attr: store.UserAttrStatus, Op: "eq", Value: strings.ToUpper(t.String)}, true
		}
	case store.UserAttrLogin, store.UserAttrEmail, store.UserAttrFirstName, store.UserAttrLastName:
		if ordering || t.Op == "sw" {
			return store.UserWhere{Attr: t.Attr, Op: t.Op, Value: t.String}, true
		}
	case store.UserAttrCreated, store.UserAttrLastUpdated:
		if ordering && t.IsTime {
			return store.UserWhere{Attr: t.Attr, Op: t.Op, Value: t.Time}, true
		}
	}
	return store.UserWhere{}, false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// checkSortBy refuses a sort attribute search could not name.
func checkSortBy(attr string) *oktaerr.Error {
	if _, err := filter.Parse(attr+" pr", userSearchAttrs); err != nil {
		return oktaerr.New(http.StatusBadRequest, oktaerr.CodeInvalidSearch, "Invalid search criteria.", "sortBy: The attribute '"+attr+"' cannot be sorted on.")
	}
	return nil
}
