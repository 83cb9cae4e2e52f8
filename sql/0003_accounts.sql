-- 0003 Accounts of the admin socket: who may log in, for which tenant, in which role.
--
-- Not tenant data under RLS: a login happens before any tenant is known, so the daemon must find an
-- account by name. The table holds no budget data; secrets are stored only as scrypt hashes.
-- Listed with its reason in the schema catalogue test.
CREATE TABLE sozialraum.account (
    name            text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9._-]{1,39}$'),
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    role            text NOT NULL CHECK (role IN ('operator', 'county', 'provider', 'auditor')),
    -- scrypt(secret, salt); never the secret itself.
    secret_hash     bytea NOT NULL,
    salt            bytea NOT NULL,
    -- scrypt's cost N of this hash (r = 8, p = 1), so that the cost can be raised for new secrets.
    scrypt_n        int NOT NULL CHECK (scrypt_n BETWEEN 1024 AND 1048576),
    disabled        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    rotated_at      timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE ON sozialraum.account TO sozialraum_runtime;
