package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// busyTimeout bounds how long a connection waits for another process's
// write lock before giving up with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

type sqliteDialect struct{}

func (sqliteDialect) name() string               { return "sqlite" }
func (sqliteDialect) rebind(query string) string { return query }
func (sqliteDialect) nowMillis() string {
	return `CAST(ROUND(unixepoch('subsec') * 1000) AS INTEGER)`
}

func (sqliteDialect) isUniqueViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) &&
		(e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func (sqliteDialect) isForeignKeyViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// lockMigrations has nothing to do: transactions on the writer begin
// IMMEDIATE, which already holds the database's write lock.
func (sqliteDialect) lockMigrations(context.Context, *sql.Tx) error { return nil }

// auditHorizon is past the newest event: writers take SQLite's one write
// lock for their whole transaction, so sequence numbers commit in order and
// everything up to the newest committed one is final.
func (sqliteDialect) auditHorizon() string {
	return `SELECT 0, COALESCE(MAX(seq), 0) + 1 FROM audit_events`
}

// retryBusy retries fn while it fails with SQLITE_BUSY, for up to
// busyTimeout. Processes opening a new database together can get
// SQLITE_BUSY without the busy handler being consulted (while one of them
// switches the file to WAL); this only happens while opening, so only
// opening retries.
func retryBusy(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		err := fn()
		var e *sqlite.Error
		if err == nil || !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// OpenSQLite opens (creating if needed) the SQLite database at path and
// applies pending migrations. The file and its WAL are private to the
// owner (0600).
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: sqlite path %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("sqlstore: create directory for %s: %w", abs, err)
	}
	// SQLite would create the file with the umask's mode; creating it first
	// sets 0600, which SQLite then copies to the -wal and -shm files.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: create %s: %w", abs, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlstore: create %s: %w", abs, err)
	}
	// The lock file stays open with a shared lock while the store is:
	// `sesame restore` takes it exclusively, so it cannot replace the
	// database under a running Sesame, nor Sesame start on a half-restored
	// one.
	held, err := lockDatabase(abs, false)
	if err != nil {
		if errors.Is(err, errFileLocked) {
			return nil, fmt.Errorf("sqlstore: %s is being restored; start Sesame when the restore is done", abs)
		}
		return nil, err
	}
	opened := false
	defer func() {
		if !opened {
			held.Close()
		}
	}()

	// A file: URI keeps characters such as ? and # in the path from being
	// read as DSN syntax.
	base := (&url.URL{Scheme: "file", Path: abs}).String()
	busy := fmt.Sprint(busyTimeout.Milliseconds())

	wq := url.Values{}
	wq.Set("_busy_timeout", busy)
	wq.Set("_foreign_keys", "on")
	wq.Set("_journal_mode", "WAL")
	wq.Set("_synchronous", "NORMAL")
	// BEGIN IMMEDIATE takes the write lock up front: a deferred transaction
	// that reads and then writes can fail with SQLITE_BUSY when another
	// process wrote in between, whatever the busy timeout.
	wq.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite", base+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", abs, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	s := &Store{d: sqliteDialect{}, write: write, read: write, path: abs, held: held}
	if err := retryBusy(ctx, func() error {
		if err := write.PingContext(ctx); err != nil {
			return fmt.Errorf("sqlstore: open %s: %w", abs, err)
		}
		return migrate(ctx, s, "migrations/sqlite")
	}); err != nil {
		write.Close()
		return nil, err
	}

	rq := url.Values{}
	rq.Set("_busy_timeout", busy)
	rq.Set("_query_only", "on")
	read, err := sql.Open("sqlite", base+"?"+rq.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlstore: open %s for reading: %w", abs, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("sqlstore: open %s for reading: %w", abs, err)
	}
	s.read = read
	s.prepareStatements()
	s.subjects = sqliteSubjectCache(abs)
	s.replayq = newReplayBatcher(s)
	opened = true
	return s, nil
}
