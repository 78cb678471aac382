-- The authorization servers whose access tokens a server accepts as the
-- subject of a token exchange (Okta's "associated servers"), as a JSON array.
ALTER TABLE auth_servers ADD COLUMN trusted_servers TEXT NOT NULL DEFAULT '[]';
