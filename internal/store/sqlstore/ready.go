package sqlstore

import (
	"context"
	"fmt"
	"sync"
)

// knownVersions are the migration versions embedded in this binary, by
// dialect name, read once: readiness probes ask every few seconds.
var knownVersions = sync.OnceValues(func() (map[string][]int64, error) {
	out := map[string][]int64{}
	for _, d := range []string{"sqlite", "postgres"} {
		ms, err := loadMigrations("migrations/" + d)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out[d] = append(out[d], m.version)
		}
	}
	return out, nil
})

// Ready reports whether the database answers and holds every migration
// this binary knows. Migrations it does not know (a newer replica migrated
// during a rolling upgrade) do not make it unready: they only add.
func (s *Store) Ready(ctx context.Context) error {
	known, err := knownVersions()
	if err != nil {
		return err
	}
	rows, err := s.reader().QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return s.mapErr("readiness", err)
	}
	defer rows.Close()
	applied := map[int64]bool{}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return s.mapErr("readiness", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return s.mapErr("readiness", err)
	}
	for _, v := range known[s.d.name()] {
		if !applied[v] {
			return fmt.Errorf("sqlstore: migration %d is not applied (run sesame migrate up)", v)
		}
	}
	return nil
}
