package sqlstore

import (
	"context"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/sesame-idp/sesame/internal/store"
)

type apps struct{ s *Store }

const appCols = `id, name, label, status, sign_on_mode, client_id, credentials, settings, profile,
	client_secrets, groups_claim, created_by_dcr, created, last_updated`

func scanApp(row scanner) (*store.App, error) {
	var a store.App
	err := row.Scan(&a.ID, &a.Name, &a.Label, &a.Status, &a.SignOnMode, &a.ClientID,
		jsonDoc{&a.Credentials}, jsonDoc{&a.Settings}, jsonDoc{&a.Profile},
		secretsCol{&a.Secrets}, jsonDoc{&a.GroupsClaim}, &a.CreatedByDCR,
		msTime{&a.Created}, msTime{&a.LastUpdated})
	return &a, err
}

func (r apps) Create(ctx context.Context, a *store.App) error {
	_, err := r.s.exec(ctx, "create app "+a.ID,
		`INSERT INTO apps (`+appCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Name, a.Label, a.Status, a.SignOnMode, a.ClientID,
		jsonDoc{a.Credentials}, jsonDoc{a.Settings}, jsonDoc{a.Profile},
		secretsCol{&a.Secrets}, jsonDoc{a.GroupsClaim}, a.CreatedByDCR, ms(a.Created), ms(a.LastUpdated))
	return err
}

func (r apps) Get(ctx context.Context, id string) (*store.App, error) {
	return r.one(ctx, "get app "+id, `id = ?`, id)
}

func (r apps) GetByClientID(ctx context.Context, clientID string) (*store.App, error) {
	return r.one(ctx, "get app by client id", `client_id = ?`, clientID)
}

func (r apps) one(ctx context.Context, op, where string, arg any) (a *store.App, err error) {
	err = r.s.get(ctx, op, func(row scanner) error {
		a, err = scanApp(row)
		return err
	}, `SELECT `+appCols+` FROM apps WHERE `+where, arg)
	return a, err
}

func (r apps) Update(ctx context.Context, a *store.App) error {
	return r.s.execOne(ctx, "update app "+a.ID,
		`UPDATE apps SET name = ?, label = ?, status = ?, sign_on_mode = ?, client_id = ?, credentials = ?,
			settings = ?, profile = ?, client_secrets = ?, groups_claim = ?, created_by_dcr = ?,
			created = ?, last_updated = ?
		WHERE id = ?`,
		a.Name, a.Label, a.Status, a.SignOnMode, a.ClientID, jsonDoc{a.Credentials},
		jsonDoc{a.Settings}, jsonDoc{a.Profile}, secretsCol{&a.Secrets}, jsonDoc{a.GroupsClaim}, a.CreatedByDCR,
		ms(a.Created), ms(a.LastUpdated), a.ID)
}

// Delete removes the app with its grants and assignments.
func (r apps) Delete(ctx context.Context, id string) error {
	return r.s.changing(ctx, "", func(tx *Store) error {
		return tx.execOne(ctx, "delete app "+id, `DELETE FROM apps WHERE id = ?`, id)
	})
}

func (r apps) List(ctx context.Context, p store.Page) ([]*store.App, error) {
	q, args := page(`SELECT `+appCols+` FROM apps WHERE 1=1`, "id", p, nil)
	return list(ctx, r.s, "list apps", scanApp, q, args...)
}

func (r apps) ListAll(ctx context.Context) ([]*store.App, error) {
	return r.List(ctx, store.Page{})
}

const grantCols = `id, app_id, issuer, scope_id, status, source, created_by, created, last_updated`

func scanGrant(row scanner) (*store.AppGrant, error) {
	var g store.AppGrant
	err := row.Scan(&g.ID, &g.AppID, &g.Issuer, &g.ScopeID, &g.Status, &g.Source, &g.CreatedBy,
		msTime{&g.Created}, msTime{&g.LastUpdated})
	return &g, err
}

// CreateGrant stores a grant; ErrNotFound when the app does not exist.
func (r apps) CreateGrant(ctx context.Context, g *store.AppGrant) error {
	_, err := r.s.exec(ctx, "create grant "+g.ID+" of app "+g.AppID,
		`INSERT INTO app_grants (`+grantCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ID, g.AppID, g.Issuer, g.ScopeID, g.Status, g.Source, g.CreatedBy, ms(g.Created), ms(g.LastUpdated))
	return err
}

