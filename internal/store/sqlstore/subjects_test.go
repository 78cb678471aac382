package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestSubjectCache runs two stores on one database as two replicas: what
// one changes of a user, their groups or their assignments, the other's
// subject cache drops — at once on SQLite (stores of one file share their
// cache), when the change notice arrives on PostgreSQL. A PostgreSQL store
// that does not listen serves from the database.
func TestSubjectCache(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "sesame.db")
		subjectCacheOn(t, openSQLite(t, path), openSQLite(t, path))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		base := pgBase(t)
		url := freshSchema(t, pgAdmin(t, base), base)
		a, b := openPostgres(t, url), openPostgres(t, url)
		// Not listening: nothing is held.
		ctx := t.Context()
		appID, userID := seedSubjectFor(t, a)
		s1, err := a.Subject(ctx, userID, appID)
		if err != nil {
			t.Fatal(err)
		}
		if s2, err := a.Subject(ctx, userID, appID); err != nil || s2.User == s1.User {
			t.Fatalf("a store that does not listen served a held subject (%v)", err)
		}
		for _, s := range []*Store{a, b} {
			lctx, stop := context.WithCancel(ctx)
			defer stop()
			go s.Listen(lctx, func(store.Notice) {}, func(bool) {})
		}
		waitFor(t, "both listen", func() bool { return a.subjects.live.Load() && b.subjects.live.Load() })
		subjectCacheOn(t, a, b)
	})
}

