-- 0034 Erasure that keeps the figures (issue 31, items 2, 3, 5 and 8; rule 19).
--
-- A case past its deletion rule loses its link to the person: its key becomes a random tombstone, its
-- residences go, the copies of its key on grants and statement items go, and free texts that may name
-- people (a grant's out-of-area reason, its amendments' reasons, its findings' resolutions) become
-- '(gelöscht)'. Amounts, months, Sozialraum, component, help type and provider stay: no booking, delivery,
-- commitment, run or total changes, so every figure stays what it was.
--
-- Only `erase_ordered_cases` (security definer, the owner's) does it, and only for cases that are still due
-- when it runs, named by an erasure order that one holder of the right `erase` certified and a second one
-- ordered (Vier-Augen-Prinzip, as for payments), and not under a legal hold. The runtime role cannot
-- update or delete any of these rows itself (case_file and residence: SELECT and INSERT only; a grant's
-- case link: guard_case_link, sql/0031; statement items: SELECT and INSERT only).

-- MARK: The right to erase

ALTER TABLE sozialraum.account DROP CONSTRAINT account_rights_check;
ALTER TABLE sozialraum.account ADD CONSTRAINT account_rights_check
    CHECK (rights <@ ARRAY['case', 'certify', 'order', 'controller', 'accounts', 'erase']::text[]);
ALTER TABLE sozialraum.account_change DROP CONSTRAINT account_change_rights_check;
ALTER TABLE sozialraum.account_change ADD CONSTRAINT account_change_rights_check
    CHECK (rights <@ ARRAY['case', 'certify', 'order', 'controller', 'accounts', 'erase']::text[]
           AND NOT (rights @> ARRAY['accounts', 'order']::text[]));

-- MARK: A case's key or its tombstone

ALTER TABLE sozialraum.case_file ADD COLUMN erased_at timestamptz;
ALTER TABLE sozialraum.case_file DROP CONSTRAINT case_file_case_key_check;
-- A live key never looks like a tombstone, so that a tombstone is never mistaken for a case (and the same
-- key entered after the erasure is a new case: the old row no longer holds it).
ALTER TABLE sozialraum.case_file ADD CONSTRAINT case_key_or_tombstone CHECK (
    CASE WHEN erased_at IS NULL
         THEN case_key ~ '^[A-Z0-9-]{4,32}$' AND case_key ~ '[0-9]' AND case_key !~ '^ERASED-'
         ELSE case_key ~ '^ERASED-[0-9A-F]{24}$' END);

-- MARK: Legal holds (a pending claim, a court case): no erasure while one is open

CREATE TABLE sozialraum.case_hold (
    id          bigserial PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES sozialraum.case_file,
    -- A file reference (Aktenzeichen), not a story: one line.
    reference   text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100 AND reference !~ '[[:cntrl:]]'),
    placed_by   text NOT NULL CHECK (length(placed_by) BETWEEN 1 AND 100),
    placed_at   timestamptz NOT NULL DEFAULT now(),
    lifted_by   text CHECK (length(lifted_by) BETWEEN 1 AND 100),
    lifted_at   timestamptz,
    CHECK ((lifted_by IS NULL) = (lifted_at IS NULL))
);
CREATE UNIQUE INDEX case_hold_open ON sozialraum.case_hold (case_id) WHERE lifted_at IS NULL;
CALL sozialraum.protect_reference_table('sozialraum.case_hold', 'false');
GRANT SELECT, INSERT, UPDATE ON sozialraum.case_hold TO sozialraum_runtime;
GRANT USAGE ON SEQUENCE sozialraum.case_hold_id_seq TO sozialraum_runtime;

-- A hold is placed and lifted once; what it says never changes.
CREATE FUNCTION sozialraum.guard_case_hold() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.lifted_at IS NOT NULL THEN
            RAISE EXCEPTION 'a legal hold starts open' USING ERRCODE = 'SZ009';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.id, NEW.case_id, NEW.reference, NEW.placed_by, NEW.placed_at)
       IS DISTINCT FROM (OLD.id, OLD.case_id, OLD.reference, OLD.placed_by, OLD.placed_at)
       OR OLD.lifted_at IS NOT NULL THEN
        RAISE EXCEPTION 'a legal hold is lifted once and otherwise never changes' USING ERRCODE = 'SZ009';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER guard_case_hold BEFORE INSERT OR UPDATE ON sozialraum.case_hold
    FOR EACH ROW EXECUTE FUNCTION sozialraum.guard_case_hold();

