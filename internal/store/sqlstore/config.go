package sqlstore

import (
	"context"
)

type configVersion struct{ s *Store }

// Bump increments in the database, so concurrent bumps from any replica are
// all counted.
func (r configVersion) Bump(ctx context.Context) error {
	return r.s.execOne(ctx, "bump config version", `UPDATE config_version SET version = version + 1 WHERE singleton = 1`)
}

func (r configVersion) Get(ctx context.Context) (v int64, err error) {
	err = r.s.get(ctx, "get config version", func(row scanner) error { return row.Scan(&v) },
		`SELECT version FROM config_version WHERE singleton = 1`)
	return v, err
}
