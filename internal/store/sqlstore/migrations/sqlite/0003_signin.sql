-- Sign-in: browser sessions, one-time codes, refresh tokens with the access
-- tokens issued in their family, end-user consent, failed sign-in counts.

ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;

CREATE TABLE sessions (
	id TEXT NOT NULL PRIMARY KEY,
	token_hash BLOB NOT NULL UNIQUE,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	amr TEXT NOT NULL,
	created INTEGER NOT NULL,
	last_password_verification INTEGER NOT NULL,
	last_active INTEGER NOT NULL,
	idle_expires_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (idle_expires_at);

CREATE TABLE one_time_codes (
	kind TEXT NOT NULL,
	hash BLOB NOT NULL,
	data BLOB NOT NULL,
	created INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at INTEGER NOT NULL,
	PRIMARY KEY (kind, hash)
) STRICT;
CREATE INDEX one_time_codes_expiry ON one_time_codes (expires_at);

CREATE TABLE refresh_tokens (
	id TEXT NOT NULL PRIMARY KEY,
	hash BLOB NOT NULL UNIQUE,
	family_id TEXT NOT NULL,
	server_id TEXT NOT NULL,
	client_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	scopes TEXT NOT NULL,
	data BLOB NOT NULL,
	created INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	idle_expires_at INTEGER NOT NULL,
	rotated_at INTEGER NOT NULL,
	revoked_at INTEGER NOT NULL
) STRICT;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);

CREATE TABLE family_access_tokens (
	family_id TEXT NOT NULL,
	jti TEXT NOT NULL PRIMARY KEY,
	user_id TEXT NOT NULL,
	client_id TEXT NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX family_access_tokens_family ON family_access_tokens (family_id);
CREATE INDEX family_access_tokens_user ON family_access_tokens (user_id);

CREATE TABLE user_grants (
	id TEXT NOT NULL PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	client_id TEXT NOT NULL,
	server_id TEXT NOT NULL,
	scope TEXT NOT NULL,
	status TEXT NOT NULL,
	source TEXT NOT NULL,
	created INTEGER NOT NULL,
	last_updated INTEGER NOT NULL,
	UNIQUE (user_id, client_id, server_id, scope)
) STRICT;
