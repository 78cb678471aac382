package app

// The Go SDK suite's harness: Okta's own Go management SDKs, v5 and v6 (the
// Terraform provider links both), configured as a user would configure them
// for an org URL and an SSWS token, talking real HTTP to a real Sesame.
// Every response goes through the SDK's own decoding, which refuses members
// its models do not know wherever the model is a oneOf (apps, for one) and
// members it requires that are missing.
//
// To add a case: write a TestSDK… function that calls sdkSuite and drives
// c.v5 and c.v6 (both, unless an endpoint exists in one generation only);
// sdkStatus reads the status and Okta error code of a failed call.

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"testing"

	v5 "github.com/okta/okta-sdk-golang/v5/okta"
	v6 "github.com/okta/okta-sdk-golang/v6/okta"

	"github.com/sesame-idp/sesame/internal/store"
)

// sdkClients holds one client of each SDK generation for one Sesame.
type sdkClients struct {
	ts *testServer
	v5 *v5.APIClient
	v6 *v6.APIClient
}

// sdkSuite runs fn on each storage backend with a fresh Sesame and SDK
// clients for it.
func sdkSuite(t *testing.T, fn func(t *testing.T, c *sdkClients)) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		fn(t, newSDKClients(t, startServer(t, open(t))))
	})
}

// newSDKClients configures both SDKs the way the Terraform provider points
// them at a self-hosted org: the org URL and, because the SDKs drop the
// port of the org URL, the same address as their HTTP proxy (Sesame answers
// the absolute-form requests a proxy gets); the API token; the cache off (so
// every read is a request); no retries (a 429 in a test is a failure to see,
// not to wait out); and the HTTPS check off for plain-http loopback.
func newSDKClients(t *testing.T, ts *testServer) *sdkClients {
	t.Helper()
	u, err := url.Parse(ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	c5, err := v5.NewConfiguration(
		v5.WithOrgUrl(ts.URL), v5.WithToken(ts.APIToken), v5.WithCache(false),
		v5.WithTestingDisableHttpsCheck(true), v5.WithRateLimitMaxRetries(0),
		v5.WithProxyHost(u.Hostname()), v5.WithProxyPort(int32(port)),
	)
	if err != nil {
		t.Fatalf("v5 configuration: %v", err)
	}
	c6, err := v6.NewConfiguration(
		v6.WithOrgUrl(ts.URL), v6.WithToken(ts.APIToken), v6.WithCache(false),
		v6.WithTestingDisableHttpsCheck(true), v6.WithRateLimitMaxRetries(0),
		v6.WithProxyHost(u.Hostname()), v6.WithProxyPort(int32(port)),
	)
	if err != nil {
		t.Fatalf("v6 configuration: %v", err)
	}
	return &sdkClients{ts: ts, v5: v5.NewAPIClient(c5), v6: v6.NewAPIClient(c6)}
}

// sdkResult is what a test needs from an SDK call: the HTTP status and, for
// an error, Okta's error code as the SDK decoded it.
type sdkResult struct {
	status int
	code   string
}

// sdkStatus reads an SDK call's outcome. The SDKs return a response for
// most errors; the error code comes from the error model they decoded (or
// the raw body when the call's error model is not Okta's Error object).
func sdkStatus(resp any, err error) sdkResult {
	var r sdkResult
	switch x := resp.(type) {
	case *v5.APIResponse:
		if x != nil && x.Response != nil {
			r.status = x.StatusCode
		}
	case *v6.APIResponse:
		if x != nil && x.Response != nil {
			r.status = x.StatusCode
		}
	}
	var body []byte
	var e5 *v5.GenericOpenAPIError
	var e6 *v6.GenericOpenAPIError
	switch {
	case errors.As(err, &e5):
		body = e5.Body()
	case errors.As(err, &e6):
		body = e6.Body()
	}
	if len(body) > 0 {
		var m struct {
			Code string `json:"errorCode"`
		}
		if json.Unmarshal(body, &m) == nil {
			r.code = m.Code
		}
	}
	return r
}

// mustSDK fails the test when an SDK call failed or answered another status.
func mustSDK(t *testing.T, what string, want int, resp any, err error) {
	t.Helper()
	r := sdkStatus(resp, err)
	if err != nil || r.status != want {
		t.Fatalf("%s: status %d (want %d), error %v", what, r.status, want, sdkErrText(err))
	}
}

// wantSDKError fails the test unless the call failed with this status and
// Okta error code.
func wantSDKError(t *testing.T, what string, status int, code string, resp any, err error) {
	t.Helper()
	r := sdkStatus(resp, err)
	if err == nil || r.status != status || r.code != code {
		t.Fatalf("%s: status %d code %q (want %d %s), error %v", what, r.status, r.code, status, code, sdkErrText(err))
	}
}

// sdkErrText includes the response body the SDK kept, which says why.
func sdkErrText(err error) string {
	if err == nil {
		return "<nil>"
	}
	var e5 *v5.GenericOpenAPIError
	var e6 *v6.GenericOpenAPIError
	switch {
	case errors.As(err, &e5):
		return err.Error() + " " + string(e5.Body())
	case errors.As(err, &e6):
		return err.Error() + " " + string(e6.Body())
	}
	return err.Error()
}
