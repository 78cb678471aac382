-- One-time recovery codes of a user's second factor, stored only as
-- SHA-256 hashes (they are long random strings); used_at is 0 until used.
CREATE TABLE recovery_codes (
	user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	code_hash BYTEA NOT NULL,
	created BIGINT NOT NULL,
	used_at BIGINT NOT NULL,
	PRIMARY KEY (user_id, code_hash)
);
