-- 0020 Two people on every payment (issue 19): rights of county accounts, payment orders
-- (Kassenanordnungen) certified by one account and ordered by another, their Kontierung, the batches
-- handed to the Kasse, the Kasse's confirmations (IST) and the decisions on overruns (§ 117 NKomVG).
--
-- The database holds the rule, not only the daemon: an instalment or a settlement cannot be booked
-- without an approved payment order, an order cannot be approved by the account that certified it, and
-- both accounts must hold their right when they sign.

-- MARK: Rights of county accounts

ALTER TABLE sozialraum.account ADD COLUMN rights text[] NOT NULL DEFAULT '{}'
    CHECK (rights <@ ARRAY['case', 'certify', 'order', 'controller']::text[]);
-- Accounts from before keep what they could do; the four-eyes rule holds for them all the same.
UPDATE sozialraum.account SET rights = ARRAY['case', 'certify', 'order', 'controller'] WHERE role = 'county';
ALTER TABLE sozialraum.account ADD CONSTRAINT rights_only_for_county CHECK (role = 'county' OR rights = '{}');

-- Whether an enabled county account holds a right. The owner's: the trigger below runs in any
-- county context and must see the account, never change it.
CREATE FUNCTION sozialraum.holds_right(account_name text, wanted text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT EXISTS (SELECT 1 FROM sozialraum.account a
                   WHERE a.name = account_name AND NOT a.disabled AND a.role = 'county' AND wanted = ANY (a.rights))
$$;
REVOKE ALL ON FUNCTION sozialraum.holds_right(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.holds_right(text, text) TO sozialraum_runtime;

-- MARK: The payee's creditor number in the finance system (Kreditorennummer)

ALTER TABLE sozialraum.tenant ADD COLUMN creditor_number text CHECK (creditor_number ~ '^[0-9A-Za-z-]{1,20}$');

-- MARK: Kontierung per year: Sozialraum × component × kind → Produkt, Sachkonto, Kostenstelle

CREATE TABLE sozialraum.finance_mapping (
    year            int NOT NULL CHECK (year BETWEEN 2000 AND 2199),
    social_space    sozialraum.code NOT NULL REFERENCES sozialraum.social_space,
    component       sozialraum.component NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('instalment', 'settlement')),
    product         text NOT NULL CHECK (product ~ '^[0-9A-Za-z.]{1,20}$'),
    account         text NOT NULL CHECK (account ~ '^[0-9A-Za-z.]{1,20}$'),
    cost_centre     text NOT NULL CHECK (cost_centre ~ '^[0-9A-Za-z./-]{1,20}$'),
    PRIMARY KEY (year, social_space, component, kind)
);
CALL sozialraum.protect_reference_table('sozialraum.finance_mapping');
GRANT SELECT, INSERT, UPDATE ON sozialraum.finance_mapping TO sozialraum_runtime;

-- MARK: Export batches (one file for the Kasse; stored once, handed out byte for byte)

CREATE TABLE sozialraum.payment_batch (
    id              bigserial PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text NOT NULL,
    encoding        text NOT NULL CHECK (encoding IN ('utf-8', 'windows-1252')),
    orders          int NOT NULL CHECK (orders > 0),
    total           sozialraum.cents NOT NULL,
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content         bytea NOT NULL
);
CALL sozialraum.protect_tenant_table('sozialraum.payment_batch');
CALL sozialraum.county_writes_only('sozialraum.payment_batch');
GRANT SELECT, INSERT ON sozialraum.payment_batch TO sozialraum_runtime;
GRANT USAGE ON SEQUENCE sozialraum.payment_batch_id_seq TO sozialraum_runtime;

-- MARK: Payment orders (Kassenanordnungen): certified, then ordered or rejected by another account

CREATE TABLE sozialraum.payment_order (
    id              bigserial PRIMARY KEY,
    -- The payee: the provider paid (or repaying, for a negative settlement); the county itself for a
    -- year end or an appropriation change, which move budget, not cash.
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    kind            text NOT NULL CHECK (kind IN ('instalment', 'settlement', 'finding', 'year_end', 'appropriation')),
    -- What is paid: an instalment's line and month, a run's statement, an accepted finding; the year-end
    -- run (month: the year's December); an appropriation's line (month: the year's January).
    social_space    sozialraum.code REFERENCES sozialraum.social_space,
    component       sozialraum.component,
    month           sozialraum.month,
    run_id          bigint REFERENCES sozialraum.reconciliation_run,
    finding_id      uuid REFERENCES sozialraum.finding,
    -- The payment; the carry-forwards of a year end; the new appropriation of a line.
    amount          sozialraum.cents NOT NULL CHECK (amount <> 0 OR kind IN ('year_end', 'appropriation')),
    -- Feststellung der sachlichen und rechnerischen Richtigkeit (for a year end: the controller's
    -- confirmation; for an appropriation: the change requested).
    certified_by    text NOT NULL,
    certified_at    timestamptz NOT NULL DEFAULT now(),
    expires_on      date NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected', 'expired')),
    -- Anordnung, or the rejection, by a second account.
    decided_by      text,
    decided_at      timestamptz,
    decision_reason text CHECK (length(decision_reason) BETWEEN 1 AND 500),
    kassenzeichen   text UNIQUE CHECK (kassenzeichen ~ '^[0-9A-Za-z-]{1,30}$'),
    due_on          date,
    batch_id        bigint REFERENCES sozialraum.payment_batch,
    request_id      text,
    UNIQUE (tenant_id, id),
    CONSTRAINT two_people CHECK (decided_by IS NULL OR decided_by <> certified_by),
    CONSTRAINT decided_by_someone CHECK ((state IN ('approved', 'rejected')) = (decided_by IS NOT NULL)),
    CONSTRAINT rejected_with_reason CHECK (state <> 'rejected' OR decision_reason IS NOT NULL),
    -- Only instalments and settlements go to the Kasse. An accepted finding adds cost, which the
    -- provider's next statement pays (sending it too would pay it twice); year ends and appropriation
    -- changes move budget, not cash.
    CONSTRAINT ordered_with_kassenzeichen
        CHECK ((state = 'approved' AND kind IN ('instalment', 'settlement'))
               = (kassenzeichen IS NOT NULL AND due_on IS NOT NULL)),
    CONSTRAINT only_ordered_exported
        CHECK (batch_id IS NULL OR (state = 'approved' AND kind IN ('instalment', 'settlement')))
);
CREATE INDEX payment_order_pending ON sozialraum.payment_order (certified_at) WHERE state = 'pending';
CREATE INDEX payment_order_unexported ON sozialraum.payment_order (id) WHERE state = 'approved' AND batch_id IS NULL;
CALL sozialraum.protect_tenant_table('sozialraum.payment_order');
CALL sozialraum.county_writes_only('sozialraum.payment_order');
GRANT SELECT, INSERT, UPDATE ON sozialraum.payment_order TO sozialraum_runtime;
GRANT USAGE ON SEQUENCE sozialraum.payment_order_id_seq TO sozialraum_runtime;

-- An order is created pending by an account with the right for its kind; what it pays never changes;
-- it is decided once (by another account: ordered with the right to order, rejected with either
-- right); it goes into one batch, once.
CREATE FUNCTION sozialraum.guard_payment_order() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'pending' OR NEW.decided_by IS NOT NULL OR NEW.batch_id IS NOT NULL THEN
            RAISE EXCEPTION 'a payment order starts pending' USING ERRCODE = 'SZ006';
        END IF;
        -- The first signature: Feststellung for payments; the controller's for a year end; case and
        -- budget work for an appropriation change.
        IF NOT sozialraum.holds_right(NEW.certified_by, CASE NEW.kind WHEN 'year_end' THEN 'controller'
                                                                     WHEN 'appropriation' THEN 'case'
                                                                     ELSE 'certify' END) THEN
            RAISE EXCEPTION 'the first signer lacks the right' USING ERRCODE = '42501';
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
CREATE TRIGGER guard_payment_order BEFORE INSERT OR UPDATE ON sozialraum.payment_order
    FOR EACH ROW EXECUTE FUNCTION sozialraum.guard_payment_order();

-- MARK: Bookings that pay: only under an approved order

ALTER TABLE sozialraum.booking ADD COLUMN payment_order_id bigint;
ALTER TABLE sozialraum.booking ADD CONSTRAINT booking_payment_order
    FOREIGN KEY (tenant_id, payment_order_id) REFERENCES sozialraum.payment_order (tenant_id, id);
CREATE INDEX booking_payment_order ON sozialraum.booking (payment_order_id) WHERE payment_order_id IS NOT NULL;

-- Whether an order is approved with two different signatures. Reads payment_order with the caller's
-- rights (a policy on booking may not read booking, but may read another table).
CREATE FUNCTION sozialraum.signed_twice(order_id bigint) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT EXISTS (SELECT 1 FROM sozialraum.payment_order o
                   WHERE o.id = order_id AND o.state = 'approved'
                     AND o.decided_by IS NOT NULL AND o.decided_by <> o.certified_by)
$$;
REVOKE ALL ON FUNCTION sozialraum.signed_twice(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.signed_twice(bigint) TO sozialraum_runtime;

-- An instalment or a settlement only under an approved order; any booking naming an order only under
-- an approved one. A policy, so that a provider's attempt is refused like every other write it may not do.
CREATE POLICY paid_under_two_signatures ON sozialraum.booking AS RESTRICTIVE FOR INSERT TO PUBLIC
    WITH CHECK (
        (kind NOT IN ('instalment', 'settlement') OR payment_order_id IS NOT NULL)
        AND (payment_order_id IS NULL OR sozialraum.signed_twice(payment_order_id)));

-- The Kontierung of an order as the Kasse receives it: one line per booking it pays, frozen when ordered
-- (instalments and settlements; an accepted finding is paid through the next statement).
CREATE TABLE sozialraum.payment_order_line (
    tenant_id       uuid NOT NULL,
    order_id        bigint NOT NULL,
    booking_id      bigint NOT NULL REFERENCES sozialraum.booking,
    year            int NOT NULL,
    social_space    sozialraum.code NOT NULL,
    component       sozialraum.component NOT NULL,
    amount          sozialraum.cents NOT NULL,
    product         text NOT NULL,
    account         text NOT NULL,
    cost_centre     text NOT NULL,
    PRIMARY KEY (order_id, booking_id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES sozialraum.payment_order (tenant_id, id)
);
CALL sozialraum.protect_tenant_table('sozialraum.payment_order_line');
CALL sozialraum.county_writes_only('sozialraum.payment_order_line');
GRANT SELECT, INSERT ON sozialraum.payment_order_line TO sozialraum_runtime;

-- MARK: The Kasse's confirmations (IST): what was paid on which order

CREATE TABLE sozialraum.payment_receipt (
    id              bigserial PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    -- The file it came from (its SHA-256) and its line there.
    source          text NOT NULL CHECK (source ~ '^[0-9a-f]{64}$'),
    line            int NOT NULL CHECK (line > 1),
    kassenzeichen   text NOT NULL CHECK (length(kassenzeichen) BETWEEN 1 AND 30),
    -- NULL when the Kasse names an order the daemon does not know.
    order_id        bigint REFERENCES sozialraum.payment_order,
    amount          sozialraum.cents NOT NULL,
    value_date      date NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    actor           text NOT NULL,
    UNIQUE (source, line)
);
CREATE INDEX payment_receipt_order ON sozialraum.payment_receipt (order_id);
CALL sozialraum.protect_tenant_table('sozialraum.payment_receipt');
CALL sozialraum.county_writes_only('sozialraum.payment_receipt');
GRANT SELECT, INSERT ON sozialraum.payment_receipt TO sozialraum_runtime;
GRANT USAGE ON SEQUENCE sozialraum.payment_receipt_id_seq TO sozialraum_runtime;

-- A difference between ordered and paid is a finding of the county's, one per confirmation line.
ALTER TABLE sozialraum.finding DROP CONSTRAINT finding_kind_check;
ALTER TABLE sozialraum.finding ADD CONSTRAINT finding_kind_check CHECK (kind IN ('delivery_over_grant',
    'booking_outside_grant_period', 'duplicate_delivery', 'missing_delivery', 'rate_missing',
    'out_of_area_without_reason', 'uncovered_overrun', 'payment_difference', 'payment_unknown'));
ALTER TABLE sozialraum.finding ADD COLUMN receipt_id bigint REFERENCES sozialraum.payment_receipt;
DROP INDEX sozialraum.finding_fact;
CREATE UNIQUE INDEX finding_fact ON sozialraum.finding (kind, tenant_id, month, grant_id, social_space, component, receipt_id)
    NULLS NOT DISTINCT WHERE kind <> 'delivery_over_grant';

-- MARK: Decisions on overruns (über- und außerplanmäßige Aufwendungen, § 117 NKomVG)

CREATE TABLE sozialraum.overrun_decision (
    id              bigserial PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    year            int NOT NULL CHECK (year BETWEEN 2000 AND 2199),
    social_space    sozialraum.code NOT NULL REFERENCES sozialraum.social_space,
    component       sozialraum.component NOT NULL,
    -- überplanmäßig (the line had an appropriation) or außerplanmäßig (it had none).
    kind            text NOT NULL CHECK (kind IN ('unplanned', 'over_plan')),
    amount          sozialraum.cents NOT NULL CHECK (amount > 0),
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    -- Cover (Deckung) offered: from which line, or none named.
    cover_social_space sozialraum.code REFERENCES sozialraum.social_space,
    cover_component sozialraum.component,
    -- The day the Kreistag was informed, when the amount is above the county's threshold.
    council_informed_on date,
    decided_by      text NOT NULL,
    decided_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((cover_social_space IS NULL) = (cover_component IS NULL))
);
CALL sozialraum.protect_tenant_table('sozialraum.overrun_decision');
CALL sozialraum.county_writes_only('sozialraum.overrun_decision');
GRANT SELECT, INSERT ON sozialraum.overrun_decision TO sozialraum_runtime;
GRANT USAGE ON SEQUENCE sozialraum.overrun_decision_id_seq TO sozialraum_runtime;

-- MARK: A login learns the account's rights

DROP FUNCTION sozialraum.account_for_login(text);
CREATE FUNCTION sozialraum.account_for_login(account_name text)
    RETURNS TABLE (name text, tenant_id uuid, role text, secret_hash bytea, salt bytea, scrypt_n int, rights text[])
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT a.name, a.tenant_id, a.role, a.secret_hash, a.salt, a.scrypt_n, a.rights
        FROM sozialraum.account a WHERE a.name = account_name AND NOT a.disabled
    $$;
REVOKE ALL ON FUNCTION sozialraum.account_for_login(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.account_for_login(text) TO sozialraum_runtime;
