-- 0006 Cheaper row-level security: the policy functions become PL/pgSQL.
--
-- A LANGUAGE sql function whose body holds a subquery is never inlined, and PostgreSQL plans its body
-- again at every call site of every statement (the plan lives only as long as one execution). Every
-- policy calls these functions, so a statement over five tables planned them ten times. PL/pgSQL keeps
-- the plan of the body for the session: same answers, a fraction of the cost (the `funds` transaction
-- doubled its rate in pgbench). The definitions are otherwise unchanged.

CREATE OR REPLACE FUNCTION sozialraum.current_tenant_is_county() RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM sozialraum.county c WHERE c.tenant_id = sozialraum.current_tenant());
END
$$;

CREATE OR REPLACE FUNCTION sozialraum.current_tenant_serves(space text, in_year int) RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    AS $$
BEGIN
    RETURN EXISTS (
        SELECT 1 FROM sozialraum.provider_assignment a
        WHERE a.tenant_id = sozialraum.current_tenant() AND a.social_space = space
          AND a.valid_from <= make_date(in_year, 12, 31)
          AND (a.valid_to IS NULL OR a.valid_to >= make_date(in_year, 1, 1)));
END
$$;
