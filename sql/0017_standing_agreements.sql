-- 0017 Direct-access help under a standing agreement (issue 18, rule 5).
--
-- Erziehungsberatung (§28) and help in emergencies (§20) are used without a per-case decision of the
-- county. The county agrees with a provider a monthly contingent for one Sozialraum: stored as a grant
-- marked `standing` for a collective, pseudonymous case that lives in that Sozialraum. Deliveries under
-- it are priced from the provider's rates, charged to that Sozialraum's case budget, committed and
-- checked against the contingent like any grant; no individual case is named.

ALTER TABLE sozialraum.grant_decision ADD COLUMN standing boolean NOT NULL DEFAULT false;

CREATE FUNCTION sozialraum.refuse_standing_without_direct_access() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NEW.standing AND NOT EXISTS (
            SELECT 1 FROM sozialraum.help_type h WHERE h.code = NEW.help_type AND h.direct_access) THEN
        RAISE EXCEPTION 'a standing agreement is for direct-access help only' USING ERRCODE = 'SZ005';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER standing_only_for_direct_access BEFORE INSERT OR UPDATE OF standing, help_type
    ON sozialraum.grant_decision
    FOR EACH ROW EXECUTE FUNCTION sozialraum.refuse_standing_without_direct_access();
