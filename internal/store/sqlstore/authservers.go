package sqlstore

import (
	"context"

	"github.com/sesame-idp/sesame/internal/store"
)

type authServers struct{ s *Store }

const serverCols = `id, name, description, audiences, issuer_mode, status, is_default, rotation_mode,
	last_rotated, next_rotation, created, last_updated, trusted_servers`

func scanServer(row scanner) (*store.AuthServer, error) {
	var a store.AuthServer
	err := row.Scan(&a.ID, &a.Name, &a.Description, jsonDoc{&a.Audiences}, &a.IssuerMode, &a.Status,
		&a.Default, &a.RotationMode, msTime{&a.LastRotated}, msTime{&a.NextRotation},
		msTime{&a.Created}, msTime{&a.LastUpdated}, jsonDoc{&a.TrustedServers})
	return &a, err
}

func (r authServers) Create(ctx context.Context, a *store.AuthServer) error {
	_, err := r.s.exec(ctx, "create authorization server "+a.ID,
		`INSERT INTO auth_servers (`+serverCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Name, a.Description, jsonDoc{a.Audiences}, a.IssuerMode, a.Status, a.Default, a.RotationMode,
		ms(a.LastRotated), ms(a.NextRotation), ms(a.Created), ms(a.LastUpdated), jsonDoc{a.TrustedServers})
	return err
}

func (r authServers) Get(ctx context.Context, id string) (a *store.AuthServer, err error) {
	err = r.s.get(ctx, "get authorization server "+id, func(row scanner) error {
		a, err = scanServer(row)
		return err
	}, `SELECT `+serverCols+` FROM auth_servers WHERE id = ?`, id)
	return a, err
}

func (r authServers) Update(ctx context.Context, a *store.AuthServer) error {
	return r.s.execOne(ctx, "update authorization server "+a.ID,
		`UPDATE auth_servers SET name = ?, description = ?, audiences = ?, issuer_mode = ?, status = ?,
			is_default = ?, rotation_mode = ?, last_rotated = ?, next_rotation = ?, created = ?, last_updated = ?,
			trusted_servers = ?
		WHERE id = ?`,
		a.Name, a.Description, jsonDoc{a.Audiences}, a.IssuerMode, a.Status, a.Default, a.RotationMode,
		ms(a.LastRotated), ms(a.NextRotation), ms(a.Created), ms(a.LastUpdated), jsonDoc{a.TrustedServers}, a.ID)
}

// Delete removes the server with its scopes, claims, policies and rules
// (foreign keys cascade) and its signing keys: a deleted server's private
// keys serve no one and should not linger at rest.
func (r authServers) Delete(ctx context.Context, id string) error {
	return r.s.atomic(ctx, func(tx *Store) error {
		if err := tx.execOne(ctx, "delete authorization server "+id, `DELETE FROM auth_servers WHERE id = ?`, id); err != nil {
			return err
		}
		_, err := tx.exec(ctx, "delete keys of authorization server "+id, `DELETE FROM signing_keys WHERE server_id = ?`, id)
		return err
	})
}

func (r authServers) List(ctx context.Context, p store.Page) ([]*store.AuthServer, error) {
	q, args := page(`SELECT `+serverCols+` FROM auth_servers WHERE 1=1`, "id", p, nil)
	return list(ctx, r.s, "list authorization servers", scanServer, q, args...)
}

func (r authServers) ListAll(ctx context.Context) ([]*store.AuthServer, error) {
	return r.List(ctx, store.Page{})
}

const scopeCols = `id, server_id, name, display_name, description, system, is_default, consent, optional,
	metadata_publish, created, last_updated`

func scanScope(row scanner) (*store.Scope, error) {
	var c store.Scope
	err := row.Scan(&c.ID, &c.ServerID, &c.Name, &c.DisplayName, &c.Description, &c.System, &c.Default,
		&c.Consent, &c.Optional, &c.MetadataPublish, msTime{&c.Created}, msTime{&c.LastUpdated})
	return &c, err
}

