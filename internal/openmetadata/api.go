// Package openmetadata does OpenMetadata's "Okta SSO" guide against a Sesame
// org through its management API — so it works as well against a remote
// Sesame as a local one — and renders the configuration OpenMetadata reads,
// for Docker, bare metal, Kubernetes and ingestion. Check verifies from
// outside what OpenMetadata's UI, server and legacy ingestion will do.
package openmetadata

import (
	"context"
	"net/url"

	"github.com/sesame-idp/sesame/internal/mgmtclient"
)

// api is the management-API client setup uses.
type api struct{ c *mgmtclient.Client }

// apiError is an Okta error answer.
type apiError = mgmtclient.Error

func (a *api) do(ctx context.Context, method, path string, body, out any) error {
	return a.c.Do(ctx, method, path, body, out)
}

// list reads every page of a list, following rel="next" links.
func (a *api) list(ctx context.Context, path string) ([]map[string]any, error) {
	return a.c.List(ctx, path)
}

func newAPI(orgURL, token string) *api { return &api{c: mgmtclient.New(orgURL, token)} }

// str reads a string member of a decoded object by a dotted path.
func str(m map[string]any, path string) string { return mgmtclient.Str(m, path) }

func q(s string) string { return url.QueryEscape(s) }
