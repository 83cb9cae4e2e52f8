-- 0001 Foundation: tenant context, tenants, per-tenant settings, audit trail.
--
-- Runs as sozialraum_owner with search_path = sozialraum (see docs/architecture.md).
-- Never edit an applied migration: add a new file instead (sozialraumd refuses edited ones).

-- The tenant of the current transaction, or NULL. Set only with
-- set_config('sozialraum.tenant_id', $1, true) inside a transaction. NULLIF because
-- current_setting(..., true) returns '' (not NULL) once the setting was used in the session.
-- A malformed value raises an error: fails closed.
CREATE FUNCTION sozialraum.current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(pg_catalog.current_setting('sozialraum.tenant_id', true), '')::uuid $$;

CREATE TABLE sozialraum.tenant (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('county', 'provider')),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tenant_single_county ON sozialraum.tenant ((true)) WHERE kind = 'county';

-- Which tenant is the county (öffentlicher Träger). Not tenant data: it holds one id that every
-- policy needs to know, and only the owner writes it. Kept out of RLS so policies can read it
-- without recursion.
CREATE TABLE sozialraum.county (
    tenant_id   uuid PRIMARY KEY REFERENCES sozialraum.tenant (id),
    singleton   boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton)
);

-- True when the transaction acts for the county, whose policies show every tenant's rows.
CREATE FUNCTION sozialraum.current_tenant_is_county() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT EXISTS (SELECT 1 FROM sozialraum.county c WHERE c.tenant_id = sozialraum.current_tenant()) $$;

-- A row never changes its tenant, not even when the county edits it: moving data between tenants
-- would silently hand one provider's records to another.
CREATE FUNCTION sozialraum.refuse_tenant_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'the tenant of a row cannot be changed' USING ERRCODE = '42501';
END
$$;

-- Gives a table holding tenant data forced row-level security with the one standard policy, and
-- makes its tenant column immutable. Every tenant table is protected through this, so the rule
-- lives in one place.
CREATE PROCEDURE sozialraum.protect_tenant_table(target regclass, tenant_column name DEFAULT 'tenant_id')
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
    EXECUTE format(
        'CREATE POLICY tenant_isolation ON %s AS PERMISSIVE FOR ALL TO PUBLIC'
        ' USING (%2$I = (SELECT sozialraum.current_tenant()) OR (SELECT sozialraum.current_tenant_is_county()))'
        ' WITH CHECK (%2$I = (SELECT sozialraum.current_tenant()) OR (SELECT sozialraum.current_tenant_is_county()))',
        target, tenant_column);
    EXECUTE format(
        'CREATE TRIGGER tenant_immutable BEFORE UPDATE OF %2$I ON %1$s FOR EACH ROW'
        ' WHEN (OLD.%2$I IS DISTINCT FROM NEW.%2$I) EXECUTE FUNCTION sozialraum.refuse_tenant_change()',
        target, tenant_column);
END
$$;
REVOKE ALL ON PROCEDURE sozialraum.protect_tenant_table(regclass, name) FROM PUBLIC;

CALL sozialraum.protect_tenant_table('sozialraum.tenant', 'id');

-- Per-tenant preferences of the accountants (output format, CSV dialect, ...).
CREATE TABLE sozialraum.tenant_setting (
    tenant_id   uuid NOT NULL REFERENCES sozialraum.tenant (id),
    key         text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_.]{0,62}$'),
    value       text NOT NULL CHECK (length(value) <= 1000),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);
CALL sozialraum.protect_tenant_table('sozialraum.tenant_setting');

-- Audit trail of every mutating action: who, which tenant, what, when, result. Append-only:
-- the runtime role may only INSERT and SELECT. Never payloads or secrets.
CREATE TABLE sozialraum.audit_event (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES sozialraum.tenant (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL CHECK (length(actor) BETWEEN 1 AND 100),
    action      text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    object_kind text,
    object_id   text,
    result      text NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
    request_id  text
);
CREATE INDEX audit_event_tenant_at ON sozialraum.audit_event (tenant_id, at);
CALL sozialraum.protect_tenant_table('sozialraum.audit_event');

-- Privileges of the runtime group role. No TRUNCATE, no DELETE on append-only tables.
GRANT SELECT ON sozialraum.schema_migration TO sozialraum_runtime;
GRANT SELECT ON sozialraum.county TO sozialraum_runtime;
GRANT SELECT, INSERT, UPDATE ON sozialraum.tenant TO sozialraum_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON sozialraum.tenant_setting TO sozialraum_runtime;
GRANT SELECT, INSERT ON sozialraum.audit_event TO sozialraum_runtime;
GRANT EXECUTE ON FUNCTION sozialraum.current_tenant() TO sozialraum_runtime;
GRANT EXECUTE ON FUNCTION sozialraum.current_tenant_is_county() TO sozialraum_runtime;
