-- Times are unix milliseconds (0 = unset); JSON documents are TEXT; booleans
-- are 0/1. Tables are STRICT so that a value of the wrong type fails loudly.

CREATE TABLE orgs (
	singleton INTEGER PRIMARY KEY CHECK (singleton = 1), -- one org per install
	id TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	created INTEGER NOT NULL,
	setup_token_hash BLOB,
	setup_token_expires INTEGER NOT NULL,
	last_updated INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
	id TEXT NOT NULL PRIMARY KEY,
	status TEXT NOT NULL,
	login TEXT NOT NULL,
	login_key TEXT NOT NULL UNIQUE,
	profile TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	super_admin INTEGER NOT NULL,
	created INTEGER NOT NULL,
	activated INTEGER NOT NULL,
	status_changed INTEGER NOT NULL,
	last_login INTEGER NOT NULL,
	last_updated INTEGER NOT NULL,
	password_changed INTEGER NOT NULL
) STRICT;

CREATE TABLE groups (
	id TEXT NOT NULL PRIMARY KEY,
	type TEXT NOT NULL,
	name TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL,
	created INTEGER NOT NULL,
	last_updated INTEGER NOT NULL,
	last_membership_updated INTEGER NOT NULL
) STRICT;

CREATE TABLE group_members (
	group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, user_id)
) STRICT;
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE apps (
	id TEXT NOT NULL PRIMARY KEY,
	name TEXT NOT NULL,
	label TEXT NOT NULL,
	status TEXT NOT NULL,
	sign_on_mode TEXT NOT NULL,
	client_id TEXT NOT NULL UNIQUE,
	credentials TEXT NOT NULL,
	settings TEXT NOT NULL,
	profile TEXT NOT NULL,
	client_secret_hash BLOB,
	client_secret_sealed BLOB,
	created_by_dcr INTEGER NOT NULL,
	created INTEGER NOT NULL,
	last_updated INTEGER NOT NULL
) STRICT;

CREATE TABLE app_grants (
	id TEXT NOT NULL PRIMARY KEY,
	app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	issuer TEXT NOT NULL,
	scope_id TEXT NOT NULL,
	status TEXT NOT NULL,
	source TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created INTEGER NOT NULL,
	last_updated INTEGER NOT NULL,
	UNIQUE (app_id, issuer, scope_id)
) STRICT;

CREATE TABLE app_users (
	app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	scope TEXT NOT NULL,
	user_name TEXT NOT NULL,
	profile TEXT NOT NULL,
	created INTEGER NOT NULL,
	last_updated INTEGER NOT NULL,
	PRIMARY KEY (app_id, user_id)
) STRICT;
CREATE INDEX app_users_user ON app_users (user_id);

CREATE TABLE app_groups (
	app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	priority INTEGER NOT NULL,
	profile TEXT NOT NULL,
	last_updated INTEGER NOT NULL,
	PRIMARY KEY (app_id, group_id)
) STRICT;
CREATE INDEX app_groups_group ON app_groups (group_id);

CREATE TABLE auth_servers (
	id TEXT NOT NULL PRIMARY KEY,
	name TEXT NOT NULL,
	description TEXT NOT NULL,
	audiences TEXT NOT NULL,
	issuer_mode TEXT NOT NULL,
	status TEXT NOT NULL,
	is_default INTEGER NOT NULL,
	rotation_mode TEXT NOT NULL,
	last_rotated INTEGER NOT NULL,
	next_rotation INTEGER NOT NULL,
	created INTEGER NOT NULL,
	last_updated INTEGER NOT NULL
) STRICT;

CREATE TABLE scopes (
	id TEXT NOT NULL PRIMARY KEY,
	server_id TEXT NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	display_name TEXT NOT NULL,
	description TEXT NOT NULL,
	system INTEGER NOT NULL,
	is_default INTEGER NOT NULL,
	consent TEXT NOT NULL,
	optional INTEGER NOT NULL,
	metadata_publish TEXT NOT NULL,
	created INTEGER NOT NULL,
	last_updated INTEGER NOT NULL,
	UNIQUE (server_id, name)
) STRICT;