-- MARK: When a case is due (rule 19)
--
-- A case's last year: the latest of its first residence, its grants' ends and the service months of their
-- bookings. It is due once that year is closed (its year end confirmed) and `years` whole years have passed
-- after it (on 1 January of last year + 1 + years), unless it is erased already or under an open hold.
-- Set-based over all cases (the weekly proposal); `erase_ordered_cases` asks the same of its batch.
CREATE FUNCTION sozialraum.cases_due(years int, on_day date)
    RETURNS TABLE (case_id uuid, last_year int)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    SET jit = off
    AS $$
    WITH first_residence AS (
        SELECT r.case_id, extract(year FROM min(r.valid_from))::int AS year
        FROM sozialraum.residence r GROUP BY r.case_id
    ),
    grant_end AS (
        SELECT g.case_id, extract(year FROM max(least(g.ends_on, coalesce(g.ended_on, g.ends_on))))::int AS year
        FROM sozialraum.grant_decision g GROUP BY g.case_id
    ),
    last_booking AS (
        SELECT g.case_id, extract(year FROM max(b.service_month))::int AS year
        FROM sozialraum.booking b JOIN sozialraum.grant_decision g ON g.id = b.grant_id GROUP BY g.case_id
    )
    SELECT c.id, l.year
    FROM sozialraum.case_file c
    LEFT JOIN first_residence r ON r.case_id = c.id
    LEFT JOIN grant_end e ON e.case_id = c.id
    LEFT JOIN last_booking b ON b.case_id = c.id
    CROSS JOIN LATERAL (SELECT greatest(r.year, e.year, b.year) AS year) l
    WHERE c.erased_at IS NULL
      AND l.year + 1 + years <= extract(year FROM on_day)::int
      AND EXISTS (SELECT 1 FROM sozialraum.year_end y WHERE y.year = l.year)
      AND NOT EXISTS (SELECT 1 FROM sozialraum.case_hold h WHERE h.case_id = c.id AND h.lifted_at IS NULL)
