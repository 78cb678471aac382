-- Client secrets become a list (Okta's /credentials/secrets: at most two,
-- each ACTIVE or INACTIVE, so that a secret can be rotated without downtime),
-- and an app keeps the groups claim of its ID tokens from the org
-- authorization server (Okta's internal settings/oauth/idToken endpoint).
-- Each secret is a JSON object: id, status, hash and sealed (hex), created and
-- lastUpdated (Unix milliseconds). The one secret an app had so far becomes
-- its first, ACTIVE, secret.
ALTER TABLE apps ADD COLUMN client_secrets TEXT NOT NULL DEFAULT '[]';
ALTER TABLE apps ADD COLUMN groups_claim TEXT NOT NULL DEFAULT 'null';
UPDATE apps SET client_secrets = json_build_array(json_build_object(
	'id', 'ocs' || substr(id, 4),
	'status', 'ACTIVE',
	'hash', encode(client_secret_hash, 'hex'),
	'sealed', coalesce(encode(client_secret_sealed, 'hex'), ''),
	'created', created,
	'lastUpdated', last_updated))::text
WHERE client_secret_hash IS NOT NULL;
ALTER TABLE apps DROP COLUMN client_secret_hash;
ALTER TABLE apps DROP COLUMN client_secret_sealed;
