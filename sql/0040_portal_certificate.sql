-- 0040 Client certificates for the Trägerportal (issue 32, item 5; the Berlin ISBJ portal does the same):
-- optional per tenant. Once the county pins at least one certificate to a provider (or to itself), that
-- tenant's accounts log in to the portal only over a connection that presents one of them, on top of the
-- token and the second factor; a session opened so is bound to the certificate. A certificate is named by
-- the SHA-256 of its DER form (what `openssl x509 -fingerprint -sha256` prints, without colons).
--
-- Only the county pins and unpins (county_writes_only); a provider reads its own pins, never another's; a
-- pin is never changed in place (no UPDATE): removed and added again.

CREATE TABLE sozialraum.portal_certificate (
    tenant_id  uuid NOT NULL REFERENCES sozialraum.tenant (id),
    sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    label      text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    added_by   text NOT NULL CHECK (length(added_by) BETWEEN 1 AND 100),
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, sha256)
);
CALL sozialraum.protect_tenant_table('sozialraum.portal_certificate');
CALL sozialraum.county_writes_only('sozialraum.portal_certificate');
GRANT SELECT, INSERT, DELETE ON sozialraum.portal_certificate TO sozialraum_runtime;
