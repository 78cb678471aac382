package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
)

// A -scale run: scenarios on an empty org, then the same org seeded to
// orgSize through the store, restarted (startup time, idle memory), and the
// same scenarios again, side by side.

// orgFixtures are what the scale scenarios use on one org.
type orgFixtures struct {
	// member50 is a person in 50 groups assigned to the bench SPA.
	member50   *signinSetup
	bigGroupID string
	// Search terms with known selectivity on the seeded org.
	rareLastName, firstName, emailOfOne string
}

// orgFigures are one org's results.
type orgFigures struct {
	tokens  []result
	lists   []pageStats
	startup time.Duration
	idleRSS int64
}

func runScale(o options, sz orgSize) error {
	ctx := context.Background()
	if o.bin == "" {
		return errors.New("-scale needs -sesame PATH (a built binary)")
	}
	srv, err := newServer(o.bin, o.databaseURL, -1, o.profileDir != "")
	if err != nil {
		return err
	}
	if o.keep {
		defer func() {
			srv.halt()
			fmt.Fprintln(os.Stderr, "kept the data directory", srv.dir)
		}()
	} else {
		defer srv.stop()
	}
	srv.halt()
	srv.noRateLimits = true
	if err := srv.start(); err != nil {
		return err
	}
	b := newBench(o, srv, srv.url, srv.apiToken)
	mgmt := mgmtClient(ctx, b.hc, srv.url, srv.apiToken)
	if err := b.prepare(ctx); err != nil {
		return err
	}
	if b.si == nil {
		if b.si, err = prepareSignin(ctx, b.hc, srv.url, srv.apiToken); err != nil {
			return err
		}
	}
	if err := groupsClaim(mgmt); err != nil {
		return err
	}

	// The empty org: its own person in 50 groups.
	fmt.Fprintln(os.Stderr, "== empty org")
	empty := orgFigures{startup: srv.startup}
	time.Sleep(2 * time.Second)
	empty.idleRSS = srv.rss()
	ef := &orgFixtures{rareLastName: "Lovelace", firstName: "Bench", emailOfOne: b.si.login}
	if ef.member50, ef.bigGroupID, err = emptyMember50(ctx, b, mgmt); err != nil {
		return err
	}
	signRate := b.signRate(3 * time.Second)
	if empty.tokens, err = b.scaleTokenScenarios(ctx, signRate, ef); err != nil {
		return err
	}
	empty.lists = b.listScenarios(ef)

	// Seed through the store with the server stopped.
	srv.halt()
	fmt.Fprintln(os.Stderr, "== seeding")
	st, err := openStore(ctx, srv)
	if err != nil {
		return err
	}
	seedStart := time.Now()
	sd, err := seedOrg(ctx, st, sz, func(s string) { fmt.Fprintln(os.Stderr, s) })
	st.Close()
	if err != nil {
		return err
	}
	if srv.databaseURL != "" {
		// What autovacuum does some time after a bulk load: without
		// statistics PostgreSQL takes the 100k-member group for one of
		// 30 and plans its member list as a join of every member and a
		// sort.
		fmt.Fprintln(os.Stderr, "ANALYZE…")
		start := time.Now()
		if err := analyzePostgres(ctx, srv.databaseURL); err != nil {
			return err
		}
		sd.Durations = append(sd.Durations, seedStep{"ANALYZE (PostgreSQL statistics)", 0, time.Since(start)})
	}
	seedTook := time.Since(seedStart)
	diskUse := dbSize(srv)

	fmt.Fprintln(os.Stderr, "== scaled org")
	if err := srv.start(); err != nil {
		return err
	}
	scaled := orgFigures{startup: srv.startup}
	time.Sleep(5 * time.Second)
	scaled.idleRSS = srv.rss()
	sf := &orgFixtures{rareLastName: sd.RareLastName, firstName: sd.FirstName, bigGroupID: sd.BigGroupID, emailOfOne: sd.Member50Login}
	sf.member50 = &signinSetup{orgURL: srv.url, clientID: b.si.clientID, login: sd.Member50Login, password: seedPassword,
		verifier: b.si.verifier, challenge: b.si.challenge}
	if err := assignByLogin(mgmt, b.si, sd.Member50Login); err != nil {
		return err
	}
	// The person of the empty org's token scenarios is still there.
	signRate2 := b.signRate(3 * time.Second)
	if scaled.tokens, err = b.scaleTokenScenarios(ctx, signRate2, sf); err != nil {
		return err
	}
	scaled.lists = b.listScenarios(sf)
	afterRSS := srv.rss()

	report := renderScale(b, sz, sd, seedTook, diskUse, signRate, signRate2, empty, scaled, afterRSS)
	fmt.Print(report)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(report), 0o644)
	}
	return nil
}

