-- A user's recovery question (credentials.recovery_question): the question
-- as set, and the answer's argon2id hash (write-only, never returned).
ALTER TABLE users ADD COLUMN recovery_question TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN recovery_answer_hash TEXT NOT NULL DEFAULT '';
