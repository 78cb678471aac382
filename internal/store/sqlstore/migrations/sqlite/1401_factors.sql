-- Second factors (TOTP secrets, WebAuthn credentials), their secret sealed
-- under the master key like signing keys.
CREATE TABLE factors (
	id TEXT NOT NULL PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	factor_type TEXT NOT NULL,
	provider TEXT NOT NULL,
	status TEXT NOT NULL,
	profile TEXT NOT NULL,
	secret_sealed BLOB,
	counter INTEGER NOT NULL,
	failed_attempts INTEGER NOT NULL,
	last_failure INTEGER NOT NULL,
	last_verified INTEGER NOT NULL,
	created INTEGER NOT NULL,
	last_updated INTEGER NOT NULL
) STRICT;
CREATE INDEX factors_user ON factors (user_id, created);