func openStore(ctx context.Context, srv *server) (store.Store, error) {
	if srv.databaseURL != "" {
		return sqlstore.OpenPostgres(ctx, srv.databaseURL)
	}
	return sqlstore.OpenSQLite(ctx, srv.sqlitePath())
}

func analyzePostgres(ctx context.Context, url string) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "ANALYZE")
	return err
}

// dbSize is the database's size on disk, for the report.
func dbSize(srv *server) string {
	if srv.databaseURL != "" {
		db, err := sql.Open("pgx", srv.databaseURL)
		if err != nil {
			return "unknown (" + err.Error() + ")"
		}
		defer db.Close()
		var size int64
		if err := db.QueryRow("SELECT pg_database_size(current_database())").Scan(&size); err != nil {
			return "unknown (" + err.Error() + ")"
		}
		return fmt.Sprintf("%.2f GB", float64(size)/1e9)
	}
	var total int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(srv.sqlitePath() + suffix); err == nil {
			total += fi.Size()
		}
	}
	return fmt.Sprintf("%.2f GB", float64(total)/1e9)
}

// groupsClaim adds a groups claim (every group, by regular expression)
// to the access tokens of the default server, given only with the scope
// "groups", so that only the groups-claim scenario pays for it.
func groupsClaim(mgmt func(method, path string, body any) (map[string]any, error)) error {
	if _, err := mgmt(http.MethodPost, "/api/v1/authorizationServers/default/scopes", map[string]any{"name": "groups"}); err != nil {
		return err
	}
	_, err := mgmt(http.MethodPost, "/api/v1/authorizationServers/default/claims", map[string]any{
		"name": "groups", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "GROUPS", "value": ".*",
		"group_filter_type": "REGEX", "alwaysIncludeInToken": true, "conditions": map[string]any{"scopes": []string{"groups"}}})
	return err
}

// emptyMember50 makes, on the empty org, a person in 50 groups assigned to
// the bench SPA; the first group stands for the big one.
func emptyMember50(ctx context.Context, b *bench, mgmt func(method, path string, body any) (map[string]any, error)) (*signinSetup, string, error) {
	s := *b.si
	s.login = "member50." + b.si.login
	u, err := mgmt(http.MethodPost, "/api/v1/users?activate=true", map[string]any{
		"profile":     map[string]any{"login": s.login, "email": s.login, "firstName": "Fifty", "lastName": "Groups"},
		"credentials": map[string]any{"password": map[string]any{"value": s.password}},
	})
	if err != nil {
		return nil, "", err
	}
	first := ""
	for i := 0; i < 50; i++ {
		g, err := mgmt(http.MethodPost, "/api/v1/groups", map[string]any{"profile": map[string]any{"name": fmt.Sprintf("bench-50-%02d", i)}})
		if err != nil {
			return nil, "", err
		}
		if i == 0 {
			first = g["id"].(string)
		}
		if _, err := mgmt(http.MethodPut, "/api/v1/groups/"+g["id"].(string)+"/users/"+u["id"].(string), nil); err != nil {
			return nil, "", err
		}
	}
	if err := assignByLogin(mgmt, b.si, s.login); err != nil {
		return nil, "", err
	}
	return &s, first, nil
}

