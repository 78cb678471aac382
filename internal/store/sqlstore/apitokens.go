package sqlstore

import (
	"context"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

type apiTokens struct{ s *Store }

const tokenCols = `id, name, user_id, client_name, token_hash, created, last_used, expires_at, last_updated`

func scanToken(row scanner) (*store.APIToken, error) {
	var t store.APIToken
	err := row.Scan(&t.ID, &t.Name, &t.UserID, &t.ClientName, bytesCol{&t.TokenHash},
		msTime{&t.Created}, msTime{&t.LastUsed}, msTime{&t.ExpiresAt}, msTime{&t.LastUpdated})
	return &t, err
}

func (r apiTokens) Create(ctx context.Context, t *store.APIToken) error {
	// TokenHash is NOT NULL UNIQUE: passing it as is (not through blob)
	// makes a missing hash fail instead of becoming NULL.
	_, err := r.s.exec(ctx, "create api token "+t.ID,
		`INSERT INTO api_tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Name, t.UserID, t.ClientName, t.TokenHash,
		ms(t.Created), ms(t.LastUsed), ms(t.ExpiresAt), ms(t.LastUpdated))
	return err
}

func (r apiTokens) Get(ctx context.Context, id string) (*store.APIToken, error) {
	return r.one(ctx, "get api token "+id, `id = ?`, id)
}

func (r apiTokens) GetByHash(ctx context.Context, hash []byte) (*store.APIToken, error) {
	return r.one(ctx, "get api token by hash", `token_hash = ?`, hash)
}

func (r apiTokens) one(ctx context.Context, op, where string, arg any) (t *store.APIToken, err error) {
	err = r.s.get(ctx, op, func(row scanner) error {
		t, err = scanToken(row)
		return err
	}, `SELECT `+tokenCols+` FROM api_tokens WHERE `+where, arg)
	return t, err
}

func (r apiTokens) Touch(ctx context.Context, id string, usedAt, expiresAt time.Time) error {
	return r.s.execOne(ctx, "touch api token "+id,
		`UPDATE api_tokens SET last_used = ?, expires_at = ? WHERE id = ?`, ms(usedAt), ms(expiresAt), id)
}

func (r apiTokens) Delete(ctx context.Context, id string) error {
	return r.s.execOne(ctx, "delete api token "+id, `DELETE FROM api_tokens WHERE id = ?`, id)
}

// DeleteByUser is not an error when the user has no tokens.
func (r apiTokens) DeleteByUser(ctx context.Context, userID string) error {
	_, err := r.s.exec(ctx, "delete api tokens of user "+userID, `DELETE FROM api_tokens WHERE user_id = ?`, userID)
	return err
}

func (r apiTokens) List(ctx context.Context, p store.Page) ([]*store.APIToken, error) {
	q, args := page(`SELECT `+tokenCols+` FROM api_tokens WHERE 1=1`, "id", p, nil)
	return list(ctx, r.s, "list api tokens", scanToken, q, args...)
}
