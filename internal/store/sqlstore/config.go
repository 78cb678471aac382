package sqlstore

import (
	"context"
	"strconv"
)

type configVersion struct{ s *Store }

// Bump increments in the database, so concurrent bumps from any replica are
// all counted, and tells every replica the new version when it commits.
func (r configVersion) Bump(ctx context.Context) error {
	return r.s.atomic(ctx, func(tx *Store) error {
		var v int64
		if err := tx.writeGet(ctx, "bump config version", func(row scanner) error { return row.Scan(&v) },
			`UPDATE config_version SET version = version + 1 WHERE singleton = 1 RETURNING version`); err != nil {
			return err
		}
		return tx.notify(ctx, "c "+strconv.FormatInt(v, 10))
	})
}

func (r configVersion) Get(ctx context.Context) (v int64, err error) {
	err = r.s.get(ctx, "get config version", func(row scanner) error { return row.Scan(&v) },
		`SELECT version FROM config_version WHERE singleton = 1`)
	return v, err
}
