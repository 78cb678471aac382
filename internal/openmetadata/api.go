// Package openmetadata does OpenMetadata's "Okta SSO" guide against a Sesame
// org through its management API — so it works as well against a remote
// Sesame as a local one — and renders the configuration OpenMetadata reads,
// for Docker, bare metal, Kubernetes and ingestion. Check verifies from
// outside what OpenMetadata's UI, server and legacy ingestion will do.
package openmetadata

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// api is a small management-API client with an SSWS token.
type api struct {
	base, token string
	hc          *http.Client
}

// apiError is an Okta error answer.
type apiError struct {
	Method, Path string
	Status       int
	Summary      string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Summary)
}

// sendJSON sends a request with a JSON body (when body is not nil) and an
// Authorization header (when auth is not empty), and returns the answer
// with its body read.
func sendJSON(ctx context.Context, hc *http.Client, method, u, auth string, body any) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp, raw, nil
}

func (a *api) do(ctx context.Context, method, path string, body, out any) error {
	u := path
	if !strings.HasPrefix(u, "http") {
		u = a.base + path
	}
	resp, raw, err := sendJSON(ctx, a.hc, method, u, "SSWS "+a.token, body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Summary string `json:"errorSummary"`
			Causes  []struct {
				Summary string `json:"errorSummary"`
			} `json:"errorCauses"`
			Desc string `json:"error_description"`
		}
		json.Unmarshal(raw, &e)
		msg := e.Summary + e.Desc
		for _, c := range e.Causes {
			msg += "; " + c.Summary
		}
		if msg == "" {
			msg = strings.TrimSpace(string(raw))
		}
		return &apiError{Method: method, Path: path, Status: resp.StatusCode, Summary: msg}
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

var nextLink = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// list reads every page of a list, following rel="next" links.
func (a *api) list(ctx context.Context, path string) ([]map[string]any, error) {
	var all []map[string]any
	u := a.base + path
	for i := 0; u != "" && i < 1000; i++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "SSWS "+a.token)
		req.Header.Set("Accept", "application/json")
		resp, err := a.hc.Do(req)
		if err != nil {
			return nil, err
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return nil, &apiError{Method: "GET", Path: path, Status: resp.StatusCode, Summary: strings.TrimSpace(string(raw))}
		}
		var page []map[string]any
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
		all = append(all, page...)
		u = ""
		for _, l := range resp.Header.Values("Link") {
			if m := nextLink.FindStringSubmatch(l); m != nil && len(page) > 0 {
				u = m[1]
			}
		}
	}
	return all, nil
}

func newAPI(orgURL, token string) *api {
	return &api{base: strings.TrimRight(orgURL, "/"), token: token, hc: &http.Client{Timeout: 30 * time.Second}}
}

// str reads a string member of a decoded object by a dotted path.
func str(m map[string]any, path string) string {
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

func q(s string) string { return url.QueryEscape(s) }
