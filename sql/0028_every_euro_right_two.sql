-- 0028 Every euro right, round two (issue 29).

-- MARK: A decision covers what it names (rule 18)
--
-- An uncovered overrun is found per line and month *and per level of decisions it exceeds*: after a
-- decision of 18,000.00 an overrun of 18,500.00 is a new open finding of 500.00 (decided_before 18,000.00),
-- while the finding that the decision settled stays as it was. Findings of other kinds carry no level.
ALTER TABLE sozialraum.finding ADD COLUMN decided_before bigint
    CHECK (decided_before IS NULL OR (kind = 'uncovered_overrun' AND decided_before >= 0));
DROP INDEX sozialraum.finding_fact;
CREATE UNIQUE INDEX finding_fact ON sozialraum.finding
    (kind, tenant_id, month, grant_id, social_space, component, receipt_id, decided_before)
    NULLS NOT DISTINCT WHERE kind <> 'delivery_over_grant';
-- The level is one of a finding's facts, which never change (sql/0010).
CREATE FUNCTION sozialraum.guard_finding_level() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NEW.decided_before IS DISTINCT FROM OLD.decided_before THEN
        RAISE EXCEPTION 'the facts of a finding cannot change' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER finding_level BEFORE UPDATE ON sozialraum.finding
    FOR EACH ROW EXECUTE FUNCTION sozialraum.guard_finding_level();

-- MARK: The lead provider's share of savings is paid (rule 12, rule 18)
--
-- The year end records each lead provider's share per Sozialraum (surplus_share) and, from now on, per
-- component (surplus_share_line: the Kontierung of its payment). The share is money owed to the provider:
-- a payment order of its own kind, `surplus_share`, certified with the year end by the controller who
-- confirmed it and ordered by a second account with the right to order; it goes to the Kasse like an
-- instalment. Its bookings (kind `surplus_share`, service month December of the closed year) are cash, not
-- spending: the share was already kept out of the carry-forward.
CREATE TABLE sozialraum.surplus_share_line (
    year            int NOT NULL,
    social_space    sozialraum.code NOT NULL,
    component       sozialraum.component NOT NULL,
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    amount          sozialraum.cents NOT NULL CHECK (amount > 0),
    PRIMARY KEY (year, social_space, tenant_id, component),
    FOREIGN KEY (year, social_space, tenant_id) REFERENCES sozialraum.surplus_share (year, social_space, tenant_id)
);
CALL sozialraum.protect_tenant_table('sozialraum.surplus_share_line');
CALL sozialraum.county_writes_only('sozialraum.surplus_share_line');
GRANT SELECT, INSERT ON sozialraum.surplus_share_line TO sozialraum_runtime;

ALTER TABLE sozialraum.booking DROP CONSTRAINT booking_kind_check;
ALTER TABLE sozialraum.booking ADD CONSTRAINT booking_kind_check CHECK (kind IN ('delivery', 'project_expense',
    'instalment', 'settlement', 'reversal', 'carry_forward', 'opening', 'surplus_share'));

ALTER TABLE sozialraum.finance_mapping DROP CONSTRAINT finance_mapping_kind_check;
ALTER TABLE sozialraum.finance_mapping ADD CONSTRAINT finance_mapping_kind_check
    CHECK (kind IN ('instalment', 'settlement', 'surplus_share'));

ALTER TABLE sozialraum.payment_order DROP CONSTRAINT payment_order_kind_check;
ALTER TABLE sozialraum.payment_order ADD CONSTRAINT payment_order_kind_check
    CHECK (kind IN ('instalment', 'settlement', 'finding', 'year_end', 'appropriation', 'surplus_share'));
ALTER TABLE sozialraum.payment_order DROP CONSTRAINT ordered_with_kassenzeichen;
ALTER TABLE sozialraum.payment_order ADD CONSTRAINT ordered_with_kassenzeichen
    CHECK ((state = 'approved' AND kind IN ('instalment', 'settlement', 'surplus_share'))
           = (kassenzeichen IS NOT NULL AND due_on IS NOT NULL));