CREATE TABLE claims (
	id TEXT NOT NULL PRIMARY KEY,
	server_id TEXT NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	status TEXT NOT NULL,
	claim_type TEXT NOT NULL,
	value_type TEXT NOT NULL,
	value TEXT NOT NULL,
	group_filter_type TEXT NOT NULL,
	always_include_in_token INTEGER NOT NULL,
	condition_scopes TEXT NOT NULL,
	system INTEGER NOT NULL,
	created INTEGER NOT NULL,
	last_updated INTEGER NOT NULL
) STRICT;
CREATE INDEX claims_server ON claims (server_id, name);

CREATE TABLE policies (
	id TEXT NOT NULL PRIMARY KEY,
	server_id TEXT NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	description TEXT NOT NULL,
	status TEXT NOT NULL,
	priority INTEGER NOT NULL,
	system INTEGER NOT NULL,
	clients_include TEXT NOT NULL,
	created INTEGER NOT NULL,
	last_updated INTEGER NOT NULL
) STRICT;
CREATE INDEX policies_server ON policies (server_id, priority);

CREATE TABLE policy_rules (
	id TEXT NOT NULL PRIMARY KEY,
	policy_id TEXT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
	server_id TEXT NOT NULL,
	name TEXT NOT NULL,
	type TEXT NOT NULL,
	status TEXT NOT NULL,
	priority INTEGER NOT NULL,
	system INTEGER NOT NULL,
	users_include TEXT NOT NULL,
	users_exclude TEXT NOT NULL,
	groups_include TEXT NOT NULL,
	groups_exclude TEXT NOT NULL,
	grant_types TEXT NOT NULL,
	scopes TEXT NOT NULL,
	access_token_lifetime_minutes INTEGER NOT NULL,
	refresh_token_lifetime_minutes INTEGER NOT NULL,
	refresh_token_window_minutes INTEGER NOT NULL,
	created INTEGER NOT NULL,
	last_updated INTEGER NOT NULL
) STRICT;
CREATE INDEX policy_rules_policy ON policy_rules (policy_id, priority);

-- No foreign key: the org authorization server has keys but no record.
CREATE TABLE signing_keys (
	kid TEXT NOT NULL PRIMARY KEY,
	server_id TEXT NOT NULL,
	alg TEXT NOT NULL,
	key_use TEXT NOT NULL,
	status TEXT NOT NULL,
	public_jwk BLOB,
	private_sealed BLOB,
	created INTEGER NOT NULL,
	activated INTEGER NOT NULL,
	retire_at INTEGER NOT NULL
) STRICT;
CREATE INDEX signing_keys_server ON signing_keys (server_id, created);

CREATE TABLE api_tokens (
	id TEXT NOT NULL PRIMARY KEY,
	name TEXT NOT NULL,
	user_id TEXT NOT NULL,
	client_name TEXT NOT NULL,
	token_hash BLOB NOT NULL UNIQUE,
	created INTEGER NOT NULL,
	last_used INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	last_updated INTEGER NOT NULL
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE replays (
	replay_key TEXT NOT NULL PRIMARY KEY,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX replays_expires ON replays (expires_at);

CREATE TABLE revocations (
	jti TEXT NOT NULL PRIMARY KEY,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER NOT NULL
) STRICT;
CREATE INDEX revocations_revoked ON revocations (revoked_at);
CREATE INDEX revocations_expires ON revocations (expires_at);

CREATE TABLE audit_events (
	uuid TEXT NOT NULL PRIMARY KEY,
	published INTEGER NOT NULL,
	event_type TEXT NOT NULL,
	severity TEXT NOT NULL,
	actor_id TEXT NOT NULL,
	data BLOB
) STRICT;
CREATE INDEX audit_events_published ON audit_events (published, uuid);
CREATE INDEX audit_events_type ON audit_events (event_type, published, uuid);

CREATE TABLE config_version (
	singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
	version INTEGER NOT NULL
) STRICT;
INSERT INTO config_version (singleton, version) VALUES (1, 0);
