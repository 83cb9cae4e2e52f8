-- 0015 Master data over the socket (issue 18).
--
--   tenant          a provider gets a short code (what the county's accountants type) and the day its
--                   cooperation ends (history kept; nothing new for it after that day);
--   grant_decision, no grant or project of a provider runs past the end of its cooperation;
--   project
--   rate_agreement  no rate takes effect inside or before a closed month (rule 6, rule 11: a closed
--                   month's prices never change).

ALTER TABLE sozialraum.tenant ADD COLUMN code text CHECK (code ~ '^[a-z][a-z0-9-]{1,31}$');
CREATE UNIQUE INDEX tenant_code ON sozialraum.tenant (code);
ALTER TABLE sozialraum.tenant ADD COLUMN cooperation_ends date;
ALTER TABLE sozialraum.tenant ADD CONSTRAINT only_providers_end CHECK (kind = 'provider' OR cooperation_ends IS NULL);

CREATE FUNCTION sozialraum.refuse_beyond_cooperation() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ends date;
BEGIN
    SELECT t.cooperation_ends INTO ends FROM sozialraum.tenant t WHERE t.id = NEW.tenant_id;
    IF ends IS NOT NULL AND NEW.ends_on > ends THEN
        RAISE EXCEPTION 'runs past the end of the provider''s cooperation' USING ERRCODE = 'SZ003';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER within_cooperation BEFORE INSERT OR UPDATE OF ends_on ON sozialraum.grant_decision
    FOR EACH ROW EXECUTE FUNCTION sozialraum.refuse_beyond_cooperation();
CREATE TRIGGER within_cooperation BEFORE INSERT OR UPDATE OF ends_on ON sozialraum.project
    FOR EACH ROW EXECUTE FUNCTION sozialraum.refuse_beyond_cooperation();

CREATE FUNCTION sozialraum.refuse_rate_in_closed_month() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM sozialraum.period p
               WHERE p.closed_at IS NOT NULL AND p.month >= date_trunc('month', NEW.valid_from)::date) THEN
        RAISE EXCEPTION 'a rate cannot take effect in or before a closed month' USING ERRCODE = 'SZ004';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER not_into_closed_months BEFORE INSERT OR UPDATE ON sozialraum.rate_agreement
    FOR EACH ROW EXECUTE FUNCTION sozialraum.refuse_rate_in_closed_month();

