-- 0010 Every euro right: findings belong to their delivery (rule 8), text columns agree with the
-- daemon's limits, and the overrun decision for spending rests on the whole pool whoever asks (rule 4).

-- MARK: Findings belong to the delivery they came from (rule 8)

-- A finding of a reversed (or corrected) delivery is superseded: it can no longer be accepted.
ALTER TABLE sozialraum.finding DROP CONSTRAINT finding_status_check;
ALTER TABLE sozialraum.finding ADD CONSTRAINT finding_status_check
    CHECK (status IN ('open', 'accepted', 'rejected', 'superseded'));

-- A finding is resolved once, and only its resolution changes: open → accepted, rejected or
-- superseded. Accepting needs the delivery to count still; superseding needs it reversed.
CREATE FUNCTION sozialraum.guard_finding_resolution() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (NEW.id, NEW.tenant_id, NEW.kind, NEW.month, NEW.grant_id, NEW.delivery_id, NEW.quantity, NEW.amount,
        NEW.created_at, NEW.social_space, NEW.component, NEW.run_id)
       IS DISTINCT FROM
       (OLD.id, OLD.tenant_id, OLD.kind, OLD.month, OLD.grant_id, OLD.delivery_id, OLD.quantity, OLD.amount,
        OLD.created_at, OLD.social_space, OLD.component, OLD.run_id) THEN
        RAISE EXCEPTION 'the facts of a finding cannot change' USING ERRCODE = '42501';
    END IF;
    IF OLD.status <> 'open' THEN
        RAISE EXCEPTION 'the finding is no longer open' USING ERRCODE = 'SZ002';
    END IF;
    IF NEW.status = 'accepted' AND NEW.delivery_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM sozialraum.booking r WHERE r.kind = 'reversal' AND r.delivery_id = NEW.delivery_id) THEN
        RAISE EXCEPTION 'the finding''s delivery is reversed' USING ERRCODE = 'SZ002';
    END IF;
    IF NEW.status = 'superseded' AND (NEW.delivery_id IS NULL
       OR NOT EXISTS (SELECT 1 FROM sozialraum.booking r WHERE r.kind = 'reversal' AND r.delivery_id = NEW.delivery_id)) THEN
        RAISE EXCEPTION 'only the finding of a reversed delivery is superseded' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER finding_resolution BEFORE UPDATE ON sozialraum.finding
    FOR EACH ROW EXECUTE FUNCTION sozialraum.guard_finding_resolution();

-- The county resolves findings; a provider who reverses its own delivery supersedes that delivery's
-- open findings (and nothing else: the trigger above checks the delivery is reversed).
DROP POLICY county_resolves ON sozialraum.finding;
CREATE POLICY county_resolves ON sozialraum.finding AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING ((SELECT sozialraum.current_tenant_is_county()) OR status = 'open')
    WITH CHECK ((SELECT sozialraum.current_tenant_is_county()) OR status = 'superseded');

-- Open findings of deliveries reversed before this version are superseded now. The owner runs
-- migrations under forced row-level security without a tenant: lifted for this one statement.
ALTER TABLE sozialraum.finding NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.booking NO FORCE ROW LEVEL SECURITY;
UPDATE sozialraum.finding f SET status = 'superseded', resolved_at = now(),
    resolution = 'superseded: the delivery was reversed'
WHERE f.status = 'open' AND f.delivery_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM sozialraum.booking r WHERE r.kind = 'reversal' AND r.delivery_id = f.delivery_id);
ALTER TABLE sozialraum.finding FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.booking FORCE ROW LEVEL SECURITY;

-- MARK: Text limits (SozialraumDomain.TextLimit)

-- An on-demand job's key is the tenant id (36), a colon and an idempotency key (up to 64).
ALTER TABLE sozialraum.job_run DROP CONSTRAINT job_run_request_key_check;
ALTER TABLE sozialraum.job_run ADD CONSTRAINT job_run_request_key_check CHECK (length(request_key) BETWEEN 1 AND 101);

-- MARK: The overrun decision on the whole pool (rule 4)

-- How much of `amount`, spent on a project on `on_day`, the project's line or cover pool cannot
-- cover (0 when it can). A provider sees only its own spending, but the decision to warn or refuse
-- rests on every provider's: so the pool is read in the county's context, inside this function,
-- and only the shortfall leaves it. The project is read in the caller's context first, so a provider
-- can ask only about its own projects. SECURITY DEFINER: listed with this reason in the catalogue
-- test of the schema (SchemaCatalogueTests.securityDefiners).
CREATE FUNCTION sozialraum.spending_shortfall(for_project uuid, on_day date, amount bigint) RETURNS bigint
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
                       AND t.kind IN ('delivery', 'project_expense')), 0)
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
REVOKE ALL ON FUNCTION sozialraum.spending_shortfall(uuid, date, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.spending_shortfall(uuid, date, bigint) TO sozialraum_runtime;
