package sqlstore

import (
	"context"

	"github.com/sesame-idp/sesame/internal/store"
)

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
