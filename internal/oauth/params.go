package oauth

import (
	"io"
	"mime"
	"net/http"
	"net/url"
)

// maxFormBytes bounds a token, introspection or revocation request body;
// the largest legitimate member is a client assertion of a few kilobytes.
const maxFormBytes = 64 << 10

// params are a request's OAuth parameters: the query and the form body
// merged, the body winning (§2.2), with where each came from.
type params struct {
	values  map[string]string
	inQuery map[string]bool
}

func (p params) get(k string) string { return p.values[k] }

func (p params) has(k string) bool { _, ok := p.values[k]; return ok }

// readParams merges query and body. A parameter repeated within the query or
// within the body is refused (RFC 6749 §3.1, §3.2).
func readParams(w http.ResponseWriter, r *http.Request) (params, *Error) {
	p := params{values: map[string]string{}, inQuery: map[string]bool{}}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return p, errInvalidRequest
	}
	for k, v := range q {
		if len(v) > 1 {
			return p, errDuplicateParams
		}
		p.values[k] = v[0]
		p.inQuery[k] = true
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return p, nil
	}
	body, err := readBody(w, r)
	if err != nil {
		return p, errInvalidRequest
	}
	if len(body) == 0 {
		return p, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return p, oerr(400, "invalid_request", "The request must be of content type application/x-www-form-urlencoded.")
	}
	f, err := url.ParseQuery(string(body))
	if err != nil {
		return p, errInvalidRequest
	}
	for k, v := range f {
		if len(v) > 1 {
			return p, errDuplicateParams
		}
		p.values[k] = v[0]
		delete(p.inQuery, k)
	}
	return p, nil
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
}
