-- 0002 Budget and ledger: Sozialräume, fiscal years and periods, appropriations and cover pools,
-- help types and rates, cases, grants and commitments, deliveries and findings, projects,
-- the append-only ledger with idempotency keys. Rules cited as "rule N" are in DOMAIN.md.
--
-- Three kinds of table, each protected by forced row-level security:
--   reference tables: county data every tenant may read (some only where a provider serves);
--                     only the county writes. Protected by protect_reference_table.
--   county tables:    only the county reads and writes (cases and their residence: rule 14).
--   tenant tables:    rows belong to a provider (tenant_id); the provider sees its own, the county
--                     all. Protected by protect_tenant_table (0001). Some are written by the county
--                     only (grants, rates, assignments): an extra restrictive policy says so.

-- Reference data: readable under `read_condition`, written by the county only.
CREATE PROCEDURE sozialraum.protect_reference_table(target regclass, read_condition text DEFAULT NULL)
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
    EXECUTE format(
        'CREATE POLICY county_writes ON %s AS PERMISSIVE FOR ALL TO PUBLIC'
        ' USING ((SELECT sozialraum.current_tenant_is_county()))'
        ' WITH CHECK ((SELECT sozialraum.current_tenant_is_county()))', target);
    -- The county test comes first, so that the county's reads skip a costlier condition.
    EXECUTE format(
        'CREATE POLICY tenants_read ON %s AS PERMISSIVE FOR SELECT TO PUBLIC USING ((SELECT sozialraum.current_tenant_is_county()) OR (%s))',
        target, coalesce(read_condition, '(SELECT sozialraum.current_tenant()) IS NOT NULL'));
END
$$;
REVOKE ALL ON PROCEDURE sozialraum.protect_reference_table(regclass, text) FROM PUBLIC;

-- Tenant tables whose rows only the county creates or changes (a provider reads its own).
CREATE PROCEDURE sozialraum.county_writes_only(target regclass)
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('CREATE POLICY county_inserts ON %s AS RESTRICTIVE FOR INSERT TO PUBLIC'
        ' WITH CHECK ((SELECT sozialraum.current_tenant_is_county()))', target);
    EXECUTE format('CREATE POLICY county_updates ON %s AS RESTRICTIVE FOR UPDATE TO PUBLIC'
        ' USING ((SELECT sozialraum.current_tenant_is_county()))', target);
    EXECUTE format('CREATE POLICY county_deletes ON %s AS RESTRICTIVE FOR DELETE TO PUBLIC'
        ' USING ((SELECT sozialraum.current_tenant_is_county()))', target);
END
$$;
REVOKE ALL ON PROCEDURE sozialraum.county_writes_only(regclass) FROM PUBLIC;

CREATE DOMAIN sozialraum.cents AS bigint CHECK (VALUE BETWEEN -99999999999999 AND 99999999999999);
CREATE DOMAIN sozialraum.component AS text CHECK (VALUE IN ('case', 'milieu', 'structure'));
CREATE DOMAIN sozialraum.code AS text CHECK (VALUE ~ '^[a-z0-9][a-z0-9-]{1,39}$');
-- A month is stored as its first day.
CREATE DOMAIN sozialraum.month AS date CHECK (extract(day FROM VALUE) = 1);

-- MARK: Sozialräume (reference)

CREATE TABLE sozialraum.municipality (
    code    sozialraum.code PRIMARY KEY,
    name    text NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);
CALL sozialraum.protect_reference_table('sozialraum.municipality');

CREATE TABLE sozialraum.social_space (
    code    sozialraum.code PRIMARY KEY,
    name    text NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);
CALL sozialraum.protect_reference_table('sozialraum.social_space');

-- Which municipalities form a Sozialraum, over time: a regrouping ends one row and starts another.
CREATE TABLE sozialraum.social_space_member (
    social_space    sozialraum.code NOT NULL REFERENCES sozialraum.social_space,
    municipality    sozialraum.code NOT NULL REFERENCES sozialraum.municipality,
    valid_from      date NOT NULL,
    valid_to        date CHECK (valid_to >= valid_from),
    PRIMARY KEY (municipality, valid_from)
);
CALL sozialraum.protect_reference_table('sozialraum.social_space_member');

