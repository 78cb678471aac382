-- System Log events get a position in commit order, for pollers that must
-- see every event once. SQLite has one writer at a time, so an
-- AUTOINCREMENT key taken at insert is already in commit order (and never
-- reused, even after the newest events are deleted); tx is always 0. The
-- table is rebuilt because SQLite cannot add such a key to a table;
-- existing events are numbered in their (published, uuid) order.
CREATE TABLE audit_events_new (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	tx INTEGER NOT NULL DEFAULT 0,
	uuid TEXT NOT NULL UNIQUE,
	published INTEGER NOT NULL,
	event_type TEXT NOT NULL,
	severity TEXT NOT NULL,
	actor_id TEXT NOT NULL,
	data BLOB
) STRICT;
INSERT INTO audit_events_new (uuid, published, event_type, severity, actor_id, data)
	SELECT uuid, published, event_type, severity, actor_id, data FROM audit_events ORDER BY published, uuid;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_events_published ON audit_events (published, uuid);
CREATE INDEX audit_events_type ON audit_events (event_type, published, uuid);
CREATE UNIQUE INDEX audit_events_position ON audit_events (tx, seq);
