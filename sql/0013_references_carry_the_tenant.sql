-- 0013 A row's references stay within its tenant (issue 17).
--
-- Foreign keys are checked without row-level security: a provider could insert a delivery for another
-- provider's grant (the key exists, so the insert succeeded), and the error for a random id against
-- success for a real one told it which ids exist. Each reference to a tenant's row now carries the
-- tenant: composite keys (tenant_id, id) for grants, deliveries and projects; for the ledger's references
-- to its own bookings (a reversal, a correction) a trigger that sees with the caller's rights. A reference
-- to another tenant's row and to no row at all are refused alike (42501 from the policies or the trigger,
-- 23503 from a key), so nothing is learnt about other tenants' ids.

ALTER TABLE sozialraum.grant_decision ADD CONSTRAINT grant_decision_tenant_id UNIQUE (tenant_id, id);
ALTER TABLE sozialraum.delivery ADD CONSTRAINT delivery_tenant_id UNIQUE (tenant_id, id);
ALTER TABLE sozialraum.project ADD CONSTRAINT project_tenant_id UNIQUE (tenant_id, id);

ALTER TABLE sozialraum.delivery DROP CONSTRAINT delivery_grant_id_fkey,
    ADD CONSTRAINT delivery_grant FOREIGN KEY (tenant_id, grant_id) REFERENCES sozialraum.grant_decision (tenant_id, id);
ALTER TABLE sozialraum.commitment DROP CONSTRAINT commitment_grant_id_fkey,
    ADD CONSTRAINT commitment_grant FOREIGN KEY (tenant_id, grant_id) REFERENCES sozialraum.grant_decision (tenant_id, id);
ALTER TABLE sozialraum.finding DROP CONSTRAINT finding_grant_id_fkey,
    ADD CONSTRAINT finding_grant FOREIGN KEY (tenant_id, grant_id) REFERENCES sozialraum.grant_decision (tenant_id, id);
ALTER TABLE sozialraum.finding DROP CONSTRAINT finding_delivery_id_fkey,
    ADD CONSTRAINT finding_delivery FOREIGN KEY (tenant_id, delivery_id) REFERENCES sozialraum.delivery (tenant_id, id);
ALTER TABLE sozialraum.booking DROP CONSTRAINT booking_grant_id_fkey,
    ADD CONSTRAINT booking_grant FOREIGN KEY (tenant_id, grant_id) REFERENCES sozialraum.grant_decision (tenant_id, id);
ALTER TABLE sozialraum.booking DROP CONSTRAINT booking_delivery_id_fkey,
    ADD CONSTRAINT booking_delivery FOREIGN KEY (tenant_id, delivery_id) REFERENCES sozialraum.delivery (tenant_id, id);
ALTER TABLE sozialraum.booking DROP CONSTRAINT booking_project_id_fkey,
    ADD CONSTRAINT booking_project FOREIGN KEY (tenant_id, project_id) REFERENCES sozialraum.project (tenant_id, id);

-- A reversal or a correction names a booking of the same tenant that the caller may see. Runs with the
-- caller's rights: a provider finds only its own bookings, so another's and a missing one look alike.
CREATE FUNCTION sozialraum.refuse_foreign_booking_reference() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF (NEW.reverses IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM sozialraum.booking b WHERE b.id = NEW.reverses AND b.tenant_id = NEW.tenant_id))
       OR (NEW.corrects IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM sozialraum.booking b WHERE b.id = NEW.corrects AND b.tenant_id = NEW.tenant_id)) THEN
        RAISE EXCEPTION 'a booking refers only to bookings of its own tenant' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER booking_references_own_tenant BEFORE INSERT ON sozialraum.booking FOR EACH ROW
    WHEN (NEW.reverses IS NOT NULL OR NEW.corrects IS NOT NULL)
    EXECUTE FUNCTION sozialraum.refuse_foreign_booking_reference();
