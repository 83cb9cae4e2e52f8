-- 0021 Scheduler (issue 21): never unnoticed, never overlapping, cancel means cancelled.
--
-- Per schedule, counters of slots by outcome that survive pruning (the history of job_run is kept for
-- scheduler.historyDays only), the last successful slot, an optional deadline by which a slot must have
-- succeeded, and the overlap policy. A cancel request wakes the running instance at once.

ALTER TABLE sozialraum.schedule
    ADD COLUMN succeeded            bigint NOT NULL DEFAULT 0,
    ADD COLUMN failed               bigint NOT NULL DEFAULT 0,
    ADD COLUMN cancelled            bigint NOT NULL DEFAULT 0,
    ADD COLUMN skipped_by_policy    bigint NOT NULL DEFAULT 0,
    ADD COLUMN skipped_while_paused bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_success_slot    timestamptz,
    -- A slot must have succeeded this long after its time; NULL: no deadline.
    ADD COLUMN deadline_seconds     int CHECK (deadline_seconds BETWEEN 60 AND 2678400),
    -- serial: runs of the schedule never overlap (catch-up slots one after the other, in slot order).
    ADD COLUMN overlap              text NOT NULL DEFAULT 'serial' CHECK (overlap IN ('serial', 'parallel'));

-- What the retained history already knows.
UPDATE sozialraum.schedule s SET
    succeeded = (SELECT count(*) FROM sozialraum.job_run r WHERE r.schedule = s.name AND r.state = 'succeeded'),
    failed = (SELECT count(*) FROM sozialraum.job_run r WHERE r.schedule = s.name AND r.state = 'failed'),
    cancelled = (SELECT count(*) FROM sozialraum.job_run r WHERE r.schedule = s.name AND r.state = 'cancelled'),
    last_success_slot = (SELECT max(r.slot) FROM sozialraum.job_run r WHERE r.schedule = s.name AND r.state = 'succeeded');

-- Counted when a run reaches its final state (a retried failure counts its failure and then its outcome).
CREATE FUNCTION sozialraum.count_job_outcome() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    UPDATE sozialraum.schedule SET
        succeeded = succeeded + (NEW.state = 'succeeded')::int,
        failed = failed + (NEW.state = 'failed')::int,
        cancelled = cancelled + (NEW.state = 'cancelled')::int,
        last_success_slot = CASE WHEN NEW.state = 'succeeded' THEN greatest(last_success_slot, NEW.slot)
                                 ELSE last_success_slot END
    WHERE name = NEW.schedule;
    RETURN NULL;
END
$$;
CREATE TRIGGER job_run_outcome AFTER UPDATE OF state ON sozialraum.job_run
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND NEW.state IN ('succeeded', 'failed', 'cancelled')
                       AND NEW.schedule IS NOT NULL)
    EXECUTE FUNCTION sozialraum.count_job_outcome();

-- A cancel request reaches the instance running the job at once, not at its next heartbeat: the same
-- wake-up as a queued run (each instance then checks its claim).
CREATE TRIGGER job_run_cancel AFTER UPDATE OF cancel_requested ON sozialraum.job_run
    FOR EACH ROW WHEN (NEW.cancel_requested AND NOT OLD.cancel_requested)
    EXECUTE FUNCTION sozialraum.notify_jobs();

-- The month-end run gets retries spanning hours (attempt⁴ backoff, sozialraumd) and a deadline of six
-- hours after 06:00, unless the county changed them already.
UPDATE sozialraum.schedule SET max_attempts = 6, deadline_seconds = 21600
WHERE name = 'previous-month' AND max_attempts = 3 AND deadline_seconds IS NULL;

-- MARK: One claim, one owner

-- A claim is fenced by a token of its own, not by the instance's name: two instances configured with the
-- same name cannot beat, finish or release each other's runs.
ALTER TABLE sozialraum.job_run ADD COLUMN claim_token uuid;

-- The live scheduler instances: a second one under a name that is still beating refuses to start.
CREATE TABLE sozialraum.scheduler_instance (
    name            text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
    token           uuid NOT NULL,
    started_at      timestamptz NOT NULL,
    heartbeat_at    timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON sozialraum.scheduler_instance TO sozialraum_runtime;
