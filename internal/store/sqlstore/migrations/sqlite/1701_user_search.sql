-- User search and filter read indexes instead of every user. The profile
-- attributes Okta's search indexes get lower-cased copies (login has
-- login_key already), written by the store with every user (and filled
-- for existing users by the Go step of this migration), since SQLite's
-- lower() folds ASCII only. Every index ends with id, the order lists are
-- paged in, so that a page of equal keys continues from the cursor
-- without a sort.
ALTER TABLE users ADD COLUMN email_key TEXT;
ALTER TABLE users ADD COLUMN first_name_key TEXT;
ALTER TABLE users ADD COLUMN last_name_key TEXT;
CREATE INDEX users_email ON users (email_key, id);
CREATE INDEX users_first_name ON users (first_name_key, id);
CREATE INDEX users_last_name ON users (last_name_key, id);
CREATE INDEX users_status ON users (status, id);
CREATE INDEX users_created ON users (created, id);
CREATE INDEX users_last_updated ON users (last_updated, id);
