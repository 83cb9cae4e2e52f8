-- 0033 The access log ends too (issue 31, item 6): entries are erased once their deletion rule says so
-- (`retention.accessLogYears`: whole years after the end of the entry's year), by this function only.
--
-- The daemon's role may not delete log entries; this function, run with the owner's rights, erases those
-- of years that ended at least `years` whole years ago, and never fewer than one: a daemon cannot empty the
-- log of this year or the last.

CREATE FUNCTION sozialraum.erase_expired_access_log(years int) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cutoff timestamptz;
    erased bigint;
BEGIN
    IF years IS NULL OR years < 1 OR years > 100 THEN
        RAISE EXCEPTION 'the access log is kept 1 to 100 years' USING ERRCODE = '22023';
    END IF;
    -- Entries of year Y are due on 1 January of Y + 1 + years: those before 1 January of (this year - years).
    cutoff := make_timestamptz(extract(year FROM now() AT TIME ZONE 'Europe/Berlin')::int - years, 1, 1, 0, 0, 0,
                               'Europe/Berlin');
    -- The log is the county's: erase in its context (row-level security is forced on the owner too).
    PERFORM set_config('sozialraum.tenant_id', (SELECT c.tenant_id::text FROM sozialraum.county c), true);
    DELETE FROM sozialraum.case_access WHERE accessed_at < cutoff;
    GET DIAGNOSTICS erased = ROW_COUNT;
    PERFORM set_config('sozialraum.tenant_id', '', true);
    RETURN erased;
END
$$;
REVOKE ALL ON FUNCTION sozialraum.erase_expired_access_log(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.erase_expired_access_log(int) TO sozialraum_runtime;
