package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/oktaerr"
)

func TestRateLimiter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 30, 0, time.UTC)
	limits, err := ParseRateLimits("apps=3,users=0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewRateLimiter(limits, func() time.Time { return now })
	h := l.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	do := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	reset := strconv.FormatInt(time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC).Unix(), 10)
	for i := 1; i <= 3; i++ {
		rec := do("/api/v1/apps/0oa1")
		if rec.Code != 200 || rec.Header().Get("X-Rate-Limit-Limit") != "3" || rec.Header().Get("X-Rate-Limit-Remaining") != strconv.Itoa(3-i) || rec.Header().Get("X-Rate-Limit-Reset") != reset {
			t.Fatalf("request %d: %d %v", i, rec.Code, rec.Header())
		}
	}
	rec := do("/api/v1/apps")
	var e oktaerr.Error
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 429 || e.Code != "E0000047" || e.Summary != "API call exceeded rate limit due to too many requests." || rec.Header().Get("X-Rate-Limit-Remaining") != "0" {
		t.Fatalf("over the limit: %d %s", rec.Code, rec.Body)
	}
	date, err := http.ParseTime(rec.Header().Get("Date"))
	if err != nil || !date.Equal(now.Truncate(time.Second)) {
		t.Fatalf("Date header %q", rec.Header().Get("Date"))
	}
	// Other classes are counted apart; a zero limit is no limit.
	if rec := do("/oauth2/default/v1/token"); rec.Code != 200 || rec.Header().Get("X-Rate-Limit-Limit") != strconv.Itoa(DefaultRateLimits["token"]) {
		t.Fatalf("token class: %d %v", rec.Code, rec.Header())
	}
	// Each device authorization stores two codes: it is limited too.
	if rec := do("/oauth2/default/v1/device/authorize"); rec.Code != 200 || rec.Header().Get("X-Rate-Limit-Limit") != strconv.Itoa(DefaultRateLimits["authorize"]) {
		t.Fatalf("device authorization class: %d %v", rec.Code, rec.Header())
	}
	if rec := do("/api/v1/users"); rec.Code != 200 || rec.Header().Get("X-Rate-Limit-Limit") != "" {
		t.Fatalf("unlimited class: %v", rec.Header())
	}
	// The next minute starts afresh.
	now = now.Add(30 * time.Second)
	if rec := do("/api/v1/apps"); rec.Code != 200 || rec.Header().Get("X-Rate-Limit-Remaining") != "2" {
		t.Fatalf("new window: %d %v", rec.Code, rec.Header())
	}
}

func TestParseRateLimits(t *testing.T) {
	for _, bad := range []string{"apps", "nope=3", "apps=-1", "apps=x", "apps=1,,"} {
		if _, err := ParseRateLimits(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	off, err := ParseRateLimits("off")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range off {
		if v != 0 {
			t.Errorf("off left %s=%d", k, v)
		}
	}
}
