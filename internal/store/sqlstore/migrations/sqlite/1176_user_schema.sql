-- The custom properties of the default user profile schema
-- (/api/v1/meta/schemas/user/default, definitions.custom), one row each;
-- definition is the property's JSON in Okta's shape.
CREATE TABLE user_schema_properties (
	name TEXT NOT NULL PRIMARY KEY,
	definition TEXT NOT NULL,
	created INTEGER NOT NULL,
	last_updated INTEGER NOT NULL
) STRICT;
