-- Sign-in: browser sessions, one-time codes, refresh tokens with the access
-- tokens issued in their family, end-user consent, failed sign-in counts.

ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;

CREATE TABLE sessions (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	token_hash BYTEA NOT NULL UNIQUE,
	user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	amr TEXT NOT NULL,
	created BIGINT NOT NULL,
	last_password_verification BIGINT NOT NULL,
	last_active BIGINT NOT NULL,
	idle_expires_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (idle_expires_at);

CREATE TABLE one_time_codes (
	kind TEXT NOT NULL,
	hash BYTEA NOT NULL,
	data BYTEA NOT NULL,
	created BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT NOT NULL,
	PRIMARY KEY (kind, hash)
);
CREATE INDEX one_time_codes_expiry ON one_time_codes (expires_at);

CREATE TABLE refresh_tokens (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	hash BYTEA NOT NULL UNIQUE,
	family_id TEXT COLLATE "C" NOT NULL,
	server_id TEXT COLLATE "C" NOT NULL,
	client_id TEXT COLLATE "C" NOT NULL,
	user_id TEXT COLLATE "C" NOT NULL,
	scopes TEXT NOT NULL,
	data BYTEA NOT NULL,
	created BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	idle_expires_at BIGINT NOT NULL,
	rotated_at BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);

CREATE TABLE family_access_tokens (
	family_id TEXT COLLATE "C" NOT NULL,
	jti TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	user_id TEXT COLLATE "C" NOT NULL,
	client_id TEXT COLLATE "C" NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX family_access_tokens_family ON family_access_tokens (family_id);
CREATE INDEX family_access_tokens_user ON family_access_tokens (user_id);

CREATE TABLE user_grants (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	client_id TEXT COLLATE "C" NOT NULL,
	server_id TEXT COLLATE "C" NOT NULL,
	scope TEXT COLLATE "C" NOT NULL,
	status TEXT NOT NULL,
	source TEXT NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL,
	UNIQUE (user_id, client_id, server_id, scope)
);