-- MARK: Fiscal years, periods, appropriations (reference)

CREATE TABLE sozialraum.fiscal_year (
    year                    int PRIMARY KEY CHECK (year BETWEEN 2000 AND 2199),
    -- Rule 4: what happens when milieu or structure spending exceeds the funds.
    overrun_policy          text NOT NULL DEFAULT 'warn' CHECK (overrun_policy IN ('warn', 'refuse')),
    -- Rule 12: share of savings a provider keeps, in basis points (2500 = 25 %).
    provider_surplus_share  int NOT NULL DEFAULT 0 CHECK (provider_surplus_share BETWEEN 0 AND 10000),
    carry_forward_allowed   boolean NOT NULL DEFAULT true
);
CALL sozialraum.protect_reference_table('sozialraum.fiscal_year');

-- Rule 1: cover pools are data, per year. Components of one pool share a pool number.
CREATE TABLE sozialraum.cover_pool_member (
    year        int NOT NULL REFERENCES sozialraum.fiscal_year,
    component   sozialraum.component NOT NULL,
    pool        int NOT NULL CHECK (pool BETWEEN 1 AND 3),
    PRIMARY KEY (year, component)
);
CALL sozialraum.protect_reference_table('sozialraum.cover_pool_member');

-- Rule 11: months are open or closed.
CREATE TABLE sozialraum.period (
    month           sozialraum.month PRIMARY KEY,
    year            int NOT NULL REFERENCES sozialraum.fiscal_year
                        GENERATED ALWAYS AS (extract(year FROM month)::int) STORED,
    closed_at       timestamptz,
    closed_by       text,
    -- Set when closed despite open findings.
    forced_reason   text CHECK (length(forced_reason) BETWEEN 1 AND 500)
);
CALL sozialraum.protect_reference_table('sozialraum.period');

-- Rule 1: Ansatz per year × Sozialraum × component.
CREATE TABLE sozialraum.appropriation (
    year            int NOT NULL REFERENCES sozialraum.fiscal_year,
    social_space    sozialraum.code NOT NULL REFERENCES sozialraum.social_space,
    component       sozialraum.component NOT NULL,
    amount          sozialraum.cents NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (year, social_space, component)
);

-- Rule 12: Haushaltsrest carried into `year` (from year − 1), with the reason.
CREATE TABLE sozialraum.carry_forward (
    year            int NOT NULL REFERENCES sozialraum.fiscal_year,
    social_space    sozialraum.code NOT NULL REFERENCES sozialraum.social_space,
    component       sozialraum.component NOT NULL,
    amount          sozialraum.cents NOT NULL CHECK (amount >= 0),
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    PRIMARY KEY (year, social_space, component)
);

-- MARK: Help types (reference)

CREATE TABLE sozialraum.help_type (
    code            text PRIMARY KEY CHECK (code ~ '^[0-9]{2}[a-z]?(\.[0-9])?$'),
    title           text NOT NULL,
    setting         text NOT NULL CHECK (setting IN ('ambulant', 'day', 'residential')),
    -- Rule 5: direct-access help (§28, §20) may be booked under a standing agreement.
    direct_access   boolean NOT NULL DEFAULT false
);
CALL sozialraum.protect_reference_table('sozialraum.help_type');

-- MARK: Providers' assignments and rates (tenant tables, written by the county)

CREATE TABLE sozialraum.provider_assignment (
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    social_space    sozialraum.code NOT NULL REFERENCES sozialraum.social_space,
    lead            boolean NOT NULL DEFAULT false,
    valid_from      date NOT NULL,
    valid_to        date CHECK (valid_to >= valid_from),
    PRIMARY KEY (tenant_id, social_space, valid_from)
);
CALL sozialraum.protect_tenant_table('sozialraum.provider_assignment');
CALL sozialraum.county_writes_only('sozialraum.provider_assignment');

