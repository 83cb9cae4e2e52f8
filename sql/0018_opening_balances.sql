-- 0018 Opening balances of a county that goes live mid-year (issue 18, Datenübernahme).
--
-- What was already spent in the year before go-live is booked once, by the county's migration, as an
-- `opening` entry per provider, Sozialraum and component, so that available funds and reconciliation
-- are right from the first day. It is spending (actuals) like deliveries and project expenses, tied to
-- no grant or project, and append-only like every booking (a wrong one is reversed). The two functions
-- that sum spending count it from now on.

ALTER TABLE sozialraum.booking DROP CONSTRAINT booking_kind_check;
ALTER TABLE sozialraum.booking ADD CONSTRAINT booking_kind_check CHECK (kind IN ('delivery', 'project_expense',
    'instalment', 'settlement', 'reversal', 'carry_forward', 'opening'));

CREATE OR REPLACE FUNCTION sozialraum.spending_shortfall(for_project uuid, on_day date, amount bigint) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = sozialraum, pg_temp
    AS $$
DECLARE
    caller text := current_setting('sozialraum.tenant_id', true);
    space text;
    spent_on text;
    in_year int := extract(year FROM on_day)::int;
    pool_members text[];
    available bigint;
BEGIN
    SELECT p.social_space, p.component INTO space, spent_on FROM sozialraum.project p WHERE p.id = for_project;
    IF space IS NULL THEN
        RAISE EXCEPTION 'unknown project' USING ERRCODE = '42501';
    END IF;
    PERFORM set_config('sozialraum.tenant_id', (SELECT c.tenant_id::text FROM sozialraum.county c), true);
    SELECT coalesce(array_agg(m.component::text), ARRAY[spent_on]) INTO pool_members
    FROM sozialraum.cover_pool_member m
    WHERE m.year = in_year
      AND m.pool = (SELECT o.pool FROM sozialraum.cover_pool_member o WHERE o.year = in_year AND o.component::text = spent_on);
    SELECT coalesce((SELECT sum(a.amount) FROM sozialraum.appropriation a
                     WHERE a.year = in_year AND a.social_space = space AND a.component::text = ANY (pool_members)), 0)
         + coalesce((SELECT sum(c.amount) FROM sozialraum.carry_forward c
                     WHERE c.year = in_year AND c.social_space = space AND c.component::text = ANY (pool_members)), 0)
         - coalesce((SELECT sum(t.amount) FROM sozialraum.ledger_total t
                     WHERE t.social_space = space AND t.component::text = ANY (pool_members)
                       AND t.service_month BETWEEN make_date(in_year, 1, 1) AND make_date(in_year, 12, 1)
                       AND t.kind IN ('delivery', 'project_expense', 'opening')), 0)
         - CASE WHEN 'case' = ANY (pool_members)
                THEN coalesce((SELECT sum(m.amount) FROM sozialraum.commitment_total m
                               WHERE m.social_space = space
                                 AND m.month BETWEEN make_date(in_year, 1, 1) AND make_date(in_year, 12, 1)), 0)
                ELSE 0 END
      INTO available;
    PERFORM set_config('sozialraum.tenant_id', coalesce(caller, ''), true);
    RETURN greatest(0, amount - available);
END
$$;

CREATE OR REPLACE FUNCTION sozialraum.social_space_spending(space text, in_year int)
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
          AND x.kind IN ('delivery', 'project_expense', 'opening')
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
