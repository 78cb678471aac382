-- Administrator roles (/api/v1/users/{id}/roles). A user holds each
-- standard role at most once, so the pair is the key and the assignment id
-- Okta shows is derived from the type. Every existing super administrator
-- keeps full rights: the flag becomes a SUPER_ADMIN assignment (the flag
-- stays, kept equal to "holds SUPER_ADMIN" by the service).
CREATE TABLE admin_roles (
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	type TEXT NOT NULL,
	created INTEGER NOT NULL,
	last_updated INTEGER NOT NULL,
	PRIMARY KEY (user_id, type)
) STRICT;
CREATE INDEX admin_roles_type ON admin_roles (type);
INSERT INTO admin_roles (user_id, type, created, last_updated)
	SELECT id, 'SUPER_ADMIN', created, created FROM users WHERE super_admin = 1;