func (r apps) GetGrant(ctx context.Context, appID, grantID string) (g *store.AppGrant, err error) {
	err = r.s.get(ctx, "get grant "+grantID+" of app "+appID, func(row scanner) error {
		g, err = scanGrant(row)
		return err
	}, `SELECT `+grantCols+` FROM app_grants WHERE app_id = ? AND id = ?`, appID, grantID)
	return g, err
}

func (r apps) ListGrants(ctx context.Context, appID string) ([]*store.AppGrant, error) {
	return list(ctx, r.s, "list grants of app "+appID, scanGrant,
		`SELECT `+grantCols+` FROM app_grants WHERE app_id = ? ORDER BY id`, appID)
}

func (r apps) DeleteGrant(ctx context.Context, appID, grantID string) error {
	return r.s.execOne(ctx, "delete grant "+grantID+" of app "+appID,
		`DELETE FROM app_grants WHERE app_id = ? AND id = ?`, appID, grantID)
}

// ListAllGrants orders by app, then grant id.
func (r apps) ListAllGrants(ctx context.Context) ([]*store.AppGrant, error) {
	return list(ctx, r.s, "list all grants", scanGrant,
		`SELECT `+grantCols+` FROM app_grants ORDER BY app_id, id`)
}

const appUserCols = `app_id, user_id, scope, user_name, profile, created, last_updated`

func scanAppUser(row scanner) (*store.AppUser, error) {
	var a store.AppUser
	err := row.Scan(&a.AppID, &a.UserID, &a.Scope, &a.UserName, jsonDoc{&a.Profile},
		msTime{&a.Created}, msTime{&a.LastUpdated})
	return &a, err
}

// AssignUser is ErrConflict when the user is assigned already and
// ErrNotFound when the app or the user does not exist.
func (r apps) AssignUser(ctx context.Context, a *store.AppUser) error {
	return r.s.changing(ctx, a.UserID, func(tx *Store) error {
		_, err := tx.exec(ctx, "assign user "+a.UserID+" to app "+a.AppID,
			`INSERT INTO app_users (`+appUserCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.AppID, a.UserID, a.Scope, a.UserName, jsonDoc{a.Profile}, ms(a.Created), ms(a.LastUpdated))
		return err
	})
}

func (r apps) GetUserAssignment(ctx context.Context, appID, userID string) (a *store.AppUser, err error) {
	err = r.s.get(ctx, "get assignment of user "+userID+" to app "+appID, func(row scanner) error {
		a, err = scanAppUser(row)
		return err
	}, `SELECT `+appUserCols+` FROM app_users WHERE app_id = ? AND user_id = ?`, appID, userID)
	return a, err
}

func (r apps) UnassignUser(ctx context.Context, appID, userID string) error {
	return r.s.changing(ctx, userID, func(tx *Store) error {
		return tx.execOne(ctx, "unassign user "+userID+" from app "+appID,
			`DELETE FROM app_users WHERE app_id = ? AND user_id = ?`, appID, userID)
	})
}

// ListUserAssignments is ordered and paged by user id.
func (r apps) ListUserAssignments(ctx context.Context, appID string, p store.Page) ([]*store.AppUser, error) {
	q, args := page(`SELECT `+appUserCols+` FROM app_users WHERE app_id = ?`, "user_id", p, []any{appID})
	return list(ctx, r.s, "list user assignments of app "+appID, scanAppUser, q, args...)
}

const appGroupCols = `app_id, group_id, priority, profile, last_updated`

func scanAppGroup(row scanner) (*store.AppGroup, error) {
	var a store.AppGroup
	err := row.Scan(&a.AppID, &a.GroupID, &a.Priority, jsonDoc{&a.Profile}, msTime{&a.LastUpdated})
	return &a, err
}

