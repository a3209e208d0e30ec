-- SPEC §13: a token may be fixed to the jobs carrying one label, NAME=VALUE (null: unscoped). A registration
-- token carries the selector its exchange gives the access token it makes.
ALTER TABLE access_tokens ADD COLUMN label_selector TEXT;
ALTER TABLE registration_tokens ADD COLUMN label_selector TEXT;
