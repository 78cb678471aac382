// Package tracing sends OpenTelemetry traces over OTLP/HTTP when the
// standard OTEL_* variables ask for it, and is a no-op otherwise. A span
// covers each HTTP request (package web starts it) with the database
// statements and transactions it ran beneath it (package sqlstore).
package tracing

import (
	"context"
	"errors"
	"go.opentelemetry.io/otel/trace/noop"
	"os"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

const name = "github.com/sesame-idp/sesame"

// current is the tracer of the provider Setup installed last, got once:
// asking otel's global provider for a tracer per span takes a lock, and a
// tracer got from the global provider keeps forwarding to the first
// provider ever installed, where a test installs one per run.
var current atomic.Pointer[trace.Tracer]

// Tracer is Sesame's tracer. Until Setup installs a provider it is the
// global no-op one, whose spans cost a few nanoseconds and record nothing.
func Tracer() trace.Tracer {
	if t := current.Load(); t != nil {
		return *t
	}
	return noopTracer
}

var noopTracer = noop.NewTracerProvider().Tracer(name)

// Recording reports whether Setup installed an exporter. Callers on hot
// paths (every request, every database statement) skip building spans and
// their attributes when it is false: the no-op tracer would discard them,
// but the option slices are allocated first.
func Recording() bool { return current.Load() != nil }

// Idle is a span that records nothing, for the paths that skip tracing. It
// is never a request's real span, so ending it cannot end one early.
var Idle = trace.SpanFromContext(context.Background())

// Enabled reports whether the environment asks for traces: an OTLP
// endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and neither OTEL_SDK_DISABLED nor
// OTEL_TRACES_EXPORTER=none says no.
func Enabled() bool {
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") {
		return false
	}
	switch strings.ToLower(os.Getenv("OTEL_TRACES_EXPORTER")) {
	case "", "otlp":
	default:
		return false // "none", or an exporter Sesame does not ship
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup installs the OTLP/HTTP exporter when Enabled, configured by the
// standard variables (endpoint, headers, timeout, compression, sampler via
// OTEL_TRACES_SAMPLER, resource via OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES, batching via OTEL_BSP_*), and W3C trace
// context propagation, so that a caller's traceparent makes Sesame's span
// its child. shutdown sends what is still batched.
func Setup(ctx context.Context, version string) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if !Enabled() {
		return func(context.Context) error { return nil }, nil
	}
	if os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL") != "" && os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL") != "http/protobuf" ||
		os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") != "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") != "http/protobuf" {
		return nil, errors.New("OTEL_EXPORTER_OTLP_PROTOCOL: Sesame exports traces over http/protobuf only")
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, err
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.version", version)))
	if err != nil {
		return nil, err
	}
	if os.Getenv("OTEL_SERVICE_NAME") == "" && !strings.Contains(os.Getenv("OTEL_RESOURCE_ATTRIBUTES"), "service.name=") {
		res, _ = resource.Merge(res, resource.NewSchemaless(attribute.String("service.name", "sesame")))
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	t := tp.Tracer(name)
	current.Store(&t)
	return func(ctx context.Context) error {
		current.Store(nil)
		return tp.Shutdown(ctx)
	}, nil
}
