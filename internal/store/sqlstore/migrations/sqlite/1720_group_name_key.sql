-- Groups' q (a case-insensitive prefix of the name) seeks an index instead
-- of reading every group: name_key is the name lower-cased by Go, written
-- by the store with every group and filled for existing groups by the Go
-- step of this migration (SQLite's lower() folds ASCII only). The index
-- ends with id so that a page of equal keys continues from the cursor
-- without a sort.
ALTER TABLE groups ADD COLUMN name_key TEXT;
CREATE INDEX groups_folded_name ON groups (name_key, id);
