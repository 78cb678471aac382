package mgmt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/filter"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

// System Log query limits (§4.12): 100 events by default, at most 1000; a
// window of the last 7 days unless since says otherwise; q takes at most
// 10 keywords of at most 40 characters, as Okta's does.
const (
	logsDefaultLimit = 100
	logsMaxLimit     = 1000
	logsWindow       = 7 * 24 * time.Hour
	logsMaxKeywords  = 10
	logsMaxKeyword   = 40
)

func (h *Handler) registerLogs(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/logs", h.auth("okta.logs.read", h.listLogs))
}

// logQuery is a parsed GET /api/v1/logs request.
type logQuery struct {
	store.AuditQuery
	polling  bool
	keywords []string
	expr     filter.Expr
}

func parseLogQuery(r *http.Request, now time.Time) (*logQuery, *oktaerr.Error) {
	v := r.URL.Query()
	limit, after, werr := web.PageParams(r, logsDefaultLimit, logsMaxLimit)
	if werr != nil {
		return nil, werr
	}
	lq := &logQuery{AuditQuery: store.AuditQuery{Limit: limit}}
	if s := v.Get("until"); s != "" {
		t, ok := parseLogTime(s)
		if !ok {
			return nil, oktaerr.Validation("until", "until: The value must be an ISO 8601 timestamp such as 2025-03-13T23:22:54.000Z.")
		}
		lq.Until = t
	}
	// The default window is the 7 days before until, or before now.
	lq.Since = now.Add(-logsWindow)
	if !lq.Until.IsZero() {
		lq.Since = lq.Until.Add(-logsWindow)
	}
	if s := v.Get("since"); s != "" {
		t, ok := parseLogTime(s)
		if !ok {
			return nil, oktaerr.Validation("since", "since: The value must be an ISO 8601 timestamp such as 2025-03-13T23:22:54.000Z.")
		}
		lq.Since = t
	}
	if !lq.Until.IsZero() && !lq.Until.After(lq.Since) {
		return nil, oktaerr.Validation("until", "until: The value must be later than since.")
	}
	switch v.Get("sortOrder") {
	case "", "ASCENDING":
	case "DESCENDING":
		lq.Descending = true
	default:
		return nil, oktaerr.Validation("sortOrder", "sortOrder: The value must be ASCENDING or DESCENDING.")
	}
	lq.polling = !lq.Descending && lq.Until.IsZero()
	if after != "" {
		p, id, ok := decodeLogCursor(after)
		if !ok {
			return nil, oktaerr.Validation("after", "after: The cursor is not valid.")
		}
		lq.AfterPublished, lq.AfterUUID = p, id
	}
	lq.keywords = strings.Fields(strings.ToLower(v.Get("q")))
	if len(lq.keywords) > logsMaxKeywords {
		return nil, oktaerr.Validation("q", "q: At most 10 keywords are allowed.")
	}
	for _, k := range lq.keywords {
		if len(k) > logsMaxKeyword {
			return nil, oktaerr.Validation("q", "q: A keyword may be at most 40 characters long.")
		}
	}
	if f := v.Get("filter"); f != "" {
		// Every LogEvent member may be filtered on: the getter reads the
		// stored event itself.
		if lq.expr, werr = filter.Parse(f, nil); werr != nil {
			return nil, werr
		}
	}
	return lq, nil
}

// parseLogTime reads an ISO 8601 timestamp with or without a zone (UTC
// when absent), or a date.
func parseLogTime(s string) (time.Time, bool) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// The cursor is the (published, uuid) of the last event seen, opaque to
// clients.
func encodeLogCursor(published time.Time, uuid string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(published.UnixMilli(), 10) + "," + uuid))
}

func decodeLogCursor(s string) (time.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", false
	}
	msStr, uuid, ok := strings.Cut(string(b), ",")
	ms, err := strconv.ParseInt(msStr, 10, 64)
	if !ok || err != nil || ms < 0 {
		return time.Time{}, "", false
	}
	return time.UnixMilli(ms).UTC(), uuid, true
}

// matcher selects the events that carry every keyword and match the
// filter; nil selects all.
func (lq *logQuery) matcher() func(*store.AuditEvent) bool {
	if len(lq.keywords) == 0 && lq.expr == nil {
		return nil
	}
	return func(e *store.AuditEvent) bool {
		if len(lq.keywords) > 0 {
			text := bytes.ToLower(e.Data)
			for _, k := range lq.keywords {
				if !bytes.Contains(text, []byte(k)) {
					return false
				}
			}
		}
		if lq.expr == nil {
			return true
		}
		var doc map[string]any
		if json.Unmarshal(e.Data, &doc) != nil {
			return false
		}
		return lq.expr.Match(func(attr string) (any, bool) {
			if attr == "published" {
				return e.Published, true
			}
			return eventAttr(doc, strings.Split(attr, "."))
		})
	}
}

// eventAttr resolves a dotted path in a decoded event. Through an array
// (target) it collects the value of every element, so that
// target.id eq "…" matches any target.
func eventAttr(v any, path []string) (any, bool) {
	if len(path) == 0 {
		switch x := v.(type) {
		case nil:
			return nil, false
		case string, bool, float64:
			return x, true
		}
		return nil, false
	}
	switch x := v.(type) {
	case map[string]any:
		return eventAttr(x[path[0]], path[1:])
	case []any:
		var out []string
		for _, el := range x {
			if s, ok := eventAttr(el, path); ok {
				if str, isStr := s.(string); isStr {
					out = append(out, str)
				}
			}
		}
		return out, len(out) > 0
	}
	return nil, false
}

func (h *Handler) listLogs(w http.ResponseWriter, r *http.Request, p *principal) {
	lq, werr := parseLogQuery(r, h.svc.Now().UTC())
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	events, last, err := h.svc.ListLogEvents(r.Context(), lq.AuditQuery, lq.matcher())
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := make([]json.RawMessage, 0, len(events))
	for _, e := range events {
		if len(e.Data) > 0 {
			out = append(out, e.Data)
		}
	}
	var next string
	switch {
	case last != nil && (lq.polling || len(events) == lq.Limit):
		next = encodeLogCursor(last.Published, last.UUID)
	case lq.polling && (!lq.AfterPublished.IsZero() || lq.AfterUUID != ""):
		// A poller that found nothing new asks again from the same place.
		next = encodeLogCursor(lq.AfterPublished, lq.AfterUUID)
	case lq.polling:
		// Nothing yet and no cursor: the next poll starts where this
		// window started, so that nothing published meanwhile is missed.
		next = encodeLogCursor(lq.Since, "")
	}
	web.SetLinks(w, r, h.orgURL, lq.Limit, next)
	web.WriteJSON(w, http.StatusOK, out)
}
