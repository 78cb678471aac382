package app

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// A window that holds every event; without since, until's window is the 7
// days before it.
const (
	longAgo   = "2000-01-01T00:00:00.000Z"
	farFuture = "2999-01-01T00:00:00.000Z"
)

// walkLogs follows rel="next" from path until a page comes back short of
// limit with no next link (bounded, since polling queries always have one),
// and returns the events' uuids in order.
func walkLogs(t *testing.T, ts *testServer, path string) []string {
	t.Helper()
	var out []string
	for pages := 0; path != ""; pages++ {
		if pages > 50 {
			t.Fatal("pagination does not end")
		}
		a := ts.mgmt(t, http.MethodGet, path, nil)
		page := a.list(t)
		for _, e := range page {
			out = append(out, e["uuid"].(string))
		}
		path = nextLink(t, ts, a)
		if len(page) == 0 {
			break
		}
	}
	return out
}

func uuids(events []map[string]any) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e["uuid"].(string)
	}
	return out
}

func TestSystemLog(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		const logs = "/api/v1/logs"
		q := func(params ...string) string {
			v := url.Values{}
			for i := 0; i+1 < len(params); i += 2 {
				v.Set(params[i], params[i+1])
			}
			return logs + "?" + v.Encode()
		}

		var originIDs []string
		for i := range 6 {
			a := ts.mgmt(t, http.MethodPost, "/api/v1/trustedOrigins", map[string]any{"name": "log-origin-" + strconv.Itoa(i),
				"origin": "https://o" + strconv.Itoa(i) + ".example.com", "scopes": []map[string]any{{"type": "CORS"}}})
			if a.status != 200 {
				t.Fatalf("create origin: %d %s", a.status, a.body)
			}
			originIDs = append(originIDs, a.json(t)["id"].(string))
		}
		ts.mgmt(t, http.MethodPost, "/api/v1/trustedOrigins/"+originIDs[2]+"/lifecycle/deactivate", nil)

		all := ts.mgmt(t, http.MethodGet, q("limit", "1000", "since", longAgo, "until", farFuture), nil).list(t)
		var creates []string
		for i, e := range all {
			if i > 0 && e["published"].(string) < all[i-1]["published"].(string) {
				t.Fatalf("events out of order: %v then %v", all[i-1]["published"], e["published"])
			}
			if e["eventType"] == "security.trusted_origin.create" {
				creates = append(creates, e["target"].([]any)[0].(map[string]any)["id"].(string))
			}
		}
		if !slices.Equal(creates, originIDs) {
			t.Fatalf("create events name %v, want %v", creates, originIDs)
		}
		last := all[len(all)-1]
		if last["eventType"] != "security.trusted_origin.deactivate" || last["outcome"].(map[string]any)["result"] != "SUCCESS" || last["version"] != "0" {
			t.Fatalf("last event: %v", last)
		}
		ids := uuids(all)
		if len(ids) < 8 {
			t.Fatalf("only %d events", len(ids))
		}

		// Every event exactly once, both ways, in pages of any size.
		for _, limit := range []string{"1", "2", "3"} {
			if got := walkLogs(t, ts, q("limit", limit, "since", longAgo, "until", farFuture)); !slices.Equal(got, ids) {
				t.Fatalf("ascending pages of %s: %v, want %v", limit, got, ids)
			}
			desc := slices.Clone(ids)
			slices.Reverse(desc)
			if got := walkLogs(t, ts, q("limit", limit, "sortOrder", "DESCENDING")); !slices.Equal(got, desc) {
				t.Fatalf("descending pages of %s: %v, want %v", limit, got, desc)
			}
		}
		// A full last page may offer a next link; the one after it is empty
		// and ends the walk.
		if a := ts.mgmt(t, http.MethodGet, q("limit", strconv.Itoa(len(ids)+1), "since", longAgo, "until", farFuture), nil); nextLink(t, ts, a) != "" {
			t.Fatal("a short page with until has a next link")
		}

		// since is inclusive and until exclusive.
		cut := all[len(all)/2]["published"].(string)
		var before, from []string
		for _, e := range all {
			if e["published"].(string) < cut {
				before = append(before, e["uuid"].(string))
			} else {
				from = append(from, e["uuid"].(string))
			}
		}
		if got := uuids(ts.mgmt(t, http.MethodGet, q("since", cut, "until", farFuture), nil).list(t)); !slices.Equal(got, from) {
			t.Fatalf("since %s: %v, want %v", cut, got, from)
		}
		if got := uuids(ts.mgmt(t, http.MethodGet, q("until", cut), nil).list(t)); !slices.Equal(got, before) {
			t.Fatalf("until %s: %v, want %v", cut, got, before)
		}
		if got := ts.mgmt(t, http.MethodGet, q("since", "2000-01-01T00:00:00Z", "until", "2000-01-02T00:00:00Z"), nil).list(t); len(got) != 0 {
			t.Fatalf("a window with nothing in it: %v", got)
		}

		// Polling: always a next link; a later change shows up exactly once.
		// Polling follows commit order, not published order: the same
		// events, each once.
		a := ts.mgmt(t, http.MethodGet, logs, nil)
		if got := uuids(a.list(t)); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(ids))) {
			t.Fatalf("first poll: %v, want the events of %v", got, ids)
		}
		poll := nextLink(t, ts, a)
		if poll == "" {
			t.Fatal("a polling query has no next link")
		}
		// An empty poll still has a next link (on PostgreSQL it can move on
		// past transactions that wrote no event).
		a = ts.mgmt(t, http.MethodGet, poll, nil)
		if got := a.list(t); len(got) != 0 || nextLink(t, ts, a) == "" {
			t.Fatalf("empty poll: %v, next %q", got, nextLink(t, ts, a))
		}
		ts.mgmt(t, http.MethodDelete, "/api/v1/trustedOrigins/"+originIDs[0], nil)
		a = ts.mgmt(t, http.MethodGet, poll, nil)
		got := a.list(t)
		if len(got) != 1 || got[0]["eventType"] != "security.trusted_origin.delete" {
			t.Fatalf("poll after a change: %v", got)
		}
		if again := ts.mgmt(t, http.MethodGet, nextLink(t, ts, a), nil); len(again.list(t)) != 0 || nextLink(t, ts, again) == "" {
			t.Fatalf("poll after the change: %s", again.body)
		}
		// A filtered poll that matches nothing resumes after what it read,
		// like an unfiltered one, and then finds the matching change.
		afterOf := func(link string) string {
			u, err := url.Parse(link)
			if err != nil {
				t.Fatal(err)
			}
			return u.Query().Get("after")
		}
		plain := ts.mgmt(t, http.MethodGet, logs, nil)
		filtered := ts.mgmt(t, http.MethodGet, q("filter", `eventType eq "security.trusted_origin.update"`), nil)
		// Asked after the plain poll, it resumes at the same place or, on
		// PostgreSQL, later (past transactions that committed meanwhile).
		position := func(cursor string) (tx, seq int64) {
			b, err := base64.RawURLEncoding.DecodeString(cursor)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fmt.Sscanf(string(b), "p%d.%d", &tx, &seq); err != nil {
				t.Fatal(err)
			}
			return tx, seq
		}
		ftx, fseq := position(afterOf(nextLink(t, ts, filtered)))
		ptx, pseq := position(afterOf(nextLink(t, ts, plain)))
		if len(filtered.list(t)) != 0 || ftx < ptx || (ftx == ptx && fseq < pseq) || ptx+pseq == 0 {
			t.Fatalf("filtered poll next %q, unfiltered %q", nextLink(t, ts, filtered), nextLink(t, ts, plain))
		}
		ts.mgmt(t, http.MethodPut, "/api/v1/trustedOrigins/"+originIDs[1], map[string]any{"name": "renamed",
			"origin": "https://o1.example.com", "scopes": []map[string]any{{"type": "CORS"}}})
		if got := ts.mgmt(t, http.MethodGet, nextLink(t, ts, filtered), nil).list(t); len(got) != 1 || got[0]["eventType"] != "security.trusted_origin.update" {
			t.Fatalf("filtered poll after an update: %v", got)
		}

		// A poll of an empty window still gives a cursor that later events pass.
		a = ts.mgmt(t, http.MethodGet, q("since", farFuture), nil)
		if len(a.list(t)) != 0 || nextLink(t, ts, a) == "" {
			t.Fatalf("empty first poll: %s %v", a.body, a.header.Values("Link"))
		}

		// filter and q.
		count := func(params ...string) int {
			t.Helper()
			return len(ts.mgmt(t, http.MethodGet, q(append([]string{"since", longAgo, "until", farFuture}, params...)...), nil).list(t))
		}
		if n := count("filter", `eventType eq "security.trusted_origin.create"`); n != 6 {
			t.Errorf("filter by event type: %d", n)
		}
		if n := count("filter", `eventType eq "security.trusted_origin.create"`, "limit", "2"); n != 2 {
			t.Errorf("filtered page of 2: %d", n)
		}
		if got := walkLogs(t, ts, q("filter", `eventType eq "security.trusted_origin.create"`, "limit", "4", "since", longAgo, "until", farFuture)); len(got) != 6 {
			t.Errorf("walk a filtered list: %d events", len(got))
		}
		if n := count("filter", `target.id eq "`+originIDs[2]+`"`); n != 2 {
			t.Errorf("filter by target id: %d (create and deactivate)", n)
		}
		if n := count("filter", `target.id eq "`+originIDs[2]+`" and eventType sw "security.trusted_origin.de"`); n != 1 {
			t.Errorf("filter with and: %d", n)
		}
		if n := count("filter", `outcome.result eq "SUCCESS"`); n != len(ids)+2 {
			t.Errorf("filter by outcome: %d, want %d", n, len(ids)+2)
		}
		if n := count("filter", `severity eq "WARN"`); n != 0 {
			t.Errorf("filter by severity: %d", n)
		}
		admin := all[len(all)-1]["actor"].(map[string]any)["id"].(string)
		if n := count("filter", `actor.id eq "`+admin+`" and eventType co "trusted_origin"`); n != 9 {
			t.Errorf("filter by actor: %d", n)
		}
		// The actor's index is read without case, as filters compare.
		if n := count("filter", `actor.id eq "`+strings.ToUpper(admin)+`" and eventType eq "security.trusted_origin.create"`); n != 6 {
			t.Errorf("filter by actor, upper case: %d", n)
		}
		if n, m := count("filter", `actor.id eq "`+admin+`" or eventType eq "security.trusted_origin.create"`), count("filter", `actor.id eq "`+admin+`"`); n != m || n < 9 {
			t.Errorf("filter by actor or type: %d, by actor: %d (every create is the admin's)", n, m)
		}
		if n := count("filter", `published gt "2000-01-01T00:00:00.000Z"`); n != len(ids)+2 {
			t.Errorf("filter by published: %d", n)
		}
		if n := count("q", "LOG-ORIGIN-3"); n != 1 {
			t.Errorf("q with one keyword: %d", n)
		}
		if n := count("q", "log-origin-2 deactivate"); n != 1 {
			t.Errorf("q with two keywords: %d", n)
		}
		if n := count("q", "log-origin-2 nothing-like-this"); n != 0 {
			t.Errorf("q keywords must all appear: %d", n)
		}

		// Bad parameters.
		for name, c := range map[string]struct {
			path string
			code string
		}{
			"since":         {q("since", "yesterday"), "E0000001"},
			"until":         {q("until", "2025-13-01T00:00:00Z"), "E0000001"},
			"until<since":   {q("since", "2025-01-02T00:00:00Z", "until", "2025-01-01T00:00:00Z"), "E0000001"},
			"limit":         {q("limit", "many"), "E0000001"},
			"limit 0":       {q("limit", "0"), "E0000001"},
			"sortOrder":     {q("sortOrder", "UP"), "E0000001"},
			"after":         {q("after", "!!not-a-cursor"), "E0000001"},
			"after garbage": {q("after", "Zm9v"), "E0000001"},
			"filter":        {q("filter", `eventType eq`), "E0000031"},
			"q":             {q("q", strings.Repeat("a ", 11)), "E0000001"},
		} {
			if code := ts.mgmt(t, http.MethodGet, c.path, nil).errorCode(t, 400); code != c.code {
				t.Errorf("%s: %s, want %s", name, code, c.code)
			}
		}
		// A limit above the maximum is cut to it, as Okta does.
		if a := ts.mgmt(t, http.MethodGet, q("limit", "5000"), nil); a.status != 200 || !strings.Contains(nextLink(t, ts, a), "limit=1000") {
			t.Errorf("limit 5000: %d %v", a.status, a.header.Values("Link"))
		}

		// Bearer tokens need okta.logs.read.
		reader := ts.orgBearer(t, "log-reader", "okta.logs.read")
		if a := ts.do(t, http.MethodGet, logs, "Bearer "+reader, "", nil); a.status != 200 {
			t.Fatalf("bearer with okta.logs.read: %d %s", a.status, a.body)
		}
		other := ts.orgBearer(t, "not-a-log-reader", "okta.apps.read")
		if code := ts.do(t, http.MethodGet, logs, "Bearer "+other, "", nil).errorCode(t, 403); code != "E0000006" {
			t.Errorf("bearer without okta.logs.read: %s", code)
		}
	})
}

