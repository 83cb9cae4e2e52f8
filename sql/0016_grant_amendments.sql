-- 0016 Grants over their life (issue 18): a Fortschreibung changes a running grant's volume or end
-- from a date, with its reason, and is kept as a row of its own (append-only, the county's).
--
--   a later end         the same grant runs longer (ends_on moves; commitments from the old end on);
--   an earlier end      the grant ends early (ended_on, as end-grant does);
--   another volume      the grant ends the day before the date and a successor grant with the new volume
--                       runs from it (its own commitments and deliveries): months already delivered stay
--                       as they were paid, and each grant keeps one volume.

CREATE TABLE sozialraum.grant_amendment (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    grant_id        uuid NOT NULL,
    successor_id    uuid,
    effective_on    date NOT NULL,
    old_volume      bigint NOT NULL,
    new_volume      bigint NOT NULL,
    old_end         date NOT NULL,
    new_end         date NOT NULL,
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    actor           text NOT NULL CHECK (length(actor) BETWEEN 1 AND 100),
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, grant_id) REFERENCES sozialraum.grant_decision (tenant_id, id),
    FOREIGN KEY (tenant_id, successor_id) REFERENCES sozialraum.grant_decision (tenant_id, id)
);
CREATE INDEX grant_amendment_grant ON sozialraum.grant_amendment (grant_id);
CALL sozialraum.protect_tenant_table('sozialraum.grant_amendment');
CALL sozialraum.county_writes_only('sozialraum.grant_amendment');
GRANT SELECT, INSERT ON sozialraum.grant_amendment TO sozialraum_runtime;
