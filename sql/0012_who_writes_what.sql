-- 0012 Who may write what, by kind of tenant, enforced by the database too (issue 17).
--
-- Before, rows were well separated between tenants, but what a kind of tenant may write lived only in
-- the daemon: in SQL, as the runtime role with a provider's context, one could book an instalment to
-- oneself, delete one's open commitments, rename one's tenant, create accounts, and fake the ledger
-- totals. Now:
--   tenant      the county creates and renames tenants (the first tenant, the county itself, is created
--               before any county exists);
--   account     tenant data under row-level security like any other table; only the county writes it. A
--               login, which happens before any tenant is known, reads it through account_for_login();
--   booking     a provider inserts deliveries, project expenses and reversals of its own deliveries and
--               expenses; instalments, settlements and carry-forwards, and reversals of them, only the
--               county;
--   delivery    only providers report deliveries (the county decides on them, it does not make them);
--   commitment  only the county creates, changes and deletes commitments; a provider's delivery marks a
--               month delivered (released, or a released row of 0.00 where there was none) and its
--               reversal commits the month again, nothing else;
--   totals      ledger_total and commitment_total are written only by their trigger functions, which run
--               as the owner role; the runtime role may read them, not write them.

-- MARK: Tenants

CREATE POLICY county_inserts ON sozialraum.tenant AS RESTRICTIVE FOR INSERT TO PUBLIC
    WITH CHECK ((SELECT sozialraum.current_tenant_is_county()) OR NOT EXISTS (SELECT 1 FROM sozialraum.county));
CREATE POLICY county_updates ON sozialraum.tenant AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING ((SELECT sozialraum.current_tenant_is_county()));

-- MARK: Accounts

-- Not forced: the owner role, which owns the login function below, reads accounts without a tenant
-- context; the runtime role is held to the policies.
ALTER TABLE sozialraum.account ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sozialraum.account AS PERMISSIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT sozialraum.current_tenant()) OR (SELECT sozialraum.current_tenant_is_county()))
    WITH CHECK (tenant_id = (SELECT sozialraum.current_tenant()) OR (SELECT sozialraum.current_tenant_is_county()));
CREATE TRIGGER tenant_immutable BEFORE UPDATE OF tenant_id ON sozialraum.account FOR EACH ROW
    WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id) EXECUTE FUNCTION sozialraum.refuse_tenant_change();
CALL sozialraum.county_writes_only('sozialraum.account');

-- What a login checks, for one enabled account: found by name before any tenant is known.
CREATE FUNCTION sozialraum.account_for_login(account_name text)
    RETURNS TABLE (name text, tenant_id uuid, role text, secret_hash bytea, salt bytea, scrypt_n int)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT a.name, a.tenant_id, a.role, a.secret_hash, a.salt, a.scrypt_n
        FROM sozialraum.account a WHERE a.name = account_name AND NOT a.disabled
    $$;
REVOKE ALL ON FUNCTION sozialraum.account_for_login(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.account_for_login(text) TO sozialraum_runtime;

-- MARK: The ledger

-- The kind of a booking the caller may see (NULL otherwise). A function, not a subquery in the policy:
-- a policy on booking may not read booking itself (PostgreSQL refuses the recursion).
CREATE FUNCTION sozialraum.visible_booking_kind(booking_id bigint) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN (SELECT b.kind FROM sozialraum.booking b WHERE b.id = booking_id);
END
$$;
REVOKE ALL ON FUNCTION sozialraum.visible_booking_kind(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.visible_booking_kind(bigint) TO sozialraum_runtime;

CREATE POLICY kind_fits_tenant ON sozialraum.booking AS RESTRICTIVE FOR INSERT TO PUBLIC
    WITH CHECK (
        (SELECT sozialraum.current_tenant_is_county())
        OR kind IN ('delivery', 'project_expense')
        OR (kind = 'reversal' AND sozialraum.visible_booking_kind(reverses) IN ('delivery', 'project_expense')));

CREATE POLICY providers_deliver ON sozialraum.delivery AS RESTRICTIVE FOR INSERT TO PUBLIC
    WITH CHECK (NOT (SELECT sozialraum.current_tenant_is_county()));

-- MARK: Commitments

CREATE POLICY county_commits ON sozialraum.commitment AS RESTRICTIVE FOR INSERT TO PUBLIC
    WITH CHECK ((SELECT sozialraum.current_tenant_is_county()) OR (amount = 0 AND released));
CREATE POLICY county_deletes ON sozialraum.commitment AS RESTRICTIVE FOR DELETE TO PUBLIC
    USING ((SELECT sozialraum.current_tenant_is_county()));

CREATE FUNCTION sozialraum.refuse_provider_commitment_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NOT sozialraum.current_tenant_is_county() THEN
        RAISE EXCEPTION 'only the county changes commitments' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
-- Only when more than `released` changes: a delivery's release (also a bulk one) pays nothing for it.
CREATE TRIGGER county_changes_commitments BEFORE UPDATE ON sozialraum.commitment FOR EACH ROW
    WHEN ((OLD.grant_id, OLD.month, OLD.social_space, OLD.amount)
          IS DISTINCT FROM (NEW.grant_id, NEW.month, NEW.social_space, NEW.amount))
    EXECUTE FUNCTION sozialraum.refuse_provider_commitment_change();

-- MARK: Totals: written by their triggers only

ALTER FUNCTION sozialraum.add_to_ledger_total() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION sozialraum.apply_commitment_change() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION sozialraum.add_to_ledger_total() FROM PUBLIC;
REVOKE ALL ON FUNCTION sozialraum.apply_commitment_change() FROM PUBLIC;
REVOKE INSERT, UPDATE, DELETE ON sozialraum.ledger_total, sozialraum.commitment_total FROM sozialraum_runtime;
-- The owner's trigger functions write totals of rows that passed the policies already, whatever the
-- context (also a setup script's): row-level security stays on for every other role, not forced on the
-- owner.
ALTER TABLE sozialraum.ledger_total NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.commitment_total NO FORCE ROW LEVEL SECURITY;
