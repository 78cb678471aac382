package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

type postgresDialect struct{}

func (postgresDialect) name() string               { return "postgres" }
func (postgresDialect) rebind(query string) string { return rebindDollar(query) }

// nowMillis reads clock_timestamp(), not now(): now() is when the
// transaction began, which can be well before it commits.
func (postgresDialect) nowMillis() string {
	return `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`
}

func (postgresDialect) isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

func (postgresDialect) isForeignKeyViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23503"
}

// lockMigrations takes a transaction-scoped advisory lock, so that replicas
// starting together migrate one after the other, and the lock is released
// even if the connection dies mid-migration. The key depends on the schema
// so that databases shared by several schemas do not wait on each other.
func (postgresDialect) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('sesame.migrate.' || current_schema()))`)
	return err
}

// auditHorizon is the oldest transaction of this database still running.
// Events carry the id of the transaction that wrote them, and every
// transaction below the horizon has committed or aborted, so no event can
// appear below it later: a poller that reads only below it never skips an
// event a slow transaction commits after a faster one. The running ids come
// from a snapshot; pg_stat_activity, read after it, tells which of them
// belong to this database, so that a long transaction in another database
// of the server does not hold the System Log back. An id it no longer lists
// has ended since the snapshot, before the query that reads the events
// starts. Ids from the snapshot's xmax up were not running yet, or are
// invisible to it, so the horizon never passes xmax.
func (postgresDialect) auditHorizon() string {
	return `SELECT LEAST(pg_snapshot_xmax(s.snap), (
		SELECT min(x) FROM pg_snapshot_xip(s.snap) AS x WHERE EXISTS (
			SELECT 1 FROM pg_stat_activity a WHERE a.datname = current_database() AND a.backend_xid = x::xid)
	))::text::bigint, 0 FROM (SELECT pg_current_snapshot() AS snap) s`
}

// OpenPostgres connects to the PostgreSQL database at url (a postgres:// URL
// or key=value DSN, as pgx accepts) and applies pending migrations.
func OpenPostgres(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's parse errors can quote the URL, password included.
		return nil, errors.New("sqlstore: invalid postgres url")
	}
	db := stdlib.OpenDB(*cfg)
	// Sesame's queries are short; a few connections per core keep the
	// database busy without letting many replicas exhaust max_connections.
	n := max(4, 2*runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(30 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: connect to postgres %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	s := &Store{d: postgresDialect{}, write: db, read: db, pg: cfg, subjects: newSubjectCache(true)}
	s.replayq = newReplayBatcher(s)
	if err := migrate(ctx, s, "migrations/postgres"); err != nil {
		db.Close()
		return nil, err
	}
	// No statement cache (prepareStatements): pgx already prepares each
	// query once per connection and keeps it (QueryExecModeCacheStatement),
	// and preparing through database/sql on top of that measured slower
	// (BenchmarkSubject: 180–206 → 216–221 µs of CPU per lookup).
	return s, nil
}
