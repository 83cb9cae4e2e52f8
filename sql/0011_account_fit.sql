-- 0011 An account's role fits its tenant, and an account never changes tenant.
--
-- Before, any role could be given on any tenant (a county role on a provider's tenant books instalments
-- to that provider), and rotating an account name onto another tenant took the account over. The daemon
-- refuses both; the database does too: a provider's tenant takes only the `provider` role, the county's
-- only `operator`, `county` and `auditor`, and `tenant_id` of an account is fixed.

CREATE FUNCTION sozialraum.guard_account_tenant() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    tenant_kind text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.tenant_id IS DISTINCT FROM OLD.tenant_id THEN
        RAISE EXCEPTION 'an account never changes tenant' USING ERRCODE = '42501';
    END IF;
    SELECT t.kind INTO tenant_kind FROM sozialraum.tenant t WHERE t.id = NEW.tenant_id;
    IF tenant_kind IS NULL OR (NEW.role = 'provider') <> (tenant_kind = 'provider') THEN
        RAISE EXCEPTION 'the role does not fit the tenant' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER account_tenant BEFORE INSERT OR UPDATE ON sozialraum.account
    FOR EACH ROW EXECUTE FUNCTION sozialraum.guard_account_tenant();
