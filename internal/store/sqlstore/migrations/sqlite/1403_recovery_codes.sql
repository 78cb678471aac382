-- One-time recovery codes of a user's second factor, stored only as
-- SHA-256 hashes (they are long random strings); used_at is 0 until used.
CREATE TABLE recovery_codes (
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	code_hash BLOB NOT NULL,
	created INTEGER NOT NULL,
	used_at INTEGER NOT NULL,
	PRIMARY KEY (user_id, code_hash)
) STRICT;