// CreateScope is ErrConflict on a duplicate (server, name) and ErrNotFound
// when the server does not exist.
func (r authServers) CreateScope(ctx context.Context, c *store.Scope) error {
	_, err := r.s.exec(ctx, "create scope "+c.Name+" of server "+c.ServerID,
		`INSERT INTO scopes (`+scopeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.ServerID, c.Name, c.DisplayName, c.Description, c.System, c.Default, c.Consent, c.Optional,
		c.MetadataPublish, ms(c.Created), ms(c.LastUpdated))
	return err
}

func (r authServers) GetScope(ctx context.Context, serverID, id string) (c *store.Scope, err error) {
	err = r.s.get(ctx, "get scope "+id+" of server "+serverID, func(row scanner) error {
		c, err = scanScope(row)
		return err
	}, `SELECT `+scopeCols+` FROM scopes WHERE server_id = ? AND id = ?`, serverID, id)
	return c, err
}

func (r authServers) UpdateScope(ctx context.Context, c *store.Scope) error {
	return r.s.execOne(ctx, "update scope "+c.ID+" of server "+c.ServerID,
		`UPDATE scopes SET name = ?, display_name = ?, description = ?, system = ?, is_default = ?, consent = ?,
			optional = ?, metadata_publish = ?, created = ?, last_updated = ?
		WHERE server_id = ? AND id = ?`,
		c.Name, c.DisplayName, c.Description, c.System, c.Default, c.Consent,
		c.Optional, c.MetadataPublish, ms(c.Created), ms(c.LastUpdated), c.ServerID, c.ID)
}

func (r authServers) DeleteScope(ctx context.Context, serverID, id string) error {
	return r.s.execOne(ctx, "delete scope "+id+" of server "+serverID,
		`DELETE FROM scopes WHERE server_id = ? AND id = ?`, serverID, id)
}

func (r authServers) ListScopes(ctx context.Context, serverID string) ([]*store.Scope, error) {
	return list(ctx, r.s, "list scopes of server "+serverID, scanScope,
		`SELECT `+scopeCols+` FROM scopes WHERE server_id = ? ORDER BY name, id`, serverID)
}

const claimCols = `id, server_id, name, status, claim_type, value_type, value, group_filter_type,
	always_include_in_token, condition_scopes, system, created, last_updated`

func scanClaim(row scanner) (*store.Claim, error) {
	var c store.Claim
	err := row.Scan(&c.ID, &c.ServerID, &c.Name, &c.Status, &c.ClaimType, &c.ValueType, &c.Value,
		&c.GroupFilterType, &c.AlwaysIncludeInToken, jsonDoc{&c.ConditionScopes}, &c.System,
		msTime{&c.Created}, msTime{&c.LastUpdated})
	return &c, err
}

// CreateClaim is ErrNotFound when the server does not exist.
func (r authServers) CreateClaim(ctx context.Context, c *store.Claim) error {
	_, err := r.s.exec(ctx, "create claim "+c.Name+" of server "+c.ServerID,
		`INSERT INTO claims (`+claimCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.ServerID, c.Name, c.Status, c.ClaimType, c.ValueType, c.Value, c.GroupFilterType,
		c.AlwaysIncludeInToken, jsonDoc{c.ConditionScopes}, c.System, ms(c.Created), ms(c.LastUpdated))
	return err
}

func (r authServers) GetClaim(ctx context.Context, serverID, id string) (c *store.Claim, err error) {
	err = r.s.get(ctx, "get claim "+id+" of server "+serverID, func(row scanner) error {
		c, err = scanClaim(row)
		return err
	}, `SELECT `+claimCols+` FROM claims WHERE server_id = ? AND id = ?`, serverID, id)
	return c, err
}

