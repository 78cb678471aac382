CREATE TABLE trusted_origins (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	name TEXT NOT NULL,
	origin TEXT COLLATE "C" NOT NULL UNIQUE,
	scopes TEXT NOT NULL,
	status TEXT NOT NULL,
	created BIGINT NOT NULL,
	created_by TEXT NOT NULL,
	last_updated BIGINT NOT NULL,
	last_updated_by TEXT NOT NULL
);
