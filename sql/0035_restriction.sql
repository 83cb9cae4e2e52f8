-- 0035 Restriction of processing (Einschränkung der Verarbeitung, Art. 18 GDPR, § 84 (3) SGB X; issue 31,
-- item 4) and the data-protection officer's role.
--
-- A restricted case must be kept but is no longer needed for daily work, or is disputed: it is absent for
-- everyone but the data-protection officer (`dpo`) and the auditor. Its case row and its residences are
-- hidden by row-level security; its grants stay (they are what was paid: help type, volumes, amounts) but
-- carry `RESTRICTED-<n>` instead of the case key while the restriction is in force. Who reads restricted
-- data is the transaction's setting `sozialraum.restricted_visible`, which the daemon sets from the
-- account's stored role (dpo, auditor) in the statement that sets the tenant; the erasure sets it for
-- itself. Bookings, deliveries, runs and issued statements are untouched, so every figure stays as it was.
-- A case is restricted once its billing is over: the last month of each of its grants is closed.

ALTER TABLE sozialraum.account DROP CONSTRAINT account_role_check;
ALTER TABLE sozialraum.account ADD CONSTRAINT account_role_check
    CHECK (role IN ('operator', 'county', 'provider', 'auditor', 'dpo'));

CREATE FUNCTION sozialraum.restricted_visible() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(pg_catalog.current_setting('sozialraum.restricted_visible', true), '') = 'on' $$;
GRANT EXECUTE ON FUNCTION sozialraum.restricted_visible() TO sozialraum_runtime;

-- MARK: Restrictions, placed and lifted once each

CREATE TABLE sozialraum.case_restriction (
    id          bigserial PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES sozialraum.case_file,
    -- Art. 18 (1): a) accuracy contested, b) unlawful but not to be erased, c) kept for legal claims, d) an
    -- objection pending; `retention`: kept for a retention duty only (§ 84 (3) SGB X).
    ground      text NOT NULL CHECK (ground IN ('contested', 'unlawful', 'claims', 'objection', 'retention')),
    reference   text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100 AND reference !~ '[[:cntrl:]]'),
    placed_by   text NOT NULL CHECK (length(placed_by) BETWEEN 1 AND 100),
    placed_at   timestamptz NOT NULL DEFAULT now(),
    lifted_by   text CHECK (length(lifted_by) BETWEEN 1 AND 100),
    lifted_at   timestamptz,
    CHECK ((lifted_by IS NULL) = (lifted_at IS NULL))
);
CREATE UNIQUE INDEX case_restriction_open ON sozialraum.case_restriction (case_id) WHERE lifted_at IS NULL;
CALL sozialraum.protect_reference_table('sozialraum.case_restriction', 'false');
GRANT SELECT, INSERT, UPDATE ON sozialraum.case_restriction TO sozialraum_runtime;
GRANT USAGE ON SEQUENCE sozialraum.case_restriction_id_seq TO sozialraum_runtime;

CREATE FUNCTION sozialraum.guard_case_restriction() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.lifted_at IS NOT NULL THEN
            RAISE EXCEPTION 'a restriction starts in force' USING ERRCODE = 'SZ009';
        END IF;
        IF EXISTS (SELECT 1 FROM sozialraum.case_file c WHERE c.id = NEW.case_id AND c.erased_at IS NOT NULL)
           OR EXISTS (SELECT 1 FROM sozialraum.grant_decision g
                      WHERE g.case_id = NEW.case_id
                        AND NOT EXISTS (SELECT 1 FROM sozialraum.period p
                                        WHERE p.month = date_trunc('month', least(g.ends_on, coalesce(g.ended_on, g.ends_on)))::date
                                          AND p.closed_at IS NOT NULL)) THEN
            RAISE EXCEPTION 'a case is restricted once the last month of each of its grants is closed'
                USING ERRCODE = 'SZ009';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.id, NEW.case_id, NEW.ground, NEW.reference, NEW.placed_by, NEW.placed_at)
       IS DISTINCT FROM (OLD.id, OLD.case_id, OLD.ground, OLD.reference, OLD.placed_by, OLD.placed_at)
       OR OLD.lifted_at IS NOT NULL THEN
        RAISE EXCEPTION 'a restriction is lifted once and otherwise never changes' USING ERRCODE = 'SZ009';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER guard_case_restriction BEFORE INSERT OR UPDATE ON sozialraum.case_restriction
    FOR EACH ROW EXECUTE FUNCTION sozialraum.guard_case_restriction();

-- MARK: The flag the policies read, kept by the owner's trigger only

ALTER TABLE sozialraum.case_file ADD COLUMN restricted boolean NOT NULL DEFAULT false;
ALTER TABLE sozialraum.residence ADD COLUMN restricted boolean NOT NULL DEFAULT false;

-- In force: the case and its residences flagged, its grants' key replaced; lifted: all back (the key from the
-- case, which kept it).
CREATE FUNCTION sozialraum.apply_case_restriction() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    in_force boolean := NEW.lifted_at IS NULL;
    visible text := coalesce(current_setting('sozialraum.restricted_visible', true), '');
BEGIN
    -- The rows it changes are hidden once flagged: seen for these statements, then as the caller saw them.
    PERFORM set_config('sozialraum.restricted_visible', 'on', true);
    UPDATE sozialraum.case_file SET restricted = in_force WHERE id = NEW.case_id;
    UPDATE sozialraum.residence SET restricted = in_force WHERE case_id = NEW.case_id;
    UPDATE sozialraum.grant_decision g
    SET case_key = CASE WHEN in_force THEN 'RESTRICTED-' || NEW.id ELSE c.case_key END
    FROM sozialraum.case_file c WHERE c.id = NEW.case_id AND g.case_id = NEW.case_id;
    PERFORM set_config('sozialraum.restricted_visible', visible, true);
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION sozialraum.apply_case_restriction() FROM PUBLIC;
CREATE TRIGGER apply_case_restriction AFTER INSERT OR UPDATE ON sozialraum.case_restriction
    FOR EACH ROW EXECUTE FUNCTION sozialraum.apply_case_restriction();

-- An erased case's restrictions go with it (their references may name people); the erasure's own key
-- replaces the placeholder on its grants.
CREATE FUNCTION sozialraum.drop_erased_restrictions() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    DELETE FROM sozialraum.case_restriction r USING erased_cases e
    WHERE r.case_id = e.id AND e.erased_at IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER drop_erased_restrictions AFTER UPDATE ON sozialraum.case_file
    REFERENCING NEW TABLE AS erased_cases FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.drop_erased_restrictions();

-- MARK: Hidden by policy

CREATE POLICY restricted_hidden ON sozialraum.case_file AS RESTRICTIVE FOR SELECT TO PUBLIC
    USING (NOT restricted OR (SELECT sozialraum.restricted_visible()));
CREATE POLICY restricted_hidden ON sozialraum.residence AS RESTRICTIVE FOR SELECT TO PUBLIC
    USING (NOT restricted OR (SELECT sozialraum.restricted_visible()));
-- The restrictions themselves: the data-protection officer's and the auditor's to read.
CREATE POLICY restricted_hidden ON sozialraum.case_restriction AS RESTRICTIVE FOR SELECT TO PUBLIC
    USING ((SELECT sozialraum.restricted_visible()));

-- The erasure finds and erases restricted cases too (they are kept, not exempt from their deletion rule):
-- `erase_ordered_cases` sees them (sql/0034), and the proposal runs in a transaction that sees them.
