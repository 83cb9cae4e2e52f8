-- 0032 The access log (issue 31, item 6): every read that returns case-level data leaves a row.
--
-- Who (the account the daemon names: the database knows the tenant, not the person), when, which command,
-- which case when it was one, and how many cases the reply showed. Append-only for the daemon's role (no
-- UPDATE or DELETE granted); written in the reader's own tenant context; read only in the county's
-- context (the daemon lets the auditor read it). Never holds case keys: a case is named by its id, which
-- the erasure of the case link will cut.

CREATE TABLE sozialraum.case_access (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES sozialraum.tenant (id),
    accessed_at timestamptz NOT NULL DEFAULT now(),
    account     text NOT NULL CHECK (length(account) BETWEEN 1 AND 100),
    command     text NOT NULL CHECK (length(command) BETWEEN 1 AND 64),
    case_id     uuid REFERENCES sozialraum.case_file (id),
    cases       int NOT NULL CHECK (cases >= 0)
);
CREATE INDEX case_access_at ON sozialraum.case_access (accessed_at);
CALL sozialraum.protect_tenant_table('sozialraum.case_access');
-- A provider writes its own reads but reads none back: the log is the county's (DSB, auditor).
CREATE POLICY county_reads_the_log ON sozialraum.case_access AS RESTRICTIVE FOR SELECT TO PUBLIC
    USING ((SELECT sozialraum.current_tenant_is_county()));
GRANT SELECT, INSERT ON sozialraum.case_access TO sozialraum_runtime;
