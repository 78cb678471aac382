-- Access tokens are no longer recorded one row each: an access token's id
-- carries its family's key, and revoking a family is one revocation record
-- (F.<family id>) checked against every access token of the family. A
-- family with a refresh token is found through it (to revoke a user's
-- tokens); one without (a grant without offline_access) is recorded here
-- until its access token expires. family_access_tokens keeps the tokens
-- issued before this migration, revoked one by one as before, and empties
-- as they expire.
CREATE TABLE token_families (
	family_id TEXT NOT NULL PRIMARY KEY,
	user_id TEXT NOT NULL,
	client_id TEXT NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX token_families_user ON token_families (user_id, client_id);
CREATE INDEX token_families_expiry ON token_families (expires_at);
