-- Org policies of /api/v1/policies: the classic OKTA_SIGN_ON policy (who
-- must give a second factor at sign-in) and ACCESS_POLICY (an app's
-- sign-on requirement), with their rules. Conditions and actions are JSON
-- documents: Okta's shapes are wide and Sesame evaluates a few members.
CREATE TABLE org_policies (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	policy_type TEXT NOT NULL,
	name TEXT NOT NULL,
	description TEXT NOT NULL,
	status TEXT NOT NULL,
	priority INTEGER NOT NULL,
	system BOOLEAN NOT NULL,
	conditions TEXT NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL
);
CREATE INDEX org_policies_type ON org_policies (policy_type, priority);

CREATE TABLE org_policy_rules (
	id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	policy_id TEXT COLLATE "C" NOT NULL REFERENCES org_policies (id) ON DELETE CASCADE,
	rule_type TEXT NOT NULL,
	name TEXT NOT NULL,
	status TEXT NOT NULL,
	priority INTEGER NOT NULL,
	system BOOLEAN NOT NULL,
	conditions TEXT NOT NULL,
	actions TEXT NOT NULL,
	created BIGINT NOT NULL,
	last_updated BIGINT NOT NULL
);
CREATE INDEX org_policy_rules_policy ON org_policy_rules (policy_id, priority);

-- The access policy an app is bound to (PUT /api/v1/apps/{id}/policies/{pid}).
CREATE TABLE app_access_policies (
	app_id TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
	policy_id TEXT COLLATE "C" NOT NULL REFERENCES org_policies (id) ON DELETE CASCADE
);
CREATE INDEX app_access_policies_policy ON app_access_policies (policy_id);
