-- 0039 The accountants' language (issue 32, item 1): an account may choose German or English for the texts of
-- the admin socket; without a choice it gets the county's `interface.language`. Codes, status words and
-- machine formats are the same in both.

ALTER TABLE sozialraum.account ADD COLUMN language text CHECK (language IN ('de', 'en'));

-- A login learns the account's language too.
DROP FUNCTION sozialraum.account_for_login(text);
CREATE FUNCTION sozialraum.account_for_login(account_name text)
    RETURNS TABLE (name text, tenant_id uuid, role text, secret_hash bytea, salt bytea, scrypt_n int, rights text[],
                   generation bigint, language text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT a.name, a.tenant_id, a.role, a.secret_hash, a.salt, a.scrypt_n, a.rights, a.generation, a.language
        FROM sozialraum.account a WHERE a.name = account_name AND NOT a.disabled
    $$;
REVOKE ALL ON FUNCTION sozialraum.account_for_login(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.account_for_login(text) TO sozialraum_runtime;
