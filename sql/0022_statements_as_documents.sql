-- 0022 Statements as documents, runs as positions (issue 20).
--
-- A run stores what it is: its scope, the positions it read, per-line results, per-provider statement
-- figures and findings; no statement items. Items are derived on demand at the run's positions (a draft),
-- and frozen once, with a content hash and who issued it, when a statement is issued: what the provider
-- sees and what the county pays on. An issued statement is settled (by the settlement's payment order)
-- or withdrawn (with a reason); it never changes. Nightly runs are pruned after a while; runs that a
-- statement, a payment order, a year end or a finding refers to are kept.

-- MARK: Change positions: what a run read of grants, residences and deliveries
--
-- Bookings have their id as position. What else an item shows (granted volume, where the case lives,
-- delivered hours) comes from rows that carry a position of their own, from one sequence. Every writer of
-- those rows holds the ledger gate (shared) before it draws a position, and a run holds it exclusively:
-- every position at or below the one a run read belongs to a finished transaction, every later one to a
-- transaction after the run. So "as of the run" is: position ≤ the run's.

CREATE SEQUENCE sozialraum.change_position;
GRANT USAGE, SELECT ON SEQUENCE sozialraum.change_position TO sozialraum_runtime;

ALTER TABLE sozialraum.grant_decision ADD COLUMN change_position bigint NOT NULL DEFAULT 0;
ALTER TABLE sozialraum.residence ADD COLUMN change_position bigint NOT NULL DEFAULT 0;
ALTER TABLE sozialraum.delivery ADD COLUMN change_position bigint NOT NULL DEFAULT 0;

-- The position is drawn by the database, never given by the daemon, and never changes.
CREATE FUNCTION sozialraum.stamp_change_position() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.change_position := nextval('sozialraum.change_position');
    ELSE
        NEW.change_position := OLD.change_position;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER stamp_change_position BEFORE INSERT OR UPDATE ON sozialraum.grant_decision
    FOR EACH ROW EXECUTE FUNCTION sozialraum.stamp_change_position();
CREATE TRIGGER stamp_change_position BEFORE INSERT OR UPDATE ON sozialraum.residence
    FOR EACH ROW EXECUTE FUNCTION sozialraum.stamp_change_position();
CREATE TRIGGER stamp_change_position BEFORE INSERT OR UPDATE ON sozialraum.delivery
    FOR EACH ROW EXECUTE FUNCTION sozialraum.stamp_change_position();
-- Residences were not behind the gate (no money moved with them); where a case lives now decides which
-- Sozialraum an item shows.
CREATE TRIGGER ledger_gate BEFORE INSERT OR UPDATE OR DELETE ON sozialraum.residence
    FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.enter_ledger();

-- A grant's end moves (a later end, an early end): the end before each move, with the move's position,
-- so that a run's items show the end the run read.
CREATE TABLE sozialraum.grant_end_change (
    grant_id        uuid NOT NULL,
    tenant_id       uuid NOT NULL,
    change_position bigint NOT NULL,
    old_ends_on     date NOT NULL,
    old_ended_on    date,
    PRIMARY KEY (grant_id, change_position),
    FOREIGN KEY (tenant_id, grant_id) REFERENCES sozialraum.grant_decision (tenant_id, id)
);
CALL sozialraum.protect_tenant_table('sozialraum.grant_end_change');
CALL sozialraum.county_writes_only('sozialraum.grant_end_change');
GRANT SELECT ON sozialraum.grant_end_change TO sozialraum_runtime;

-- Written by the owner's trigger only: the runtime role cannot write or fake the history.
CREATE FUNCTION sozialraum.keep_grant_end() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF (NEW.ends_on, NEW.ended_on) IS DISTINCT FROM (OLD.ends_on, OLD.ended_on) THEN
        INSERT INTO sozialraum.grant_end_change (grant_id, tenant_id, change_position, old_ends_on, old_ended_on)
        VALUES (OLD.id, OLD.tenant_id, nextval('sozialraum.change_position'), OLD.ends_on, OLD.ended_on);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION sozialraum.keep_grant_end() FROM PUBLIC;
CREATE TRIGGER keep_grant_end AFTER UPDATE ON sozialraum.grant_decision
    FOR EACH ROW EXECUTE FUNCTION sozialraum.keep_grant_end();

-- MARK: Runs are positions

-- NULL: a run made before this migration (its items were stored; see legacy_statement_item).
ALTER TABLE sozialraum.reconciliation_run ADD COLUMN change_position bigint;
-- nightly: a run of a period still running (month, quarter or year to date), pruned after
-- reconciliation.keepNightlyDays; kept: a finished month or quarter, a whole year, anything referred to.
ALTER TABLE sozialraum.reconciliation_run ADD COLUMN retention text NOT NULL DEFAULT 'kept'
    CHECK (retention IN ('nightly', 'kept'));
ALTER TABLE sozialraum.reconciliation_run NO FORCE ROW LEVEL SECURITY;
UPDATE sozialraum.reconciliation_run SET retention = 'nightly'
WHERE last_month >= date_trunc('month', run_day)
  AND NOT (extract(month FROM first_month) = 1 AND extract(month FROM last_month) = 12);
ALTER TABLE sozialraum.reconciliation_run FORCE ROW LEVEL SECURITY;
-- Only a run of a period still running may be pruned: a whole year, a finished month or quarter stay.
ALTER TABLE sozialraum.reconciliation_run ADD CONSTRAINT only_runs_to_date_are_nightly
    CHECK (retention = 'kept' OR (last_month >= date_trunc('month', run_day)
                                  AND NOT (extract(month FROM first_month) = 1 AND extract(month FROM last_month) = 12)));

-- The items runs stored before this migration: kept for those runs (their drafts read them, so a run's
-- payment advice stays what it was), written no more.
ALTER TABLE sozialraum.statement_item RENAME TO legacy_statement_item;
REVOKE INSERT ON sozialraum.legacy_statement_item FROM sozialraum_runtime;

-- MARK: Statements as documents (Abrechnung)

CREATE TABLE sozialraum.statement_document (
    id                  bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    tenant_id           uuid NOT NULL REFERENCES sozialraum.tenant (id),
    run_id              bigint NOT NULL REFERENCES sozialraum.reconciliation_run,
    state               text NOT NULL DEFAULT 'issued' CHECK (state IN ('issued', 'settled', 'withdrawn')),
    accrued             bigint NOT NULL,
    instalments         bigint NOT NULL,
    settlements         bigint NOT NULL,
    balance             bigint NOT NULL,
    -- Counted and hashed by the database from the items (see freeze_statement_document).
    items               int NOT NULL DEFAULT 0,
    content_hash        bytea NOT NULL DEFAULT ''::bytea,
    issued_by           text NOT NULL CHECK (length(issued_by) BETWEEN 1 AND 100),
    issued_at           timestamptz NOT NULL DEFAULT now(),
    withdrawn_by        text CHECK (length(withdrawn_by) BETWEEN 1 AND 100),
    withdrawn_at        timestamptz,
    withdrawal_reason   text CHECK (length(withdrawal_reason) BETWEEN 1 AND 500),
    payment_order_id    bigint,
    settled_at          timestamptz,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, payment_order_id) REFERENCES sozialraum.payment_order (tenant_id, id),
    CONSTRAINT balance_adds_up CHECK (balance = accrued - instalments - settlements),
    CONSTRAINT withdrawn_with_reason
        CHECK ((state = 'withdrawn') = (withdrawn_by IS NOT NULL AND withdrawn_at IS NOT NULL AND withdrawal_reason IS NOT NULL)),
    CONSTRAINT settled_when_paid CHECK ((state = 'settled') = (settled_at IS NOT NULL))
);
-- One live statement per run and provider; a withdrawn one may be followed by a new one.
CREATE UNIQUE INDEX statement_document_live ON sozialraum.statement_document (run_id, tenant_id)
    WHERE state <> 'withdrawn';
