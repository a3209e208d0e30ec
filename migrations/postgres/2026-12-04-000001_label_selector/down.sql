ALTER TABLE registration_tokens DROP COLUMN label_selector;
ALTER TABLE access_tokens DROP COLUMN label_selector;
