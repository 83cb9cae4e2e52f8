-- 0007 A reversed delivery frees its grant month (rule 10: corrections are reversal + new entry).
--
-- A Leistungsnachweis was unique per grant and month, so once a wrong one had been reversed the
-- corrected one was refused. Deliveries stay append-only: a correction is a new row of the next
-- generation for the same grant and month, allowed only when every earlier one is reversed. A
-- delivery is reversed when a reversal booking names it (reversals copy the delivery id); the
-- service reverses all bookings of a delivery together.

ALTER TABLE sozialraum.delivery ADD COLUMN generation int NOT NULL DEFAULT 0 CHECK (generation BETWEEN 0 AND 999);
ALTER TABLE sozialraum.delivery DROP CONSTRAINT delivery_grant_id_month_key;
ALTER TABLE sozialraum.delivery ADD CONSTRAINT delivery_grant_month_generation UNIQUE (grant_id, month, generation);

-- Reversals are rare: a small partial index answers "is this delivery reversed?" without slowing
-- the bulk insert of delivery bookings.
CREATE INDEX booking_reversed_delivery ON sozialraum.booking (delivery_id) WHERE kind = 'reversal';

-- The deliveries that count: not reversed. Runs with the caller's rights, so RLS applies as on the table.
CREATE VIEW sozialraum.active_delivery WITH (security_invoker = true) AS
    SELECT d.* FROM sozialraum.delivery d
    WHERE NOT EXISTS (SELECT 1 FROM sozialraum.booking r WHERE r.kind = 'reversal' AND r.delivery_id = d.id);
GRANT SELECT ON sozialraum.active_delivery TO sozialraum_runtime;