CREATE INDEX statement_document_tenant ON sozialraum.statement_document (tenant_id, id);
CALL sozialraum.protect_tenant_table('sozialraum.statement_document');
CALL sozialraum.county_writes_only('sozialraum.statement_document');
GRANT SELECT, INSERT, UPDATE ON sozialraum.statement_document TO sozialraum_runtime;
GRANT USAGE ON SEQUENCE sozialraum.statement_document_id_seq TO sozialraum_runtime;

-- The frozen payment advice: one item per grant (pseudonymous case key) or project. Inserted before
-- its document in the same transaction (the document counts and hashes them, and refuses another
-- provider's), never changed. No foreign key to the document, which does not exist yet when its items are
-- written (like the run's items before: a check per item would cost more than the items).
CREATE TABLE sozialraum.statement_document_item (
    statement_id    bigint NOT NULL,
    tenant_id       uuid NOT NULL,
    item            text NOT NULL CHECK (item IN ('grant', 'project')),
    item_id         uuid NOT NULL,
    case_key        text,
    help_type       text,
    unit            text,
    social_space    sozialraum.code,
    granted         bigint,
    delivered       bigint,
    payable         bigint,
    cost            bigint NOT NULL,
    PRIMARY KEY (statement_id, item_id)
);
CALL sozialraum.protect_tenant_table('sozialraum.statement_document_item');
CALL sozialraum.county_writes_only('sozialraum.statement_document_item');
GRANT SELECT, INSERT ON sozialraum.statement_document_item TO sozialraum_runtime;

-- The content hash: sha256 over one line per item, ordered by item id, fields joined by '|' (empty for
-- none), lines joined by a newline. docs/statements.md gives the recipe, so a provider can check it.
CREATE FUNCTION sozialraum.statement_item_line(i sozialraum.statement_document_item) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT concat_ws('|', i.item, i.item_id, coalesce(i.case_key, ''), coalesce(i.help_type, ''), coalesce(i.unit, ''),
                     coalesce(i.social_space, ''), coalesce(i.granted::text, ''), coalesce(i.delivered::text, ''),
                     coalesce(i.payable::text, ''), i.cost)
$$;

-- Items go to a statement not yet issued only: once its document exists, nothing is added.
CREATE FUNCTION sozialraum.guard_statement_items() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows n JOIN sozialraum.statement_document d ON d.id = n.statement_id) THEN
        RAISE EXCEPTION 'an issued statement never changes' USING ERRCODE = 'SZ007';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER guard_statement_items AFTER INSERT ON sozialraum.statement_document_item
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.guard_statement_items();

-- Issuing: the database counts and hashes the items (never the daemon's word), checks that they are the
-- provider's and add up to what the statement accrues. Afterwards only the state moves, once: issued →
-- settled (by an approved settlement order of this run and provider) or withdrawn (with a reason, while
-- no settlement order is pending or approved).
CREATE FUNCTION sozialraum.guard_statement_document() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    counted int;
    total bigint;
    hash bytea;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'issued' OR NEW.withdrawn_by IS NOT NULL OR NEW.payment_order_id IS NOT NULL
           OR NEW.settled_at IS NOT NULL THEN
            RAISE EXCEPTION 'a statement starts issued' USING ERRCODE = 'SZ007';
        END IF;
        IF EXISTS (SELECT 1 FROM sozialraum.statement_document_item i
                   WHERE i.statement_id = NEW.id AND i.tenant_id <> NEW.tenant_id) THEN
            RAISE EXCEPTION 'a statement holds its provider''s items only' USING ERRCODE = 'SZ007';
        END IF;
        SELECT count(*), coalesce(sum(i.cost), 0),
               sha256(convert_to(coalesce(string_agg(sozialraum.statement_item_line(i), E'\n' ORDER BY i.item_id), ''), 'UTF8'))
        INTO counted, total, hash
        FROM sozialraum.statement_document_item i WHERE i.statement_id = NEW.id;
        IF total <> NEW.accrued THEN
            RAISE EXCEPTION 'the items do not add up to the statement' USING ERRCODE = 'SZ007';
        END IF;
        NEW.items := counted;
        NEW.content_hash := hash;
        NEW.issued_at := now();
        RETURN NEW;
    END IF;
    -- (The tenant is guarded by tenant_immutable, like every tenant table's.)
    IF (NEW.id, NEW.run_id, NEW.accrued, NEW.instalments, NEW.settlements, NEW.balance, NEW.items,
        NEW.content_hash, NEW.issued_by, NEW.issued_at)
       IS DISTINCT FROM
       (OLD.id, OLD.run_id, OLD.accrued, OLD.instalments, OLD.settlements, OLD.balance, OLD.items,
        OLD.content_hash, OLD.issued_by, OLD.issued_at) THEN
        RAISE EXCEPTION 'an issued statement never changes' USING ERRCODE = 'SZ007';
    END IF;
    IF NEW.state = OLD.state AND (NEW.withdrawn_by, NEW.withdrawn_at, NEW.withdrawal_reason, NEW.payment_order_id,
                                  NEW.settled_at)
                                 IS NOT DISTINCT FROM (OLD.withdrawn_by, OLD.withdrawn_at, OLD.withdrawal_reason,
                                  OLD.payment_order_id, OLD.settled_at) THEN
        RETURN NEW;
    END IF;
    IF OLD.state <> 'issued' OR NEW.state = 'issued' THEN
        RAISE EXCEPTION 'a statement is settled or withdrawn once' USING ERRCODE = 'SZ007';
    END IF;
    IF NEW.state = 'settled' THEN
        IF NOT EXISTS (SELECT 1 FROM sozialraum.payment_order o
                       WHERE o.id = NEW.payment_order_id AND o.kind = 'settlement' AND o.state = 'approved'
                         AND o.run_id = NEW.run_id AND o.tenant_id = NEW.tenant_id AND o.amount = NEW.balance) THEN
            RAISE EXCEPTION 'a statement is settled by its approved settlement order' USING ERRCODE = 'SZ006';
        END IF;
        NEW.settled_at := now();
    ELSIF NEW.state = 'withdrawn' THEN
        IF EXISTS (SELECT 1 FROM sozialraum.payment_order o
                   WHERE o.kind = 'settlement' AND o.run_id = NEW.run_id AND o.tenant_id = NEW.tenant_id
                     AND o.state IN ('pending', 'approved')) THEN
            RAISE EXCEPTION 'a statement with a settlement order is not withdrawn' USING ERRCODE = 'SZ007';
        END IF;
        NEW.withdrawn_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER guard_statement_document BEFORE INSERT OR UPDATE ON sozialraum.statement_document
    FOR EACH ROW EXECUTE FUNCTION sozialraum.guard_statement_document();

-- A settlement pays an issued statement, its balance exactly.
CREATE FUNCTION sozialraum.settle_issued_statements_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM sozialraum.statement_document d
                   WHERE d.run_id = NEW.run_id AND d.tenant_id = NEW.tenant_id AND d.state = 'issued'
                     AND d.balance = NEW.amount) THEN
        RAISE EXCEPTION 'a settlement pays an issued statement' USING ERRCODE = 'SZ007';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER settle_issued_statements_only BEFORE INSERT ON sozialraum.payment_order
    FOR EACH ROW WHEN (NEW.kind = 'settlement') EXECUTE FUNCTION sozialraum.settle_issued_statements_only();

-- MARK: What runs stored becomes documents
--
-- The statements of runs that were settled (by an approved settlement order, or before payment orders by
-- the audited settlement and its bookings) and of runs with a settlement order pending become documents,
-- with the items the run stored. Their issuer is recorded as 'migration'.

ALTER TABLE sozialraum.statement_document NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.statement_document_item NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.legacy_statement_item NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.statement NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.payment_order NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.audit_event NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.booking NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.statement_document DISABLE TRIGGER guard_statement_document;

CREATE TEMPORARY TABLE moved_statement ON COMMIT DROP AS
SELECT DISTINCT ON (pairs.run_id, pairs.tenant_id) pairs.run_id, pairs.tenant_id, pairs.order_id, pairs.settled,
       nextval('sozialraum.statement_document_id_seq') AS id
FROM (
    SELECT o.run_id, o.tenant_id, o.id AS order_id, o.state = 'approved' AS settled, o.state = 'approved' AS rank
    FROM sozialraum.payment_order o
    WHERE o.kind = 'settlement' AND o.state IN ('pending', 'approved')
    UNION ALL
    SELECT a.object_id::bigint, b.tenant_id, NULL, true, false
    FROM sozialraum.audit_event a
    JOIN sozialraum.booking b ON b.request_id = a.request_id AND b.kind = 'settlement'
    WHERE a.action = 'statement.settle' AND a.object_kind = 'run' AND a.object_id ~ '^[0-9]+$'
) pairs
JOIN sozialraum.statement s ON s.run_id = pairs.run_id AND s.tenant_id = pairs.tenant_id
ORDER BY pairs.run_id, pairs.tenant_id, pairs.rank DESC;

INSERT INTO sozialraum.statement_document_item
SELECT m.id, i.tenant_id, i.item, i.item_id, i.case_key, i.help_type, i.unit, i.social_space, i.granted, i.delivered,
       i.payable, i.cost
FROM moved_statement m JOIN sozialraum.legacy_statement_item i ON i.run_id = m.run_id AND i.tenant_id = m.tenant_id;

INSERT INTO sozialraum.statement_document (id, tenant_id, run_id, state, accrued, instalments, settlements, balance,
                                           items, content_hash, issued_by, payment_order_id, settled_at)
SELECT m.id, m.tenant_id, m.run_id, CASE WHEN m.settled THEN 'settled' ELSE 'issued' END, s.accrued, s.instalments,
       s.settlements, s.balance,
       (SELECT count(*) FROM sozialraum.statement_document_item i WHERE i.statement_id = m.id),
       (SELECT sha256(convert_to(coalesce(string_agg(sozialraum.statement_item_line(i), E'\n' ORDER BY i.item_id), ''), 'UTF8'))
        FROM sozialraum.statement_document_item i WHERE i.statement_id = m.id),
       'migration', CASE WHEN m.settled THEN m.order_id END, CASE WHEN m.settled THEN now() END
FROM moved_statement m JOIN sozialraum.statement s ON s.run_id = m.run_id AND s.tenant_id = m.tenant_id;

ALTER TABLE sozialraum.statement_document ENABLE TRIGGER guard_statement_document;
ALTER TABLE sozialraum.statement_document FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.statement_document_item FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.legacy_statement_item FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.statement FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.payment_order FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.audit_event FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.booking FORCE ROW LEVEL SECURITY;

-- MARK: Pruning nightly runs

-- Removes nightly runs finished more than `keep_days` ago that nothing refers to (a statement, a payment
-- order, a year end, a finding), never the newest run. The county's only; returns how many went.
-- SECURITY DEFINER: the runtime role may not delete runs (they are immutable to it); this is the one
-- way a run goes, and it decides which.
CREATE FUNCTION sozialraum.prune_nightly_runs(keep_days int) RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    doomed bigint[];
BEGIN
    IF NOT sozialraum.current_tenant_is_county() THEN
        RAISE EXCEPTION 'only the county prunes runs' USING ERRCODE = '42501';
    END IF;
    IF keep_days IS NULL OR keep_days < 1 THEN
        RAISE EXCEPTION 'runs are kept at least a day' USING ERRCODE = '22023';
    END IF;
    SELECT coalesce(array_agg(r.id), '{}') INTO doomed
    FROM sozialraum.reconciliation_run r
    WHERE r.retention = 'nightly' AND r.finished_at < now() - make_interval(days => keep_days)
      AND r.id < (SELECT max(n.id) FROM sozialraum.reconciliation_run n)
      AND NOT EXISTS (SELECT 1 FROM sozialraum.statement_document d WHERE d.run_id = r.id)
      AND NOT EXISTS (SELECT 1 FROM sozialraum.payment_order o WHERE o.run_id = r.id)
      AND NOT EXISTS (SELECT 1 FROM sozialraum.year_end y WHERE y.run_id = r.id)
      AND NOT EXISTS (SELECT 1 FROM sozialraum.finding f WHERE f.run_id = r.id);
    DELETE FROM sozialraum.reconciliation_line WHERE run_id = ANY (doomed);
    DELETE FROM sozialraum.reconciliation_month WHERE run_id = ANY (doomed);
    DELETE FROM sozialraum.reconciliation_transfer WHERE run_id = ANY (doomed);
    DELETE FROM sozialraum.statement WHERE run_id = ANY (doomed);
    DELETE FROM sozialraum.legacy_statement_item WHERE run_id = ANY (doomed);
    DELETE FROM sozialraum.reconciliation_run WHERE id = ANY (doomed);
    RETURN cardinality(doomed);
END
$$;
REVOKE ALL ON FUNCTION sozialraum.prune_nightly_runs(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.prune_nightly_runs(int) TO sozialraum_runtime;
