package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

type codes struct{ s *Store }

const codeCols = `kind, hash, data, created, expires_at, used_at`

func scanCode(row scanner) (*store.Code, error) {
	var c store.Code
	err := row.Scan(&c.Kind, bytesCol{&c.Hash}, bytesCol{&c.Data}, msTime{&c.Created}, msTime{&c.ExpiresAt}, msTime{&c.UsedAt})
	return &c, err
}

func (r codes) Create(ctx context.Context, c *store.Code) error {
	data := c.Data
	if data == nil {
		data = []byte{}
	}
	_, err := r.s.exec(ctx, "create "+c.Kind, `INSERT INTO one_time_codes (`+codeCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		c.Kind, c.Hash, data, ms(c.Created), ms(c.ExpiresAt), ms(c.UsedAt))
	return err
}

func (r codes) Get(ctx context.Context, kind string, hash []byte) (c *store.Code, err error) {
	err = r.s.get(ctx, "get "+kind, func(row scanner) error {
		c, err = scanCode(row)
		return err
	}, `SELECT `+codeCols+` FROM one_time_codes WHERE kind = ? AND hash = ?`, kind, hash)
	return c, err
}

// Use claims the code with one conditional UPDATE that returns the row
// (both databases have RETURNING): the database's row lock lets exactly one
// caller see it, on any replica. Only a caller that got nothing reads the
// row again, to tell a used code from an expired one.
func (r codes) Use(ctx context.Context, kind string, hash []byte, now time.Time) (*store.Code, error) {
	var c *store.Code
	err := r.s.writeGet(ctx, "use "+kind, func(row scanner) (err error) {
		c, err = scanCode(row)
		return err
	}, `UPDATE one_time_codes SET used_at = ? WHERE kind = ? AND hash = ? AND used_at = 0 AND expires_at > ?
		RETURNING `+codeCols, ms(now), kind, hash, ms(now))
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	c, err = r.Get(ctx, kind, hash)
	if err != nil {
		return nil, err
	}
	if !c.UsedAt.IsZero() {
		return c, fmt.Errorf("sqlstore: use %s: used before: %w", kind, store.ErrConflict)
	}
	return nil, fmt.Errorf("sqlstore: use %s: expired: %w", kind, store.ErrNotFound)
}

func (r codes) SetData(ctx context.Context, kind string, hash []byte, data []byte) error {
	return r.s.execOne(ctx, "update "+kind, `UPDATE one_time_codes SET data = ? WHERE kind = ? AND hash = ? AND used_at = 0`,
		data, kind, hash)
}

func (r codes) Purge(ctx context.Context, now time.Time) (int64, error) {
	return r.s.exec(ctx, "purge codes", `DELETE FROM one_time_codes WHERE expires_at <= ?`, ms(now))
}
