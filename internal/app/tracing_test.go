package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracev1 "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/tracing"
)

// otlpReceiver is an OTLP/HTTP trace collector in the test: it decodes the
// protobuf export requests the SDK's exporter posts to /v1/traces.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracev1.Span
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want a protobuf POST to /v1/traces", http.StatusBadRequest)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	var req collectortrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(b, &req)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			o.spans = append(o.spans, ss.Spans...)
		}
	}
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, err := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError) // a handler: no t here
		return
	}
	w.Write(out)
}

func spanAttr(s *tracev1.Span, key string) string {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value.GetStringValue()
		}
	}
	return ""
}

// TestTracesOverOTLP: with OTEL_EXPORTER_OTLP_ENDPOINT set, a request is one
// server span named by its route, carrying the request id that the answer's
// X-Okta-Request-Id and the System Log event show, with the database
// statements it ran as its children; a caller's traceparent makes the span
// part of the caller's trace. Spans reach a real OTLP/HTTP endpoint through
// the SDK's exporter.
func TestTracesOverOTLP(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) { tracesOverOTLP(t, open(t)) })
}

func tracesOverOTLP(t *testing.T, st store.Store) {
	rcv := &otlpReceiver{}
	collector := httptest.NewServer(rcv)
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
	shutdown, err := tracing.Setup(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer otel.SetTracerProvider(noop.NewTracerProvider())

	ts := startServer(t, st)
	body, _ := json.Marshal(map[string]any{"profile": map[string]any{"name": "Traced", "description": "made under a trace"}})
	req, _ := http.NewRequest("POST", ts.Addr+"/api/v1/groups", bytes.NewReader(body))
	req.Header.Set("Authorization", "SSWS "+ts.APIToken)
	req.Header.Set("Content-Type", "application/json")
	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	req.Header.Set("traceparent", "00-"+callerTrace+"-00f067aa0ba902b7-01")
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("create group: %d", resp.StatusCode)
	}
	reqID := resp.Header.Get("X-Okta-Request-Id")
	ts.App.Audit.Flush()
	if err := shutdown(context.Background()); err != nil {
		t.Fatalf("flushing spans: %v", err)
	}

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	var server *tracev1.Span
	for _, s := range rcv.spans {
		if s.Kind == tracev1.Span_SPAN_KIND_SERVER && spanAttr(s, "sesame.request_id") == reqID {
			server = s
		}
	}
	if server == nil {
		t.Fatalf("no server span with request id %s among %d spans", reqID, len(rcv.spans))
	}
	if server.Name != "POST /api/v1/groups" || hex.EncodeToString(server.TraceId) != callerTrace {
		t.Errorf("server span %q in trace %x, want POST /api/v1/groups in the caller's trace %s", server.Name, server.TraceId, callerTrace)
	}
	var db int
	for _, s := range rcv.spans {
		if bytes.Equal(s.ParentSpanId, server.SpanId) && s.Kind == tracev1.Span_SPAN_KIND_CLIENT && spanAttr(s, "db.system") != "" {
			db++
		}
	}
	if db == 0 {
		t.Errorf("no database spans under the request's span")
	}

	// The System Log event of the same request carries the same id.
	a := ts.mgmt(t, "GET", "/api/v1/logs?filter="+url.QueryEscape(`eventType eq "group.lifecycle.create"`), nil)
	var events []struct {
		DebugContext struct {
			DebugData struct {
				RequestID string `json:"requestId"`
			} `json:"debugData"`
		} `json:"debugContext"`
	}
	if err := json.Unmarshal(a.body, &events); err != nil || len(events) != 1 {
		t.Fatalf("group.lifecycle.create events: %v %s", err, a.body)
	}
	if got := events[0].DebugContext.DebugData.RequestID; got != reqID {
		t.Errorf("System Log requestId %q, span and header %q", got, reqID)
	}
}