-- True when a provider served the Sozialraum at some time in the year (it may see that budget).
CREATE FUNCTION sozialraum.current_tenant_serves(space text, in_year int) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT EXISTS (
        SELECT 1 FROM sozialraum.provider_assignment a
        WHERE a.tenant_id = sozialraum.current_tenant() AND a.social_space = space
          AND a.valid_from <= make_date(in_year, 12, 31)
          AND (a.valid_to IS NULL OR a.valid_to >= make_date(in_year, 1, 1)))
    $$;


CALL sozialraum.protect_reference_table('sozialraum.appropriation',
    '(SELECT sozialraum.current_tenant_serves(social_space, year))');
CALL sozialraum.protect_reference_table('sozialraum.carry_forward',
    '(SELECT sozialraum.current_tenant_serves(social_space, year))');

-- Entgeltvereinbarung: one price per provider × help type × unit, valid from a date (rule 6).
CREATE TABLE sozialraum.rate_agreement (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    help_type       text NOT NULL REFERENCES sozialraum.help_type,
    unit            text NOT NULL CHECK (unit IN ('hour', 'day', 'flat_month')),
    valid_from      date NOT NULL,
    amount          sozialraum.cents NOT NULL CHECK (amount > 0),
    UNIQUE (tenant_id, help_type, unit, valid_from)
);
CALL sozialraum.protect_tenant_table('sozialraum.rate_agreement');
CALL sozialraum.county_writes_only('sozialraum.rate_agreement');

-- MARK: Cases (county only, rule 14: a pseudonymous key and nothing personal)

