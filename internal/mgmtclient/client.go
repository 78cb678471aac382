// Package mgmtclient is a small client of Sesame's (and Okta's) management
// API with an SSWS token: JSON in and out, Okta error objects turned into
// errors, and lists read page by page. sesame openmetadata and sesame
// apply/export use it against a remote org, and against the local one
// through an in-process transport.
package mgmtclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"time"
)

// Client calls the management API of one org.
type Client struct {
	Base  string // the org URL, no trailing slash
	Token string // SSWS token; empty for a Local client
	HTTP  *http.Client
}

// New returns a client of the org at orgURL.
func New(orgURL, token string) *Client {
	return &Client{Base: strings.TrimRight(orgURL, "/"), Token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Local returns a client that hands every request to h in-process.
func Local(orgURL string, h http.Handler) *Client {
	return &Client{Base: strings.TrimRight(orgURL, "/"), HTTP: &http.Client{Transport: handlerTransport{h}}}
}

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// Error is an answer of 300 or more.
type Error struct {
	Method, Path string
	Status       int
	Code         string   // errorCode (Okta) or error (OAuth)
	Summary      string   // errorSummary and the causes, joined
	Causes       []string // the errorCauses' summaries
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Summary)
}

// Do sends body (JSON, unless nil) and decodes the answer into out (unless nil).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = c.Base + path
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	c.authorize(req)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode >= 300 {
		return answerError(method, path, resp.StatusCode, raw)
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func (c *Client) authorize(req *http.Request) {
	if c.Token != "" {
		req.Header.Set("Authorization", "SSWS "+c.Token)
	}
	req.Header.Set("Accept", "application/json")
}

func answerError(method, path string, status int, raw []byte) *Error {
	var e struct {
		Code    string `json:"errorCode"`
		Summary string `json:"errorSummary"`
		Causes  []struct {
			Summary string `json:"errorSummary"`
		} `json:"errorCauses"`
		OAuth string `json:"error"`
		Desc  string `json:"error_description"`
	}
	json.Unmarshal(raw, &e)
	out := &Error{Method: method, Path: path, Status: status, Code: e.Code + e.OAuth, Summary: e.Summary + e.Desc}
	for _, c := range e.Causes {
		out.Causes = append(out.Causes, c.Summary)
		out.Summary += "; " + c.Summary
	}
	if out.Summary == "" {
		out.Summary = strings.TrimSpace(string(raw))
	}
	return out
}

var nextLink = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// List reads every page of a list, following rel="next" links.
func (c *Client) List(ctx context.Context, path string) ([]map[string]any, error) {
	var all []map[string]any
	u := c.Base + path
	for i := 0; u != "" && i < 1000; i++ {
		page, next, err := c.Page(ctx, u)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		u = next
	}
	return all, nil
}

// Page reads one page of a list at path (or an absolute URL, such as a
// previous page's next link) and returns the rel="next" link, "" on the
// last page.
func (c *Client) Page(ctx context.Context, path string) (page []map[string]any, next string, err error) {
	u := path
	if !strings.HasPrefix(u, "http") {
		u = c.Base + path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	c.authorize(req)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, "", err
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, "", answerError("GET", path, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", path, err)
	}
	for _, l := range resp.Header.Values("Link") {
		if m := nextLink.FindStringSubmatch(l); m != nil && len(page) > 0 {
			next = m[1]
		}
	}
	return page, next, nil
}

// Str reads a string member of a decoded object by a dotted path.
func Str(m map[string]any, path string) string {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[k]
	}
	s, _ := cur.(string)
	return s
}
