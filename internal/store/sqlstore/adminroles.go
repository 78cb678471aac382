package sqlstore

import (
	"context"

	"github.com/sesame-idp/sesame/internal/store"
)

type adminRoles struct{ s *Store }

const adminRoleCols = `user_id, type, created, last_updated`

func scanAdminRole(row scanner) (*store.AdminRole, error) {
	var r store.AdminRole
	err := row.Scan(&r.UserID, &r.Type, msTime{&r.Created}, msTime{&r.LastUpdated})
	return &r, err
}

func (r adminRoles) Assign(ctx context.Context, a *store.AdminRole) error {
	_, err := r.s.exec(ctx, "assign role "+a.Type+" to "+a.UserID,
		`INSERT INTO admin_roles (`+adminRoleCols+`) VALUES (?, ?, ?, ?)`,
		a.UserID, a.Type, ms(a.Created), ms(a.LastUpdated))
	return err
}

func (r adminRoles) Unassign(ctx context.Context, userID, typ string) error {
	return r.s.execOne(ctx, "unassign role "+typ+" from "+userID,
		`DELETE FROM admin_roles WHERE user_id = ? AND type = ?`, userID, typ)
}

func (r adminRoles) Of(ctx context.Context, userID string) ([]*store.AdminRole, error) {
	return list(ctx, r.s, "list roles of "+userID, scanAdminRole,
		`SELECT `+adminRoleCols+` FROM admin_roles WHERE user_id = ? ORDER BY type`, userID)
}

func (r adminRoles) Holders(ctx context.Context, typ, userStatus string) (n int, err error) {
	err = r.s.get(ctx, "count holders of "+typ, func(row scanner) error { return row.Scan(&n) },
		`SELECT COUNT(*) FROM admin_roles a JOIN users u ON u.id = a.user_id WHERE a.type = ? AND u.status = ?`, typ, userStatus)
	return n, err
}