$$;
REVOKE ALL ON FUNCTION sozialraum.cases_due(int, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.cases_due(int, date) TO sozialraum_runtime;

-- MARK: Erasure orders (Löschanordnung): proposed, certified, ordered by a second account, carried out

CREATE TABLE sozialraum.erasure_order (
    id              bigserial PRIMARY KEY,
    -- The county's (the cases are the county's).
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    proposed_at     timestamptz NOT NULL DEFAULT now(),
    -- The deletion rule applied (retention.caseLinkYears) and the day it was applied on.
    years           int NOT NULL CHECK (years BETWEEN 0 AND 100),
    due_on          date NOT NULL,
    cases           int NOT NULL CHECK (cases > 0),
    state           text NOT NULL DEFAULT 'proposed'
                        CHECK (state IN ('proposed', 'certified', 'ordered', 'rejected', 'done')),
    -- Certified (the first signature) and ordered or rejected (a second account).
    certified_by    text,
    certified_at    timestamptz,
    decided_by      text,
    decided_at      timestamptz,
    decision_reason text CHECK (length(decision_reason) BETWEEN 1 AND 500),
    -- Filled in by the erasure as it goes.
    erased          int NOT NULL DEFAULT 0,
    kept            int NOT NULL DEFAULT 0,
    -- The last case carried out (cases go in id order): the next batch starts after it.
    done_through    uuid,
    finished_at     timestamptz,
    CONSTRAINT two_people CHECK (decided_by IS NULL OR decided_by <> certified_by),
    CONSTRAINT certified_before_ordered CHECK (state NOT IN ('certified', 'ordered', 'done') OR certified_by IS NOT NULL),
    CONSTRAINT ordered_by_someone CHECK (state NOT IN ('ordered', 'done', 'rejected') OR decided_by IS NOT NULL),
    CONSTRAINT rejected_with_reason CHECK (state <> 'rejected' OR decision_reason IS NOT NULL),
    CONSTRAINT finished_when_done CHECK ((state = 'done') = (finished_at IS NOT NULL))
);
-- One order at a time is on its way (orders are the county's: one tenant).
CREATE UNIQUE INDEX erasure_order_open ON sozialraum.erasure_order (tenant_id)
    WHERE state IN ('proposed', 'certified', 'ordered');
CALL sozialraum.protect_tenant_table('sozialraum.erasure_order');
CALL sozialraum.county_writes_only('sozialraum.erasure_order');
GRANT SELECT, INSERT, UPDATE ON sozialraum.erasure_order TO sozialraum_runtime;
GRANT USAGE ON SEQUENCE sozialraum.erasure_order_id_seq TO sozialraum_runtime;

-- Orders as replies show them (moments in the county's time, sql/0028).
CREATE VIEW sozialraum.erasure_order_listing WITH (security_invoker = true) AS
    SELECT id, years, due_on, cases, state, sozialraum.local_time(proposed_at) AS proposed_at, certified_by,
           decided_by, decision_reason, erased, kept, sozialraum.local_time(finished_at) AS finished_at
    FROM sozialraum.erasure_order;
GRANT SELECT ON sozialraum.erasure_order_listing TO sozialraum_runtime;

-- The cases an order names, with their last year (what the signers see counted), and what became of them.
CREATE TABLE sozialraum.erasure_order_case (
    order_id    bigint NOT NULL REFERENCES sozialraum.erasure_order,
    case_id     uuid NOT NULL REFERENCES sozialraum.case_file,
    last_year   int NOT NULL,
    -- due: not yet carried out; erased; kept: no longer due when carried out (a hold, a new booking).
    state       text NOT NULL DEFAULT 'due' CHECK (state IN ('due', 'erased', 'kept')),
    PRIMARY KEY (order_id, case_id)
);
CALL sozialraum.protect_reference_table('sozialraum.erasure_order_case', 'false');
GRANT SELECT, INSERT ON sozialraum.erasure_order_case TO sozialraum_runtime;

-- Cases join an order while it is proposed only, and only cases not yet erased.
CREATE FUNCTION sozialraum.guard_erasure_order_cases() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows n JOIN sozialraum.erasure_order o ON o.id = n.order_id
               WHERE o.state <> 'proposed')
       OR EXISTS (SELECT 1 FROM new_rows n JOIN sozialraum.case_file c ON c.id = n.case_id
                  WHERE c.erased_at IS NOT NULL)
       OR EXISTS (SELECT 1 FROM new_rows n WHERE n.state <> 'due') THEN
        RAISE EXCEPTION 'an erasure order names due cases while it is proposed' USING ERRCODE = 'SZ009';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER guard_erasure_order_cases AFTER INSERT ON sozialraum.erasure_order_case
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.guard_erasure_order_cases();

-- proposed → certified (a holder of `erase`) → ordered (another holder of `erase`) → done (the erasure
-- function only); proposed or certified → rejected (a holder of `erase`, with a reason). What it names
-- never changes.
CREATE FUNCTION sozialraum.guard_erasure_order() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'proposed' OR NEW.certified_by IS NOT NULL OR NEW.decided_by IS NOT NULL
           OR NEW.erased <> 0 OR NEW.kept <> 0 OR NEW.done_through IS NOT NULL OR NEW.finished_at IS NOT NULL THEN
            RAISE EXCEPTION 'an erasure order starts proposed' USING ERRCODE = 'SZ009';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.id, NEW.proposed_at, NEW.years, NEW.due_on, NEW.cases)
       IS DISTINCT FROM (OLD.id, OLD.proposed_at, OLD.years, OLD.due_on, OLD.cases) THEN
        RAISE EXCEPTION 'what an erasure order names never changes' USING ERRCODE = 'SZ009';
    END IF;
    IF NEW.state = OLD.state AND (NEW.certified_by, NEW.decided_by, NEW.decision_reason)
       IS NOT DISTINCT FROM (OLD.certified_by, OLD.decided_by, OLD.decision_reason)
       AND (NEW.erased, NEW.kept, NEW.done_through, NEW.finished_at)
           IS NOT DISTINCT FROM (OLD.erased, OLD.kept, OLD.done_through, OLD.finished_at) THEN
        RETURN NEW;
    END IF;
    IF pg_catalog.pg_has_role(current_user, 'sozialraum_owner', 'MEMBER') AND OLD.state = 'ordered'
       AND NEW.state IN ('ordered', 'done') THEN
        RETURN NEW;
    END IF;
    IF (NEW.erased, NEW.kept, NEW.done_through, NEW.finished_at)
       IS DISTINCT FROM (OLD.erased, OLD.kept, OLD.done_through, OLD.finished_at) THEN
        RAISE EXCEPTION 'only the erasure records what it erased' USING ERRCODE = 'SZ009';
    END IF;
    IF OLD.state = 'proposed' AND NEW.state = 'certified' AND OLD.certified_by IS NULL THEN
        IF NOT sozialraum.holds_right(NEW.certified_by, 'erase') THEN
            RAISE EXCEPTION 'the certifying account lacks the right erase' USING ERRCODE = '42501';
        END IF;
        NEW.certified_at := now();
        RETURN NEW;
    END IF;
    IF OLD.state = 'certified' AND NEW.state = 'ordered' AND NEW.certified_by = OLD.certified_by THEN
        IF NOT sozialraum.holds_right(NEW.decided_by, 'erase') THEN
            RAISE EXCEPTION 'the ordering account lacks the right erase' USING ERRCODE = '42501';
        END IF;
        NEW.decided_at := now();
        RETURN NEW;
    END IF;
    IF OLD.state IN ('proposed', 'certified') AND NEW.state = 'rejected'
       AND NEW.certified_by IS NOT DISTINCT FROM OLD.certified_by THEN
        IF NOT sozialraum.holds_right(NEW.decided_by, 'erase') THEN
            RAISE EXCEPTION 'the rejecting account lacks the right erase' USING ERRCODE = '42501';
        END IF;
        NEW.decided_at := now();
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'an erasure order is certified, then ordered or rejected, once' USING ERRCODE = 'SZ009';
END
$$;
CREATE TRIGGER guard_erasure_order BEFORE INSERT OR UPDATE ON sozialraum.erasure_order
    FOR EACH ROW EXECUTE FUNCTION sozialraum.guard_erasure_order();