CREATE TABLE sozialraum.case_file (
    id          uuid PRIMARY KEY,
    case_key    text NOT NULL UNIQUE CHECK (case_key ~ '^[A-Z0-9-]{4,32}$' AND case_key ~ '[0-9]'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CALL sozialraum.protect_reference_table('sozialraum.case_file', 'false');

-- Rule 9: where the case lives, from a date.
CREATE TABLE sozialraum.residence (
    case_id         uuid NOT NULL REFERENCES sozialraum.case_file,
    valid_from      date NOT NULL,
    social_space    sozialraum.code NOT NULL REFERENCES sozialraum.social_space,
    PRIMARY KEY (case_id, valid_from)
);

-- MARK: Grants, commitments (tenant tables: the provider's)

CREATE TABLE sozialraum.grant_decision (
    id                  uuid PRIMARY KEY,
    tenant_id           uuid NOT NULL REFERENCES sozialraum.tenant (id),
    case_id             uuid NOT NULL REFERENCES sozialraum.case_file,
    -- The pseudonymous key, so that the provider can match its own records (rule 14).
    case_key            text NOT NULL,
    help_type           text NOT NULL REFERENCES sozialraum.help_type,
    unit                text NOT NULL CHECK (unit IN ('hour', 'day', 'flat_month')),
    volume_per_month    bigint NOT NULL CHECK (volume_per_month BETWEEN 0 AND 74400),
    starts_on           date NOT NULL,
    ends_on             date NOT NULL CHECK (ends_on >= starts_on),
    ended_on            date CHECK (ended_on >= starts_on - 1),
    -- Rule 9: a provider serving outside its Sozialraum must say why.
    out_of_area_reason  text CHECK (length(out_of_area_reason) BETWEEN 1 AND 500),
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX grant_decision_case ON sozialraum.grant_decision (case_id);
CREATE INDEX grant_decision_tenant ON sozialraum.grant_decision (tenant_id, starts_on);
CALL sozialraum.protect_tenant_table('sozialraum.grant_decision');
CALL sozialraum.county_writes_only('sozialraum.grant_decision');

-- A provider sees where a case it holds a grant for lives (which Sozialraum pays, rule 9); nothing
-- else of the case.
CALL sozialraum.protect_reference_table('sozialraum.residence',
    'EXISTS (SELECT 1 FROM sozialraum.grant_decision g WHERE g.case_id = residence.case_id)');

-- Rule 7: money bound by a grant, per month and paying Sozialraum, until a delivery releases it.
-- Derived data, maintained by the services: rewritten when a grant ends early or the case moves.
CREATE TABLE sozialraum.commitment (
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    grant_id        uuid NOT NULL REFERENCES sozialraum.grant_decision,
    month           sozialraum.month NOT NULL,
    social_space    sozialraum.code NOT NULL REFERENCES sozialraum.social_space,
    amount          sozialraum.cents NOT NULL CHECK (amount >= 0),
    released        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (grant_id, month, social_space)
);
CREATE INDEX commitment_line ON sozialraum.commitment (social_space, month) WHERE NOT released;
CALL sozialraum.protect_tenant_table('sozialraum.commitment');

-- Open commitments summed per provider, Sozialraum and month, kept by statement triggers so that
-- available funds never scan the commitments (see ledger_total for the same idea).
CREATE TABLE sozialraum.commitment_total (
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    social_space    sozialraum.code NOT NULL,
    month           sozialraum.month NOT NULL,
    amount          bigint NOT NULL,
    PRIMARY KEY (social_space, month, tenant_id)
);
CALL sozialraum.protect_tenant_table('sozialraum.commitment_total');

CREATE FUNCTION sozialraum.apply_commitment_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Each branch names only the transition tables its event has.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO sozialraum.commitment_total AS t (tenant_id, social_space, month, amount)
        SELECT n.tenant_id, n.social_space, n.month, sum(n.amount) FROM new_rows n WHERE NOT n.released GROUP BY 1, 2, 3
        ON CONFLICT (social_space, month, tenant_id) DO UPDATE SET amount = t.amount + EXCLUDED.amount;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO sozialraum.commitment_total AS t (tenant_id, social_space, month, amount)
        SELECT tenant_id, social_space, month, sum(delta) FROM (
            SELECT n.tenant_id, n.social_space, n.month, n.amount AS delta FROM new_rows n WHERE NOT n.released
            UNION ALL
            SELECT o.tenant_id, o.social_space, o.month, -o.amount FROM old_rows o WHERE NOT o.released
        ) changes
        GROUP BY 1, 2, 3 HAVING sum(delta) <> 0
        ON CONFLICT (social_space, month, tenant_id) DO UPDATE SET amount = t.amount + EXCLUDED.amount;
    ELSE
        INSERT INTO sozialraum.commitment_total AS t (tenant_id, social_space, month, amount)
        SELECT o.tenant_id, o.social_space, o.month, -sum(o.amount) FROM old_rows o WHERE NOT o.released GROUP BY 1, 2, 3
        ON CONFLICT (social_space, month, tenant_id) DO UPDATE SET amount = t.amount + EXCLUDED.amount;
    END IF;
    RETURN NULL;
END
$$;

-- MARK: Deliveries and findings

-- Leistungsnachweis: one per grant and month (a second one is refused; a correction reverses).
CREATE TABLE sozialraum.delivery (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    grant_id        uuid NOT NULL REFERENCES sozialraum.grant_decision,
    month           sozialraum.month NOT NULL,
    quantity        bigint NOT NULL CHECK (quantity BETWEEN 0 AND 74400),
    -- Rule 8: paid now at most the granted volume; the rest waits for the county.
    payable         bigint NOT NULL CHECK (payable BETWEEN 0 AND quantity),
    cost            sozialraum.cents NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (grant_id, month)
);
CREATE INDEX delivery_tenant_month ON sozialraum.delivery (tenant_id, month);
CALL sozialraum.protect_tenant_table('sozialraum.delivery');

CREATE TABLE sozialraum.finding (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    kind            text NOT NULL CHECK (kind IN ('delivery_over_grant', 'booking_outside_grant_period',
                        'duplicate_delivery', 'missing_delivery', 'rate_missing')),
    month           sozialraum.month NOT NULL,
    grant_id        uuid REFERENCES sozialraum.grant_decision,
    delivery_id     uuid REFERENCES sozialraum.delivery,
    -- The volume (hundredths) or amount (cents) in question.
    quantity        bigint,
    amount          sozialraum.cents,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
    resolved_at     timestamptz,
    resolution      text CHECK (length(resolution) BETWEEN 1 AND 500),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX finding_open ON sozialraum.finding (month) WHERE status = 'open';
CALL sozialraum.protect_tenant_table('sozialraum.finding');
-- A provider may not resolve its own findings.
CREATE POLICY county_resolves ON sozialraum.finding AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING ((SELECT sozialraum.current_tenant_is_county()));

-- MARK: Projects (Projektlandschaft)

CREATE TABLE sozialraum.project (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    social_space    sozialraum.code NOT NULL REFERENCES sozialraum.social_space,
    component       sozialraum.component NOT NULL CHECK (component IN ('milieu', 'structure')),
    starts_on       date NOT NULL,
    ends_on         date NOT NULL CHECK (ends_on >= starts_on),
    budget          sozialraum.cents NOT NULL CHECK (budget >= 0),
    volunteers      int NOT NULL DEFAULT 0 CHECK (volunteers BETWEEN 0 AND 100000),
    professionals   int NOT NULL DEFAULT 0 CHECK (professionals BETWEEN 0 AND 100000)
);
CALL sozialraum.protect_tenant_table('sozialraum.project');
CALL sozialraum.county_writes_only('sozialraum.project');

-- MARK: The ledger (rule 10): append-only

CREATE TABLE sozialraum.booking (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    kind            text NOT NULL CHECK (kind IN ('delivery', 'project_expense', 'instalment', 'settlement',
                        'reversal', 'carry_forward')),
    -- The open month the booking is in (rule 11) and the month the money is for.
    booked_month    sozialraum.month NOT NULL REFERENCES sozialraum.period,
    service_month   sozialraum.month NOT NULL,
    social_space    sozialraum.code NOT NULL REFERENCES sozialraum.social_space,
    component       sozialraum.component NOT NULL,
    amount          sozialraum.cents NOT NULL,
    grant_id        uuid REFERENCES sozialraum.grant_decision,
    delivery_id     uuid REFERENCES sozialraum.delivery,
    project_id      uuid REFERENCES sozialraum.project,
    -- A reversal names the booking it cancels; a late correction the original it corrects.
    reverses        bigint UNIQUE REFERENCES sozialraum.booking,
    corrects        bigint REFERENCES sozialraum.booking,
    actor           text NOT NULL CHECK (length(actor) BETWEEN 1 AND 100),
    request_id      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'reversal') = (reverses IS NOT NULL)),
    -- Rule 5: no case cost without a grant (instalments and settlements are payments, not cost).
    CHECK (component <> 'case' OR kind NOT IN ('delivery', 'project_expense') OR grant_id IS NOT NULL)
);
CREATE INDEX booking_line ON sozialraum.booking (social_space, service_month, component);
CREATE INDEX booking_tenant_month ON sozialraum.booking (tenant_id, booked_month);
CREATE INDEX booking_grant ON sozialraum.booking (grant_id) WHERE grant_id IS NOT NULL;
CALL sozialraum.protect_tenant_table('sozialraum.booking');

-- Sums of the ledger per provider, line and month, kept by a statement trigger so that available
-- funds never scan the ledger (one upsert per group and statement, also for COPY).
CREATE TABLE sozialraum.ledger_total (
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    social_space    sozialraum.code NOT NULL,
    component       sozialraum.component NOT NULL,
    service_month   sozialraum.month NOT NULL,
    kind            text NOT NULL,
    amount          bigint NOT NULL,
    lines           bigint NOT NULL,
    PRIMARY KEY (social_space, service_month, component, kind, tenant_id)
);
CALL sozialraum.protect_tenant_table('sozialraum.ledger_total');

-- Per statement (one query also for a bulk insert of a million rows): refuses bookings into a
-- closed month (rule 11, enforced in the database too), then adds the new bookings to the totals.
CREATE FUNCTION sozialraum.add_to_ledger_total() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    closed_month date;
BEGIN
    SELECT p.month INTO closed_month FROM sozialraum.period p
    WHERE p.closed_at IS NOT NULL AND p.month IN (SELECT DISTINCT n.booked_month FROM new_bookings n)
    LIMIT 1;
    IF closed_month IS NOT NULL THEN
        RAISE EXCEPTION 'period % is closed', to_char(closed_month, 'YYYY-MM') USING ERRCODE = 'SZ001';
    END IF;
    INSERT INTO sozialraum.ledger_total AS t (tenant_id, social_space, component, service_month, kind, amount, lines)
    SELECT n.tenant_id, n.social_space, n.component, n.service_month,
           CASE WHEN n.kind = 'reversal' THEN r.kind ELSE n.kind END, sum(n.amount), count(*)
    FROM new_bookings n LEFT JOIN sozialraum.booking r ON r.id = n.reverses
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (social_space, service_month, component, kind, tenant_id)
    DO UPDATE SET amount = t.amount + EXCLUDED.amount, lines = t.lines + EXCLUDED.lines;
    RETURN NULL;
END
$$;
-- Only the booking trigger writes totals: a direct write by any role is refused.
CREATE FUNCTION sozialraum.refuse_direct_total_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF pg_catalog.pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'ledger totals are maintained by the ledger only' USING ERRCODE = '42501';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER ledger_total_guard BEFORE INSERT OR UPDATE OR DELETE ON sozialraum.ledger_total
    FOR EACH ROW EXECUTE FUNCTION sozialraum.refuse_direct_total_change();

CREATE TRIGGER commitment_total_guard BEFORE INSERT OR UPDATE OR DELETE ON sozialraum.commitment_total
    FOR EACH ROW EXECUTE FUNCTION sozialraum.refuse_direct_total_change();
CREATE TRIGGER commitment_totals_insert AFTER INSERT ON sozialraum.commitment
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.apply_commitment_change();
CREATE TRIGGER commitment_totals_update AFTER UPDATE ON sozialraum.commitment
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.apply_commitment_change();
CREATE TRIGGER commitment_totals_delete AFTER DELETE ON sozialraum.commitment
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.apply_commitment_change();

CREATE TRIGGER booking_totals AFTER INSERT ON sozialraum.booking
    REFERENCING NEW TABLE AS new_bookings FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.add_to_ledger_total();

-- Rule 10: every write carries an idempotency key. The same key with the same content returns the
-- first result; with other content it is refused.
CREATE TABLE sozialraum.idempotency (
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    key             text NOT NULL CHECK (key ~ '^[A-Za-z0-9._:-]{8,64}$'),
    fingerprint     bytea NOT NULL,
    result          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);
CALL sozialraum.protect_tenant_table('sozialraum.idempotency');

-- MARK: Privileges of the runtime role. The ledger and the audit trail: INSERT and SELECT only.

GRANT SELECT, INSERT, UPDATE, DELETE ON sozialraum.municipality, sozialraum.social_space,
    sozialraum.social_space_member, sozialraum.fiscal_year, sozialraum.cover_pool_member,
    sozialraum.appropriation, sozialraum.carry_forward, sozialraum.help_type,
    sozialraum.provider_assignment, sozialraum.rate_agreement TO sozialraum_runtime;
GRANT SELECT, INSERT, UPDATE ON sozialraum.period TO sozialraum_runtime;
GRANT SELECT, INSERT ON sozialraum.case_file, sozialraum.residence TO sozialraum_runtime;
GRANT SELECT, INSERT, UPDATE ON sozialraum.grant_decision, sozialraum.finding, sozialraum.project TO sozialraum_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON sozialraum.commitment TO sozialraum_runtime;
GRANT SELECT, INSERT ON sozialraum.delivery, sozialraum.booking, sozialraum.idempotency TO sozialraum_runtime;
-- The totals are written by triggers, which run with the inserting role's rights; a guard trigger
-- refuses any direct write.
GRANT SELECT, INSERT, UPDATE ON sozialraum.ledger_total, sozialraum.commitment_total TO sozialraum_runtime;
GRANT EXECUTE ON FUNCTION sozialraum.current_tenant_serves(text, int) TO sozialraum_runtime;
