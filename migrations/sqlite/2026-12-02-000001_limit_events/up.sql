-- Counted attempts of the request limits (failed logins, leak reports): kept in the database, as on
-- PostgreSQL, where every instance must count the attempts of all (SPEC §12).
CREATE TABLE limit_events (
    id  INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    key TEXT NOT NULL,
    at  BIGINT NOT NULL
);
CREATE INDEX limit_events_by_key ON limit_events(key, at);
CREATE INDEX limit_events_by_time ON limit_events(at);
