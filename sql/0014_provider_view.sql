-- 0014 What a provider sees of a Sozialraum it shares with others (issue 17): one rule for every command,
-- chosen by the county.
--
--   totals (default)  the providers that serve a Sozialraum steer its budget together: each sees the
--                     Sozialraum's totals (funds, reconciliation lines, months, cover transfers, diffs and
--                     the chart), never another provider's own rows (bookings, deliveries, findings,
--                     statements stay its own), and nothing per provider inside the Sozialraum;
--   own               a provider sees its own spending only: `funds` shows its own actuals and
--                     commitments against the appropriation, and the Sozialraum's reconciliation results
--                     (which hold everyone's spending) are not shown to it at all.
--
-- Before, `funds` showed a provider its own spending while the runs showed the Sozialraum's, so that
-- subtracting gave the other providers' spending per month whatever the county wanted.

ALTER TABLE sozialraum.county ADD COLUMN provider_view text NOT NULL DEFAULT 'totals'
    CHECK (provider_view IN ('totals', 'own'));

-- Whether providers see Sozialraum totals (the county's choice).
CREATE FUNCTION sozialraum.providers_see_totals() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce((SELECT c.provider_view = 'totals' FROM sozialraum.county c), true) $$;
GRANT EXECUTE ON FUNCTION sozialraum.providers_see_totals() TO sozialraum_runtime;

-- Only the county changes the choice.
GRANT UPDATE (provider_view) ON sozialraum.county TO sozialraum_runtime;
CREATE FUNCTION sozialraum.refuse_provider_view_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NOT sozialraum.current_tenant_is_county() THEN
        RAISE EXCEPTION 'only the county chooses what providers see' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER county_chooses_provider_view BEFORE UPDATE ON sozialraum.county FOR EACH ROW
    EXECUTE FUNCTION sozialraum.refuse_provider_view_change();

-- The reconciliation results of a Sozialraum: for the providers that serve it only while they see totals.
DO $$
DECLARE
    target text;
BEGIN
    FOREACH target IN ARRAY ARRAY['reconciliation_line', 'reconciliation_month', 'reconciliation_transfer'] LOOP
        EXECUTE format('DROP POLICY tenants_read ON sozialraum.%I', target);
        EXECUTE format(
            'CREATE POLICY tenants_read ON sozialraum.%I AS PERMISSIVE FOR SELECT TO PUBLIC'
            ' USING ((SELECT sozialraum.current_tenant_is_county())'
            ' OR ((SELECT sozialraum.providers_see_totals()) AND (SELECT sozialraum.current_tenant_serves(social_space, year))))',
            target);
    END LOOP;
END
$$;

-- Whether the caller is a provider that sees other providers' spending in a Sozialraum (summed): it
-- serves the Sozialraum in the year and the county shows providers totals. The county sees every row
-- under its policies anyway; a provider otherwise sees its own rows.
CREATE FUNCTION sozialraum.sees_others_spending(space text, in_year int) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT NOT sozialraum.current_tenant_is_county() AND sozialraum.providers_see_totals()
               AND sozialraum.current_tenant_serves(space, in_year)
    $$;
GRANT EXECUTE ON FUNCTION sozialraum.sees_others_spending(text, int) TO sozialraum_runtime;

-- Spending (actuals and open commitments) of a Sozialraum and year by component, as the caller may see
-- it: the county and, while providers see totals, a provider serving the Sozialraum get every provider's
-- sum; any other provider its own. One number per component: nothing per provider leaves this function.
CREATE FUNCTION sozialraum.social_space_spending(space text, in_year int)
    RETURNS TABLE (component text, actuals bigint, commitments bigint)
    -- PL/pgSQL, not SQL: its plan is cached per connection (a SQL function's body is planned at every
    -- call, which doubled the cost of `funds`).
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    caller uuid := sozialraum.current_tenant();
    sees_totals boolean;
BEGIN
    IF caller IS NULL THEN
        RETURN;
    END IF;
    sees_totals := sozialraum.current_tenant_is_county()
        OR (sozialraum.providers_see_totals() AND sozialraum.current_tenant_serves(space, in_year));
    RETURN QUERY
    SELECT u.component, sum(u.actuals)::bigint, sum(u.commitments)::bigint
    FROM (
        SELECT x.component::text AS component, x.amount AS actuals, 0::bigint AS commitments
        FROM sozialraum.ledger_total x
        WHERE x.social_space = space AND x.service_month BETWEEN make_date(in_year, 1, 1) AND make_date(in_year, 12, 1)
          AND x.kind IN ('delivery', 'project_expense')
          AND (sees_totals OR x.tenant_id = caller)
        UNION ALL
        SELECT 'case', 0, m.amount
        FROM sozialraum.commitment_total m
        WHERE m.social_space = space AND m.month BETWEEN make_date(in_year, 1, 1) AND make_date(in_year, 12, 1)
          AND (sees_totals OR m.tenant_id = caller)
    ) u
    GROUP BY u.component;
END
$$;
REVOKE ALL ON FUNCTION sozialraum.social_space_spending(text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.social_space_spending(text, int) TO sozialraum_runtime;
