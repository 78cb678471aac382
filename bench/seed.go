package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/store"
)

// orgSize is how big an org -scale seeds.
type orgSize struct {
	Users, Groups, Apps, Rules, Events int
	// BigGroup is the member count of the one large group.
	BigGroup int
}

// seeded is what the scale scenarios need to know about the seeded org.
type seeded struct {
	BigGroupID string
	// Member50 is a user in 50 groups (and in the big group), with the
	// seeded password.
	Member50Login string
	// A last name shared by about 1 in 1000 users, and a first name that
	// about 1 in 200 have, for searches.
	RareLastName, FirstName string
	Durations               []seedStep
}

type seedStep struct {
	What  string
	Count int
	Took  time.Duration
}

// seedPassword is every seeded user's password. Its argon2id hash is
// computed once and stored for all of them: seeding a million users must
// not run a million password hashes.
const seedPassword = "Scale-Password-42"

var (
	firstNames = []string{"Ada", "Alan", "Barbara", "Claude", "Dennis", "Edsger", "Frances", "Grace", "Hedy", "Ivan",
		"Jean", "Ken", "Leslie", "Margaret", "Niklaus", "Ole", "Peter", "Radia", "Sophie", "Tim"}
	departments = []string{"Engineering", "Sales", "Marketing", "Finance", "Support", "Legal", "Operations", "Research"}
	eventTypes  = []struct {
		typ, msg string
		weight   int
	}{
		{"user.session.start", "User login to Okta", 40},
		{"app.oauth2.as.token.grant.access_token", "OAuth2 access token is granted", 40},
		{"group.user_membership.add", "Add user to group membership", 10},
		{"user.lifecycle.create", "Create okta user", 5},
		{"user.account.lock", "Max sign in attempts exceeded", 4},
		{"application.lifecycle.update", "Update application", 1},
	}
)

// lastName makes one of 1000 synthetic surnames; user i gets lastName(i%1000).
func lastName(i int) string { return "Surname" + strconv.Itoa(i) }

