-- 0036 Correcting a wrongly entered case key (issue 31, item 7; Art. 16 GDPR, § 84 (1) SGB X).
--
-- The runtime role cannot rewrite a case's key or its grants' copies (sql/0002, 0031). This function, the
-- owner's, does it for a county account holding `case`, in the county's context: the case's key and the copy
-- on its grants (a restricted case's grants keep their placeholder; lifting the restriction brings the new
-- key). Issued statements keep the key they were issued with (frozen documents: withdraw and issue again
-- to correct one). The ledger names no key and is untouched. The daemon audits the correction.

CREATE FUNCTION sozialraum.correct_case_key(the_case uuid, new_key text, actor text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    visible text := coalesce(current_setting('sozialraum.restricted_visible', true), '');
    corrected boolean;
BEGIN
    IF NOT sozialraum.current_tenant_is_county() OR NOT sozialraum.holds_right(actor, 'case') THEN
        RAISE EXCEPTION 'a case key is corrected by a county account holding case' USING ERRCODE = '42501';
    END IF;
    PERFORM set_config('sozialraum.restricted_visible', 'on', true);
    UPDATE sozialraum.case_file SET case_key = new_key WHERE id = the_case AND erased_at IS NULL;
    corrected := FOUND;
    UPDATE sozialraum.grant_decision g SET case_key = new_key
    FROM sozialraum.case_file c
    WHERE corrected AND c.id = the_case AND NOT c.restricted AND g.case_id = the_case;
    PERFORM set_config('sozialraum.restricted_visible', visible, true);
    RETURN corrected;
END
$$;
REVOKE ALL ON FUNCTION sozialraum.correct_case_key(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.correct_case_key(uuid, text, text) TO sozialraum_runtime;
