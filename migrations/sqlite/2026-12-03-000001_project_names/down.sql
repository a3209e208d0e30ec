DROP INDEX projects_name_nocase;
