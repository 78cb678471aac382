package sqlstore

import (
	"context"

	"github.com/sesame-idp/sesame/internal/store"
)

type keys struct{ s *Store }

const keyCols = `kid, server_id, alg, key_use, status, public_jwk, private_sealed, created, activated, retire_at`

func scanKey(row scanner) (*store.SigningKey, error) {
	var k store.SigningKey
	err := row.Scan(&k.KID, &k.ServerID, &k.Alg, &k.Use, &k.Status, bytesCol{&k.PublicJWK}, bytesCol{&k.PrivateSealed},
		msTime{&k.Created}, msTime{&k.Activated}, msTime{&k.RetireAt})
	return &k, err
}

func (r keys) Create(ctx context.Context, k *store.SigningKey) error {
	_, err := r.s.exec(ctx, "create key "+k.KID,
		`INSERT INTO signing_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.KID, k.ServerID, k.Alg, k.Use, k.Status, blob(k.PublicJWK), blob(k.PrivateSealed),
		ms(k.Created), ms(k.Activated), ms(k.RetireAt))
	return err
}

func (r keys) Update(ctx context.Context, k *store.SigningKey) error {
	return r.s.execOne(ctx, "update key "+k.KID,
		`UPDATE signing_keys SET server_id = ?, alg = ?, key_use = ?, status = ?, public_jwk = ?, private_sealed = ?,
			created = ?, activated = ?, retire_at = ?
		WHERE kid = ?`,
		k.ServerID, k.Alg, k.Use, k.Status, blob(k.PublicJWK), blob(k.PrivateSealed),
		ms(k.Created), ms(k.Activated), ms(k.RetireAt), k.KID)
}

func (r keys) Delete(ctx context.Context, kid string) error {
	return r.s.execOne(ctx, "delete key "+kid, `DELETE FROM signing_keys WHERE kid = ?`, kid)
}

func (r keys) List(ctx context.Context, serverID string) ([]*store.SigningKey, error) {
	return list(ctx, r.s, "list keys of server "+serverID, scanKey,
		`SELECT `+keyCols+` FROM signing_keys WHERE server_id = ? ORDER BY created, kid`, serverID)
}

// ListAll orders by server, then creation.
func (r keys) ListAll(ctx context.Context) ([]*store.SigningKey, error) {
	return list(ctx, r.s, "list all keys", scanKey,
		`SELECT `+keyCols+` FROM signing_keys ORDER BY server_id, created, kid`)
}