-- MARK: Issued statements verify after a redaction (item 3)
--
-- A document's hash is now sha256 over its items' hashes (lower-case hex, ordered by item id, joined by a
-- newline), each item's hash sha256 over its line (sql/0022's recipe). When a case is erased, its items
-- lose their case key and keep the hash of the line they had: the document still verifies. Documents
-- issued before keep their former hash (over the lines) in `former_content_hash`.
ALTER TABLE sozialraum.statement_document_item ADD COLUMN redacted_hash bytea
    CHECK (redacted_hash IS NULL OR (length(redacted_hash) = 32 AND case_key IS NULL));
ALTER TABLE sozialraum.statement_document ADD COLUMN former_content_hash bytea;

-- Both without SET clauses (every name qualified instead), so that PostgreSQL inlines them into the
-- statements that hash many items: called as functions they cost twenty times what they compute.
CREATE OR REPLACE FUNCTION sozialraum.statement_item_line(i sozialraum.statement_document_item) RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT pg_catalog.concat_ws('|', i.item, i.item_id, coalesce(i.case_key, ''), coalesce(i.help_type, ''),
                                coalesce(i.unit, ''), coalesce(i.social_space, ''),
                                coalesce(i.granted::pg_catalog.text, ''), coalesce(i.delivered::pg_catalog.text, ''),
                                coalesce(i.payable::pg_catalog.text, ''), i.cost)
