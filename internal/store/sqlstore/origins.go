package sqlstore

import (
	"context"

	"github.com/sesame-idp/sesame/internal/store"
)

type trustedOrigins struct{ s *Store }

const originCols = `id, name, origin, scopes, status, created, created_by, last_updated, last_updated_by`

func scanOrigin(row scanner) (*store.TrustedOrigin, error) {
	var o store.TrustedOrigin
	err := row.Scan(&o.ID, &o.Name, &o.Origin, jsonDoc{&o.Scopes}, &o.Status,
		msTime{&o.Created}, &o.CreatedBy, msTime{&o.LastUpdated}, &o.LastUpdatedBy)
	return &o, err
}

func (r trustedOrigins) Create(ctx context.Context, o *store.TrustedOrigin) error {
	_, err := r.s.exec(ctx, "create trusted origin "+o.ID,
		`INSERT INTO trusted_origins (`+originCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.Name, o.Origin, jsonDoc{o.Scopes}, o.Status, ms(o.Created), o.CreatedBy, ms(o.LastUpdated), o.LastUpdatedBy)
	return err
}

func (r trustedOrigins) Get(ctx context.Context, id string) (o *store.TrustedOrigin, err error) {
	err = r.s.get(ctx, "get trusted origin "+id, func(row scanner) error {
		o, err = scanOrigin(row)
		return err
	}, `SELECT `+originCols+` FROM trusted_origins WHERE id = ?`, id)
	return o, err
}

func (r trustedOrigins) Update(ctx context.Context, o *store.TrustedOrigin) error {
	return r.s.execOne(ctx, "update trusted origin "+o.ID,
		`UPDATE trusted_origins SET name = ?, origin = ?, scopes = ?, status = ?, created = ?, created_by = ?,
			last_updated = ?, last_updated_by = ?
		WHERE id = ?`,
		o.Name, o.Origin, jsonDoc{o.Scopes}, o.Status, ms(o.Created), o.CreatedBy, ms(o.LastUpdated), o.LastUpdatedBy, o.ID)
}

func (r trustedOrigins) Delete(ctx context.Context, id string) error {
	return r.s.execOne(ctx, "delete trusted origin "+id, `DELETE FROM trusted_origins WHERE id = ?`, id)
}

func (r trustedOrigins) List(ctx context.Context, p store.Page) ([]*store.TrustedOrigin, error) {
	q, args := page(`SELECT `+originCols+` FROM trusted_origins WHERE 1=1`, "id", p, nil)
	return list(ctx, r.s, "list trusted origins", scanOrigin, q, args...)
}

func (r trustedOrigins) ListAll(ctx context.Context) ([]*store.TrustedOrigin, error) {
	return r.List(ctx, store.Page{})
}
