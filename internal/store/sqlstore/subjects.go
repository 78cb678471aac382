package sqlstore

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

// The subject cache: what a code exchange or a refresh reads of its user
// (user, groups, app assignment), held for a short while. Every write that
// changes one of those marks the user (or every user) changed in its
// transaction; when it commits the cache drops them, on PostgreSQL every
// other replica is told in the same transaction (NOTIFY, payload "u <id>",
// or "u" for every user) and drops them as the notice arrives. A replica
// whose notification connection is down serves no entry until it listens
// again, and then starts empty.
const (
	// subjectTTL bounds how long an entry serves, should a notice ever be
	// lost; entries are dropped from memory within two of them.
	subjectTTL = 30 * time.Second
	// maxSubjects bounds the entries held (two generations of half): the
	// cache's memory does not grow with the org.
	maxSubjects = 4096
	// maxNoticeUsers is how many users one transaction names; past it,
	// every replica drops everything.
	maxNoticeUsers = 16
)

type subjectEntry struct {
	user                 *store.User
	groupIDs, groupNames []string
	assigned             map[string]bool // app id → assigned; copied on write
	loaded               time.Time
}

type subjectCache struct {
	// listened says entries serve only while notices arrive (PostgreSQL);
	// SQLite's one process hears all its changes at once.
	listened bool
	live     atomic.Bool

	mu sync.Mutex
	// gen moves with every drop, so that a lookup that read the database
	// before a change committed does not store what it read after the
	// change dropped it.
	gen      uint64
	cur, old map[string]*subjectEntry
	sweeping bool
	// refs counts the SQLite stores sharing the cache (one per file in a
	// process).
	refs int
}

func newSubjectCache(listened bool) *subjectCache {
	c := &subjectCache{listened: listened, cur: map[string]*subjectEntry{}}
	c.live.Store(!listened)
	return c
}

// sqliteSubjects are the subject caches of SQLite stores, by database file:
// stores opened on one file in one process share theirs, so that a change
// through one drops what another holds.
var (
	sqliteSubjectsMu sync.Mutex
	sqliteSubjects   = map[string]*subjectCache{}
)

func sqliteSubjectCache(path string) *subjectCache {
	sqliteSubjectsMu.Lock()
	defer sqliteSubjectsMu.Unlock()
	c := sqliteSubjects[path]
	if c == nil {
		c = newSubjectCache(false)
		sqliteSubjects[path] = c
	}
	c.refs++
	return c
}

func releaseSQLiteSubjectCache(path string) {
	sqliteSubjectsMu.Lock()
	defer sqliteSubjectsMu.Unlock()
	if c := sqliteSubjects[path]; c != nil {
		if c.refs--; c.refs <= 0 {
			delete(sqliteSubjects, path)
		}
	}
}

// lookup returns userID's entry if one serves, and the generation to store
// a fresh one under.
func (c *subjectCache) lookup(userID string, now time.Time) (*subjectEntry, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.cur[userID]
	if e == nil && c.old != nil {
		if e = c.old[userID]; e != nil {
			delete(c.old, userID)
			c.putLocked(userID, e)
		}
	}
	if e != nil && now.Sub(e.loaded) >= subjectTTL {
		e = nil
	}
	return e, c.gen
}

// store keeps e unless something was dropped since gen was read.
func (c *subjectCache) store(userID string, e *subjectEntry, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.putLocked(userID, e)
	}
}

func (c *subjectCache) putLocked(userID string, e *subjectEntry) {
	if len(c.cur) >= maxSubjects/2 {
		c.old, c.cur = c.cur, map[string]*subjectEntry{}
	}
	c.cur[userID] = e
	if !c.sweeping {
		c.sweeping = true
		time.AfterFunc(subjectTTL, c.sweep)
	}
}

// sweep ages the entries by a generation, so that an idle server lets go
// of them within two TTLs.
func (c *subjectCache) sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.old, c.cur = c.cur, map[string]*subjectEntry{}
	if len(c.old) == 0 {
		c.old = nil
		c.sweeping = false
		return
	}
	time.AfterFunc(subjectTTL, c.sweep)
}

// drop forgets the users of a committed change ("" is every user).
func (c *subjectCache) drop(all bool, users map[string]bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if all {
		clear(c.cur)
		c.old = nil
		return
	}
	for id := range users {
		delete(c.cur, id)
		delete(c.old, id)
	}
}

