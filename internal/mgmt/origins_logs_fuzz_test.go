package mgmt

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/service"
)

// FuzzLogQuery: any query string gives a parsed query or an Okta error,
// never a panic; a cursor the server wrote reads back to what it encodes.
func FuzzLogQuery(f *testing.F) {
	for _, s := range []string{"since=2025-01-01T00:00:00Z&until=2025-01-02", "limit=5&sortOrder=DESCENDING", "after=MTcwMCx4", "q=a+b+c",
		`filter=eventType+eq+"x"`, "after=%ff", "since=2025-01-01T00:00:00.123456789%2B05:30", "limit=-1"} {
		f.Add(s)
	}
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/api/v1/logs", nil)
		r.URL.RawQuery = raw
		lq, werr := parseLogQuery(r, now)
		if werr != nil {
			if werr.Status != 400 {
				t.Fatalf("%q: status %d", raw, werr.Status)
			}
			return
		}
		if lq.Limit < 1 || lq.Limit > logsMaxLimit || (!lq.Until.IsZero() && !lq.Until.After(lq.Since)) {
			t.Fatalf("%q: parsed %+v", raw, lq.AuditQuery)
		}
		if lq.AfterUUID != "" || !lq.AfterPublished.IsZero() {
			p, id, ok := decodeLogCursor(encodeLogCursor(lq.AfterPublished, lq.AfterUUID))
			if !ok || !p.Equal(lq.AfterPublished) || id != lq.AfterUUID {
				t.Fatalf("%q: cursor does not round-trip", raw)
			}
		}
		lq.matcher()
	})
}

// FuzzNormalizeOrigin: an accepted origin is scheme://host[:port] and
// normalizing it again changes nothing.
func FuzzNormalizeOrigin(f *testing.F) {
	for _, s := range []string{"https://a.example.com", "HTTP://LOCALHOST:8585", "https://[::1]:443", "https://a/b", "https://a:0", "//a", "https://a?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, ok := service.NormalizeOrigin(s)
		if !ok {
			return
		}
		u, err := url.Parse(o)
		if err != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Host == "" ||
			(u.Scheme != "http" && u.Scheme != "https") || strings.ContainsAny(o[len(u.Scheme)+3:], "/?#@") {
			t.Fatalf("%q accepted as %q", s, o)
		}
		if again, ok := service.NormalizeOrigin(o); !ok || again != o {
			t.Fatalf("%q normalizes to %q, then to %q (%v)", s, o, again, ok)
		}
	})
}