$$;

CREATE FUNCTION sozialraum.statement_item_hash(i sozialraum.statement_document_item) RETURNS bytea
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce(i.redacted_hash,
                    pg_catalog.sha256(pg_catalog.convert_to(sozialraum.statement_item_line(i), 'UTF8')))
$$;
GRANT EXECUTE ON FUNCTION sozialraum.statement_item_hash(sozialraum.statement_document_item) TO sozialraum_runtime;

CREATE FUNCTION sozialraum.statement_document_hash(document_id bigint) RETURNS bytea
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT sha256(convert_to(coalesce(string_agg(encode(sozialraum.statement_item_hash(i), 'hex'), E'\n'
                                                 ORDER BY i.item_id), ''), 'UTF8'))
    FROM sozialraum.statement_document_item i WHERE i.statement_id = document_id
$$;
GRANT EXECUTE ON FUNCTION sozialraum.statement_document_hash(bigint) TO sozialraum_runtime;

CREATE OR REPLACE FUNCTION sozialraum.guard_statement_document() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    counted int;
    total bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'issued' OR NEW.withdrawn_by IS NOT NULL OR NEW.payment_order_id IS NOT NULL
           OR NEW.settled_at IS NOT NULL OR NEW.former_content_hash IS NOT NULL THEN
            RAISE EXCEPTION 'a statement starts issued' USING ERRCODE = 'SZ007';
        END IF;
        IF EXISTS (SELECT 1 FROM sozialraum.statement_document_item i
                   WHERE i.statement_id = NEW.id AND (i.tenant_id <> NEW.tenant_id OR i.redacted_hash IS NOT NULL)) THEN
            RAISE EXCEPTION 'a statement holds its provider''s items only' USING ERRCODE = 'SZ007';
        END IF;
        SELECT count(*), coalesce(sum(i.cost), 0) INTO counted, total
        FROM sozialraum.statement_document_item i WHERE i.statement_id = NEW.id;
        IF total <> NEW.accrued THEN
            RAISE EXCEPTION 'the items do not add up to the statement' USING ERRCODE = 'SZ007';
        END IF;
        NEW.items := counted;
        NEW.content_hash := sozialraum.statement_document_hash(NEW.id);
        NEW.issued_at := now();
        RETURN NEW;
    END IF;
    -- (The tenant is guarded by tenant_immutable, like every tenant table's.)
    IF (NEW.id, NEW.run_id, NEW.accrued, NEW.instalments, NEW.settlements, NEW.balance, NEW.items,
        NEW.content_hash, NEW.issued_by, NEW.issued_at, NEW.former_content_hash)
       IS DISTINCT FROM
       (OLD.id, OLD.run_id, OLD.accrued, OLD.instalments, OLD.settlements, OLD.balance, OLD.items,
        OLD.content_hash, OLD.issued_by, OLD.issued_at, OLD.former_content_hash) THEN
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

-- The documents issued so far: hashed the new way, their former hash kept.
ALTER TABLE sozialraum.statement_document NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.statement_document_item NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.statement_document DISABLE TRIGGER guard_statement_document;
UPDATE sozialraum.statement_document d
SET former_content_hash = d.content_hash, content_hash = sozialraum.statement_document_hash(d.id);
ALTER TABLE sozialraum.statement_document ENABLE TRIGGER guard_statement_document;
ALTER TABLE sozialraum.statement_document FORCE ROW LEVEL SECURITY;
ALTER TABLE sozialraum.statement_document_item FORCE ROW LEVEL SECURITY;

-- Issued items, with each item's hash (what a provider needs to verify a document with redacted items).
CREATE VIEW sozialraum.statement_document_item_listing WITH (security_invoker = true) AS
    SELECT i.*, encode(sozialraum.statement_item_hash(i), 'hex') AS item_hash
    FROM sozialraum.statement_document_item i;
GRANT SELECT ON sozialraum.statement_document_item_listing TO sozialraum_runtime;

-- A grant's bookings by service month: whether a case got a booking after its last year, one probe.
DROP INDEX sozialraum.booking_grant;
CREATE INDEX booking_grant ON sozialraum.booking (grant_id, service_month) WHERE grant_id IS NOT NULL;

-- The erasure finds a grant's items, findings and legacy items by the grant.
CREATE INDEX statement_document_item_grant ON sozialraum.statement_document_item (item_id) WHERE item = 'grant';
CREATE INDEX legacy_statement_item_grant ON sozialraum.legacy_statement_item (item_id) WHERE item = 'grant';
CREATE INDEX finding_grant ON sozialraum.finding (grant_id) WHERE grant_id IS NOT NULL;

-- MARK: A finding's resolution is redacted by the erasure only

CREATE OR REPLACE FUNCTION sozialraum.guard_finding_resolution() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (NEW.id, NEW.tenant_id, NEW.kind, NEW.month, NEW.grant_id, NEW.delivery_id, NEW.quantity, NEW.amount,
        NEW.created_at, NEW.social_space, NEW.component, NEW.run_id)
       IS DISTINCT FROM
       (OLD.id, OLD.tenant_id, OLD.kind, OLD.month, OLD.grant_id, OLD.delivery_id, OLD.quantity, OLD.amount,
        OLD.created_at, OLD.social_space, OLD.component, OLD.run_id) THEN
        RAISE EXCEPTION 'the facts of a finding cannot change' USING ERRCODE = '42501';
    END IF;
    -- The erasure (the owner's function) replaces a resolution's text and nothing else.
    IF pg_catalog.pg_has_role(current_user, 'sozialraum_owner', 'MEMBER')
       AND (NEW.status, NEW.resolved_at) IS NOT DISTINCT FROM (OLD.status, OLD.resolved_at)
       AND NEW.resolution = '(gelöscht)' THEN
        RETURN NEW;
    END IF;
    IF OLD.status <> 'open' THEN
        RAISE EXCEPTION 'the finding is no longer open' USING ERRCODE = 'SZ002';
    END IF;
    IF NEW.status = 'accepted' AND NEW.delivery_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM sozialraum.booking r WHERE r.kind = 'reversal' AND r.delivery_id = NEW.delivery_id) THEN
        RAISE EXCEPTION 'the finding''s delivery is reversed' USING ERRCODE = 'SZ002';
    END IF;
    IF NEW.status = 'superseded' AND (NEW.delivery_id IS NULL
       OR NOT EXISTS (SELECT 1 FROM sozialraum.booking r WHERE r.kind = 'reversal' AND r.delivery_id = NEW.delivery_id)) THEN
        RAISE EXCEPTION 'only the finding of a reversed delivery is superseded' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;

-- MARK: The erasure

-- Carries out up to `batch` cases of an ordered erasure order, each case at once and completely: the
-- batch commits with its marks, so a run killed half-way resumes with the cases still due and erases
-- none twice. A case no longer due (a hold placed, a booking since) is kept. The order is done when
-- no case is left due. Returns what this batch did.
CREATE FUNCTION sozialraum.erase_ordered_cases(erasure_order_id bigint, batch int)
    RETURNS TABLE (erased int, kept int, remaining int)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    -- Row-level security overprices these statements past the JIT threshold; compiling took longer than
    -- running them (as for runs and statements, Store.turnOffJIT).
    SET jit = off
    AS $$
DECLARE
    the_order sozialraum.erasure_order;
    -- The batch's cases (in id order), those still due, and their grants. Arrays, not temporary tables:
    -- the statements' plans then stay cached from one batch to the next.
    batch_cases uuid[];
    due_cases uuid[];
    due_grants uuid[];
    done_erased int;
    done_kept int;
    left_due int;
BEGIN
    IF batch IS NULL OR batch < 1 OR batch > 100000 THEN
        RAISE EXCEPTION 'a batch erases 1 to 100000 cases' USING ERRCODE = '22023';
    END IF;
    -- The cases and the order are the county's: act in its context (row-level security is forced on the
    -- owner too), seeing restricted cases (sql/0035: kept, not exempt from their deletion rule).
    PERFORM set_config('sozialraum.tenant_id', (SELECT c.tenant_id::text FROM sozialraum.county c), true);
    PERFORM set_config('sozialraum.restricted_visible', 'on', true);
    SELECT * INTO the_order FROM sozialraum.erasure_order o WHERE o.id = erasure_order_id FOR UPDATE;
    IF NOT FOUND OR the_order.state <> 'ordered' OR the_order.certified_by IS NULL OR the_order.decided_by IS NULL
       OR the_order.certified_by = the_order.decided_by THEN
        RAISE EXCEPTION 'only an ordered erasure order is carried out' USING ERRCODE = 'SZ009';
    END IF;
    -- The cases an order names were just written when it is first carried out: statistics first, so that the
    -- batches read them by their key.
    IF the_order.done_through IS NULL THEN
        ANALYZE sozialraum.erasure_order_case;
    END IF;

    -- The next cases in id order after the last batch's (a range of the primary key: the rows batches
    -- before marked are not read again).
    SELECT coalesce(array_agg(n.case_id ORDER BY n.case_id), '{}') INTO batch_cases
    FROM (SELECT oc.case_id FROM sozialraum.erasure_order_case oc
          WHERE oc.order_id = erasure_order_id AND oc.state = 'due'
            AND oc.case_id > coalesce(the_order.done_through, '00000000-0000-0000-0000-000000000000')
          ORDER BY oc.case_id LIMIT batch) n;
    -- Still due today under the order's rule, whatever happened since the proposal: not erased, not held,
    -- its last year closed and long enough ago, and nothing recorded for it after that year since (no later
    -- residence, grant end or booking: what would make its last year later, as cases_due computes it).
    SELECT coalesce(array_agg(oc.case_id), '{}') INTO due_cases
    FROM sozialraum.erasure_order_case oc JOIN sozialraum.case_file c ON c.id = oc.case_id
    WHERE oc.order_id = erasure_order_id AND oc.case_id = ANY (batch_cases) AND c.erased_at IS NULL
      AND oc.last_year + 1 + the_order.years <= extract(year FROM now() AT TIME ZONE 'Europe/Berlin')::int
      AND EXISTS (SELECT 1 FROM sozialraum.year_end y WHERE y.year = oc.last_year)
      AND NOT EXISTS (SELECT 1 FROM sozialraum.case_hold h WHERE h.case_id = oc.case_id AND h.lifted_at IS NULL)
      AND NOT EXISTS (SELECT 1 FROM sozialraum.residence r
                      WHERE r.case_id = oc.case_id AND r.valid_from >= make_date(oc.last_year + 1, 1, 1))
      AND NOT EXISTS (SELECT 1 FROM sozialraum.grant_decision g
                      WHERE g.case_id = oc.case_id
                        AND least(g.ends_on, coalesce(g.ended_on, g.ends_on)) >= make_date(oc.last_year + 1, 1, 1))
      AND NOT EXISTS (SELECT 1 FROM sozialraum.grant_decision g JOIN sozialraum.booking b ON b.grant_id = g.id
                      WHERE g.case_id = oc.case_id AND b.service_month >= make_date(oc.last_year + 1, 1, 1));
    SELECT coalesce(array_agg(g.id), '{}') INTO due_grants
    FROM sozialraum.grant_decision g WHERE g.case_id = ANY (due_cases);

    UPDATE sozialraum.case_file c
    SET case_key = 'ERASED-' || upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 24)), erased_at = now()
    WHERE c.id = ANY (due_cases);
    DELETE FROM sozialraum.residence r WHERE r.case_id = ANY (due_cases);
    DELETE FROM sozialraum.case_hold h WHERE h.case_id = ANY (due_cases);
    UPDATE sozialraum.grant_decision g
    SET case_key = c.case_key,
        out_of_area_reason = CASE WHEN g.out_of_area_reason IS NULL THEN NULL ELSE '(gelöscht)' END
    FROM sozialraum.case_file c
    WHERE g.case_id = ANY (due_cases) AND c.id = g.case_id;
    UPDATE sozialraum.grant_amendment a SET reason = '(gelöscht)' WHERE a.grant_id = ANY (due_grants);
    UPDATE sozialraum.finding f SET resolution = '(gelöscht)'
    WHERE f.grant_id = ANY (due_grants) AND f.resolution IS NOT NULL;
    UPDATE sozialraum.statement_document_item i
    SET redacted_hash = sozialraum.statement_item_hash(i), case_key = NULL
    WHERE i.item = 'grant' AND i.item_id = ANY (due_grants) AND i.case_key IS NOT NULL;
    UPDATE sozialraum.legacy_statement_item i SET case_key = NULL
    WHERE i.item = 'grant' AND i.item_id = ANY (due_grants) AND i.case_key IS NOT NULL;

    UPDATE sozialraum.erasure_order_case oc
    SET state = CASE WHEN oc.case_id = ANY (due_cases) THEN 'erased' ELSE 'kept' END
    WHERE oc.order_id = erasure_order_id AND oc.case_id = ANY (batch_cases);
    done_erased := cardinality(due_cases);
    done_kept := cardinality(batch_cases) - done_erased;
    -- Each case an order names is carried out once, erased or kept: what is left is what is not yet counted.
    -- (Nothing left to read is done, whatever the count says.)
    left_due := CASE WHEN cardinality(batch_cases) = 0 THEN 0
                     ELSE the_order.cases - the_order.erased - the_order.kept - done_erased - done_kept END;
    UPDATE sozialraum.erasure_order o
    SET erased = o.erased + done_erased, kept = o.kept + done_kept,
        done_through = coalesce(batch_cases[cardinality(batch_cases)], o.done_through),
        state = CASE WHEN left_due = 0 THEN 'done' ELSE 'ordered' END,
        finished_at = CASE WHEN left_due = 0 THEN now() END
    WHERE o.id = erasure_order_id;
    PERFORM set_config('sozialraum.tenant_id', '', true);
    PERFORM set_config('sozialraum.restricted_visible', '', true);
    RETURN QUERY SELECT done_erased, done_kept, left_due;
END
$$;
REVOKE ALL ON FUNCTION sozialraum.erase_ordered_cases(bigint, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.erase_ordered_cases(bigint, int) TO sozialraum_runtime;

-- MARK: The weekly job that proposes (and resumes) erasures

INSERT INTO sozialraum.schedule (name, cron, job, parameters, missed_policy, timeout_seconds)
VALUES ('erasure', '0 5 * * mon', 'erasure', '', 'latest', 3600)
ON CONFLICT (name) DO NOTHING;