func seedSubjectFor(t *testing.T, s *Store) (appID, userID string) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.Subject(ctx, "00unobody", "0oasubj"); err == nil {
		t.Fatal("a missing user has a subject")
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := &store.User{ID: "00usubj", Status: store.UserActive, Login: "s@example.com", Created: now, LastUpdated: now,
		Profile: map[string]any{"login": "s@example.com", "firstName": "Sub"}}
	if err := s.Users().Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.Apps().Create(ctx, &store.App{ID: "0oasubj", Name: "oidc_client", ClientID: "subj", Status: "ACTIVE", SignOnMode: "OPENID_CONNECT", Created: now, LastUpdated: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.Groups().Create(ctx, &store.Group{ID: "00gsubj", Type: "OKTA_GROUP", Name: "subjects", Created: now, LastUpdated: now, LastMembershipUpdated: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.Groups().AddMember(ctx, "00gsubj", u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Apps().AssignGroup(ctx, &store.AppGroup{AppID: "0oasubj", GroupID: "00gsubj", LastUpdated: now}); err != nil {
		t.Fatal(err)
	}
	return "0oasubj", u.ID
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15s", what)
		}
	}
}

// subjectCacheOn checks a's cache against changes made through b.
func subjectCacheOn(t *testing.T, a, b *Store) {
	ctx := t.Context()
	appID, userID := "0oasubj", "00usubj"
	if _, err := a.Users().Get(ctx, userID); err != nil {
		appID, userID = seedSubjectFor(t, a)
	}
	get := func() *store.Subject {
		t.Helper()
		s, err := a.Subject(ctx, userID, appID)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := get()
	if !first.Assigned || first.User.Profile["firstName"] != "Sub" || !slices.Contains(first.GroupNames, "subjects") {
		t.Fatalf("subject %+v", first)
	}
	if get().User != first.User {
		t.Fatal("the second read did not come from the cache")
	}
	// after waits, on PostgreSQL, until a has heard of a change b made.
	notified := a.d.name() == "postgres"
	after := func(what string, ok func(*store.Subject) bool) {
		t.Helper()
		if notified {
			waitFor(t, what, func() bool { return ok(get()) })
			return
		}
		if s := get(); !ok(s) {
			t.Fatalf("%s: %+v", what, s)
		}
	}

	u, err := b.Users().Get(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	u.Profile["firstName"] = "Renamed"
	if err := b.Users().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	after("a user's update", func(s *store.Subject) bool { return s.User.Profile["firstName"] == "Renamed" })

	g, err := b.Groups().Get(ctx, "00gsubj")
	if err != nil {
		t.Fatal(err)
	}
	g.Name = "renamed-group"
	if err := b.Groups().Update(ctx, g); err != nil {
		t.Fatal(err)
	}
	after("a group's new name", func(s *store.Subject) bool { return slices.Contains(s.GroupNames, "renamed-group") })

	if err := b.Groups().RemoveMember(ctx, "00gsubj", userID); err != nil {
		t.Fatal(err)
	}
	after("leaving the group", func(s *store.Subject) bool { return !s.Assigned && !slices.Contains(s.GroupIDs, "00gsubj") })

	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := b.Apps().AssignUser(ctx, &store.AppUser{AppID: appID, UserID: userID, Scope: "USER", Created: now, LastUpdated: now}); err != nil {
		t.Fatal(err)
	}
	after("a direct assignment", func(s *store.Subject) bool { return s.Assigned })

	// A rolled-back change drops nothing it did not make.
	held := get()
	if err := b.InTx(ctx, func(tx store.Store) error {
		if err := tx.Apps().UnassignUser(ctx, appID, userID); err != nil {
			return err
		}
		return fmt.Errorf("roll back")
	}); err == nil {
		t.Fatal("the transaction committed")
	}
	if s := get(); !s.Assigned || (!notified && s.User != held.User) {
		t.Fatalf("after a rollback: %+v", s)
	}

	if err := b.Apps().UnassignGroup(ctx, appID, "00gsubj"); err != nil {
		t.Fatal(err)
	}
	if err := b.Apps().UnassignUser(ctx, appID, userID); err != nil {
		t.Fatal(err)
	}
	after("the direct assignment removed", func(s *store.Subject) bool { return !s.Assigned })

	u.Status = store.UserDeprovisioned
	if err := b.Users().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	after("a deactivation", func(s *store.Subject) bool { return s.User.Status == store.UserDeprovisioned })

	if err := b.Users().Delete(ctx, userID); err != nil {
		t.Fatal(err)
	}
	if notified {
		waitFor(t, "a deletion", func() bool { _, err := a.Subject(ctx, userID, appID); return err != nil })
	} else if _, err := a.Subject(ctx, userID, appID); err == nil {
		t.Fatal("a deleted user's subject is still served")
	}
}

// TestSubjectCacheBounds: the cache holds at most maxSubjects entries, an
// idle cache lets go of them within two sweeps, an entry past its TTL does
// not serve, and a lookup that read before a change does not store after
// it.
func TestSubjectCacheBounds(t *testing.T) {
	c := newSubjectCache(false)
	now := time.Now()
	for i := range 3 * maxSubjects {
		_, gen := c.lookup(fmt.Sprint(i), now)
		c.store(fmt.Sprint(i), &subjectEntry{loaded: now}, gen)
	}
	if n := len(c.cur) + len(c.old); n > maxSubjects {
		t.Fatalf("%d entries held, bound %d", n, maxSubjects)
	}
	c.sweep()
	c.sweep()
	if len(c.cur) != 0 || c.old != nil || c.sweeping {
		t.Fatalf("after two idle sweeps: %d + %d entries, sweeping %v", len(c.cur), len(c.old), c.sweeping)
	}

	_, gen := c.lookup("u", now)
	c.store("u", &subjectEntry{loaded: now}, gen)
	if e, _ := c.lookup("u", now.Add(subjectTTL-time.Millisecond)); e == nil {
		t.Fatal("a fresh entry does not serve")
	}
	if e, _ := c.lookup("u", now.Add(subjectTTL)); e != nil {
		t.Fatal("an entry past its TTL serves")
	}

	_, gen = c.lookup("v", now)
	c.drop(false, map[string]bool{"other": true})
	c.store("v", &subjectEntry{loaded: now}, gen)
	if e, _ := c.lookup("v", now); e != nil {
		t.Fatal("what was read before a change was stored after it")
	}

	// A transaction that changes many users drops everything.
	tx := &Store{changes: &changes{}}
	for i := range maxNoticeUsers {
		tx.changed(fmt.Sprint(i))
	}
	if tx.changes.all || len(tx.changes.users) != maxNoticeUsers {
		t.Fatalf("%d users changed: all %v, %d named", maxNoticeUsers, tx.changes.all, len(tx.changes.users))
	}
	tx.changed("one more")
	if !tx.changes.all || tx.changes.users != nil {
		t.Fatalf("past %d users: all %v, %d named", maxNoticeUsers, tx.changes.all, len(tx.changes.users))
	}

	l := newSubjectCache(true)
	if l.live.Load() {
		t.Fatal("a cache that needs notices serves before they arrive")
	}
	l.listening(true)
	_, gen = l.lookup("w", now)
	l.store("w", &subjectEntry{loaded: now}, gen)
	l.listening(false)
	if e, _ := l.lookup("w", now); e != nil || l.live.Load() {
		t.Fatal("entries survived the notices stopping")
	}
}
