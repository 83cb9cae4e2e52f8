-- 0028 Every euro right, round two (issue 29).

-- MARK: A decision covers what it names (rule 18)
--
-- An uncovered overrun is found per line and month *and per level of decisions it exceeds*: after a
-- decision of 18,000.00 an overrun of 18,500.00 is a new open finding of 500.00 (decided_before 18,000.00),
-- while the finding that the decision settled stays as it was. Findings of other kinds carry no level.
ALTER TABLE sozialraum.finding ADD COLUMN decided_before bigint
    CHECK (decided_before IS NULL OR (kind = 'uncovered_overrun' AND decided_before >= 0));
DROP INDEX sozialraum.finding_fact;
CREATE UNIQUE INDEX finding_fact ON sozialraum.finding
    (kind, tenant_id, month, grant_id, social_space, component, receipt_id, decided_before)
    NULLS NOT DISTINCT WHERE kind <> 'delivery_over_grant';
-- The level is one of a finding's facts, which never change (sql/0010).
CREATE FUNCTION sozialraum.guard_finding_level() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NEW.decided_before IS DISTINCT FROM OLD.decided_before THEN
        RAISE EXCEPTION 'the facts of a finding cannot change' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER finding_level BEFORE UPDATE ON sozialraum.finding
    FOR EACH ROW EXECUTE FUNCTION sozialraum.guard_finding_level();
