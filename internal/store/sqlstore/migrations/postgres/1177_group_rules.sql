-- Group rules (/api/v1/groups/rules): group_ids and exclude_user_ids are
-- JSON arrays of ids. group_rule_members records the memberships a rule
-- made, so that only those are taken away when a person stops matching or
-- the rule is deleted with removeUsers.
CREATE TABLE group_rules (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	name TEXT NOT NULL,
	status TEXT NOT NULL,
	expression TEXT NOT NULL,
	group_ids TEXT NOT NULL,
	exclude_user_ids TEXT NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL
);

CREATE TABLE group_rule_members (
	rule_id TEXT COLLATE "C" NOT NULL REFERENCES group_rules (id) ON DELETE CASCADE,
	group_id TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	PRIMARY KEY (rule_id, group_id, user_id)
);
CREATE INDEX group_rule_members_user ON group_rule_members (user_id);
