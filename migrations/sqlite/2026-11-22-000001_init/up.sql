-- Times are Unix milliseconds (UTC). Ids are UUID v4 strings.
CREATE TABLE accounts (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE projects (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, account_id)
);
CREATE INDEX memberships_by_account ON memberships(account_id);

CREATE TABLE access_tokens (
    id                    TEXT PRIMARY KEY NOT NULL,
    project_id            TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name                  TEXT NOT NULL,
    role                  TEXT NOT NULL CHECK (role IN ('USER', 'ADMIN')),
    -- SHA-256 of the full secret value; the value itself is never stored.
    digest                BLOB NOT NULL UNIQUE,
    hint                  TEXT NOT NULL,
    description           TEXT,
    created_at            BIGINT NOT NULL,
    created_by_account_id TEXT REFERENCES accounts(id) ON DELETE SET NULL,
    issuer_name           TEXT NOT NULL,
    expires_at            BIGINT,
    -- The lifetime chosen at creation, so a renewal gets a fresh expiry of the same length.
    lifetime_secs         BIGINT,
    last_used_at          BIGINT,
    -- Up to 5 distinct client addresses, most recent first, comma-separated.
    last_used_ips         TEXT NOT NULL DEFAULT '',
    deleted_at            BIGINT,
    deleted_by            TEXT,
    deleted_via           TEXT
);
CREATE UNIQUE INDEX access_tokens_active_name ON access_tokens(project_id, name) WHERE deleted_at IS NULL;
CREATE INDEX access_tokens_listing ON access_tokens(project_id, deleted_at, created_at);

CREATE TABLE registration_tokens (
    id                TEXT PRIMARY KEY NOT NULL,
    project_id        TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    digest            BLOB NOT NULL UNIQUE,
    client_name       TEXT NOT NULL,
    token_type        TEXT NOT NULL CHECK (token_type IN ('USER', 'ADMIN')),
    refresh_ttl_secs  BIGINT,
    expires_at        BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    created_by_token_id TEXT REFERENCES access_tokens(id) ON DELETE SET NULL,
    issuer_account_id TEXT REFERENCES accounts(id) ON DELETE SET NULL,
    issuer_name       TEXT NOT NULL,
    used_at           BIGINT,
    used_token_id     TEXT REFERENCES access_tokens(id) ON DELETE SET NULL
);

CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    project_id TEXT REFERENCES projects(id) ON DELETE CASCADE,
    -- For login events, which have no project: the account concerned (if known).
    account_id TEXT REFERENCES accounts(id) ON DELETE CASCADE,
    event      TEXT NOT NULL,
    actor      TEXT NOT NULL,
    target     TEXT,
    client_ip  TEXT,
    detail     TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_by_project ON audit_events(project_id, id);
CREATE INDEX audit_by_account ON audit_events(account_id, id);
