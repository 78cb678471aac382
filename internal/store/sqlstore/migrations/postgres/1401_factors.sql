-- Second factors (TOTP secrets, WebAuthn credentials), their secret sealed
-- under the master key like signing keys.
CREATE TABLE factors (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	factor_type TEXT NOT NULL,
	provider TEXT NOT NULL,
	status TEXT NOT NULL,
	profile TEXT NOT NULL,
	secret_sealed BYTEA,
	counter BIGINT NOT NULL,
	failed_attempts INTEGER NOT NULL,
	last_failure BIGINT NOT NULL,
	last_verified BIGINT NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL
);
CREATE INDEX factors_user ON factors (user_id, created);
