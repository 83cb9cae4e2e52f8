-- 0038 A second factor for the Trägerportal (issue 32, item 5): time-based one-time passwords (TOTP,
-- RFC 6238), optional per account, required before a payment is ordered in the browser.
--
-- One row per account that set one up. A code can only be checked with the secret, so the secret is stored
-- as it is; only the account itself reads or writes its row: the daemon names the request's account in the
-- transaction's context (`sozialraum.account`, beside the tenant, from the session's login), and a
-- restrictive policy compares. The last time step a code was accepted for is kept, so that a code is used
-- once. A lost factor is removed by a county holder of `accounts` (reset_second_factor); the account then
-- sets up a new one.

ALTER TABLE sozialraum.account ADD CONSTRAINT account_name_tenant UNIQUE (name, tenant_id);

CREATE TABLE sozialraum.second_factor (
    account_name text PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    -- 160 bits, as RFC 4226 recommends for HMAC-SHA1.
    secret       bytea NOT NULL CHECK (octet_length(secret) = 20),
    -- The time step (Unix time / 30 s) of the last code accepted: a code is accepted once.
    last_step    bigint NOT NULL CHECK (last_step >= 0),
    set_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (account_name, tenant_id) REFERENCES sozialraum.account (name, tenant_id)
);
CALL sozialraum.protect_tenant_table('sozialraum.second_factor');
-- Not forced (like `account`): the owner's reset below removes a row the own-account policy hides from the
-- runtime role; the runtime role is held to both policies.
ALTER TABLE sozialraum.second_factor NO FORCE ROW LEVEL SECURITY;
CREATE POLICY own_account ON sozialraum.second_factor AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (account_name = pg_catalog.current_setting('sozialraum.account', true))
    WITH CHECK (account_name = pg_catalog.current_setting('sozialraum.account', true));
GRANT SELECT, INSERT, UPDATE ON sozialraum.second_factor TO sozialraum_runtime;

-- Removes `target`'s factor, for a county account holding `accounts` that is the transaction's account (the
-- owner's: the own-account policy hides other accounts' rows from the runtime role). True when one was set.
CREATE FUNCTION sozialraum.reset_second_factor(target text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    acting text := pg_catalog.current_setting('sozialraum.account', true);
    removed int;
BEGIN
    IF NOT (SELECT sozialraum.current_tenant_is_county()) OR acting IS NULL
       OR NOT sozialraum.holds_right(acting, 'accounts') THEN
        RAISE EXCEPTION 'only a county holder of accounts resets a second factor' USING ERRCODE = '42501';
    END IF;
    DELETE FROM sozialraum.second_factor f WHERE f.account_name = target;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed > 0;
END
$$;
REVOKE ALL ON FUNCTION sozialraum.reset_second_factor(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.reset_second_factor(text) TO sozialraum_runtime;
