package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/store"
)

type users struct{ s *Store }

const userCols = `id, status, login, profile, password_hash, super_admin, created, activated,
	status_changed, last_login, last_updated, password_changed, failed_logins`

func scanUser(row scanner) (*store.User, error) {
	var u store.User
	err := row.Scan(&u.ID, &u.Status, &u.Login, jsonDoc{&u.Profile}, &u.PasswordHash, &u.SuperAdmin,
		msTime{&u.Created}, msTime{&u.Activated}, msTime{&u.StatusChanged}, msTime{&u.LastLogin},
		msTime{&u.LastUpdated}, msTime{&u.PasswordChanged}, &u.FailedLogins)
	return &u, err
}

// loginKey is what makes logins unique regardless of case, as Okta's are.
func loginKey(login string) string { return strings.ToLower(login) }

func (r users) Create(ctx context.Context, u *store.User) error {
	email, first, last := userKeys(u.Profile)
	_, err := r.s.exec(ctx, "create user "+u.ID,
		`INSERT INTO users (`+userCols+`, login_key, email_key, first_name_key, last_name_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Status, u.Login, jsonDoc{u.Profile}, u.PasswordHash, u.SuperAdmin,
		ms(u.Created), ms(u.Activated), ms(u.StatusChanged), ms(u.LastLogin), ms(u.LastUpdated), ms(u.PasswordChanged),
		u.FailedLogins, loginKey(u.Login), email, first, last)
	return err
}

func (r users) Get(ctx context.Context, id string) (*store.User, error) {
	return r.one(ctx, "get user "+id, `id = ?`, id)
}

func (r users) GetByLogin(ctx context.Context, login string) (*store.User, error) {
	return r.one(ctx, "get user by login", `login_key = ?`, loginKey(login))
}

// one reads a single user with its recovery question, which only a user
// read alone carries (lists leave it out).
func (r users) one(ctx context.Context, op, where string, arg any) (u *store.User, err error) {
	err = r.s.get(ctx, op, func(row scanner) error {
		var q, h *string
		u, err = scanUser(extraCols{row, []any{&q, &h}})
		if q != nil && h != nil {
			u.RecoveryQuestion, u.RecoveryAnswerHash = *q, *h
		}
		return err
	}, `SELECT `+userCols+`, user_recovery.question, user_recovery.answer_hash
		FROM users LEFT JOIN user_recovery ON user_recovery.user_id = users.id WHERE `+where, arg)
	return u, err
}

// extraCols scans the columns after a user's into more destinations.
type extraCols struct {
	row  scanner
	more []any
}

func (e extraCols) Scan(dest ...any) error { return e.row.Scan(append(dest, e.more...)...) }

func (r users) SetRecovery(ctx context.Context, id, question, answerHash string) error {
	return r.s.changing(ctx, id, func(tx *Store) error {
		_, err := tx.exec(ctx, "set recovery question of "+id,
			`INSERT INTO user_recovery (user_id, question, answer_hash) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET question = excluded.question, answer_hash = excluded.answer_hash`,
			id, question, answerHash)
		return err
	})
}

func (r users) Update(ctx context.Context, u *store.User) error {
	email, first, last := userKeys(u.Profile)
	return r.s.changing(ctx, u.ID, func(tx *Store) error {
		return tx.execOne(ctx, "update user "+u.ID,
			`UPDATE users SET status = ?, login = ?, login_key = ?, profile = ?, password_hash = ?, super_admin = ?,
				created = ?, activated = ?, status_changed = ?, last_login = ?, last_updated = ?, password_changed = ?,
				failed_logins = ?, email_key = ?, first_name_key = ?, last_name_key = ?
			WHERE id = ?`,
			u.Status, u.Login, loginKey(u.Login), jsonDoc{u.Profile}, u.PasswordHash, u.SuperAdmin,
			ms(u.Created), ms(u.Activated), ms(u.StatusChanged), ms(u.LastLogin), ms(u.LastUpdated), ms(u.PasswordChanged),
			u.FailedLogins, email, first, last, u.ID)
	})
}

// Delete removes the user; group memberships and app assignments go with it.
func (r users) Delete(ctx context.Context, id string) error {
	return r.s.changing(ctx, id, func(tx *Store) error {
		return tx.execOne(ctx, "delete user "+id, `DELETE FROM users WHERE id = ?`, id)
	})
}

func (r users) List(ctx context.Context, p store.Page) ([]*store.User, error) {
	q, args := page(`SELECT `+userCols+` FROM users WHERE 1=1`, "id", p, nil)
	return list(ctx, r.s, "list users", scanUser, q, args...)
}

func (r users) Count(ctx context.Context) (n int, err error) {
	err = r.s.get(ctx, "count users", func(row scanner) error { return row.Scan(&n) }, `SELECT COUNT(*) FROM users`)
	return n, err
}

func (r users) RecordLoginFailure(ctx context.Context, id string, lockAfter int, at time.Time) (*store.User, error) {
	var u *store.User
	err := r.s.atomic(ctx, func(tx *Store) error {
		err := tx.execOne(ctx, "record login failure of "+id,
			`UPDATE users SET failed_logins = failed_logins + 1,
				status = CASE WHEN ? > 0 AND failed_logins + 1 >= ? AND status = 'ACTIVE' THEN 'LOCKED_OUT' ELSE status END,
				status_changed = CASE WHEN ? > 0 AND failed_logins + 1 >= ? AND status = 'ACTIVE' THEN ? ELSE status_changed END
			WHERE id = ?`, lockAfter, lockAfter, lockAfter, lockAfter, ms(at), id)
		if err != nil {
			return err
		}
		tx.changed(id)
		u, err = users{tx}.Get(ctx, id)
		return err
	})
	return u, err
}

func (r users) RecordLogin(ctx context.Context, id string, at time.Time) error {
	return r.s.changing(ctx, id, func(tx *Store) error {
		return tx.execOne(ctx, "record login of "+id, `UPDATE users SET failed_logins = 0, last_login = ? WHERE id = ?`, ms(at), id)
	})
}
