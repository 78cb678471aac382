package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/store"
)

// dashboardScan bounds what the dashboard reads to count and warn: a big
// org shows "200+" rather than making the first page slow.
const dashboardScan = 200

type count struct {
	Label, Value, Link string
}

type logLine struct {
	Published                     time.Time
	EventType, Message, Actor     string
	Outcome, Target, Reason, UUID string
}

type dashboardData struct {
	Counts   []count
	Events   []logLine
	Warnings []string
	// OpenMetadata is the `sesame openmetadata setup` command with this
	// org's values filled in.
	OpenMetadata string
	NoApps       bool
	NoPeople     bool
}

func countOf(n int, more bool) string {
	if more {
		return strconv.Itoa(n) + "+"
	}
	return strconv.Itoa(n)
}

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request, q *request) {
	ctx := r.Context()
	d := dashboardData{}

	users, err := c.svc.Store.Users().List(ctx, store.Page{Limit: dashboardScan + 1})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	admins := 0
	for _, u := range users {
		if u.SuperAdmin && u.Status == store.UserActive {
			admins++
		}
	}
	groups, err := c.svc.ListGroups(ctx, store.Page{Limit: dashboardScan + 1})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	apps, err := c.svc.ListApps(ctx, store.Page{Limit: dashboardScan + 1})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	servers := 0
	for id := range c.svc.Cache.Current().Servers {
		if id != store.OrgServerID {
			servers++
		}
	}
	d.Counts = []count{
		{"People", countOf(min(len(users), dashboardScan), len(users) > dashboardScan), ""},
		{"Groups", countOf(min(len(groups), dashboardScan), len(groups) > dashboardScan), ""},
		{"Applications", countOf(min(len(apps), dashboardScan), len(apps) > dashboardScan), "/admin/apps"},
		{"Authorization servers", strconv.Itoa(servers), ""},
	}
	d.NoApps, d.NoPeople = len(apps) == 0, len(users) <= 1

	if admins < 2 && len(users) <= dashboardScan {
		d.Warnings = append(d.Warnings, "There is only one super administrator. If that person loses their password, nobody can manage this org: make a second one.")
	}
	for _, a := range apps[:min(len(apps), dashboardScan)] {
		if a.Status != store.StatusActive {
			continue
		}
		assigned, err := c.hasAssignment(r, a.ID)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if !assigned {
			d.Warnings = append(d.Warnings, "The application “"+a.Label+"” is assigned to nobody: no one can sign in to it.")
		}
	}

	keyWarnings, err := c.keyWarnings(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d.Warnings = append(d.Warnings, keyWarnings...)

	events, _, err := c.svc.ListLogEvents(ctx, store.AuditQuery{Descending: true, Limit: 10}, nil)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, e := range events {
		d.Events = append(d.Events, toLogLine(e))
	}
	d.OpenMetadata = "sesame openmetadata setup --org-url " + c.svc.OrgURL + " --api-token-file ./api-token \\\n" +
		"  --om-url https://openmetadata.example.com --admin-email " + q.user.Login + " --out-dir ./openmetadata-sso"
	c.render(w, http.StatusOK, "dashboard", &view{Title: "Dashboard", Section: "dashboard", User: q.user, CSRF: q.csrf, Data: d})
}

// keyWarnSoon is how long before a signing key's end the dashboard warns.
const keyWarnSoon = 14 * 24 * time.Hour

// keyWarnings are the custom authorization servers whose signing key
// expires soon or has outlived its period. A MANUAL server's active key is
// meant to be rotated by hand within the period AUTO servers rotate on
// (service.AutoRotationPeriod after it started signing); an AUTO server
// whose rotation is a day overdue means the scheduled work is not running.
func (c *Console) keyWarnings(r *http.Request) ([]string, error) {
	now := c.svc.Now()
	var out []string
	for _, srv := range c.svc.Cache.Current().Servers {
		if srv.IsOrg() || srv.AuthServer == nil || srv.Status != store.StatusActive {
			continue
		}
		if srv.RotationMode == "AUTO" {
			if !srv.NextRotation.IsZero() && now.After(srv.NextRotation.Add(24*time.Hour)) {
				out = append(out, "The signing key of the authorization server “"+srv.Name+"” was due for automatic rotation on "+
					day(srv.NextRotation)+" and is still signing: check that Sesame's scheduled work runs, or rotate it on the server's Settings tab.")
			}
			continue
		}
		keys, err := c.svc.ListServerKeys(r.Context(), srv.ID)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if k.Status != store.KeyActive {
				continue
			}
			start := k.Activated
			if start.IsZero() {
				start = k.Created
			}
			end := start.Add(service.AutoRotationPeriod)
			switch {
			case now.After(end):
				out = append(out, "The signing key of the authorization server “"+srv.Name+"” expired on "+day(end)+
					" (manual rotation, 90 days): rotate it on the server's Settings tab.")
			case now.After(end.Add(-keyWarnSoon)):
				out = append(out, "The signing key of the authorization server “"+srv.Name+"” expires on "+day(end)+
					" (manual rotation, 90 days): rotate it on the server's Settings tab before then.")
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func (c *Console) hasAssignment(r *http.Request, appID string) (bool, error) {
	us, err := c.svc.ListAppUsers(r.Context(), appID, store.Page{Limit: 1})
	if err != nil || len(us) > 0 {
		return len(us) > 0, err
	}
	gs, err := c.svc.ListAppGroups(r.Context(), appID, store.Page{Limit: 1})
	return len(gs) > 0, err
}

// toLogLine reads what the console shows of a System Log event from its
// stored LogEvent JSON.
func toLogLine(e *store.AuditEvent) logLine {
	var ev struct {
		DisplayMessage string `json:"displayMessage"`
		Actor          struct {
			AlternateID string `json:"alternateId"`
			DisplayName string `json:"displayName"`
		} `json:"actor"`
		Outcome struct {
			Result string `json:"result"`
			Reason string `json:"reason"`
		} `json:"outcome"`
		Target []struct {
			AlternateID string `json:"alternateId"`
			DisplayName string `json:"displayName"`
			ID          string `json:"id"`
		} `json:"target"`
	}
	_ = json.Unmarshal(e.Data, &ev)
	l := logLine{Published: e.Published, EventType: e.EventType, Message: ev.DisplayMessage,
		Actor: ev.Actor.AlternateID, Outcome: ev.Outcome.Result, Reason: ev.Outcome.Reason, UUID: e.UUID}
	if len(ev.Target) > 0 {
		t := ev.Target[0]
		l.Target = t.DisplayName
		if l.Target == "" {
			l.Target = t.AlternateID
		}
		if l.Target == "" {
			l.Target = t.ID
		}
	}
	return l
}
