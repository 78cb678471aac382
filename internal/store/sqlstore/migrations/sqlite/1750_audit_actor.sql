-- A System Log query filtered on actor.id (an admin looking up what one
-- person did) reads that actor's events through this index instead of
-- every event of the window. lower() because filters compare without
-- case; published, uuid as the queries page.
CREATE INDEX audit_events_actor ON audit_events (lower(actor_id), published, uuid);
