-- The Tokens page at 10,000 tokens (SPEC §10): one page is read straight off an index, in order, and the
-- total comes from a counter instead of counting the project's rows on every view.

-- Active tokens in page order: the page query stops after 50 entries and sorts nothing.
CREATE INDEX access_tokens_active_order ON access_tokens(project_id, created_at, id) WHERE deleted_at IS NULL;

-- Active tokens per project, kept exact by the triggers below in the same transaction as every write.
CREATE TABLE active_token_counts (
    project_id TEXT PRIMARY KEY NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    active     BIGINT NOT NULL
);
INSERT INTO active_token_counts (project_id, active)
    SELECT project_id, COUNT(*) FROM access_tokens WHERE deleted_at IS NULL GROUP BY project_id;

CREATE TRIGGER active_token_counts_insert AFTER INSERT ON access_tokens
WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO active_token_counts (project_id, active) VALUES (NEW.project_id, 1)
        ON CONFLICT (project_id) DO UPDATE SET active = active + 1;
END;

CREATE TRIGGER active_token_counts_delete AFTER DELETE ON access_tokens
WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE active_token_counts SET active = active - 1 WHERE project_id = OLD.project_id;
END;

CREATE TRIGGER active_token_counts_update AFTER UPDATE OF deleted_at, project_id ON access_tokens
WHEN (OLD.deleted_at IS NULL) IS NOT (NEW.deleted_at IS NULL) OR OLD.project_id IS NOT NEW.project_id
BEGIN
    UPDATE active_token_counts SET active = active - 1
        WHERE project_id = OLD.project_id AND OLD.deleted_at IS NULL;
    INSERT INTO active_token_counts (project_id, active)
        SELECT NEW.project_id, 1 WHERE NEW.deleted_at IS NULL
        ON CONFLICT (project_id) DO UPDATE SET active = active + 1;
END;
