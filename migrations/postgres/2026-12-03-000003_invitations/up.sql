-- SPEC §11: invitations to a project for an email without an account (or one that gets an account before it
-- accepts). Only the digest of the invitation's value is kept.
CREATE TABLE invitations (
    id                    TEXT PRIMARY KEY NOT NULL,
    project_id            TEXT NOT NULL REFERENCES projects (id),
    email                 TEXT NOT NULL,
    role                  TEXT NOT NULL,
    digest                BYTEA NOT NULL UNIQUE,
    invited_by            TEXT NOT NULL,
    invited_by_account_id TEXT,
    created_at            BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL,
    accepted_at           BIGINT,
    accepted_account_id   TEXT,
    revoked_at            BIGINT
);
CREATE INDEX invitations_pending ON invitations (project_id, created_at)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
