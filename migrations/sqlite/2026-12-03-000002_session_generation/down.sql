ALTER TABLE accounts DROP COLUMN session_generation;
