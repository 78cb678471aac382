// Package audit writes System Log events (§4.12). Events are appended
// through the Store the caller is using, so inside a transaction they commit
// or roll back with the change they record.
package audit

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// Actor is who did something.
type Actor struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
}

// Target is what something was done to.
type Target struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// System is the actor for what Sesame does on its own (initialization,
// key rotation).
var System = Actor{ID: "sesame", Type: "PublicClientApp", AlternateID: "sesame", DisplayName: "Sesame"}

// Event is one System Log entry in Okta's LogEvent shape.
type Event struct {
	UUID            string         `json:"uuid"`
	Published       string         `json:"published"`
	EventType       string         `json:"eventType"`
	Version         string         `json:"version"`
	Severity        string         `json:"severity"`
	LegacyEventType *string        `json:"legacyEventType"`
	DisplayMessage  string         `json:"displayMessage"`
	Actor           Actor          `json:"actor"`
	Client          map[string]any `json:"client"`
	Outcome         Outcome        `json:"outcome"`
	Target          []Target       `json:"target"`
	Transaction     map[string]any `json:"transaction"`
	DebugContext    map[string]any `json:"debugContext"`
}

// Outcome is the result of the action.
type Outcome struct {
	Result string  `json:"result"`
	Reason *string `json:"reason"`
}

// Request carries the request context an event records.
type Request struct {
	ID        string
	IP        string
	UserAgent string
}

// Record appends an event through st, inside the caller's transaction when
// st is one.
func Record(ctx context.Context, st store.Store, req Request, eventType, message string, actor Actor, result string, targets ...Target) error {
	e, err := New(req, eventType, message, actor, result, "", targets...)
	if err != nil {
		return err
	}
	return st.Audit().Append(ctx, e)
}

// New builds an event; reason explains a failure.
func New(req Request, eventType, message string, actor Actor, result, reason string, targets ...Target) (*store.AuditEvent, error) {
	now := time.Now().UTC()
	if targets == nil {
		targets = []Target{}
	}
	e := Event{
		UUID:           newUUID(),
		Published:      now.Format("2006-01-02T15:04:05.000Z"),
		EventType:      eventType,
		Version:        "0",
		Severity:       "INFO",
		DisplayMessage: message,
		Actor:          actor,
		Client: map[string]any{
			"userAgent": map[string]any{"rawUserAgent": req.UserAgent},
			"ipAddress": req.IP,
			"zone":      "null",
		},
		Outcome:      Outcome{Result: result},
		Target:       targets,
		Transaction:  map[string]any{"type": "WEB", "id": req.ID, "detail": map[string]any{}},
		DebugContext: map[string]any{"debugData": map[string]any{"requestId": req.ID}},
	}
	if result != "SUCCESS" {
		e.Severity = "WARN"
	}
	if reason != "" {
		e.Outcome.Reason = &reason
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return &store.AuditEvent{UUID: e.UUID, Published: now, EventType: eventType, Severity: e.Severity, ActorID: actor.ID, Data: data}, nil
}

// newUUID returns a random RFC 4122 version-4 UUID.
func newUUID() string {
	var u [16]byte
	copy(u[:], secret.RawBytes(16))
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}
