-- 0005 Scheduler: schedules are data, every slot is a row (rule 13's runs, issue "scheduler").
--
-- Not tenant data: schedules and runs name jobs and times, never budget figures or cases (a job acts
-- for the county through the services, under RLS like everyone). Listed with their reason in the
-- schema catalogue test.

CREATE TABLE sozialraum.schedule (
    name            text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{1,39}$'),
    -- Five fields, @daily/@monthly/…, L for the last day of the month (SozialraumDomain.CronSchedule).
    cron            text NOT NULL CHECK (length(cron) BETWEEN 1 AND 100),
    time_zone       text NOT NULL DEFAULT 'Europe/Berlin' CHECK (time_zone IN ('Europe/Berlin', 'UTC')),
    job             text NOT NULL CHECK (job ~ '^[a-z][a-z0-9-]{1,39}$'),
    -- For `reconcile`: month-to-date, previous-month, year-to-date or year (relative to the slot).
    parameters      text NOT NULL DEFAULT '' CHECK (length(parameters) <= 200),
    missed_policy   text NOT NULL DEFAULT 'latest' CHECK (missed_policy IN ('all', 'latest', 'skip')),
    timeout_seconds int NOT NULL DEFAULT 3600 CHECK (timeout_seconds BETWEEN 1 AND 86400),
    max_attempts    int NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 20),
    backoff_seconds int NOT NULL DEFAULT 60 CHECK (backoff_seconds BETWEEN 1 AND 3600),
    paused          boolean NOT NULL DEFAULT false,
    -- Slots up to here are planned (have a run row or were skipped by the missed-run policy). NULL: new,
    -- plan from the moment the scheduler first sees it.
    planned_through timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per slot (schedule and slot time) or on-demand request: creating it twice is impossible.
CREATE TABLE sozialraum.job_run (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule        text REFERENCES sozialraum.schedule,
    slot            timestamptz NOT NULL,
    -- On demand: the request's key, so that a retried request queues once.
    request_key     text UNIQUE CHECK (length(request_key) BETWEEN 1 AND 100),
    job             text NOT NULL,
    parameters      text NOT NULL DEFAULT '',
    state           text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempts        int NOT NULL DEFAULT 0,
    max_attempts    int NOT NULL,
    timeout_seconds int NOT NULL,
    backoff_seconds int NOT NULL,
    not_before      timestamptz NOT NULL,
    claimed_by      text,
    heartbeat_at    timestamptz,
    cancel_requested boolean NOT NULL DEFAULT false,
    started_at      timestamptz,
    finished_at     timestamptz,
    -- A short result ("run 17") or a generic error; detail goes to the log.
    result          text CHECK (length(result) <= 200),
    error           text CHECK (length(error) <= 200),
    requested_by    text,
    UNIQUE (schedule, slot)
);
CREATE INDEX job_run_queue ON sozialraum.job_run (not_before, id) WHERE state = 'queued';
CREATE INDEX job_run_running ON sozialraum.job_run (heartbeat_at) WHERE state = 'running';
CREATE INDEX job_run_finished ON sozialraum.job_run (finished_at) WHERE state IN ('succeeded', 'failed', 'cancelled');

-- Wakes idle schedulers when work is queued (LISTEN sozialraum_jobs): no busy polling.
CREATE FUNCTION sozialraum.notify_jobs() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_catalog.pg_notify('sozialraum_jobs', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER job_run_queued AFTER INSERT ON sozialraum.job_run
    FOR EACH STATEMENT EXECUTE FUNCTION sozialraum.notify_jobs();

-- Every change of a run's state is observable (LISTEN sozialraum_job_state): "<id> <state>", no payload.
CREATE FUNCTION sozialraum.notify_job_state() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_catalog.pg_notify('sozialraum_job_state', NEW.id || ' ' || NEW.state);
    RETURN NULL;
END
$$;
CREATE TRIGGER job_run_state AFTER UPDATE OF state ON sozialraum.job_run
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION sozialraum.notify_job_state();

-- The county's default schedules (changed with `schedule-set`).
INSERT INTO sozialraum.schedule (name, cron, job, parameters, missed_policy, timeout_seconds) VALUES
    ('nightly-month-to-date', '30 2 * * *', 'reconcile', 'month-to-date', 'latest', 3600),
    ('previous-month', '0 6 1 * *', 'reconcile', 'previous-month', 'all', 3600),
    ('year-end-preview', '0 7 * dec mon-fri', 'reconcile', 'year', 'skip', 3600);

GRANT SELECT, INSERT, UPDATE ON sozialraum.schedule TO sozialraum_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON sozialraum.job_run TO sozialraum_runtime;
