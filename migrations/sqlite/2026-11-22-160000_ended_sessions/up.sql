-- Console sessions ended by Log out (`auth::ended_sessions`): the session lives in an encrypted cookie,
-- so the server remembers which ones ended (the SHA-256 of their id, never the id) until the cookie would
-- have lapsed anyway.
CREATE TABLE ended_sessions (
    sid_digest BLOB PRIMARY KEY NOT NULL,
    until      BIGINT NOT NULL
);
