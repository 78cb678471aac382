package sqlstore

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesame-idp/sesame/internal/store"
)

// TestReady: a migrated database is ready; one that lacks a migration this
// binary knows is not (and says which); a closed one is unavailable.
func TestReady(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, s *Store) {
		ctx := t.Context()
		if err := s.Ready(ctx); err != nil {
			t.Fatalf("freshly migrated: %v", err)
		}
		known, err := knownVersions()
		if err != nil {
			t.Fatal(err)
		}
		last := known[s.d.name()][len(known[s.d.name()])-1]
		if _, err := s.write.ExecContext(ctx, s.rebind(`DELETE FROM schema_migrations WHERE version = ?`), last); err != nil {
			t.Fatal(err)
		}
		if err := s.Ready(ctx); err == nil || !strings.Contains(err.Error(), "not applied") {
			t.Fatalf("a missing migration: %v", err)
		}
		// A migration from a newer binary does not make this one unready.
		if _, err := s.write.ExecContext(ctx, s.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'x.sql', 0), (?, 'future.sql', 0)`), last, last+100000); err != nil {
			t.Fatal(err)
		}
		if err := s.Ready(ctx); err != nil {
			t.Fatalf("with a newer migration applied: %v", err)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		s, err := OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "sesame.db"))
		if err != nil {
			t.Fatal(err)
		}
		check(t, s)
		s.Close()
		if err := s.Ready(t.Context()); err == nil {
			t.Fatal("a closed database is ready")
		}
	})
	t.Run("postgres", func(t *testing.T) {
		base := pgBase(t)
		admin := pgAdmin(t, base)
		s := openPostgres(t, freshSchema(t, admin, base))
		check(t, s)
	})
}

var _ store.Checker = (*Store)(nil)