// assignByLogin assigns the bench SPA to a person.
func assignByLogin(mgmt func(method, path string, body any) (map[string]any, error), si *signinSetup, login string) error {
	u, err := mgmt(http.MethodGet, "/api/v1/users/"+url.PathEscape(login), nil)
	if err != nil {
		return err
	}
	_, err = mgmt(http.MethodPost, "/api/v1/apps/"+si.appID+"/users", map[string]any{"id": u["id"]})
	return err
}

// scaleTokenScenarios are the protocol scenarios of a scale run.
func (b *bench) scaleTokenScenarios(ctx context.Context, signRate float64, f *orgFixtures) ([]result, error) {
	rs, err := b.tokenScenarios(ctx, signRate)
	if err != nil {
		return nil, err
	}
	// The groups claim: a code exchange for a person in 50 groups.
	o := b.o
	need := int(signRate*(o.dur+o.warm).Seconds()*0.8) + 500
	fmt.Fprintf(os.Stderr, "minting %d authorization codes for a person in 50 groups…\n", need)
	codes, err := mintCodes(f.member50, b.hc, "openid groups", need, o.conc)
	if err != nil {
		return nil, err
	}
	rate := b.signRate(3 * time.Second)
	rs = append(rs, b.tokenScenario(b.load("authorization_code, groups claim of 50 groups", "groups", fromList(codes, f.member50.exchangeRequest)),
		rate, "within 1.2× of the empty org"))
	rs = append(rs, b.otherScenarios()...)
	return rs, nil
}

// pageStats is one walk through a list to its end.
type pageStats struct {
	name        string
	pages       int
	items       int
	lat         []time.Duration // per page, in page order
	errors      int
	truncated   bool
	firstStatus int
}

