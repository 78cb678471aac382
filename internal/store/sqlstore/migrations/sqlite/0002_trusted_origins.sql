CREATE TABLE trusted_origins (
	id TEXT NOT NULL PRIMARY KEY,
	name TEXT NOT NULL,
	origin TEXT NOT NULL UNIQUE,
	scopes TEXT NOT NULL,
	status TEXT NOT NULL,
	created INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	last_updated INTEGER NOT NULL,
	last_updated_by TEXT NOT NULL
) STRICT;
