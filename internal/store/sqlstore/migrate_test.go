package sqlstore

import (
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestMigrationsReplay applies the migrations to an empty database, and to
// a database at each earlier version holding data written in that
// version's schema: every path ends at the same schema, the data survives,
// and migrating again changes nothing.
func TestMigrationsReplay(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		replayMigrations(t, sqliteDialect{}, func(t *testing.T) *Store {
			path := filepath.Join(t.TempDir(), "sesame.db")
			db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: path}).String()+"?_foreign_keys=on&_txlock=immediate")
			if err != nil {
				t.Fatal(err)
			}
			db.SetMaxOpenConns(1)
			t.Cleanup(func() { db.Close() })
			return &Store{d: sqliteDialect{}, write: db, read: db, path: path}
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		base := pgBase(t)
		admin := pgAdmin(t, base)
		replayMigrations(t, postgresDialect{}, func(t *testing.T) *Store {
			cfg, err := pgx.ParseConfig(freshSchema(t, admin, base))
			if err != nil {
				t.Fatal(err)
			}
			db := stdlib.OpenDB(*cfg)
			t.Cleanup(func() { db.Close() })
			return &Store{d: postgresDialect{}, write: db, read: db, pg: cfg}
		})
	})
}

func replayMigrations(t *testing.T, d dialect, open func(t *testing.T) *Store) {
	ctx := t.Context()
	dir := "migrations/" + d.name()
	all, err := loadMigrations(dir)
	if err != nil {
		t.Fatal(err)
	}
	fresh := open(t)
	if err := migrateTo(ctx, fresh, dir, 0); err != nil {
		t.Fatalf("from empty: %v", err)
	}
	want := schemaDump(t, fresh)
	if err := migrateTo(ctx, fresh, dir, 0); err != nil {
		t.Fatalf("again: %v", err)
	}
	if got := schemaDump(t, fresh); !slices.Equal(got, want) {
		t.Fatalf("migrating an up-to-date database changed its schema:\n%s", diffLines(want, got))
	}

	for _, from := range all[:len(all)-1] {
		t.Run(fmt.Sprint(from.version), func(t *testing.T) {
			s := open(t)
			if err := migrateTo(ctx, s, dir, from.version); err != nil {
				t.Fatalf("up to %s: %v", from.name, err)
			}
			// Written with the first schema's columns, which every later
			// schema keeps.
			published := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
			for _, q := range []string{
				`INSERT INTO orgs (singleton, id, name, created, setup_token_expires, last_updated) VALUES (1, '00oreplay', 'Replay', 1, 0, 1)`,
				fmt.Sprintf(`INSERT INTO audit_events (uuid, published, event_type, severity, actor_id, data) VALUES ('ev-old', %d, 'user.lifecycle.create', 'INFO', '00u1', NULL)`, published.UnixMilli()),
			} {
				if _, err := s.write.ExecContext(ctx, q); err != nil {
					t.Fatalf("write at %s: %v", from.name, err)
				}
			}
			if err := migrateTo(ctx, s, dir, 0); err != nil {
				t.Fatalf("from %s: %v", from.name, err)
			}
			if got := schemaDump(t, s); !slices.Equal(got, want) {
				t.Fatalf("from %s the schema differs from a fresh one:\n%s", from.name, diffLines(want, got))
			}
			if org, err := s.Orgs().Get(ctx); err != nil || org.ID != "00oreplay" {
				t.Fatalf("org after migrating from %s: %v %v", from.name, org, err)
			}
			if err := s.Audit().Append(ctx, &store.AuditEvent{UUID: "ev-new", Published: published, EventType: "x", Severity: "INFO", ActorID: "a"}); err != nil {
				t.Fatal(err)
			}
			// The old event stands before the new one in commit order.
			events, err := s.Audit().List(ctx, store.AuditQuery{})
			if err != nil || len(events) != 2 || events[0].UUID != "ev-new" || events[1].UUID != "ev-old" ||
				!events[1].Position.Less(events[0].Position) {
				t.Fatalf("events after migrating from %s: %v %v", from.name, events, err)
			}
		})
	}
}

// schemaDump lists a database's tables, columns, indexes and constraints,
// one per line, in a stable order.
func schemaDump(t *testing.T, s *Store) []string {
	t.Helper()
	var queries []string
	if s.d.name() == "sqlite" {
		queries = []string{`SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`}
	} else {
		queries = []string{
			`SELECT table_name, ordinal_position::text, column_name, data_type, COALESCE(column_default, ''), is_nullable, COALESCE(collation_name, '')
				FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 2`,
			`SELECT tablename, indexname, replace(indexdef, current_schema() || '.', '') FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1, 2`,
			`SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
				WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2`,
			`SELECT sequence_name, data_type FROM information_schema.sequences WHERE sequence_schema = current_schema() ORDER BY 1`,
		}
	}
	var out []string
	for _, q := range queries {
		rows, err := s.read.QueryContext(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals := make([]string, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, strings.Join(vals, " | "))
		}
		rows.Close()
	}
	return out
}

func diffLines(want, got []string) string {
	var b strings.Builder
	for _, l := range want {
		if !slices.Contains(got, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
