-- 0043 A cheaper account check (issue 30, item 11): every command of the admin socket reads its account again in
-- the statement that sets the tenant context (issue 35), through `account_for_login`. As a LANGUAGE sql function
-- with SECURITY DEFINER it is never inlined and PostgreSQL parses and plans its body at every call: 35 µs of a
-- 120 µs `funds` transaction (pgbench, the context statement alone: 21,000 tps against 38,000 as PL/pgSQL).
-- PL/pgSQL keeps the plan of the body for the session (as sql/0006 did for the policy functions). Same
-- signature, same rows, same owner and grants (CREATE OR REPLACE keeps them).

CREATE OR REPLACE FUNCTION sozialraum.account_for_login(account_name text)
    RETURNS TABLE (name text, tenant_id uuid, role text, secret_hash bytea, salt bytea, scrypt_n int, rights text[],
                   generation bigint, language text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT a.name, a.tenant_id, a.role, a.secret_hash, a.salt, a.scrypt_n, a.rights, a.generation, a.language
    FROM sozialraum.account a WHERE a.name = account_name AND NOT a.disabled;
END
$$;
