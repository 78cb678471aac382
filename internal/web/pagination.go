package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sesame-idp/sesame/internal/oktaerr"
)

// PageParams reads limit and after. A missing or out-of-range limit becomes
// def or max as Okta does; a malformed one is a validation error. Every
// cursor Sesame hands out is printable ASCII, so one that is not UTF-8 or
// holds a NUL is refused here: PostgreSQL cannot compare it with a column.
func PageParams(r *http.Request, def, max int) (limit int, after string, err *oktaerr.Error) {
	q := r.URL.Query()
	after = q.Get("after")
	if !utf8.ValidString(after) || strings.ContainsRune(after, 0) {
		return 0, "", oktaerr.Validation("after", "after: The cursor is not valid.")
	}
	limit = def
	if s := q.Get("limit"); s != "" {
		n, perr := strconv.Atoi(s)
		if perr != nil || n < 1 {
			return 0, "", oktaerr.Validation("limit", "limit: The limit must be a positive integer.")
		}
		limit = min(n, max)
	}
	return limit, after, nil
}

// SetLinks writes one Link header per relation (the Okta SDKs read each
// header on its own and look for the quoted rel="next"). next is the cursor
// of the following page, empty at the end.
func SetLinks(w http.ResponseWriter, r *http.Request, base string, limit int, next string) {
	self := base + r.URL.Path
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	w.Header().Add("Link", "<"+self+`>; rel="self"`)
	if next == "" {
		return
	}
	q := r.URL.Query()
	q.Set("after", next)
	q.Set("limit", strconv.Itoa(limit))
	w.Header().Add("Link", "<"+base+r.URL.Path+"?"+q.Encode()+`>; rel="next"`)
}

// NextCursor returns the cursor after a page: the last id when the page is
// full (there may be more), else "".
func NextCursor(ids []string, limit int) string {
	if len(ids) < limit || len(ids) == 0 {
		return ""
	}
	return ids[len(ids)-1]
}
