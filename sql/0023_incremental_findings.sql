-- 0023 Findings by what changed (issue 20): the out-of-area check of a run looks only at grants touched
-- since the last run of the same scope, whose findings were complete as of its change position.
--
-- An out-of-area fact of a grant depends on the grant (its period, its end), the residences of its case
-- and its provider's assignments. Grants, their ends and residences carry change positions (sql/0022);
-- assignments get them here, drawn anew on every change (an assignment that ends can make a fact), and
-- join the ledger gate. Assignments end, they are not deleted: the runtime role loses DELETE, so no change
-- escapes a position.

ALTER TABLE sozialraum.provider_assignment ADD COLUMN change_position bigint NOT NULL DEFAULT 0;

CREATE FUNCTION sozialraum.restamp_change_position() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    NEW.change_position := nextval('sozialraum.change_position');
    RETURN NEW;
END
$$;
CREATE TRIGGER stamp_change_position BEFORE INSERT OR UPDATE ON sozialraum.provider_assignment
    FOR EACH ROW EXECUTE FUNCTION sozialraum.restamp_change_position();
CREATE TRIGGER ledger_gate BEFORE INSERT OR UPDATE OR DELETE ON sozialraum.provider_assignment
    FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.enter_ledger();
REVOKE DELETE ON sozialraum.provider_assignment FROM sozialraum_runtime;

-- What changed since a position is found through these, not by reading every grant and residence.
CREATE INDEX grant_decision_change ON sozialraum.grant_decision (change_position);
CREATE INDEX residence_change ON sozialraum.residence (change_position);
CREATE INDEX grant_end_change_position ON sozialraum.grant_end_change (change_position);

-- The change position as of which a run's findings are complete: set by runs over all Sozialräume made
-- from now on (before, assignment changes had no position); NULL for other runs. The next run of the same
-- scope checks out-of-area facts only for grants touched after it.
ALTER TABLE sozialraum.reconciliation_run ADD COLUMN findings_position bigint;
ALTER TABLE sozialraum.reconciliation_run ADD CONSTRAINT findings_as_of_the_run
    CHECK (findings_position IS NULL OR findings_position = change_position);
