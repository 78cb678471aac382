package sqlstore

import (
	"context"

	"github.com/sesame-idp/sesame/internal/store"
)

type orgs struct{ s *Store }

const orgCols = `id, name, created, setup_token_hash, setup_token_expires, last_updated`

func scanOrg(row scanner) (*store.Org, error) {
	var o store.Org
	err := row.Scan(&o.ID, &o.Name, msTime{&o.Created}, bytesCol{&o.SetupTokenHash},
		msTime{&o.SetupTokenExpires}, msTime{&o.LastUpdated})
	return &o, err
}

func (r orgs) Get(ctx context.Context) (o *store.Org, err error) {
	err = r.s.get(ctx, "get org", func(row scanner) error {
		o, err = scanOrg(row)
		return err
	}, `SELECT `+orgCols+` FROM orgs WHERE singleton = 1`)
	return o, err
}

func (r orgs) Create(ctx context.Context, o *store.Org) error {
	_, err := r.s.exec(ctx, "create org",
		`INSERT INTO orgs (singleton, `+orgCols+`) VALUES (1, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.Name, ms(o.Created), blob(o.SetupTokenHash), ms(o.SetupTokenExpires), ms(o.LastUpdated))
	return err
}

func (r orgs) Update(ctx context.Context, o *store.Org) error {
	return r.s.execOne(ctx, "update org",
		`UPDATE orgs SET name = ?, created = ?, setup_token_hash = ?, setup_token_expires = ?, last_updated = ? WHERE id = ?`,
		o.Name, ms(o.Created), blob(o.SetupTokenHash), ms(o.SetupTokenExpires), ms(o.LastUpdated), o.ID)
}