// TestOnePersonOneName: every System Log event names a person the same way
// — alternateId the login, displayName "First Last" — whether it comes from
// the management API, the sign-in page, the Authentication API, /authorize,
// logout or a failed password, and an app by its label in every event.
func TestOnePersonOneName(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ts := startServer(t, open(t))
		grace := ts.newUser(t, "grace@example.com")
		clientID, _, appID := ts.oidcApp(t, "Name Test App", "browser", "none", []string{"authorization_code"}, []string{"code"}, nil)
		ts.assign(t, appID, grace.ID)
		// An administrator's change, with Grace as its target.
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+grace.ID+"/lifecycle/expire_password", nil); a.status != 200 {
			t.Fatalf("expire password: %d %s", a.status, a.body)
		}
		authn := ts.do(t, http.MethodPost, "/api/v1/authn", "", "application/json", []byte(`{"username":"grace@example.com","password":"Correct-Horse-42"}`))
		if authn.status != 200 {
			t.Fatalf("authn: %d %s", authn.status, authn.body)
		}

		b := newBrowser(t, ts)
		verifier, challenge := pkce()
		q := url.Values{"client_id": {clientID}, "redirect_uri": {"http://app.test/callback"}, "response_type": {"code"},
			"scope": {"openid profile"}, "state": {"s"}, "nonce": {"n"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		login := b.follow(t, b.get(t, ts.Addr+"/oauth2/default/v1/authorize?"+q.Encode()))
		if bad := b.submitLogin(t, login, "grace@example.com", "wrong-password"); bad.status != 401 {
			t.Fatalf("wrong password: %d %s", bad.status, bad.body)
		}
		back := b.follow(t, b.submitLogin(t, login, "grace@example.com", "Correct-Horse-42"))
		if back.location == nil || back.location.Query().Get("code") == "" {
			t.Fatalf("authorize: %d %v %s", back.status, back.location, back.body)
		}
		tok := ts.form(t, "/oauth2/default/v1/token", "", url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID},
			"code": {back.location.Query().Get("code")}, "redirect_uri": {"http://app.test/callback"}, "code_verifier": {verifier}})
		if tok.status != 200 {
			t.Fatalf("token: %d %s", tok.status, tok.body)
		}
		out := b.get(t, ts.Addr+"/oauth2/default/v1/logout?"+url.Values{"id_token_hint": {tok.json(t)["id_token"].(string)}}.Encode())
		if out.status != 302 {
			t.Fatalf("logout: %d %s", out.status, out.body)
		}

		ts.App.Audit.Flush()
		events := ts.mgmt(t, http.MethodGet, "/api/v1/logs?limit=1000&since="+longAgo+"&until="+farFuture, nil).list(t)
		seen := map[string]bool{}
		for _, e := range events {
			actor := e["actor"].(map[string]any)
			name := func(n map[string]any) string { return n["alternateId"].(string) + " / " + n["displayName"].(string) }
			switch actor["id"] {
			case grace.ID:
				if got := name(actor); got != "grace@example.com / Grace Hopper" {
					t.Errorf("%s names Grace %q", e["eventType"], got)
				}
				seen[e["eventType"].(string)] = true
			case clientID:
				if got := name(actor); got != "Name Test App / Name Test App" {
					t.Errorf("%s names the app %q", e["eventType"], got)
				}
				seen[e["eventType"].(string)] = true
			}
			for _, tg := range e["target"].([]any) {
				if tg := tg.(map[string]any); tg["id"] == grace.ID {
					if got := name(tg); got != "grace@example.com / Grace Hopper" {
						t.Errorf("%s target names Grace %q", e["eventType"], got)
					}
				}
			}
		}
		for _, want := range []string{"user.session.start", "app.oauth2.as.authorize", "app.oauth2.as.token.grant.access_token", "user.session.end"} {
			if !seen[want] {
				t.Errorf("no %s event by Grace or her app; saw %v", want, seen)
			}
		}
	})
}

