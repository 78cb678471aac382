package sqlstore

import (
	"context"

	"github.com/sesame-idp/sesame/internal/store"
)

type userSchema struct{ s *Store }

func (r userSchema) List(ctx context.Context) ([]*store.UserSchemaProperty, error) {
	return list(ctx, r.s, "list user schema properties", func(row scanner) (*store.UserSchemaProperty, error) {
		var p store.UserSchemaProperty
		var def string
		err := row.Scan(&p.Name, &def, msTime{&p.Created}, msTime{&p.LastUpdated})
		p.Definition = []byte(def)
		return &p, err
	}, `SELECT name, definition, created, last_updated FROM user_schema_properties ORDER BY name`)
}

func (r userSchema) Put(ctx context.Context, p *store.UserSchemaProperty) error {
	_, err := r.s.exec(ctx, "put user schema property "+p.Name,
		`INSERT INTO user_schema_properties (name, definition, created, last_updated) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, last_updated = excluded.last_updated`,
		p.Name, string(p.Definition), ms(p.Created), ms(p.LastUpdated))
	return err
}

func (r userSchema) Delete(ctx context.Context, name string) error {
	return r.s.execOne(ctx, "delete user schema property "+name, `DELETE FROM user_schema_properties WHERE name = ?`, name)
}

// DropAttribute rewrites only the profiles that hold the attribute, in one
// statement, with each database's own JSON functions.
func (r users) DropAttribute(ctx context.Context, name string) (int64, error) {
	op := "drop profile attribute " + name
	var n int64
	err := r.s.changing(ctx, "", func(tx *Store) (err error) {
		if tx.d.name() == "postgres" {
			n, err = tx.exec(ctx, op, `UPDATE users SET profile = (profile::jsonb - ?)::text WHERE jsonb_exists(profile::jsonb, ?)`, name, name)
			return err
		}
		path := `$."` + name + `"`
		n, err = tx.exec(ctx, op, `UPDATE users SET profile = json_remove(profile, ?) WHERE json_type(profile, ?) IS NOT NULL`, path, path)
		return err
	})
	return n, err
}
