-- The whole schema on PostgreSQL, equal in effect to migrations/sqlite/ up to its latest migration:
-- bytea where SQLite has BLOB, a unique index on lower(email) where SQLite has COLLATE NOCASE, identity
-- columns where it has AUTOINCREMENT, and plpgsql triggers for the active-token counter.
-- Times are Unix milliseconds (UTC). Ids are UUID v4 strings.
CREATE TABLE accounts (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));

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
    digest                BYTEA NOT NULL UNIQUE,
    hint                  TEXT NOT NULL,
    description           TEXT,
    created_at            BIGINT NOT NULL,
    created_by_account_id TEXT REFERENCES accounts(id) ON DELETE SET NULL,
    issuer_name           TEXT NOT NULL,
    expires_at            BIGINT,
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
CREATE INDEX access_tokens_active_order ON access_tokens(project_id, created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE registration_tokens (
    id                  TEXT PRIMARY KEY NOT NULL,
    project_id          TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    digest              BYTEA NOT NULL UNIQUE,
    client_name         TEXT NOT NULL,
    token_type          TEXT NOT NULL CHECK (token_type IN ('USER', 'ADMIN')),
    refresh_ttl_secs    BIGINT,
    expires_at          BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    created_by_token_id TEXT REFERENCES access_tokens(id) ON DELETE SET NULL,
    issuer_account_id   TEXT REFERENCES accounts(id) ON DELETE SET NULL,
    issuer_name         TEXT NOT NULL,
    used_at             BIGINT,
    used_token_id       TEXT REFERENCES access_tokens(id) ON DELETE SET NULL
);
CREATE INDEX registration_tokens_unused_by_issuer ON registration_tokens(created_by_token_id) WHERE used_at IS NULL;

CREATE TABLE audit_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id TEXT REFERENCES projects(id) ON DELETE CASCADE,
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

-- Active tokens per project, kept exact by the trigger below in the same transaction as every write.
CREATE TABLE active_token_counts (
    project_id TEXT PRIMARY KEY NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    active     BIGINT NOT NULL
);

CREATE FUNCTION active_token_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
        UPDATE active_token_counts SET active = active - 1 WHERE project_id = OLD.project_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
        INSERT INTO active_token_counts (project_id, active) VALUES (NEW.project_id, 1)
            ON CONFLICT (project_id) DO UPDATE SET active = active_token_counts.active + 1;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER active_token_counts_insert AFTER INSERT ON access_tokens
    FOR EACH ROW WHEN (NEW.deleted_at IS NULL) EXECUTE FUNCTION active_token_counts_follow();
CREATE TRIGGER active_token_counts_delete AFTER DELETE ON access_tokens
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL) EXECUTE FUNCTION active_token_counts_follow();
CREATE TRIGGER active_token_counts_update AFTER UPDATE OF deleted_at, project_id ON access_tokens
    FOR EACH ROW
    WHEN ((OLD.deleted_at IS NULL) IS DISTINCT FROM (NEW.deleted_at IS NULL)
          OR OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION active_token_counts_follow();

-- Console sessions ended by Log out or a password change (the SHA-256 of their id, never the id).
CREATE TABLE ended_sessions (
    sid_digest BYTEA PRIMARY KEY NOT NULL,
    until      BIGINT NOT NULL
);

-- Counted attempts of the request limits (failed logins, leak reports), shared by every instance.
CREATE TABLE limit_events (
    id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT NOT NULL,
    at  BIGINT NOT NULL
);
CREATE INDEX limit_events_by_key ON limit_events(key, at);
CREATE INDEX limit_events_by_time ON limit_events(at);