ALTER TABLE sozialraum.payment_order DROP CONSTRAINT only_ordered_exported;
ALTER TABLE sozialraum.payment_order ADD CONSTRAINT only_ordered_exported
    CHECK (batch_id IS NULL OR (state = 'approved' AND kind IN ('instalment', 'settlement', 'surplus_share')));
-- One live order per share: a share is paid once.
CREATE UNIQUE INDEX payment_order_live_share ON sozialraum.payment_order (tenant_id, social_space, month)
    WHERE kind = 'surplus_share' AND state IN ('pending', 'approved');

-- As sql/0020, and: a share's first signature is the controller's (who confirmed the year end), and it
-- orders exactly the share the year end recorded.
CREATE OR REPLACE FUNCTION sozialraum.guard_payment_order() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'pending' OR NEW.decided_by IS NOT NULL OR NEW.batch_id IS NOT NULL THEN
            RAISE EXCEPTION 'a payment order starts pending' USING ERRCODE = 'SZ006';
        END IF;
        IF NOT sozialraum.holds_right(NEW.certified_by, CASE NEW.kind WHEN 'year_end' THEN 'controller'
                                                                     WHEN 'surplus_share' THEN 'controller'
                                                                     WHEN 'appropriation' THEN 'case'
                                                                     ELSE 'certify' END) THEN
            RAISE EXCEPTION 'the first signer lacks the right' USING ERRCODE = '42501';
        END IF;
        IF NEW.kind = 'surplus_share' AND NOT EXISTS (
               SELECT 1 FROM sozialraum.surplus_share s
               WHERE s.year = extract(year FROM NEW.month)::int AND s.social_space = NEW.social_space
                 AND s.tenant_id = NEW.tenant_id AND s.amount = NEW.amount) THEN
            RAISE EXCEPTION 'a share order pays the share the year end recorded' USING ERRCODE = 'SZ006';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.id, NEW.kind, NEW.social_space, NEW.component, NEW.month, NEW.run_id, NEW.finding_id, NEW.amount,
        NEW.certified_by, NEW.certified_at, NEW.expires_on, NEW.request_id)
       IS DISTINCT FROM
       (OLD.id, OLD.kind, OLD.social_space, OLD.component, OLD.month, OLD.run_id, OLD.finding_id, OLD.amount,
        OLD.certified_by, OLD.certified_at, OLD.expires_on, OLD.request_id) THEN
        RAISE EXCEPTION 'what a payment order pays never changes' USING ERRCODE = 'SZ006';
    END IF;
    IF OLD.state <> 'pending' AND (NEW.state, NEW.decided_by, NEW.decided_at, NEW.decision_reason,
                                   NEW.kassenzeichen, NEW.due_on)
                                  IS DISTINCT FROM (OLD.state, OLD.decided_by, OLD.decided_at, OLD.decision_reason,
                                   OLD.kassenzeichen, OLD.due_on) THEN
        RAISE EXCEPTION 'a payment order is decided once' USING ERRCODE = 'SZ006';
    END IF;
    IF OLD.batch_id IS NOT NULL AND NEW.batch_id IS DISTINCT FROM OLD.batch_id THEN
        RAISE EXCEPTION 'a payment order is exported once' USING ERRCODE = 'SZ006';
    END IF;
    IF OLD.state = 'pending' AND NEW.state = 'approved' AND NOT sozialraum.holds_right(NEW.decided_by, 'order') THEN
        RAISE EXCEPTION 'the ordering account lacks the right to order' USING ERRCODE = '42501';
    END IF;
    IF OLD.state = 'pending' AND NEW.state = 'rejected'
       AND NOT (sozialraum.holds_right(NEW.decided_by, 'order') OR sozialraum.holds_right(NEW.decided_by, 'certify')) THEN
        RAISE EXCEPTION 'the rejecting account lacks the right' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;

