-- 0031 The case of a grant stays the case it was granted for (issue 31, item 8).
--
-- The runtime role may update a grant (its end, its amendments), and could so far also rewrite its link to
-- the case (`case_id`, and the copy of the key `case_key`): personal data changed outside any control. Only the
-- owner (migrations, and the erasure function still to come) may change the case link; a grant for the
-- wrong case is ended and granted again for the right one, with both on record.

CREATE FUNCTION sozialraum.guard_case_link() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF (NEW.case_id, NEW.case_key) IS DISTINCT FROM (OLD.case_id, OLD.case_key)
       AND NOT pg_catalog.pg_has_role(current_user, 'sozialraum_owner', 'MEMBER') THEN
        RAISE EXCEPTION 'the case of a grant cannot be changed' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER guard_case_link BEFORE UPDATE OF case_id, case_key ON sozialraum.grant_decision
    FOR EACH ROW EXECUTE FUNCTION sozialraum.guard_case_link();
