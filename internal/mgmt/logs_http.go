package mgmt

import (
	"bytes"
	"cmp"
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

// logQuery is a parsed GET /api/v1/logs request. A polling query
// (ascending, no until) walks the log in commit order with a position
// cursor, so that a poller sees every event once even when events commit
// out of published order (several replicas, batched writes); a bounded
// query walks (published, uuid).
type logQuery struct {
	store.AuditQuery
	polling  bool
	after    store.AuditPosition
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
		invalid := oktaerr.Validation("after", "after: The cursor is not valid.")
		if pos, ok := decodeLogPosition(after); ok {
			if !lq.polling {
				return nil, invalid
			}
			lq.after = pos
		} else if p, id, ok := decodeLogCursor(after); ok {
			if lq.polling {
				// A poll cursor from before positions existed: resume
				// from its time (a few events may come again).
				lq.Since = p
			} else {
				lq.AfterPublished, lq.AfterUUID = p, id
			}
		} else {
			return nil, invalid
		}
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
		lq.EventType, lq.ActorID = logIndexed(lq.expr)
	}
	return lq, nil
}

// logIndexed is what the store's indexes can select for a filter: an
// eventType and an actor.id that every matching event has (empty when the
// filter does not require one). The filter is still checked on every event
// read, so this only narrows what is read. Literals are lower-cased by
// filter.Narrow: event types are lower case, and the store compares actor
// ids without ASCII case — so only an ASCII id is handed to it.
func logIndexed(e filter.Expr) (eventType, actorID string) {
	type sel struct{ eventType, actorID string }
	term := func(t filter.Term) (sel, bool) {
		if t.Op != "eq" || !t.IsString || t.String == "" {
			return sel{}, false
		}
		switch {
		case t.Attr == "eventType":
			return sel{eventType: t.String}, true
		case t.Attr == "actor.id" && isASCII(t.String):
			return sel{actorID: t.String}, true
		}
		return sel{}, false
	}
	and := func(xs []sel) sel {
		var out sel
		for _, x := range xs {
			out.eventType = cmp.Or(out.eventType, x.eventType)
			out.actorID = cmp.Or(out.actorID, x.actorID)
		}
		return out
	}
	// The selection is a single value per attribute: an or imposes nothing.
	or := func([]sel) sel { return sel{} }
	s, _ := filter.Narrow(e, term, and, or)
	return s.eventType, s.actorID
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

// A polling cursor is the commit position to resume after, "p<tx>.<seq>".
func encodeLogPosition(p store.AuditPosition) string {
	return base64.RawURLEncoding.EncodeToString([]byte("p" + strconv.FormatInt(p.Tx, 10) + "." + strconv.FormatInt(p.Seq, 10)))
}

func decodeLogPosition(s string) (store.AuditPosition, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return store.AuditPosition{}, false
	}
	rest, ok := strings.CutPrefix(string(b), "p")
	txStr, seqStr, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return store.AuditPosition{}, false
	}
	tx, err1 := strconv.ParseInt(txStr, 10, 64)
	seq, err2 := strconv.ParseInt(seqStr, 10, 64)
	if err1 != nil || err2 != nil || tx < 0 || seq < -1 {
		return store.AuditPosition{}, false
	}
	return store.AuditPosition{Tx: tx, Seq: seq}, true
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
	var (
		events []*store.AuditEvent
		next   string
		err    error
	)
	if lq.polling {
		// Polling queries always carry a next link: where this poll
		// stopped, which is where a poll that found nothing started.
		var resume store.AuditPosition
		events, resume, err = h.svc.PollLogEvents(r.Context(),
			store.AuditPoll{Since: lq.Since, After: lq.after, Limit: lq.Limit}, lq.matcher())
		next = encodeLogPosition(resume)
	} else {
		var after *store.AuditEvent
		events, after, err = h.svc.ListLogEvents(r.Context(), lq.AuditQuery, lq.matcher())
		if after != nil {
			next = encodeLogCursor(after.Published, after.UUID)
		}
	}
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
	web.SetLinks(w, r, h.orgURL, lq.Limit, next)
	web.WriteJSON(w, http.StatusOK, out)
}