// seedOrg fills st with an org of the given size, in batches of one
// transaction each, through the store interface: the same writes the
// service makes, without the service's per-call validation and audit events
// (those are seeded separately, as events).
func seedOrg(ctx context.Context, st store.Store, size orgSize, progress func(string)) (*seeded, error) {
	now := time.Now().UTC()
	rng := rand.New(rand.NewPCG(17, 42))
	out := &seeded{RareLastName: lastName(977), FirstName: firstNames[3]}
	step := func(what string, n int, fn func() error) error {
		start := time.Now()
		progress(fmt.Sprintf("seeding %d %s…", n, what))
		if err := fn(); err != nil {
			return fmt.Errorf("seed %s: %w", what, err)
		}
		out.Durations = append(out.Durations, seedStep{what, n, time.Since(start)})
		return nil
	}
	hash, err := secret.HashPassword(seedPassword)
	if err != nil {
		return nil, err
	}

	groupIDs := make([]string, size.Groups)
	for i := range groupIDs {
		groupIDs[i] = secret.NewID("00g")
	}
	out.BigGroupID = groupIDs[0]
	if err := step("groups", size.Groups, func() error {
		return batches(ctx, st, size.Groups, 2000, func(tx store.Store, i int) error {
			t := now.Add(-time.Duration(rng.IntN(3*365*24)) * time.Hour)
			return tx.Groups().Create(ctx, &store.Group{ID: groupIDs[i], Type: "OKTA_GROUP", Name: fmt.Sprintf("scale-group-%06d", i),
				Description: "Seeded group " + strconv.Itoa(i), Created: t, LastUpdated: t, LastMembershipUpdated: t})
		})
	}); err != nil {
		return nil, err
	}

	// Users: user i is in group 0 (the big one) when i < BigGroup, and in
	// 1–4 other groups; every 1000th user is in 50. Ids are random, as the
	// service makes them, so id order is unrelated to creation order.
	memberships := 0
	if err := step("users (with group memberships)", size.Users, func() error {
		return batches(ctx, st, size.Users, 1000, func(tx store.Store, i int) error {
			first, last := firstNames[i%len(firstNames)], lastName(i%1000)
			login := fmt.Sprintf("%s.%s.%d@scale.example.com", first, last, i)
			created := now.Add(-time.Duration(rng.IntN(3*365*24*60)) * time.Minute)
			updated := created.Add(time.Duration(rng.Int64N(int64(now.Sub(created)) + 1)))
			status := store.UserActive
			switch i % 100 {
			case 1, 2, 3:
				status = store.UserStaged
			case 4:
				status = store.UserDeprovisioned
			case 5:
				status = store.UserSuspended
			}
			u := &store.User{ID: secret.NewID("00u"), Status: status, Login: login,
				Profile: map[string]any{"login": login, "email": login, "firstName": first, "lastName": last,
					"department": departments[i%len(departments)], "employeeNumber": strconv.Itoa(100000 + i)},
				PasswordHash: hash, Created: created, StatusChanged: created, LastUpdated: updated, PasswordChanged: created}
			if status == store.UserActive {
				u.Activated = created
			}
			if err := tx.Users().Create(ctx, u); err != nil {
				return err
			}
			var groups []int
			if i < size.BigGroup {
				groups = append(groups, 0)
			}
			n := 1 + i%4
			if i%1000 == 0 {
				n = 50 - len(groups)
			}
			for len(groups) < n+boolInt(i < size.BigGroup) && size.Groups > 1 {
				g := 1 + rng.IntN(size.Groups-1)
				if !slices.Contains(groups, g) {
					groups = append(groups, g)
				}
			}
			for _, g := range groups {
				if err := tx.Groups().AddMember(ctx, groupIDs[g], u.ID); err != nil {
					return err
				}
			}
			memberships += len(groups)
			if i == 0 {
				out.Member50Login = login
			}
			return nil
		})
	}); err != nil {
		return nil, err
	}
	out.Durations = append(out.Durations, seedStep{"group memberships (in the step above)", memberships, 0})

	if err := step("apps", size.Apps, func() error {
		return batches(ctx, st, size.Apps, 1000, func(tx store.Store, i int) error {
			id := secret.NewID("0oa")
			a := &store.App{ID: id, Name: "oidc_client", Label: fmt.Sprintf("Scale app %d", i), Status: store.StatusActive,
				SignOnMode: "OPENID_CONNECT", ClientID: id, Profile: map[string]any{}, Created: now, LastUpdated: now,
				Secrets: []store.AppSecret{{ID: secret.NewID("ocs"), Status: store.StatusActive, Hash: secret.Hash(secret.Token("", 32)),
					Created: now, LastUpdated: now}}}
			a.Credentials.OAuthClient = store.OAuthClientCreds{ClientID: id, TokenEndpointAuthMethod: "client_secret_basic"}
			a.Settings.OAuthClient = store.OAuthClientSettings{ApplicationType: "web",
				RedirectURIs:  []string{fmt.Sprintf("https://app%d.scale.example.com/callback", i)},
				ResponseTypes: []string{"code"}, GrantTypes: []string{"authorization_code", "refresh_token", "client_credentials"},
				ConsentMethod: "TRUSTED", IssuerMode: "ORG_URL"}
			if err := tx.Apps().Create(ctx, a); err != nil {
				return err
			}
			// Each app is assigned to five groups.
			for k := 0; k < 5 && size.Groups > 0; k++ {
				err := tx.Apps().AssignGroup(ctx, &store.AppGroup{AppID: id, GroupID: groupIDs[(i*5+k)%size.Groups],
					Priority: k, Profile: map[string]any{}, LastUpdated: now})
				if err != nil {
					return err
				}
			}
			return nil
		})
	}); err != nil {
		return nil, err
	}

	// Rules: policies of ten rules on the default server, ahead of its
	// default policy, that apply to every client but ask for a scope the
	// benchmark never requests: every token request walks all of them.
	if err := step("authorization-server rules", size.Rules, func() error {
		policies := (size.Rules + 9) / 10
		return batches(ctx, st, policies, 10, func(tx store.Store, p int) error {
			scope := &store.Scope{ID: secret.NewID("scp"), ServerID: "default", Name: fmt.Sprintf("scale:%d", p),
				Description: "Seeded scope", Consent: "IMPLICIT", MetadataPublish: "NO_CLIENTS", Created: now, LastUpdated: now}
			if err := tx.AuthServers().CreateScope(ctx, scope); err != nil {
				return err
			}
			pol := &store.Policy{ID: secret.NewID("00p"), ServerID: "default", Name: fmt.Sprintf("Scale policy %d", p),
				Status: store.StatusActive, Priority: p + 1, ClientsInclude: []string{"ALL_CLIENTS"}, Created: now, LastUpdated: now}
			if err := tx.AuthServers().CreatePolicy(ctx, pol); err != nil {
				return err
			}
			for r := 0; r < 10 && p*10+r < size.Rules; r++ {
				rule := &store.PolicyRule{ID: secret.NewID("0pr"), PolicyID: pol.ID, ServerID: "default",
					Name: fmt.Sprintf("Scale rule %d", r), Type: "RESOURCE_ACCESS", Status: store.StatusActive, Priority: r + 1,
					UsersInclude: []string{}, UsersExclude: []string{}, GroupsInclude: []string{groupIDs[(p*10+r)%len(groupIDs)]},
					GroupsExclude: []string{}, GrantTypes: []string{"authorization_code", "client_credentials", "password", "refresh_token"},
					Scopes: []string{scope.Name}, AccessTokenLifetimeMinutes: 60, RefreshTokenWindowMinutes: 10080,
					Created: now, LastUpdated: now}
				if err := tx.AuthServers().CreateRule(ctx, rule); err != nil {
					return err
				}
			}
			return nil
		})
	}); err != nil {
		return nil, err
	}
	// The default policy keeps working: it goes after the seeded ones.
	if size.Rules > 0 {
		pols, err := st.AuthServers().ListPolicies(ctx, "default")
		if err != nil {
			return nil, err
		}
		for _, p := range pols {
			if p.Name == "Default Policy" {
				p.Priority = len(pols)
				if err := st.AuthServers().UpdatePolicy(ctx, p); err != nil {
					return nil, err
				}
			}
		}
	}

	if err := step("System Log events", size.Events, func() error { return seedEvents(ctx, st, size.Events, now) }); err != nil {
		return nil, err
	}
	if err := st.Config().Bump(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// seedEvents writes n System Log events published over the 30 days before
// now, oldest first, as the log grows.
func seedEvents(ctx context.Context, st store.Store, n int, now time.Time) error {
	total := 0
	for _, e := range eventTypes {
		total += e.weight
	}
	span := 30 * 24 * time.Hour
	start := now.Add(-span)
	rng := rand.New(rand.NewPCG(7, 7))
	return batches(ctx, st, n, 2000, func(tx store.Store, i int) error {
		published := start.Add(time.Duration(float64(span) * float64(i) / float64(max(n, 1)))).Truncate(time.Millisecond)
		w := rng.IntN(total)
		et := eventTypes[0]
		for _, e := range eventTypes {
			if w < e.weight {
				et = e
				break
			}
			w -= e.weight
		}
		userID := fmt.Sprintf("00useed%013d", rng.IntN(1_000_000))
		ev := audit.Event{UUID: fmt.Sprintf("5eed%04x-0000-4000-8000-%012x", i>>48, i), Published: published.Format("2006-01-02T15:04:05.000Z"),
			EventType: et.typ, Version: "0", Severity: "INFO", DisplayMessage: et.msg,
			Actor:        audit.Actor{ID: userID, Type: "User", AlternateID: "user" + userID[7:] + "@scale.example.com", DisplayName: "Seeded User"},
			Client:       map[string]any{"userAgent": map[string]any{"rawUserAgent": "bench"}, "ipAddress": "192.0.2.7", "zone": "null"},
			Outcome:      audit.Outcome{Result: "SUCCESS"},
			Target:       []audit.Target{{ID: fmt.Sprintf("0oaseed%013d", rng.IntN(10_000)), Type: "AppInstance", DisplayName: "Scale app"}},
			Transaction:  map[string]any{"type": "WEB", "id": "seed", "detail": map[string]any{}},
			DebugContext: map[string]any{"debugData": map[string]any{"requestId": "seed"}}}
		if et.typ == "user.account.lock" {
			ev.Severity = "WARN"
		}
		data, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		return tx.Audit().Append(ctx, &store.AuditEvent{UUID: ev.UUID, Published: published, EventType: ev.EventType,
			Severity: ev.Severity, ActorID: userID, Data: data})
	})
}

// batches calls fn for 0..n-1, size calls per transaction, one
// transaction at a time (SQLite has one writer).
func batches(ctx context.Context, st store.Store, n, size int, fn func(tx store.Store, i int) error) error {
	lastReport := time.Now()
	for lo := 0; lo < n; lo += size {
		hi := min(lo+size, n)
		err := st.InTx(ctx, func(tx store.Store) error {
			for i := lo; i < hi; i++ {
				if err := fn(tx, i); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if time.Since(lastReport) > 10*time.Second {
			fmt.Fprintf(os.Stderr, "  %d/%d\n", hi, n)
			lastReport = time.Now()
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
