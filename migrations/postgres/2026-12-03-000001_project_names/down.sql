DROP INDEX projects_name_lower;
