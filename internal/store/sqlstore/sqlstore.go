// Package sqlstore implements store.Store once, in SQL, for SQLite and
// PostgreSQL. Queries are written with ? placeholders; the dialect rebinds
// them, maps driver errors and supplies the embedded migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/sesame-idp/sesame/internal/tracing"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sesame-idp/sesame/internal/metrics"

	"github.com/sesame-idp/sesame/internal/store"
)

// Store is a store.Store backed by database/sql. A Store bound to a
// transaction (inside InTx) sends every query through that transaction.
type Store struct {
	d dialect
	// write takes every write and every transaction. On SQLite it holds a
	// single connection so that writers queue in Go instead of failing with
	// SQLITE_BUSY.
	write *sql.DB
	// read serves reads outside transactions. On SQLite it is a separate pool
	// of query-only connections (WAL lets them read while the writer writes);
	// on PostgreSQL it is the same pool as write.
	read *sql.DB
	tx   *sql.Tx
	// wstmts and rstmts are the prepared statements of write and read (the
	// same cache when they are the same pool).
	wstmts, rstmts *stmtCache
	// subjects is the grants' subject cache (subjects.go); changes, in a
	// transaction, what it changed of them.
	subjects *subjectCache
	changes  *changes
	// pg is PostgreSQL's connection configuration, for the connections
	// that live outside the pool (LISTEN); nil on SQLite.
	pg *pgx.ConnConfig
	// path is SQLite's database file; held is its lock file, open with a
	// shared lock for as long as the store is (lockDatabase).
	path string
	held *os.File
	// replayq gathers concurrent replay records into one transaction
	// (replays.go).
	replayq *replayBatcher
}

var _ store.Store = (*Store)(nil)

func (s *Store) Orgs() store.Orgs                     { return orgs{s} }
func (s *Store) Users() store.Users                   { return users{s} }
func (s *Store) Groups() store.Groups                 { return groups{s} }
func (s *Store) Apps() store.Apps                     { return apps{s} }
func (s *Store) AuthServers() store.AuthServers       { return authServers{s} }
func (s *Store) Keys() store.Keys                     { return keys{s} }
func (s *Store) APITokens() store.APITokens           { return apiTokens{s} }
func (s *Store) TrustedOrigins() store.TrustedOrigins { return trustedOrigins{s} }
func (s *Store) AdminRoles() store.AdminRoles         { return adminRoles{s} }
func (s *Store) Replays() store.Replays               { return replays{s} }
func (s *Store) Revocations() store.Revocations       { return revocations{s} }
func (s *Store) Audit() store.Audit                   { return audit{s} }
func (s *Store) Sessions() store.Sessions             { return sessions{s} }
func (s *Store) Codes() store.Codes                   { return codes{s} }
func (s *Store) RefreshTokens() store.RefreshTokens   { return refreshTokens{s} }
func (s *Store) UserGrants() store.UserGrants         { return userGrants{s} }
func (s *Store) Factors() store.Factors               { return factors{s} }
func (s *Store) UserSchema() store.UserSchema         { return userSchema{s} }
func (s *Store) GroupRules() store.GroupRules         { return groupRules{s} }
func (s *Store) OrgPolicies() store.OrgPolicies       { return orgPolicies{s} }
func (s *Store) RecoveryCodes() store.RecoveryCodes   { return recoveryCodes{s} }
func (s *Store) Config() store.ConfigVersion          { return configVersion{s} }
func (s *Store) Backend() string                      { return s.d.name() }

func (s *Store) inTx() bool                        { return s.tx != nil }
func (s *Store) rebind(query string) string        { return s.d.rebind(query) }
func (s *Store) mapErr(op string, err error) error { return mapErr(s.d, op, err) }

// Close closes the database. Closing a transaction-bound Store does nothing:
// the transaction belongs to InTx.
func (s *Store) Close() error {
	if s.inTx() {
		return nil
	}
	s.wstmts.close()
	if s.rstmts != s.wstmts {
		s.rstmts.close()
	}
	if s.pg == nil && s.subjects != nil {
		releaseSQLiteSubjectCache(s.path)
	}
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	if s.held != nil {
		s.held.Close()
	}
	if err != nil {
		return fmt.Errorf("sqlstore: close: %w", err)
	}
	return nil
}

// InTx runs fn in one transaction. A Store already bound to a transaction
// runs fn in that same transaction, so that services can compose.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) (err error) {
	if s.inTx() {
		return fn(s)
	}
	ctx, done := s.observe(ctx, kindTx, "transaction")
	defer done(&err)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return s.mapErr("begin", err)
	}
	// Rolling back after a commit is a no-op (sql.ErrTxDone); deferring it
	// also covers a panic in fn, which then carries on up the stack.
	defer tx.Rollback()
	bound := *s
	bound.tx = tx
	bound.changes = &changes{}
	if err := fn(&bound); err != nil {
		return err
	}
	if err := bound.changes.tell(ctx, &bound); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.mapErr("commit", err)
	}
	if c := bound.changes; c.all || len(c.users) > 0 {
		s.subjects.drop(c.all, c.users)
	}
	return nil
}

// atomic runs fn in the current transaction or in a new one, for repository
// methods that need more than one statement.
func (s *Store) atomic(ctx context.Context, fn func(tx *Store) error) error {
	return s.InTx(ctx, func(tx store.Store) error { return fn(tx.(*Store)) })
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) reader() querier {
	if s.tx != nil {
		return prepared{s.tx, s.wstmts, s.tx}
	}
	return prepared{s.read, s.rstmts, nil}
}

func (s *Store) writer() querier {
	if s.tx != nil {
		return prepared{s.tx, s.wstmts, s.tx}
	}
	return prepared{s.write, s.wstmts, nil}
}

