package app

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestKeysETag: the key set carries an entity tag; a verifier that sends
// it back is answered 304 without a body until the keys change.
func TestKeysETag(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		const path = "/oauth2/default/v1/keys"
		get := func(inm string) (int, http.Header, []byte) {
			t.Helper()
			req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
			if inm != "" {
				req.Header.Set("If-None-Match", inm)
			}
			resp, err := ts.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			if _, err := body.ReadFrom(resp.Body); err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode, resp.Header, body.Bytes()
		}
		status, h, body := get("")
		tag := h.Get("ETag")
		if status != 200 || len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' || len(body) == 0 {
			t.Fatalf("first GET: %d ETag %q body %d bytes", status, tag, len(body))
		}
		for _, inm := range []string{tag, "W/" + tag, `"other", ` + tag, "*"} {
			status, h, body := get(inm)
			if status != http.StatusNotModified || len(body) != 0 || h.Get("ETag") != tag || h.Get("Cache-Control") == "" {
				t.Errorf("If-None-Match %s: %d ETag %q body %q", inm, status, h.Get("ETag"), body)
			}
		}
		if status, _, body := get(`"not-the-tag"`); status != 200 || len(body) == 0 {
			t.Errorf("another tag: %d, %d bytes", status, len(body))
		}
		// Another server's key set has another tag.
		if _, oh, _ := get(""); oh.Get("ETag") != tag {
			t.Errorf("the tag changed without a change: %q, %q", oh.Get("ETag"), tag)
		}
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/oauth2/v1/keys", nil)
		resp, err := ts.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("ETag") == tag {
			t.Error("the org server's key set has the default server's tag")
		}

		if a := ts.mgmt(t, http.MethodPost, "/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate", map[string]string{"use": "sig"}); a.status != 200 {
			t.Fatalf("rotate: %d %s", a.status, a.body)
		}
		status, h, body = get(tag)
		if status != 200 || len(body) == 0 || h.Get("ETag") == tag || h.Get("ETag") == "" {
			t.Errorf("after rotation: %d ETag %q (was %q)", status, h.Get("ETag"), tag)
		}
	})
}
