package sqlstore

import (
	"context"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

type sessions struct{ s *Store }

const sessionCols = `id, token_hash, user_id, amr, created, last_password_verification, last_active, idle_expires_at, expires_at`

func scanSession(row scanner) (*store.Session, error) {
	var x store.Session
	err := row.Scan(&x.ID, bytesCol{&x.TokenHash}, &x.UserID, jsonDoc{&x.AMR}, msTime{&x.Created},
		msTime{&x.LastPasswordVerification}, msTime{&x.LastActive}, msTime{&x.IdleExpiresAt}, msTime{&x.ExpiresAt})
	return &x, err
}

func (r sessions) Create(ctx context.Context, x *store.Session) error {
	_, err := r.s.exec(ctx, "create session",
		`INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.TokenHash, x.UserID, jsonDoc{x.AMR}, ms(x.Created), ms(x.LastPasswordVerification),
		ms(x.LastActive), ms(x.IdleExpiresAt), ms(x.ExpiresAt))
	return err
}

func (r sessions) one(ctx context.Context, op, where string, arg any) (x *store.Session, err error) {
	err = r.s.get(ctx, op, func(row scanner) error {
		x, err = scanSession(row)
		return err
	}, `SELECT `+sessionCols+` FROM sessions WHERE `+where, arg)
	return x, err
}

func (r sessions) Get(ctx context.Context, id string) (*store.Session, error) {
	return r.one(ctx, "get session", `id = ?`, id)
}

func (r sessions) GetByTokenHash(ctx context.Context, hash []byte) (*store.Session, error) {
	return r.one(ctx, "get session by token", `token_hash = ?`, hash)
}

func (r sessions) Touch(ctx context.Context, id string, lastActive, idleExpiresAt time.Time) error {
	return r.s.execOne(ctx, "touch session", `UPDATE sessions SET last_active = ?, idle_expires_at = ? WHERE id = ?`,
		ms(lastActive), ms(idleExpiresAt), id)
}

func (r sessions) Delete(ctx context.Context, id string) error {
	return r.s.execOne(ctx, "delete session", `DELETE FROM sessions WHERE id = ?`, id)
}

func (r sessions) DeleteByUser(ctx context.Context, userID string) (int64, error) {
	return r.s.exec(ctx, "delete sessions of "+userID, `DELETE FROM sessions WHERE user_id = ?`, userID)
}

func (r sessions) ListByUser(ctx context.Context, userID string) ([]*store.Session, error) {
	return list(ctx, r.s, "list sessions of "+userID, scanSession,
		`SELECT `+sessionCols+` FROM sessions WHERE user_id = ? ORDER BY created, id`, userID)
}

func (r sessions) Purge(ctx context.Context, now time.Time) (int64, error) {
	return r.s.exec(ctx, "purge sessions", `DELETE FROM sessions WHERE idle_expires_at <= ? OR expires_at <= ?`, ms(now), ms(now))
}