// prepareStatements starts the statement caches of the pools.
func (s *Store) prepareStatements() {
	s.wstmts = newStmtCache(s.write)
	s.rstmts = s.wstmts
	if s.read != s.write {
		s.rstmts = newStmtCache(s.read)
	}
}

// exec runs a write and returns the number of rows it affected.
func (s *Store) exec(ctx context.Context, op, query string, args ...any) (_ int64, err error) {
	ctx, done := s.observe(ctx, kindWrite, op)
	defer done(&err)
	res, err := s.writer().ExecContext(ctx, s.rebind(query), args...)
	if err != nil {
		return 0, s.mapErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlstore: %s: rows affected: %w", op, err)
	}
	return n, nil
}

// execOne runs a write that must touch exactly one existing row.
func (s *Store) execOne(ctx context.Context, op, query string, args ...any) error {
	n, err := s.exec(ctx, op, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// get reads one row into dest via scan; no row is store.ErrNotFound.
func (s *Store) get(ctx context.Context, op string, scan func(row scanner) error, query string, args ...any) (err error) {
	ctx, done := s.observe(ctx, kindRead, op)
	defer done(&err)
	row := s.reader().QueryRowContext(ctx, s.rebind(query), args...)
	if err := scan(row); err != nil {
		return s.mapErr(op, err)
	}
	return nil
}

// writeGet runs a write that returns one row (UPDATE … RETURNING) on the
// writer; no row is store.ErrNotFound.
func (s *Store) writeGet(ctx context.Context, op string, scan func(row scanner) error, query string, args ...any) (err error) {
	ctx, done := s.observe(ctx, kindWrite, op)
	defer done(&err)
	row := s.writer().QueryRowContext(ctx, s.rebind(query), args...)
	if err := scan(row); err != nil {
		return s.mapErr(op, err)
	}
	return nil
}

// Kinds of database work, the label of sesame_db_query_duration_seconds.
// (Operation names would be finer, but some carry ids.)
const (
	kindRead  = "read"
	kindWrite = "write"
	kindTx    = "transaction"
)

// dbSystem is OpenTelemetry's name of each backend.
var dbSystem = map[string]string{"sqlite": "sqlite", "postgres": "postgresql"}

// observe starts the span of a statement or transaction (a child of the
// request's span when tracing is on) and returns what ends it: the span, and
// the duration by kind and outcome. Deferred with the address of the
// caller's named error. op goes on the span, not into its name: some
// operations carry ids.
func (s *Store) observe(ctx context.Context, kind, op string) (context.Context, func(err *error)) {
	start := time.Now()
	span := tracing.Idle
	if tracing.Recording() {
		ctx, span = tracing.Tracer().Start(ctx, "db."+kind, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("db.system", dbSystem[s.d.name()]), attribute.String("db.operation.name", op)))
	}
	return ctx, func(err *error) {
		outcome := "ok"
		switch {
		case *err == nil:
		case errors.Is(*err, store.ErrNotFound):
			outcome = "not_found"
		default:
			outcome = "error"
			span.SetStatus(otelcodes.Error, (*err).Error())
		}
		span.End()
		metrics.DBQueryDuration.WithLabelValues(kind, outcome).Observe(time.Since(start).Seconds())
	}
}

// Pools are the connection pools, by name, for the pool metrics.
func (s *Store) Pools() map[string]*sql.DB {
	if s.read == s.write {
		return map[string]*sql.DB{"main": s.write}
	}
	return map[string]*sql.DB{"write": s.write, "read": s.read}
}

// list reads every row of a query, scanning each with scan.
func list[T any](ctx context.Context, s *Store, op string, scan func(row scanner) (T, error), query string, args ...any) (_ []T, err error) {
	ctx, done := s.observe(ctx, kindRead, op)
	defer done(&err)
	rows, err := s.reader().QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, s.mapErr(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.mapErr(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.mapErr(op, err)
	}
	return out, nil
}

// page appends the keyset condition and limit of p to a query whose WHERE
// clause is already open (it ends with a condition or "WHERE 1=1").
func page(query, key string, p store.Page, args []any) (string, []any) {
	if p.After != "" {
		query += " AND " + key + " > ?"
		args = append(args, p.After)
	}
	query += " ORDER BY " + key
	if p.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, p.Limit)
	}
	return query, args
}

type scanner interface {
	Scan(dest ...any) error
}

// mapErr turns driver errors into the store's sentinel errors, keeping the
// driver's message for logs.
func mapErr(d dialect, op string, err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlstore: %s: %w", op, store.ErrNotFound)
	case unreachable(err):
		return fmt.Errorf("sqlstore: %s: %w (%v)", op, store.ErrUnavailable, err)
	case d.isUniqueViolation(err):
		return fmt.Errorf("sqlstore: %s: %w (%v)", op, store.ErrConflict, err)
	case d.isForeignKeyViolation(err):
		// Only inserts and updates can violate a foreign key (deletes
		// cascade), so the record they point at does not exist.
		return fmt.Errorf("sqlstore: %s: referenced record: %w (%v)", op, store.ErrNotFound, err)
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// TableRows counts the rows of a table, for operators' checks and tests
// of the clean-up.
func (s *Store) TableRows(ctx context.Context, table string) (int64, error) {
	for _, c := range table {
		if (c < 'a' || c > 'z') && c != '_' {
			return 0, fmt.Errorf("sqlstore: table name %q", table)
		}
	}
	var n int64
	err := s.get(ctx, "count "+table, func(row scanner) error { return row.Scan(&n) }, `SELECT COUNT(*) FROM `+table)
	return n, err
}