// TestSystemLogScanBudget: a filter that selects few events reads at most
// a bounded number of them per page; a page that stops there ends early
// with a cursor, so that no page reads the whole log, and walking on still
// finds every match.
func TestSystemLogScanBudget(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		st := open(t)
		ts := startServer(t, st)
		ctx := t.Context()
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		const n = 25_000
		err := st.InTx(ctx, func(tx store.Store) error {
			for i := range n {
				kw := "noise"
				if i == 3 || i == n-2 {
					kw = "needle"
				}
				uuid := fmt.Sprintf("budget-%06d", i)
				data := `{"uuid":"` + uuid + `","eventType":"user.session.start","actor":{"id":"00ubudget"},"displayMessage":"` + kw + `"}`
				err := tx.Audit().Append(ctx, &store.AuditEvent{UUID: uuid, Published: base.Add(time.Duration(i) * time.Millisecond),
					EventType: "user.session.start", Severity: "INFO", ActorID: "00ubudget", Data: []byte(data)})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		v := url.Values{"since": {"2025-12-31T00:00:00Z"}, "until": {"2026-01-02T00:00:00Z"}, "q": {"needle"}, "limit": {"10"}}
		first := ts.mgmt(t, http.MethodGet, "/api/v1/logs?"+v.Encode(), nil)
		if got := uuids(first.list(t)); !slices.Equal(got, []string{"budget-000003"}) || nextLink(t, ts, first) == "" {
			t.Fatalf("first page: %v, links %v (want the first needle and a next link: the scan stopped early)", got, first.header.Values("Link"))
		}
		if got := walkLogs(t, ts, "/api/v1/logs?"+v.Encode()); !slices.Equal(got, []string{"budget-000003", fmt.Sprintf("budget-%06d", n-2)}) {
			t.Fatalf("walk: %v", got)
		}
		// A filter the actor index answers reads only that actor's events.
		v.Del("q")
		v.Set("filter", `actor.id eq "00uBudget" and displayMessage eq "needle"`)
		if got := walkLogs(t, ts, "/api/v1/logs?"+v.Encode()); len(got) != 2 {
			t.Fatalf("walk by actor: %v", got)
		}
	})
}
