-- SPEC §11: changing the password ends every other session of the account. Each session cookie carries the
-- generation it was signed in under; a password change moves the account to the next one.
ALTER TABLE accounts ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;
