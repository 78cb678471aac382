package sqlstore

import (
	"context"
	"errors"
	"fmt"
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

type refreshTokens struct{ s *Store }

const refreshCols = `id, hash, family_id, server_id, client_id, user_id, scopes, data, created, expires_at,
	idle_expires_at, rotated_at, revoked_at`

func scanRefresh(row scanner) (*store.RefreshToken, error) {
	var t store.RefreshToken
	err := row.Scan(&t.ID, bytesCol{&t.Hash}, &t.FamilyID, &t.ServerID, &t.ClientID, &t.UserID, jsonDoc{&t.Scopes},
		bytesCol{&t.Data}, msTime{&t.Created}, msTime{&t.ExpiresAt}, msTime{&t.IdleExpiresAt}, msTime{&t.RotatedAt},
		msTime{&t.RevokedAt})
	return &t, err
}

func (r refreshTokens) Create(ctx context.Context, t *store.RefreshToken) error {
	data := t.Data
	if data == nil {
		data = []byte{}
	}
	_, err := r.s.exec(ctx, "create refresh token",
		`INSERT INTO refresh_tokens (`+refreshCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Hash, t.FamilyID, t.ServerID, t.ClientID, t.UserID, jsonDoc{t.Scopes}, data, ms(t.Created),
		ms(t.ExpiresAt), ms(t.IdleExpiresAt), ms(t.RotatedAt), ms(t.RevokedAt))
	return err
}

func (r refreshTokens) GetByHash(ctx context.Context, hash []byte) (t *store.RefreshToken, err error) {
	err = r.s.get(ctx, "get refresh token", func(row scanner) error {
		t, err = scanRefresh(row)
		return err
	}, `SELECT `+refreshCols+` FROM refresh_tokens WHERE hash = ?`, hash)
	return t, err
}

func (r refreshTokens) Live(ctx context.Context, serverID, clientID string, now time.Time) ([]*store.RefreshToken, error) {
	q := `SELECT ` + refreshCols + ` FROM refresh_tokens WHERE server_id = ? AND revoked_at = 0 AND rotated_at = 0
		AND idle_expires_at > ? AND (expires_at = 0 OR expires_at > ?)`
	args := []any{serverID, ms(now), ms(now)}
	if clientID != "" {
		q += ` AND client_id = ?`
		args = append(args, clientID)
	}
	return list(ctx, r.s, "list live refresh tokens of "+serverID, scanRefresh, q+` ORDER BY id`, args...)
}

func (r refreshTokens) MarkRotated(ctx context.Context, id string, at time.Time) (bool, error) {
	n, err := r.s.exec(ctx, "rotate refresh token", `UPDATE refresh_tokens SET rotated_at = ? WHERE id = ? AND rotated_at = 0`, ms(at), id)
	return n == 1, err
}

func (r refreshTokens) Slide(ctx context.Context, id string, idleExpiresAt time.Time) error {
	return r.s.execOne(ctx, "slide refresh token", `UPDATE refresh_tokens SET idle_expires_at = ? WHERE id = ?`, ms(idleExpiresAt), id)
}

func (r refreshTokens) RevokeFamily(ctx context.Context, familyID string, at time.Time) error {
	_, err := r.s.exec(ctx, "revoke refresh family", `UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at = 0`, ms(at), familyID)
	return err
}

func (r refreshTokens) RevokeByUser(ctx context.Context, userID, clientID string, at time.Time) error {
	q, args := `UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0`, []any{ms(at), userID}
	if clientID != "" {
		q, args = q+` AND client_id = ?`, append(args, clientID)
	}
	_, err := r.s.exec(ctx, "revoke refresh tokens of "+userID, q, args...)
	return err
}

func (r refreshTokens) RevokeByClient(ctx context.Context, clientID string, at time.Time) error {
	_, err := r.s.exec(ctx, "revoke refresh tokens of "+clientID, `UPDATE refresh_tokens SET revoked_at = ? WHERE client_id = ? AND revoked_at = 0`, ms(at), clientID)
	return err
}

func (r refreshTokens) RecordAccessToken(ctx context.Context, a *store.FamilyAccessToken) error {
	_, err := r.s.exec(ctx, "record access token",
		`INSERT INTO family_access_tokens (family_id, jti, user_id, client_id, expires_at) VALUES (?, ?, ?, ?, ?)`,
		a.FamilyID, a.JTI, a.UserID, a.ClientID, ms(a.ExpiresAt))
	return err
}

func (r refreshTokens) AccessTokens(ctx context.Context, familyID, userID, clientID string, now time.Time) ([]*store.FamilyAccessToken, error) {
	q, args := `SELECT family_id, jti, user_id, client_id, expires_at FROM family_access_tokens WHERE expires_at > ?`, []any{ms(now)}
	switch {
	case familyID != "":
		q, args = q+` AND family_id = ?`, append(args, familyID)
	case userID != "":
		q, args = q+` AND user_id = ?`, append(args, userID)
		if clientID != "" {
			q, args = q+` AND client_id = ?`, append(args, clientID)
		}
	default:
		return nil, errors.New("sqlstore: access tokens: a family or a user is required")
	}
	return list(ctx, r.s, "list access tokens", func(row scanner) (*store.FamilyAccessToken, error) {
		var a store.FamilyAccessToken
		err := row.Scan(&a.FamilyID, &a.JTI, &a.UserID, &a.ClientID, msTime{&a.ExpiresAt})
		return &a, err
	}, q+` ORDER BY jti`, args...)
}

func (r refreshTokens) Purge(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	err := r.s.atomic(ctx, func(tx *Store) error {
		n, err := tx.exec(ctx, "purge refresh tokens",
			`DELETE FROM refresh_tokens WHERE (expires_at > 0 AND expires_at <= ?) OR idle_expires_at <= ? OR (revoked_at > 0 AND revoked_at <= ?)`,
			ms(now), ms(now), ms(now))
		if err != nil {
			return err
		}
		m, err := tx.exec(ctx, "purge access token records", `DELETE FROM family_access_tokens WHERE expires_at <= ?`, ms(now))
		total = n + m
		return err
	})
	return total, err
}

type userGrants struct{ s *Store }

const userGrantCols = `id, user_id, client_id, server_id, scope, status, source, created, last_updated`

func scanUserGrant(row scanner) (*store.UserGrant, error) {
	var g store.UserGrant
	err := row.Scan(&g.ID, &g.UserID, &g.ClientID, &g.ServerID, &g.Scope, &g.Status, &g.Source, msTime{&g.Created}, msTime{&g.LastUpdated})
	return &g, err
}

func (r userGrants) Create(ctx context.Context, g *store.UserGrant) error {
	_, err := r.s.exec(ctx, "create user grant", `INSERT INTO user_grants (`+userGrantCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ID, g.UserID, g.ClientID, g.ServerID, g.Scope, g.Status, g.Source, ms(g.Created), ms(g.LastUpdated))
	return err
}

func (r userGrants) Get(ctx context.Context, userID, id string) (g *store.UserGrant, err error) {
	err = r.s.get(ctx, "get user grant "+id, func(row scanner) error {
		g, err = scanUserGrant(row)
		return err
	}, `SELECT `+userGrantCols+` FROM user_grants WHERE user_id = ? AND id = ?`, userID, id)
	return g, err
}

func (r userGrants) List(ctx context.Context, userID, clientID string) ([]*store.UserGrant, error) {
	q, args := `SELECT `+userGrantCols+` FROM user_grants WHERE user_id = ?`, []any{userID}
	if clientID != "" {
		q, args = q+` AND client_id = ?`, append(args, clientID)
	}
	return list(ctx, r.s, "list user grants", scanUserGrant, q+` ORDER BY id`, args...)
}

func (r userGrants) Delete(ctx context.Context, userID, id string) error {
	return r.s.execOne(ctx, "delete user grant "+id, `DELETE FROM user_grants WHERE user_id = ? AND id = ?`, userID, id)
}

func (r userGrants) DeleteForClient(ctx context.Context, userID, clientID string) error {
	_, err := r.s.exec(ctx, "delete user grants", `DELETE FROM user_grants WHERE user_id = ? AND client_id = ?`, userID, clientID)
	return err
}