-- A share is cash like an instalment: booked only under an approved order.
DROP POLICY paid_under_two_signatures ON sozialraum.booking;
CREATE POLICY paid_under_two_signatures ON sozialraum.booking AS RESTRICTIVE FOR INSERT TO PUBLIC
    WITH CHECK (
        (kind NOT IN ('instalment', 'settlement', 'surplus_share') OR payment_order_id IS NOT NULL)
        AND (payment_order_id IS NULL OR sozialraum.signed_twice(payment_order_id)));

-- MARK: One presentation of a moment
--
-- Every moment a reply shows is Europe/Berlin in ISO 8601 with its offset and seconds
-- (2026-11-25T14:03:07+01:00), whatever the session's time zone: the county's accountants read local time,
-- and the offset keeps the summer-time hour unambiguous.
CREATE FUNCTION sozialraum.local_time(at timestamptz) RETURNS text
    LANGUAGE sql STABLE
    SET timezone = 'Europe/Berlin'
    AS $$ SELECT to_char(at, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM') $$;
GRANT EXECUTE ON FUNCTION sozialraum.local_time(timestamptz) TO sozialraum_runtime;

-- Issued statements list their moments the same way (the frozen items and their hash are unchanged).
CREATE OR REPLACE VIEW sozialraum.statement_document_listing WITH (security_invoker = true) AS
    SELECT d.id, d.run_id, d.tenant_id, t.name AS provider_name, d.state, d.accrued, d.instalments, d.settlements,
           d.balance, d.items, encode(d.content_hash, 'hex') AS content_hash, d.issued_by,
           sozialraum.local_time(d.issued_at) AS issued_at,
           d.withdrawn_by, sozialraum.local_time(d.withdrawn_at) AS withdrawn_at,
           d.withdrawal_reason, d.payment_order_id,
           sozialraum.local_time(d.settled_at) AS settled_at
    FROM sozialraum.statement_document d JOIN sozialraum.tenant t ON t.id = d.tenant_id;

-- MARK: What a migrated project spent before go-live
--
-- The migration books a project's spending before go-live in the opening balance of its provider,
-- Sozialraum and component (sql/0018), which names no project; the project keeps the amount so that
-- `projects` shows what it spent in all.
ALTER TABLE sozialraum.project ADD COLUMN spent_before_go_live sozialraum.cents NOT NULL DEFAULT 0
    CHECK (spent_before_go_live >= 0);

-- MARK: Every payment booking is bound to its order (issue 35)
--
-- sql/0020 let a booking name any approved order. Now the bookings under one order are exactly what it
-- ordered, once: of the order's kind (an accepted finding books deliveries), summing to its amount, all
-- written by one transaction (the one that ordered it). Checked when the transaction commits, so that the
-- several bookings of a settlement are judged together; a booking under an order booked before is refused
-- whoever sends it.
CREATE FUNCTION sozialraum.check_order_bookings() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ordered record;
    booked record;
BEGIN
    SELECT o.kind, o.amount, o.state INTO ordered FROM sozialraum.payment_order o WHERE o.id = NEW.payment_order_id;
    SELECT count(*) AS lines, coalesce(sum(b.amount), 0) AS total,
           count(*) FILTER (WHERE b.kind <> CASE ordered.kind WHEN 'finding' THEN 'delivery' ELSE ordered.kind END)
               AS foreign_kind,
           count(DISTINCT b.xmin::text) AS transactions
      INTO booked
      FROM sozialraum.booking b WHERE b.payment_order_id = NEW.payment_order_id;
    IF ordered.state <> 'approved' OR ordered.kind NOT IN ('instalment', 'settlement', 'finding', 'surplus_share')
       OR booked.foreign_kind > 0 OR booked.total <> ordered.amount OR booked.transactions <> 1 THEN
        RAISE EXCEPTION 'the bookings under payment order % are not what it ordered, once', NEW.payment_order_id
            USING ERRCODE = 'SZ006';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER booking_matches_order AFTER INSERT ON sozialraum.booking
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.payment_order_id IS NOT NULL)
    EXECUTE FUNCTION sozialraum.check_order_bookings();
