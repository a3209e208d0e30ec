DROP TRIGGER active_token_counts_update;
DROP TRIGGER active_token_counts_delete;
DROP TRIGGER active_token_counts_insert;
DROP TABLE active_token_counts;
DROP INDEX access_tokens_active_order;