// listening is told when notices start and stop arriving: entries serve
// only while they do, and what was held before is dropped, since a change
// may have gone unheard.
func (c *subjectCache) listening(up bool) {
	if c == nil {
		return
	}
	c.drop(true, nil)
	c.live.Store(up || !c.listened)
}

// notice applies a change notice's payload ("u" or "u <id>").
func (c *subjectCache) notice(payload string) {
	if id, ok := strings.CutPrefix(payload, "u "); ok {
		c.drop(false, map[string]bool{id: true})
		return
	}
	c.drop(true, nil)
}

// changes are the users a transaction changed, as grants read them.
type changes struct {
	all   bool
	users map[string]bool
}

// changed marks userID (or every user, for "") changed by the current
// transaction.
func (s *Store) changed(userID string) {
	c := s.changes
	if c == nil {
		return
	}
	if userID == "" || c.all || len(c.users) >= maxNoticeUsers {
		// A bulk change (seeding, a group rule's run) drops everything
		// rather than keep a list as long as the transaction.
		c.all, c.users = true, nil
		return
	}
	if c.users == nil {
		c.users = map[string]bool{}
	}
	c.users[userID] = true
}

// changing runs a write that changes what grants read of userID ("" for
// every user) in a transaction that says so.
func (s *Store) changing(ctx context.Context, userID string, write func(tx *Store) error) error {
	return s.atomic(ctx, func(tx *Store) error {
		if err := write(tx); err != nil {
			return err
		}
		tx.changed(userID)
		return nil
	})
}

// tell sends the transaction's changes to the other replicas, delivered
// when it commits (PostgreSQL).
func (c *changes) tell(ctx context.Context, tx *Store) error {
	if c == nil || tx.d.name() != "postgres" || (!c.all && len(c.users) == 0) {
		return nil
	}
	if c.all {
		return tx.notify(ctx, "u")
	}
	for _, id := range slices.Sorted(maps.Keys(c.users)) {
		if err := tx.notify(ctx, "u "+id); err != nil {
			return err
		}
	}
	return nil
}

// Subject implements store.Subjects. Inside a transaction, and while a
// replica does not hear changes, it reads the database.
func (s *Store) Subject(ctx context.Context, userID, appID string) (*store.Subject, error) {
	c := s.subjects
	if s.inTx() || c == nil || !c.live.Load() {
		e, err := s.readSubject(ctx, userID, appID)
		if err != nil {
			return nil, err
		}
		return e.subject(appID), nil
	}
	now := time.Now()
	e, gen := c.lookup(userID, now)
	if e != nil {
		if _, ok := e.assigned[appID]; ok {
			return e.subject(appID), nil
		}
		ok, err := apps{s}.AssignedTo(ctx, appID, userID, e.groupIDs)
		if err != nil {
			return nil, err
		}
		more := *e
		more.assigned = maps.Clone(e.assigned)
		more.assigned[appID] = ok
		c.store(userID, &more, gen)
		return more.subject(appID), nil
	}
	e, err := s.readSubject(ctx, userID, appID)
	if err != nil {
		return nil, err
	}
	e.loaded = now
	c.store(userID, e, gen)
	return e.subject(appID), nil
}

func (s *Store) readSubject(ctx context.Context, userID, appID string) (*subjectEntry, error) {
	u, err := users{s}.Get(ctx, userID)
	if err != nil {
		return nil, err
	}
	gs, err := groups{s}.Of(ctx, userID)
	if err != nil {
		return nil, err
	}
	e := &subjectEntry{user: u, groupIDs: make([]string, len(gs)), groupNames: make([]string, len(gs))}
	for i, g := range gs {
		e.groupIDs[i], e.groupNames[i] = g.ID, g.Name
	}
	ok, err := apps{s}.AssignedTo(ctx, appID, userID, e.groupIDs)
	if err != nil {
		return nil, err
	}
	e.assigned = map[string]bool{appID: ok}
	return e, nil
}

func (e *subjectEntry) subject(appID string) *store.Subject {
	// Clipped, so that a caller's append copies instead of writing into
	// what other requests share.
	return &store.Subject{User: e.user, GroupIDs: slices.Clip(e.groupIDs), GroupNames: slices.Clip(e.groupNames), Assigned: e.assigned[appID]}
}

// subjectNotice reports whether payload is a subject notice.
func subjectNotice(payload string) bool {
	return payload == "u" || strings.HasPrefix(payload, "u ")
}