// AssignGroup creates or replaces the assignment; ErrNotFound when the app
// or the group does not exist.
func (r apps) AssignGroup(ctx context.Context, a *store.AppGroup) error {
	// Every member of the group may have gained the app.
	return r.s.changing(ctx, "", func(tx *Store) error {
		_, err := tx.exec(ctx, "assign group "+a.GroupID+" to app "+a.AppID,
			`INSERT INTO app_groups (`+appGroupCols+`) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (app_id, group_id) DO UPDATE SET
				priority = excluded.priority, profile = excluded.profile, last_updated = excluded.last_updated`,
			a.AppID, a.GroupID, a.Priority, jsonDoc{a.Profile}, ms(a.LastUpdated))
		return err
	})
}

func (r apps) GetGroupAssignment(ctx context.Context, appID, groupID string) (a *store.AppGroup, err error) {
	err = r.s.get(ctx, "get assignment of group "+groupID+" to app "+appID, func(row scanner) error {
		a, err = scanAppGroup(row)
		return err
	}, `SELECT `+appGroupCols+` FROM app_groups WHERE app_id = ? AND group_id = ?`, appID, groupID)
	return a, err
}

func (r apps) AssignedTo(ctx context.Context, appID, userID string, groupIDs []string) (bool, error) {
	q := `SELECT CASE WHEN EXISTS (SELECT 1 FROM app_users WHERE app_id = ? AND user_id = ?)`
	args := []any{appID, userID}
	if len(groupIDs) > 0 {
		q += ` OR EXISTS (SELECT 1 FROM app_groups WHERE app_id = ? AND group_id IN (?` + strings.Repeat(`, ?`, len(groupIDs)-1) + `))`
		args = append(args, appID)
		for _, g := range groupIDs {
			args = append(args, g)
		}
	}
	var n int
	err := r.s.get(ctx, "check assignment of "+userID+" to app "+appID, func(row scanner) error { return row.Scan(&n) },
		q+` THEN 1 ELSE 0 END`, args...)
	return n == 1, err
}

func (r apps) UnassignGroup(ctx context.Context, appID, groupID string) error {
	return r.s.changing(ctx, "", func(tx *Store) error {
		return tx.execOne(ctx, "unassign group "+groupID+" from app "+appID,
			`DELETE FROM app_groups WHERE app_id = ? AND group_id = ?`, appID, groupID)
	})
}

// ListGroupAssignments is ordered and paged by group id.
func (r apps) ListGroupAssignments(ctx context.Context, appID string, p store.Page) ([]*store.AppGroup, error) {
	q, args := page(`SELECT `+appGroupCols+` FROM app_groups WHERE app_id = ?`, "group_id", p, []any{appID})
	return list(ctx, r.s, "list group assignments of app "+appID, scanAppGroup, q, args...)
}

// secretsCol stores an app's client secrets as a JSON array, binary members
// in hex and times in Unix milliseconds (the form migration 1101 writes).
type secretsCol struct{ s *[]store.AppSecret }

type secretJSON struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Hash        string `json:"hash"`
	Sealed      string `json:"sealed"`
	Created     int64  `json:"created"`
	LastUpdated int64  `json:"lastUpdated"`
}

func (c secretsCol) Value() (driver.Value, error) {
	out := make([]secretJSON, 0, len(*c.s))
	for _, s := range *c.s {
		out = append(out, secretJSON{ID: s.ID, Status: s.Status, Hash: hex.EncodeToString(s.Hash),
			Sealed: hex.EncodeToString(s.Sealed), Created: ms(s.Created), LastUpdated: ms(s.LastUpdated)})
	}
	return jsonDoc{out}.Value()
}

func (c secretsCol) Scan(src any) error {
	var in []secretJSON
	if err := (jsonDoc{&in}).Scan(src); err != nil {
		return err
	}
	*c.s = nil
	for _, s := range in {
		h, err := hex.DecodeString(s.Hash)
		if err != nil {
			return fmt.Errorf("client secret %s: %w", s.ID, err)
		}
		sealed, err := hex.DecodeString(s.Sealed)
		if err != nil {
			return fmt.Errorf("client secret %s: %w", s.ID, err)
		}
		if len(sealed) == 0 {
			sealed = nil
		}
		*c.s = append(*c.s, store.AppSecret{ID: s.ID, Status: s.Status, Hash: h, Sealed: sealed,
			Created: fromMS(s.Created), LastUpdated: fromMS(s.LastUpdated)})
	}
	return nil
}
