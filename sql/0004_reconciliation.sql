-- 0004 Reconciliation (rule 13): runs over a fixed ledger position, their stored results, provider
-- statements, findings found by runs, population figures for reports, the year end.

-- MARK: The ledger gate
-- A run must read the ledger at a position that no transaction in flight can still change: a
-- booking with a lower id committing after the run started would make the run unrepeatable. So every
-- statement that writes money-relevant rows takes a shared advisory lock until its transaction ends,
-- and a run takes the same lock exclusively: it waits for the writers in flight, and new writers wait
-- for the run (milliseconds for a month, about a second for a year of a million lines).
CREATE FUNCTION sozialraum.enter_ledger() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock_shared(7405213001);
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_gate BEFORE INSERT ON sozialraum.booking
    FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.enter_ledger();
CREATE TRIGGER ledger_gate BEFORE INSERT OR UPDATE OR DELETE ON sozialraum.commitment
    FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.enter_ledger();
CREATE TRIGGER ledger_gate BEFORE INSERT OR UPDATE OR DELETE ON sozialraum.delivery
    FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.enter_ledger();
CREATE TRIGGER ledger_gate BEFORE INSERT OR UPDATE OR DELETE ON sozialraum.grant_decision
    FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.enter_ledger();
CREATE TRIGGER ledger_gate BEFORE INSERT OR UPDATE OR DELETE ON sozialraum.appropriation
    FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.enter_ledger();
CREATE TRIGGER ledger_gate BEFORE INSERT OR UPDATE OR DELETE ON sozialraum.carry_forward
    FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.enter_ledger();
CREATE TRIGGER ledger_gate BEFORE INSERT OR UPDATE OR DELETE ON sozialraum.cover_pool_member
    FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.enter_ledger();

-- MARK: Runs and their results (immutable: the runtime role may only INSERT and SELECT)

CREATE TABLE sozialraum.reconciliation_run (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    year            int NOT NULL REFERENCES sozialraum.fiscal_year,
    scope           text NOT NULL CHECK (scope IN ('month', 'quarter', 'year')),
    first_month     sozialraum.month NOT NULL,
    last_month      sozialraum.month NOT NULL,
    -- NULL: all Sozialräume.
    social_space    sozialraum.code REFERENCES sozialraum.social_space,
    -- The highest booking id the run read; no booking at or below it can appear later (the gate).
    ledger_position bigint NOT NULL,
    -- The county's calendar day of the run: findings of months due before it.
    run_day         date NOT NULL,
    -- sha256 of the canonical export of the results: equal digests, equal results.
    digest          bytea NOT NULL,
    -- The scheduler's slot (schedule and slot time): at most one run per slot.
    slot            text UNIQUE CHECK (length(slot) BETWEEN 1 AND 200),
    requested_by    text NOT NULL CHECK (length(requested_by) BETWEEN 1 AND 100),
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (extract(year FROM first_month) = year AND extract(year FROM last_month) = year AND first_month <= last_month)
);
CALL sozialraum.protect_reference_table('sozialraum.reconciliation_run');

-- Per run × Sozialraum × line (component) or cover pool, as of the run's position.
CREATE TABLE sozialraum.reconciliation_line (
    run_id                  bigint NOT NULL REFERENCES sozialraum.reconciliation_run,
    year                    int NOT NULL,
    social_space            sozialraum.code NOT NULL,
    -- A component, or a pool as 'pool:case+milieu'.
    line                    text NOT NULL,
    appropriation           bigint NOT NULL,
    carry_in                bigint NOT NULL,
    commitments             bigint NOT NULL,
    actuals                 bigint NOT NULL,
    available               bigint NOT NULL,
    -- Received (+) from or given (−) to other lines of the pool; NULL for a pool.
    cover_transfer          bigint,
    available_after_cover   bigint NOT NULL,
    forecast                bigint NOT NULL,
    forecast_available      bigint NOT NULL,
    overrun                 bigint NOT NULL,
    PRIMARY KEY (run_id, social_space, line)
);
CALL sozialraum.protect_reference_table('sozialraum.reconciliation_line',
    '(SELECT sozialraum.current_tenant_serves(social_space, year))');

-- Per run × Sozialraum × component × month of the scope.
CREATE TABLE sozialraum.reconciliation_month (
    run_id          bigint NOT NULL REFERENCES sozialraum.reconciliation_run,
    year            int NOT NULL,
    social_space    sozialraum.code NOT NULL,
    component       sozialraum.component NOT NULL,
    month           sozialraum.month NOT NULL,
    plan            bigint NOT NULL,
    commitments     bigint NOT NULL,
    actuals         bigint NOT NULL,
    cumulative_plan bigint NOT NULL,
    cumulative_burn bigint NOT NULL,
    PRIMARY KEY (run_id, social_space, component, month)
);
CALL sozialraum.protect_reference_table('sozialraum.reconciliation_month',
    '(SELECT sozialraum.current_tenant_serves(social_space, year))');

