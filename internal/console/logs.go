package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/mgmtclient"
)

type logsData struct {
	Filter, Q, Since, Until string
	Events                  []logRow
	Next                    string
}

type logRow struct {
	Published, EventType, Message, Actor, Target, Outcome, Reason, IP string
}

// formTime reads a datetime-local field (UTC) as the API's ISO 8601 time.
func formTime(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format("2006-01-02T15:04:05.000Z"), true
		}
	}
	return "", false
}

// systemLog is Reports → System Log: the filter language, keywords, the
// time range and paging are the System Log API's own (/api/v1/logs), read
// in-process, newest first.
func (c *Console) systemLog(w http.ResponseWriter, r *http.Request, q *request) {
	v := r.URL.Query()
	d := logsData{Filter: v.Get("filter"), Q: v.Get("q"), Since: v.Get("since"), Until: v.Get("until")}
	api := url.Values{"sortOrder": {"DESCENDING"}, "limit": {"50"}}
	var bad []string
	if d.Filter != "" {
		api.Set("filter", d.Filter)
	}
	if d.Q != "" {
		api.Set("q", d.Q)
	}
	if t, ok := formTime(d.Since); !ok {
		bad = append(bad, "From: give a date and time such as 2026-01-31T09:00.")
	} else if t != "" {
		api.Set("since", t)
	}
	until, ok := formTime(d.Until)
	if !ok {
		bad = append(bad, "To: give a date and time such as 2026-01-31T17:00.")
	} else if until == "" {
		// A descending read pages backwards from until; it must be fixed
		// for the pages to follow on.
		until = c.svc.Now().UTC().Add(time.Second).Format("2006-01-02T15:04:05.000Z")
	}
	api.Set("until", until)
	if a := v.Get("after"); a != "" {
		api.Set("after", a)
	}
	view := &view{Title: "System Log", Section: "logs", User: q.user, CSRF: q.csrf, Data: &d}
	if len(bad) > 0 {
		view.Error, view.Causes = "The time range is not valid.", bad
		c.render(w, http.StatusBadRequest, "logs", view)
		return
	}
	events, next, err := c.api.Page(r.Context(), "/api/v1/logs?"+api.Encode())
	var ae *mgmtclient.Error
	if errors.As(err, &ae) && ae.Status < 500 {
		view.Error, view.Causes = "The search is not valid.", ae.Causes
		if len(ae.Causes) == 0 {
			view.Causes = []string{ae.Summary}
		}
		c.render(w, http.StatusBadRequest, "logs", view)
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, e := range events {
		row := logRow{Published: mgmtclient.Str(e, "published"), EventType: mgmtclient.Str(e, "eventType"), Message: mgmtclient.Str(e, "displayMessage"),
			Actor: mgmtclient.Str(e, "actor.alternateId"), Outcome: mgmtclient.Str(e, "outcome.result"), Reason: mgmtclient.Str(e, "outcome.reason"),
			IP: mgmtclient.Str(e, "client.ipAddress")}
		if ts, ok := e["target"].([]any); ok && len(ts) > 0 {
			if t, ok := ts[0].(map[string]any); ok {
				row.Target = mgmtclient.Str(t, "displayName")
				if row.Target == "" {
					row.Target = mgmtclient.Str(t, "alternateId")
				}
			}
		}
		row.Published = strings.Replace(strings.TrimSuffix(row.Published, "Z"), "T", " ", 1) + " UTC"
		d.Events = append(d.Events, row)
	}
	if next != "" {
		if u, err := url.Parse(next); err == nil && u.Query().Get("after") != "" {
			nv := url.Values{"after": {u.Query().Get("after")}, "until": {until}}
			for _, k := range []string{"filter", "q", "since"} {
				if v.Get(k) != "" {
					nv.Set(k, v.Get(k))
				}
			}
			d.Next = "/admin/logs?" + nv.Encode()
		}
	}
	c.render(w, http.StatusOK, "logs", view)
}
