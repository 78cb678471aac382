package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

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
	n, err := r.s.exec(ctx, "rotate refresh token", `UPDATE refresh_tokens SET rotated_at = ? WHERE id = ? AND rotated_at = 0 AND revoked_at = 0`, ms(at), id)
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

func (r refreshTokens) CreateFamily(ctx context.Context, f *store.TokenFamily) error {
	_, err := r.s.exec(ctx, "create token family",
		`INSERT INTO token_families (family_id, user_id, client_id, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (family_id) DO UPDATE SET expires_at = CASE WHEN excluded.expires_at > token_families.expires_at
			THEN excluded.expires_at ELSE token_families.expires_at END`,
		f.ID, f.UserID, f.ClientID, ms(f.ExpiresAt))
	return err
}

func (r refreshTokens) Families(ctx context.Context, userID, clientID string, now time.Time) ([]string, error) {
	byClient := ""
	if clientID != "" {
		byClient = ` AND client_id = ?`
	}
	q := `SELECT family_id FROM refresh_tokens WHERE user_id = ?` + byClient + ` AND revoked_at = 0 AND idle_expires_at > ?
		UNION SELECT family_id FROM token_families WHERE user_id = ?` + byClient + ` AND expires_at > ?`
	since := ms(now.Add(-store.MaxAccessTokenLife))
	args := []any{userID}
	if clientID != "" {
		args = append(args, clientID)
	}
	args = append(args, since, userID)
	if clientID != "" {
		args = append(args, clientID)
	}
	args = append(args, ms(now))
	return list(ctx, r.s, "list token families of "+userID, func(row scanner) (string, error) {
		var id string
		return id, row.Scan(&id)
	}, q+` ORDER BY 1`, args...)
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
		// An expired token's family may still have access tokens for
		// MaxAccessTokenLife; a revoked one's are revoked with it.
		unused := ms(now.Add(-store.MaxAccessTokenLife))
		n, err := tx.exec(ctx, "purge refresh tokens",
			`DELETE FROM refresh_tokens WHERE (expires_at > 0 AND expires_at <= ?) OR idle_expires_at <= ? OR (revoked_at > 0 AND revoked_at <= ?)`,
			unused, unused, ms(now))
		if err != nil {
			return err
		}
		f, err := tx.exec(ctx, "purge token families", `DELETE FROM token_families WHERE expires_at <= ?`, ms(now))
		if err != nil {
			return err
		}
		m, err := tx.exec(ctx, "purge access token records", `DELETE FROM family_access_tokens WHERE expires_at <= ?`, ms(now))
		total = n + f + m
		return err
	})
	return total, err
}
