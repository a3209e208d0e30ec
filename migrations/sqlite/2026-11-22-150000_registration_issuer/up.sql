-- The unused registration tokens an access token issued: ended in the same transaction that deletes or
-- renews that token (a leaked ADMIN token may have been used to mint them).
CREATE INDEX registration_tokens_unused_by_issuer ON registration_tokens(created_by_token_id) WHERE used_at IS NULL;
