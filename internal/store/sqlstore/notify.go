package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sesame-idp/sesame/internal/store"
)

// Notices travel on one channel per schema, so that installs sharing a
// database in different schemas do not hear each other. A payload is
// "c <version>", "r <expires ms> <jti>", or a subject notice, "u <user id>"
// or "u" (subjects.go).
const channelPrefix = "sesame."

// notify sends a notice that PostgreSQL delivers when the current
// transaction commits (at once outside one). SQLite has nobody to tell.
func (s *Store) notify(ctx context.Context, payload string) error {
	if s.d.name() != "postgres" {
		return nil
	}
	_, err := s.exec(ctx, "notify", `SELECT pg_notify('`+channelPrefix+`' || current_schema(), ?)`, payload)
	return err
}

func parseNotice(payload string) (store.Notice, bool) {
	kind, rest, _ := strings.Cut(payload, " ")
	switch kind {
	case "c":
		v, err := strconv.ParseInt(rest, 10, 64)
		return store.Notice{Version: v}, err == nil && v > 0
	case "r":
		exp, jti, _ := strings.Cut(rest, " ")
		ms, err := strconv.ParseInt(exp, 10, 64)
		return store.Notice{JTI: jti, ExpiresAt: time.UnixMilli(ms).UTC()}, err == nil && jti != ""
	}
	return store.Notice{}, false
}

// How the listener keeps its connection honest: it wakes up every
// listenCheck and pings the server, so that a connection that died without
// a word (a network partition) is noticed within about listenCheck +
// listenTimeout; after a failure it reconnects with a backoff up to
// listenBackoffMax.
const (
	listenCheck      = 15 * time.Second
	listenTimeout    = 5 * time.Second
	listenBackoffMax = 2 * time.Second
)

// Listen implements store.Notifier on PostgreSQL with LISTEN on a
// connection of its own, outside the pool. On SQLite it returns at once:
// replicas there keep polling.
func (s *Store) Listen(ctx context.Context, on func(store.Notice), connected func(up bool)) {
	if s.pg == nil {
		return
	}
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		up, _ := s.listenOnce(ctx, on, connected)
		if up {
			backoff = 50 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, listenBackoffMax)
	}
}

// listenOnce listens on one connection until it fails; up says whether it
// got as far as listening.
func (s *Store) listenOnce(ctx context.Context, on func(store.Notice), connected func(up bool)) (up bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, listenTimeout)
	conn, err := pgx.ConnectConfig(cctx, s.pg.Copy())
	cancel()
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	var channel string
	cctx, cancel = context.WithTimeout(ctx, listenTimeout)
	defer cancel()
	if err := conn.QueryRow(cctx, `SELECT '`+channelPrefix+`' || current_schema()`).Scan(&channel); err != nil {
		return false, err
	}
	if _, err := conn.Exec(cctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return false, err
	}
	s.subjects.listening(true)
	defer s.subjects.listening(false)
	connected(true)
	defer connected(false)
	for {
		wctx, cancel := context.WithTimeout(ctx, listenCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if subjectNotice(n.Payload) {
				s.subjects.notice(n.Payload)
				continue
			}
			if notice, ok := parseNotice(n.Payload); ok {
				on(notice)
			}
			continue
		case ctx.Err() != nil:
			return true, ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded):
			return true, err
		}
		pctx, cancel := context.WithTimeout(ctx, listenTimeout)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return true, err
		}
	}
}

// sqliteLocks are the Exclusive locks of SQLite stores, by database file, so
// that stores opened on one file in one process share them.
var sqliteLocks sync.Map

// Exclusive implements store.Store: on PostgreSQL with a session advisory
// lock held on a connection of its own for as long as fn runs (a replica
// that dies releases it with its connection); on SQLite with a lock of the
// process.
func (s *Store) Exclusive(ctx context.Context, name string, fn func(ctx context.Context) error) (bool, error) {
	if s.inTx() {
		return false, errors.New("sqlstore: exclusive " + name + ": not inside a transaction")
	}
	if s.pg == nil {
		mu, _ := sqliteLocks.LoadOrStore(s.path, &sync.Mutex{})
		if !mu.(*sync.Mutex).TryLock() {
			return false, nil
		}
		defer mu.(*sync.Mutex).Unlock()
		return true, fn(ctx)
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return false, s.mapErr("exclusive "+name, err)
	}
	defer conn.Close()
	key := `hashtext('sesame.' || current_schema() || '.' || ?)`
	var got bool
	if err := conn.QueryRowContext(ctx, rebindDollar(`SELECT pg_try_advisory_lock(`+key+`)`), name).Scan(&got); err != nil {
		return false, s.mapErr("exclusive "+name, err)
	}
	if !got {
		return false, nil
	}
	defer func() {
		// Unlocked even when ctx has ended; if this fails the connection
		// is broken, and the lock went with it.
		uctx, cancel := context.WithTimeout(context.Background(), listenTimeout)
		defer cancel()
		if _, err := conn.ExecContext(uctx, rebindDollar(`SELECT pg_advisory_unlock(`+key+`)`), name); err != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return true, fn(ctx)
}
