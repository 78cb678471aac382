package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// maxStmts bounds the statements a pool keeps prepared. The store's
// queries are fixed texts (a few hundred, with the variants of page and
// AssignedTo); past the bound a query simply runs unprepared, so a
// builder that made new texts without end could not grow memory — each
// statement is held once per connection of the pool.
const maxStmts = 512

// stmtCache holds one pool's prepared statements by query text (already
// rebound), prepared the first time each runs. database/sql prepares a
// statement again on each connection it runs on and keeps it there, and a
// transaction reuses it on its connection (Tx.StmtContext), so a hot
// query is parsed and planned once per connection instead of once per
// call.
type stmtCache struct {
	db *sql.DB
	m  sync.Map // query → *sql.Stmt
	n  atomic.Int64
	// preparing holds the queries being prepared in the background.
	preparing sync.Map
	closed    atomic.Bool
	// off leaves every query unprepared (the Go benchmarks' baseline).
	off bool
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db} }

// stmt returns the prepared statement of query, or nil when it is not
// kept (the cache is full, or preparing failed: the query then runs
// unprepared and reports its own error). inTx says the caller holds one of
// the pool's connections: preparing takes a connection of the pool, which
// would wait for the transaction's own on SQLite's one-connection writer,
// so a statement first seen in a transaction runs unprepared and is
// prepared in the background once a connection is free.
func (c *stmtCache) stmt(ctx context.Context, query string, inTx bool) *sql.Stmt {
	if c == nil || c.off {
		return nil
	}
	if st, ok := c.m.Load(query); ok {
		return st.(*sql.Stmt)
	}
	if c.n.Load() >= maxStmts || c.closed.Load() {
		return nil
	}
	if inTx {
		if _, busy := c.preparing.LoadOrStore(query, true); !busy {
			go func() {
				defer c.preparing.Delete(query)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				c.prepare(ctx, query)
			}()
		}
		return nil
	}
	return c.prepare(ctx, query)
}

func (c *stmtCache) prepare(ctx context.Context, query string) *sql.Stmt {
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if prev, loaded := c.m.LoadOrStore(query, st); loaded {
		// Another request prepared it at the same time.
		st.Close()
		return prev.(*sql.Stmt)
	}
	c.n.Add(1)
	if c.closed.Load() {
		// The store closed meanwhile: close reaches this one too.
		c.close()
		return nil
	}
	return st
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.closed.Store(true)
	c.m.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		c.m.Delete(k)
		return true
	})
}

// prepared is a querier that runs a query through its prepared statement
// when the pool keeps one, inside tx when there is one.
type prepared struct {
	q     querier
	cache *stmtCache
	tx    *sql.Tx
}

func (p prepared) stmt(ctx context.Context, query string) *sql.Stmt {
	st := p.cache.stmt(ctx, query, p.tx != nil)
	if st != nil && p.tx != nil {
		// Bound to the transaction's connection, where database/sql
		// reuses the statement once it has been prepared there; closed
		// with the transaction.
		st = p.tx.StmtContext(ctx, st)
	}
	return st
}

func (p prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.q.ExecContext(ctx, query, args...)
}

func (p prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.q.QueryContext(ctx, query, args...)
}

func (p prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.q.QueryRowContext(ctx, query, args...)
}