func (p pageStats) sorted() []time.Duration {
	s := append([]time.Duration(nil), p.lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

func (p pageStats) pct(q float64) time.Duration {
	s := p.sorted()
	if len(s) == 0 {
		return 0
	}
	return s[int(float64(len(s)-1)*q)]
}

// headTail is the median time of the first and of the last tenth of the
// pages (at least one page each): equal when a page's time does not
// depend on its position.
func (p pageStats) headTail() (time.Duration, time.Duration) {
	if len(p.lat) == 0 {
		return 0, 0
	}
	n := max(1, len(p.lat)/10)
	med := func(xs []time.Duration) time.Duration {
		s := append([]time.Duration(nil), xs...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[len(s)/2]
	}
	return med(p.lat[:n]), med(p.lat[len(p.lat)-n:])
}

var nextLink = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// walk follows rel="next" links from path until the list ends (or
// maxPages), timing each page. A polling System Log query (polling) always
// has a next link: an empty page means it has caught up. Any other list may
// give an empty page with a next link (a filtered System Log query stops
// reading after a bounded number of events), and ends without one.
func (b *bench) walk(name, path string, maxPages int, polling bool) pageStats {
	fmt.Fprintf(os.Stderr, "walking %s…\n", name)
	ps := pageStats{name: name}
	u := b.orgURL + path
	for u != "" && ps.pages < maxPages {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "SSWS "+b.apiToken)
		req.Header.Set("Accept", "application/json")
		start := time.Now()
		resp, err := b.hc.Do(req)
		if err != nil {
			ps.errors++
			break
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ps.lat = append(ps.lat, time.Since(start))
		ps.pages++
		if ps.firstStatus == 0 {
			ps.firstStatus = resp.StatusCode
		}
		if resp.StatusCode != http.StatusOK {
			ps.errors++
			fmt.Fprintf(os.Stderr, "  %s: %d %s\n", name, resp.StatusCode, raw)
			break
		}
		var items []json.RawMessage
		json.Unmarshal(raw, &items)
		ps.items += len(items)
		u = ""
		for _, l := range resp.Header.Values("Link") {
			if m := nextLink.FindStringSubmatch(l); m != nil {
				u = m[1]
			}
		}
		if polling && len(items) == 0 {
			break
		}
	}
	ps.truncated = u != "" && ps.pages >= maxPages
	return ps
}

// listScenarios walks the management lists of the issue to their ends.
func (b *bench) listScenarios(f *orgFixtures) []pageStats {
	q := url.QueryEscape
	now := time.Now().UTC()
	day := now.Add(-24 * time.Hour).Format("2006-01-02T15:04:05.000Z")
	month := now.Add(-31 * 24 * time.Hour).Format("2006-01-02T15:04:05.000Z")
	week := now.Add(-7 * 24 * time.Hour).Format("2006-01-02T15:04:05.000Z")
	until := now.Add(time.Minute).Format("2006-01-02T15:04:05.000Z")
	const all = 100_000
	lists := []struct{ name, path string }{
		{"users, all", "/api/v1/users?limit=200"},
		{`users, filter=status eq "ACTIVE"`, "/api/v1/users?limit=200&filter=" + q(`status eq "ACTIVE"`)},
		{`users, filter=status eq "STAGED"`, "/api/v1/users?limit=200&filter=" + q(`status eq "STAGED"`)},
		{`users, search=profile.lastName eq (1 in 1000)`, "/api/v1/users?limit=200&search=" + q(`profile.lastName eq "`+f.rareLastName+`"`)},
		{`users, search=profile.firstName eq (1 in 20)`, "/api/v1/users?limit=200&search=" + q(`profile.firstName eq "`+f.firstName+`"`)},
		{`users, search=profile.email eq (one)`, "/api/v1/users?limit=200&search=" + q(`profile.email eq "`+f.emailOfOne+`"`)},
		{`users, filter=profile.login eq (one)`, "/api/v1/users?limit=200&filter=" + q(`profile.login eq "`+f.emailOfOne+`"`)},
		{`users, q= (prefix of a last name, 11 in 1000)`, "/api/v1/users?limit=200&q=" + q(strings.TrimSuffix(f.rareLastName, "7"))},
		{`users, search=lastUpdated gt (last day)`, "/api/v1/users?limit=200&search=" + q(`lastUpdated gt "`+day+`"`)},
		{`users, search=profile.department eq (not indexed, 1 in 8)`, "/api/v1/users?limit=200&search=" + q(`profile.department eq "Legal"`)},
		{"groups/{id}/users, the largest group", "/api/v1/groups/" + f.bigGroupID + "/users?limit=1000"},
		{"groups, all", "/api/v1/groups?limit=1000"},
		{"logs, last 7 days, ascending, since+until", "/api/v1/logs?limit=1000&since=" + q(week) + "&until=" + q(until)},
		{"logs, 31 days, descending", "/api/v1/logs?limit=1000&sortOrder=DESCENDING&since=" + q(month) + "&until=" + q(until)},
		{`logs, filter=eventType eq (4 %), 31 days`, "/api/v1/logs?limit=1000&since=" + q(month) + "&until=" + q(until) + "&filter=" + q(`eventType eq "user.account.lock"`)},
		{`logs, filter=actor.id eq (one user), 31 days`, "/api/v1/logs?limit=1000&since=" + q(month) + "&until=" + q(until) + "&filter=" + q(`actor.id eq "00useed0000000012345"`)},
		{`logs, q=keyword (one user), 31 days`, "/api/v1/logs?limit=1000&since=" + q(month) + "&until=" + q(until) + "&q=00useed0000000012345"},
		{"logs, polling from the default window to now", "/api/v1/logs?limit=1000"},
	}
	var out []pageStats
	for _, l := range lists {
		out = append(out, b.walk(l.name, l.path, all, strings.HasPrefix(l.name, "logs, polling")))
	}
	return out
}

func renderScale(b *bench, sz orgSize, sd *seeded, seedTook time.Duration, disk string, rate1, rate2 float64, empty, scaled orgFigures, afterRSS int64) string {
	var sb strings.Builder
	o := b.o
	backend := "SQLite"
	if o.databaseURL != "" {
		backend = "PostgreSQL (same machine)"
	}
	host, _ := os.Hostname()
	fmt.Fprintf(&sb, "# Sesame at scale\n\n%s, %s/%s, %d cores, %s, %s, concurrency %d, %s per scenario. Load average at the end: %s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), host, backend, o.conc, o.dur, loadAvg())
	fmt.Fprintf(&sb, "Seeded org: %d users, %d groups (the largest with %d members), %d apps (each assigned to 5 groups), %d authorization-server rules, %d System Log events; database %s.\n\n",
		sz.Users, sz.Groups, sz.BigGroup, sz.Apps, sz.Rules, sz.Events, disk)
	fmt.Fprintf(&sb, "Seeding through the store, one transaction per batch: **%s** in all.\n\n| step | records | time | records/s |\n|---|---:|---:|---:|\n", seedTook.Round(time.Second))
	for _, s := range sd.Durations {
		if s.Took == 0 {
			fmt.Fprintf(&sb, "| %s | %d | — | — |\n", s.What, s.Count)
			continue
		}
		if s.Count == 0 {
			fmt.Fprintf(&sb, "| %s | — | %s | — |\n", s.What, s.Took.Round(100*time.Millisecond))
			continue
		}
		fmt.Fprintf(&sb, "| %s | %d | %s | %.0f |\n", s.What, s.Count, s.Took.Round(100*time.Millisecond), float64(s.Count)/s.Took.Seconds())
	}
	fmt.Fprintf(&sb, "\nStartup until serving: empty org %s, seeded org **%s** (target < 2 s). Idle RSS: empty org %.1f MB, seeded org **%.1f MB** (target < 60 MB); after the scenarios %.1f MB.\n\n",
		empty.startup.Round(time.Millisecond), scaled.startup.Round(time.Millisecond), float64(empty.idleRSS)/1e6, float64(scaled.idleRSS)/1e6, float64(afterRSS)/1e6)
	fmt.Fprintf(&sb, "Signing rate (all cores) at the start of each half: empty %.0f/s, seeded %.0f/s.\n\n", rate1, rate2)
	fmt.Fprintf(&sb, "## Protocol endpoints (target: within 1.2× of the empty org)\n\n| scenario | empty: req/s | share | p50 | p99 | seeded: req/s | share | p50 | p99 | errors | seeded ÷ empty (share) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, e := range empty.tokens {
		if i >= len(scaled.tokens) {
			break
		}
		s := scaled.tokens[i]
		share := func(r result) string {
			if r.ratio == 0 {
				return "—"
			}
			return fmt.Sprintf("%.0f %%", r.ratio*100)
		}
		cmp := "—"
		if e.ratio > 0 && s.ratio > 0 {
			cmp = fmt.Sprintf("%.2f", s.ratio/e.ratio)
		} else if e.rate() > 0 {
			cmp = fmt.Sprintf("%.2f (req/s)", s.rate()/e.rate())
		}
		fmt.Fprintf(&sb, "| %s | %.0f | %s | %s | %s | %.0f | %s | %s | %s | %d | %s |\n", e.name, e.rate(), share(e),
			e.pct(0.5).Round(10*time.Microsecond), e.pct(0.99).Round(10*time.Microsecond), s.rate(), share(s),
			s.pct(0.5).Round(10*time.Microsecond), s.pct(0.99).Round(10*time.Microsecond), e.errors+s.errors, cmp)
	}
	fmt.Fprintf(&sb, "\n## Lists, walked to the end one page at a time (target: a page's time independent of its position)\n\n| list | empty: pages | page p50 | seeded: pages | items | page p50 | p99 | max | first tenth (median) | last tenth (median) | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, e := range empty.lists {
		if i >= len(scaled.lists) {
			break
		}
		s := scaled.lists[i]
		head, tail := s.headTail()
		r := func(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
		trunc := ""
		if s.truncated {
			trunc = " (stopped)"
		}
		fmt.Fprintf(&sb, "| %s | %d | %s | %d%s | %d | %s | %s | %s | %s | %s | %d |\n", e.name, e.pages, r(e.pct(0.5)), s.pages, trunc, s.items,
			r(s.pct(0.5)), r(s.pct(0.99)), r(s.pct(1)), r(head), r(tail), e.errors+s.errors)
	}
	return sb.String()
}
