-- A user's recovery question (credentials.recovery_question): the question
-- as set and its answer's argon2id hash (write-only, never returned). A
-- table of its own keeps the users rows, which every list reads, as narrow
-- as the search plans were measured with.
CREATE TABLE user_recovery (
	user_id TEXT COLLATE "C" PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	question TEXT NOT NULL,
	answer_hash TEXT NOT NULL
);
