package metrics

import (
	"testing"
	"time"
)

// BenchmarkRequestCost is what the metrics add to every request: the
// in-flight gauge, the request counter and the latency histogram (two
// label lookups), and for a token one issued counter and one signature.
func BenchmarkRequestCost(b *testing.B) {
	start := time.Now()
	for b.Loop() {
		InFlight.Inc()
		InFlight.Dec()
		m, c := Method("POST"), Code(200)
		Requests.WithLabelValues(m, "/oauth2/{as}/v1/token", c).Inc()
		RequestDuration.WithLabelValues(m, "/oauth2/{as}/v1/token", c).Observe(time.Since(start).Seconds())
		TokensIssued.WithLabelValues("client_credentials", "default").Inc()
		Signatures.Inc()
		DBQueryDuration.WithLabelValues("read", "ok").Observe(0.0001)
	}
}

// TestBoundedLabels: labels built from request input fall back to a fixed
// value.
func TestBoundedLabels(t *testing.T) {
	for in, want := range map[string]string{"GET": "GET", "POST": "POST", "PROPFIND": "OTHER", "get": "OTHER", "": "OTHER"} {
		if got := Method(in); got != want {
			t.Errorf("Method(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int]string{200: "200", 429: "429", 0: "other", 999: "other"} {
		if got := Code(in); got != want {
			t.Errorf("Code(%d) = %q, want %q", in, got, want)
		}
	}
}