-- Cover transfers inside a pool: from which line, to which, how much (rule 3).
CREATE TABLE sozialraum.reconciliation_transfer (
    run_id          bigint NOT NULL REFERENCES sozialraum.reconciliation_run,
    year            int NOT NULL,
    social_space    sozialraum.code NOT NULL,
    position        int NOT NULL,
    from_component  sozialraum.component NOT NULL,
    to_component    sozialraum.component NOT NULL,
    amount          bigint NOT NULL CHECK (amount > 0),
    PRIMARY KEY (run_id, social_space, position)
);
CALL sozialraum.protect_reference_table('sozialraum.reconciliation_transfer',
    '(SELECT sozialraum.current_tenant_serves(social_space, year))');

-- MARK: Provider statements (Abrechnung): the provider sees its own, the county all

CREATE TABLE sozialraum.statement (
    run_id          bigint NOT NULL REFERENCES sozialraum.reconciliation_run,
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    accrued         bigint NOT NULL,
    instalments     bigint NOT NULL,
    settlements     bigint NOT NULL,
    -- accrued − instalments − settlements: positive, the county owes the provider.
    balance         bigint NOT NULL,
    PRIMARY KEY (run_id, tenant_id)
);
CALL sozialraum.protect_tenant_table('sozialraum.statement');
CALL sozialraum.county_writes_only('sozialraum.statement');

-- Payment advice: one item per grant (with the pseudonymous case key) or project. Written only by
-- a run, in its transaction, right after the run and its statements: no foreign keys, whose checks
-- would cost a query per item (a large year has a hundred thousand).
CREATE TABLE sozialraum.statement_item (
    run_id          bigint NOT NULL,
    tenant_id       uuid NOT NULL,
    item            text NOT NULL CHECK (item IN ('grant', 'project')),
    item_id         uuid NOT NULL,
    case_key        text,
    help_type       text,
    unit            text,
    social_space    sozialraum.code,
    -- Volumes in hundredths of an hour/day; NULL for projects.
    granted         bigint,
    delivered       bigint,
    payable         bigint,
    cost            bigint NOT NULL,
    PRIMARY KEY (run_id, tenant_id, item_id)
);
CALL sozialraum.protect_tenant_table('sozialraum.statement_item');
CALL sozialraum.county_writes_only('sozialraum.statement_item');

-- MARK: Findings found by runs

ALTER TABLE sozialraum.finding DROP CONSTRAINT finding_kind_check;
ALTER TABLE sozialraum.finding ADD CONSTRAINT finding_kind_check CHECK (kind IN ('delivery_over_grant',
    'booking_outside_grant_period', 'duplicate_delivery', 'missing_delivery', 'rate_missing',
    'out_of_area_without_reason', 'uncovered_overrun'));
ALTER TABLE sozialraum.finding
    ADD COLUMN social_space sozialraum.code REFERENCES sozialraum.social_space,
    ADD COLUMN component sozialraum.component,
    ADD COLUMN run_id bigint REFERENCES sozialraum.reconciliation_run;
-- A run finds the same fact again every night: one finding per fact (excess deliveries are found
-- per delivery when they are recorded, and a corrected delivery may exceed again).
CREATE UNIQUE INDEX finding_fact ON sozialraum.finding (kind, tenant_id, month, grant_id, social_space, component)
    NULLS NOT DISTINCT WHERE kind <> 'delivery_over_grant';

-- MARK: Population (for reports per 1,000 young inhabitants)

CREATE TABLE sozialraum.population (
    year                int NOT NULL CHECK (year BETWEEN 2000 AND 2199),
    social_space        sozialraum.code NOT NULL REFERENCES sozialraum.social_space,
    -- Inhabitants under 21 (the age range of SGB VIII help) on 31 December.
    young_inhabitants   int NOT NULL CHECK (young_inhabitants BETWEEN 0 AND 10000000),
    PRIMARY KEY (year, social_space)
);
CALL sozialraum.protect_reference_table('sozialraum.population');

-- MARK: Year end (rule 12): applied once per year, when the county confirms a run's proposal

CREATE TABLE sozialraum.year_end (
    year            int PRIMARY KEY REFERENCES sozialraum.fiscal_year,
    run_id          bigint NOT NULL REFERENCES sozialraum.reconciliation_run,
    confirmed_by    text NOT NULL CHECK (length(confirmed_by) BETWEEN 1 AND 100),
    confirmed_at    timestamptz NOT NULL DEFAULT now()
);
CALL sozialraum.protect_reference_table('sozialraum.year_end');

-- The provider's share of a Sozialraum's savings (providerSurplusShare), owed to the lead provider.
CREATE TABLE sozialraum.surplus_share (
    year            int NOT NULL REFERENCES sozialraum.year_end,
    social_space    sozialraum.code NOT NULL REFERENCES sozialraum.social_space,
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    amount          sozialraum.cents NOT NULL CHECK (amount > 0),
    PRIMARY KEY (year, social_space, tenant_id)
);
CALL sozialraum.protect_tenant_table('sozialraum.surplus_share');
CALL sozialraum.county_writes_only('sozialraum.surplus_share');

GRANT SELECT, INSERT ON sozialraum.reconciliation_run, sozialraum.reconciliation_line, sozialraum.reconciliation_month,
    sozialraum.reconciliation_transfer, sozialraum.statement, sozialraum.statement_item, sozialraum.year_end,
    sozialraum.surplus_share TO sozialraum_runtime;
GRANT SELECT, INSERT, UPDATE ON sozialraum.population TO sozialraum_runtime;
