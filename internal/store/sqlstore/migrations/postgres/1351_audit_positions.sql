-- System Log events get a position in commit order, for pollers that must
-- see every event once: tx is the writing transaction's id, seq a sequence
-- taken at insert. Readers only expose positions below the oldest
-- transaction still running (see auditHorizon), which makes (tx, seq) a
-- cursor no later commit can land behind. Events already stored were all
-- committed long ago: tx 0, numbered in their (published, uuid) order.
ALTER TABLE audit_events ADD COLUMN tx BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
CREATE SEQUENCE audit_events_seq OWNED BY audit_events.seq;
UPDATE audit_events SET seq = o.n
	FROM (SELECT uuid, row_number() OVER (ORDER BY published, uuid) AS n FROM audit_events) o
	WHERE o.uuid = audit_events.uuid;
SELECT setval('audit_events_seq', COALESCE((SELECT max(seq) FROM audit_events), 0) + 1, false);
ALTER TABLE audit_events
	ALTER COLUMN seq SET DEFAULT nextval('audit_events_seq'),
	ALTER COLUMN seq SET NOT NULL,
	ALTER COLUMN tx SET DEFAULT pg_current_xact_id()::text::bigint;
CREATE UNIQUE INDEX audit_events_position ON audit_events (tx, seq);
