-- Times are unix milliseconds (0 = unset); JSON documents are TEXT. Text
-- keys compare byte-wise (COLLATE "C") so that pages and orders match SQLite
-- whatever the database's collation.

CREATE TABLE orgs (
	singleton SMALLINT PRIMARY KEY CHECK (singleton = 1), -- one org per install
	id TEXT COLLATE "C" NOT NULL UNIQUE,
	name TEXT COLLATE "C" NOT NULL,
	created BIGINT NOT NULL,
	setup_token_hash BYTEA,
	setup_token_expires BIGINT NOT NULL,
	last_updated BIGINT NOT NULL
);

CREATE TABLE users (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	status TEXT NOT NULL,
	login TEXT NOT NULL,
	login_key TEXT COLLATE "C" NOT NULL UNIQUE,
	profile TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	super_admin BOOLEAN NOT NULL,
	created BIGINT NOT NULL,
	activated BIGINT NOT NULL,
	status_changed BIGINT NOT NULL,
	last_login BIGINT NOT NULL,
	last_updated BIGINT NOT NULL,
	password_changed BIGINT NOT NULL
);

CREATE TABLE groups (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	type TEXT NOT NULL,
	name TEXT COLLATE "C" NOT NULL UNIQUE,
	description TEXT NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL,
	last_membership_updated BIGINT NOT NULL
);

CREATE TABLE group_members (
	group_id TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE apps (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	name TEXT COLLATE "C" NOT NULL,
	label TEXT NOT NULL,
	status TEXT NOT NULL,
	sign_on_mode TEXT NOT NULL,
	client_id TEXT COLLATE "C" NOT NULL UNIQUE,
	credentials TEXT NOT NULL,
	settings TEXT NOT NULL,
	profile TEXT NOT NULL,
	client_secret_hash BYTEA,
	client_secret_sealed BYTEA,
	created_by_dcr BOOLEAN NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL
);

CREATE TABLE app_grants (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	app_id TEXT COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	issuer TEXT COLLATE "C" NOT NULL,
	scope_id TEXT COLLATE "C" NOT NULL,
	status TEXT NOT NULL,
	source TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL,
	UNIQUE (app_id, issuer, scope_id)
);

CREATE TABLE app_users (
	app_id TEXT COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	scope TEXT NOT NULL,
	user_name TEXT NOT NULL,
	profile TEXT NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL,
	PRIMARY KEY (app_id, user_id)
);
CREATE INDEX app_users_user ON app_users (user_id);

CREATE TABLE app_groups (
	app_id TEXT COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	group_id TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	priority INTEGER NOT NULL,
	profile TEXT NOT NULL,
	last_updated BIGINT NOT NULL,
	PRIMARY KEY (app_id, group_id)
);
CREATE INDEX app_groups_group ON app_groups (group_id);

CREATE TABLE auth_servers (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	name TEXT COLLATE "C" NOT NULL,
	description TEXT NOT NULL,
	audiences TEXT NOT NULL,
	issuer_mode TEXT NOT NULL,
	status TEXT NOT NULL,
	is_default BOOLEAN NOT NULL,
	rotation_mode TEXT NOT NULL,
	last_rotated BIGINT NOT NULL,
	next_rotation BIGINT NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL
);

CREATE TABLE scopes (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	server_id TEXT COLLATE "C" NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
	name TEXT COLLATE "C" NOT NULL,
	display_name TEXT NOT NULL,
	description TEXT NOT NULL,
	system BOOLEAN NOT NULL,
	is_default BOOLEAN NOT NULL,
	consent TEXT NOT NULL,
	optional BOOLEAN NOT NULL,
	metadata_publish TEXT NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL,
	UNIQUE (server_id, name)
);

CREATE TABLE claims (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	server_id TEXT COLLATE "C" NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
	name TEXT COLLATE "C" NOT NULL,
	status TEXT NOT NULL,
	claim_type TEXT NOT NULL,
	value_type TEXT NOT NULL,
	value TEXT NOT NULL,
	group_filter_type TEXT NOT NULL,
	always_include_in_token BOOLEAN NOT NULL,
	condition_scopes TEXT NOT NULL,
	system BOOLEAN NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL
);
CREATE INDEX claims_server ON claims (server_id, name);

CREATE TABLE policies (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	server_id TEXT COLLATE "C" NOT NULL REFERENCES auth_servers (id) ON DELETE CASCADE,
	name TEXT COLLATE "C" NOT NULL,
	description TEXT NOT NULL,
	status TEXT NOT NULL,
	priority INTEGER NOT NULL,
	system BOOLEAN NOT NULL,
	clients_include TEXT NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL
);
CREATE INDEX policies_server ON policies (server_id, priority);

CREATE TABLE policy_rules (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	policy_id TEXT COLLATE "C" NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
	server_id TEXT COLLATE "C" NOT NULL,
	name TEXT COLLATE "C" NOT NULL,
	type TEXT NOT NULL,
	status TEXT NOT NULL,
	priority INTEGER NOT NULL,
	system BOOLEAN NOT NULL,
	users_include TEXT NOT NULL,
	users_exclude TEXT NOT NULL,
	groups_include TEXT NOT NULL,
	groups_exclude TEXT NOT NULL,
	grant_types TEXT NOT NULL,
	scopes TEXT NOT NULL,
	access_token_lifetime_minutes INTEGER NOT NULL,
	refresh_token_lifetime_minutes INTEGER NOT NULL,
	refresh_token_window_minutes INTEGER NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL
);
CREATE INDEX policy_rules_policy ON policy_rules (policy_id, priority);

-- No foreign key: the org authorization server has keys but no record.
CREATE TABLE signing_keys (
	kid TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	server_id TEXT COLLATE "C" NOT NULL,
	alg TEXT NOT NULL,
	key_use TEXT NOT NULL,
	status TEXT NOT NULL,
	public_jwk BYTEA,
	private_sealed BYTEA,
	created BIGINT NOT NULL,
	activated BIGINT NOT NULL,
	retire_at BIGINT NOT NULL
);
CREATE INDEX signing_keys_server ON signing_keys (server_id, created);

CREATE TABLE api_tokens (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	name TEXT COLLATE "C" NOT NULL,
	user_id TEXT COLLATE "C" NOT NULL,
	client_name TEXT NOT NULL,
	token_hash BYTEA NOT NULL UNIQUE,
	created BIGINT NOT NULL,
	last_used BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	last_updated BIGINT NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE replays (
	replay_key TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	expires_at BIGINT NOT NULL
);
CREATE INDEX replays_expires ON replays (expires_at);

CREATE TABLE revocations (
	jti TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	expires_at BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL
);
CREATE INDEX revocations_revoked ON revocations (revoked_at);
CREATE INDEX revocations_expires ON revocations (expires_at);

CREATE TABLE audit_events (
	uuid TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	published BIGINT NOT NULL,
	event_type TEXT COLLATE "C" NOT NULL,
	severity TEXT NOT NULL,
	actor_id TEXT NOT NULL,
	data BYTEA
);
CREATE INDEX audit_events_published ON audit_events (published, uuid);
CREATE INDEX audit_events_type ON audit_events (event_type, published, uuid);

CREATE TABLE config_version (
	singleton SMALLINT PRIMARY KEY CHECK (singleton = 1),
	version BIGINT NOT NULL
);
INSERT INTO config_version (singleton, version) VALUES (1, 0);
