package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"strconv"
	"strings"
)

//go:embed migrations
var migrations embed.FS

// dialect is what differs between the databases; everything else is shared.
type dialect interface {
	name() string
	// rebind rewrites ? placeholders into the database's own.
	rebind(query string) string
	isUniqueViolation(err error) bool
	isForeignKeyViolation(err error) bool
	// nowMillis is an SQL expression for the database clock in unix
	// milliseconds.
	nowMillis() string
	// lockMigrations serializes migrations across processes for the rest of
	// tx.
	lockMigrations(ctx context.Context, tx *sql.Tx) error
	// auditHorizon is an SQL query for the first System Log position that
	// a transaction still in flight may yet commit at (as Tx and Seq).
	auditHorizon() string
}

// rebindDollar turns ? into $1, $2… outside quoted strings and identifiers.
func rebindDollar(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
