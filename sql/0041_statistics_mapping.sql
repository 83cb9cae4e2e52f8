-- 0041 The county's mapping for the KJH-Statistik Teil IV (issue 33, item 3): per reporting year, each help
-- type (Teil 1, Einzel- und Gruppenhilfen by §) and each project kind (Teil 2, Einrichtungen) to a position of
-- the survey's Erhebungsbogen — its Schlüssel and wording as the county reads them in that year's form. The
-- report puts every euro the Kasse paid in the year into the position of its key; a key without a row here
-- lands in `ohne` and is a finding.
--
-- The county's alone: only it writes (county_writes_only), and a provider reads nothing of it (tenant rows).
-- A year's mapping is replaced as a whole, never changed row by row (no UPDATE).

CREATE TABLE sozialraum.statistics_mapping (
    tenant_id  uuid NOT NULL REFERENCES sozialraum.tenant (id),
    year       int NOT NULL CHECK (year BETWEEN 2000 AND 2199),
    key        text NOT NULL CHECK (key ~ '^([0-9]{2}[a-z]?(\.[0-9])?|projekt-milieu|projekt-struktur)$'),
    position   text NOT NULL CHECK (position ~ '^[0-9A-Za-z][0-9A-Za-z.-]{0,19}$' AND position <> 'ohne'),
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    PRIMARY KEY (tenant_id, year, key)
);
CALL sozialraum.protect_tenant_table('sozialraum.statistics_mapping');
CALL sozialraum.county_writes_only('sozialraum.statistics_mapping');
GRANT SELECT, INSERT, DELETE ON sozialraum.statistics_mapping TO sozialraum_runtime;