func (r authServers) UpdateClaim(ctx context.Context, c *store.Claim) error {
	return r.s.execOne(ctx, "update claim "+c.ID+" of server "+c.ServerID,
		`UPDATE claims SET name = ?, status = ?, claim_type = ?, value_type = ?, value = ?, group_filter_type = ?,
			always_include_in_token = ?, condition_scopes = ?, system = ?, created = ?, last_updated = ?
		WHERE server_id = ? AND id = ?`,
		c.Name, c.Status, c.ClaimType, c.ValueType, c.Value, c.GroupFilterType,
		c.AlwaysIncludeInToken, jsonDoc{c.ConditionScopes}, c.System, ms(c.Created), ms(c.LastUpdated),
		c.ServerID, c.ID)
}

func (r authServers) DeleteClaim(ctx context.Context, serverID, id string) error {
	return r.s.execOne(ctx, "delete claim "+id+" of server "+serverID,
		`DELETE FROM claims WHERE server_id = ? AND id = ?`, serverID, id)
}

func (r authServers) ListClaims(ctx context.Context, serverID string) ([]*store.Claim, error) {
	return list(ctx, r.s, "list claims of server "+serverID, scanClaim,
		`SELECT `+claimCols+` FROM claims WHERE server_id = ? ORDER BY name, id`, serverID)
}

const policyCols = `id, server_id, name, description, status, priority, system, clients_include,
	created, last_updated`

func scanPolicy(row scanner) (*store.Policy, error) {
	var p store.Policy
	err := row.Scan(&p.ID, &p.ServerID, &p.Name, &p.Description, &p.Status, &p.Priority, &p.System,
		jsonDoc{&p.ClientsInclude}, msTime{&p.Created}, msTime{&p.LastUpdated})
	return &p, err
}

// CreatePolicy is ErrNotFound when the server does not exist.
func (r authServers) CreatePolicy(ctx context.Context, p *store.Policy) error {
	_, err := r.s.exec(ctx, "create policy "+p.ID+" of server "+p.ServerID,
		`INSERT INTO policies (`+policyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.ServerID, p.Name, p.Description, p.Status, p.Priority, p.System,
		jsonDoc{p.ClientsInclude}, ms(p.Created), ms(p.LastUpdated))
	return err
}

func (r authServers) GetPolicy(ctx context.Context, serverID, id string) (p *store.Policy, err error) {
	err = r.s.get(ctx, "get policy "+id+" of server "+serverID, func(row scanner) error {
		p, err = scanPolicy(row)
		return err
	}, `SELECT `+policyCols+` FROM policies WHERE server_id = ? AND id = ?`, serverID, id)
	return p, err
}

func (r authServers) UpdatePolicy(ctx context.Context, p *store.Policy) error {
	return r.s.execOne(ctx, "update policy "+p.ID+" of server "+p.ServerID,
		`UPDATE policies SET name = ?, description = ?, status = ?, priority = ?, system = ?, clients_include = ?,
			created = ?, last_updated = ?
		WHERE server_id = ? AND id = ?`,
		p.Name, p.Description, p.Status, p.Priority, p.System, jsonDoc{p.ClientsInclude},
		ms(p.Created), ms(p.LastUpdated), p.ServerID, p.ID)
}

// DeletePolicy removes the policy with its rules (the foreign key cascades).
func (r authServers) DeletePolicy(ctx context.Context, serverID, id string) error {
	return r.s.execOne(ctx, "delete policy "+id+" of server "+serverID,
		`DELETE FROM policies WHERE server_id = ? AND id = ?`, serverID, id)
}

func (r authServers) ListPolicies(ctx context.Context, serverID string) ([]*store.Policy, error) {
	return list(ctx, r.s, "list policies of server "+serverID, scanPolicy,
		`SELECT `+policyCols+` FROM policies WHERE server_id = ? ORDER BY priority, id`, serverID)
}

const ruleCols = `id, policy_id, server_id, name, type, status, priority, system,
	users_include, users_exclude, groups_include, groups_exclude, grant_types, scopes,
	access_token_lifetime_minutes, refresh_token_lifetime_minutes, refresh_token_window_minutes,
	created, last_updated`

