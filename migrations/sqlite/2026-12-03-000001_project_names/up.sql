-- SPEC §11: project names are unique regardless of case (the CLI accepts a name wherever it takes a project).
CREATE UNIQUE INDEX projects_name_nocase ON projects (name COLLATE NOCASE);
