DROP TABLE audit_events;
DROP TABLE registration_tokens;
DROP TABLE access_tokens;
DROP TABLE memberships;
DROP TABLE projects;
DROP TABLE accounts;