func scanRule(row scanner) (*store.PolicyRule, error) {
	var r store.PolicyRule
	err := row.Scan(&r.ID, &r.PolicyID, &r.ServerID, &r.Name, &r.Type, &r.Status, &r.Priority, &r.System,
		jsonDoc{&r.UsersInclude}, jsonDoc{&r.UsersExclude}, jsonDoc{&r.GroupsInclude}, jsonDoc{&r.GroupsExclude},
		jsonDoc{&r.GrantTypes}, jsonDoc{&r.Scopes},
		&r.AccessTokenLifetimeMinutes, &r.RefreshTokenLifetimeMinutes, &r.RefreshTokenWindowMinutes,
		msTime{&r.Created}, msTime{&r.LastUpdated})
	return &r, err
}

// CreateRule is ErrNotFound when the policy does not exist.
func (r authServers) CreateRule(ctx context.Context, u *store.PolicyRule) error {
	_, err := r.s.exec(ctx, "create rule "+u.ID+" of policy "+u.PolicyID,
		`INSERT INTO policy_rules (`+ruleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.PolicyID, u.ServerID, u.Name, u.Type, u.Status, u.Priority, u.System,
		jsonDoc{u.UsersInclude}, jsonDoc{u.UsersExclude}, jsonDoc{u.GroupsInclude}, jsonDoc{u.GroupsExclude},
		jsonDoc{u.GrantTypes}, jsonDoc{u.Scopes},
		u.AccessTokenLifetimeMinutes, u.RefreshTokenLifetimeMinutes, u.RefreshTokenWindowMinutes,
		ms(u.Created), ms(u.LastUpdated))
	return err
}

func (r authServers) GetRule(ctx context.Context, policyID, id string) (u *store.PolicyRule, err error) {
	err = r.s.get(ctx, "get rule "+id+" of policy "+policyID, func(row scanner) error {
		u, err = scanRule(row)
		return err
	}, `SELECT `+ruleCols+` FROM policy_rules WHERE policy_id = ? AND id = ?`, policyID, id)
	return u, err
}

func (r authServers) UpdateRule(ctx context.Context, u *store.PolicyRule) error {
	return r.s.execOne(ctx, "update rule "+u.ID+" of policy "+u.PolicyID,
		`UPDATE policy_rules SET server_id = ?, name = ?, type = ?, status = ?, priority = ?, system = ?,
			users_include = ?, users_exclude = ?, groups_include = ?, groups_exclude = ?, grant_types = ?, scopes = ?,
			access_token_lifetime_minutes = ?, refresh_token_lifetime_minutes = ?, refresh_token_window_minutes = ?,
			created = ?, last_updated = ?
		WHERE policy_id = ? AND id = ?`,
		u.ServerID, u.Name, u.Type, u.Status, u.Priority, u.System,
		jsonDoc{u.UsersInclude}, jsonDoc{u.UsersExclude}, jsonDoc{u.GroupsInclude}, jsonDoc{u.GroupsExclude},
		jsonDoc{u.GrantTypes}, jsonDoc{u.Scopes},
		u.AccessTokenLifetimeMinutes, u.RefreshTokenLifetimeMinutes, u.RefreshTokenWindowMinutes,
		ms(u.Created), ms(u.LastUpdated), u.PolicyID, u.ID)
}

func (r authServers) DeleteRule(ctx context.Context, policyID, id string) error {
	return r.s.execOne(ctx, "delete rule "+id+" of policy "+policyID,
		`DELETE FROM policy_rules WHERE policy_id = ? AND id = ?`, policyID, id)
}

func (r authServers) ListRules(ctx context.Context, policyID string) ([]*store.PolicyRule, error) {
	return list(ctx, r.s, "list rules of policy "+policyID, scanRule,
		`SELECT `+ruleCols+` FROM policy_rules WHERE policy_id = ? ORDER BY priority, id`, policyID)
}
