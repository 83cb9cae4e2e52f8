-- 0029 Controls a Rechnungsprüfungsamt can sign (issue 35): account administration under four eyes,
-- rights that end at once, an audit that names people.
--
-- Account administration (Benutzerverwaltung) is a right of its own, `accounts`, never held together with
-- `order` (who administers accounts does not order payments). Once two enabled county accounts hold it, the
-- database refuses, for the runtime role, to give any account a right it did not have (a new account with
-- rights, or a wider set) unless an account change naming exactly those rights was approved in the same
-- transaction by a second holder of `accounts`, neither of them the account itself; and it refuses to
-- leave fewer than two holders. Before that (a new installation, or a county that has not yet assigned
-- two people) the county's IT sets accounts up with `sozialraumd user set`; `check` warns meanwhile.
-- The owner role (migrations, `sozialraumd setup`) is outside these controls, as it is outside all others.

ALTER TABLE sozialraum.account DROP CONSTRAINT account_rights_check;
ALTER TABLE sozialraum.account ADD CONSTRAINT account_rights_check
    CHECK (rights <@ ARRAY['case', 'certify', 'order', 'controller', 'accounts']::text[]);
ALTER TABLE sozialraum.account ADD CONSTRAINT administration_apart_from_ordering
    CHECK (NOT (rights @> ARRAY['accounts', 'order']::text[]));
-- Bumped by every new secret and every disabling: a session logged in under an older generation ends.
ALTER TABLE sozialraum.account ADD COLUMN generation bigint NOT NULL DEFAULT 1;

-- The enabled holders of `accounts` other than `except_name` (the owner's: counts every county account
-- whatever the caller's context).
CREATE FUNCTION sozialraum.account_administrators(except_name text) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT count(*) FROM sozialraum.account a
    WHERE a.role = 'county' AND NOT a.disabled AND 'accounts' = ANY (a.rights) AND a.name <> except_name
$$;
REVOKE ALL ON FUNCTION sozialraum.account_administrators(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.account_administrators(text) TO sozialraum_runtime;

-- MARK: Account changes under four eyes

CREATE TABLE sozialraum.account_change (
    id              bigserial PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES sozialraum.tenant (id),
    account_name    text NOT NULL REFERENCES sozialraum.account (name),
    -- The account's rights once approved (the whole set).
    rights          text[] NOT NULL CHECK (rights <@ ARRAY['case', 'certify', 'order', 'controller', 'accounts']::text[]
                                           AND NOT (rights @> ARRAY['accounts', 'order']::text[])),
    requested_by    text NOT NULL,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    expires_on      date NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected', 'expired')),
    decided_by      text,
    decided_at      timestamptz,
    decision_reason text CHECK (length(decision_reason) BETWEEN 1 AND 500),
    request_id      text,
    -- Nobody widens their own rights, and nobody approves a change they requested or one to their account.
    CONSTRAINT not_ones_own CHECK (requested_by <> account_name AND (decided_by IS NULL OR decided_by <> account_name)),
    CONSTRAINT two_people CHECK (decided_by IS NULL OR decided_by <> requested_by),
    CONSTRAINT decided_by_someone CHECK ((state IN ('approved', 'rejected')) = (decided_by IS NOT NULL))
);
CREATE INDEX account_change_pending ON sozialraum.account_change (account_name) WHERE state = 'pending';
CALL sozialraum.protect_tenant_table('sozialraum.account_change');
CALL sozialraum.county_writes_only('sozialraum.account_change');
GRANT SELECT, INSERT, UPDATE ON sozialraum.account_change TO sozialraum_runtime;
GRANT USAGE ON SEQUENCE sozialraum.account_change_id_seq TO sozialraum_runtime;

-- A change is requested by a holder of `accounts`, decided once by another holder; what it asks for never
-- changes.
CREATE FUNCTION sozialraum.guard_account_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'pending' OR NEW.decided_by IS NOT NULL THEN
            RAISE EXCEPTION 'an account change starts pending' USING ERRCODE = 'SZ008';
        END IF;
        IF NOT sozialraum.holds_right(NEW.requested_by, 'accounts') THEN
            RAISE EXCEPTION 'the requesting account lacks the right accounts' USING ERRCODE = '42501';
        END IF;
        RETURN NEW;
    END IF;
    -- (The tenant column is guarded by tenant_immutable, as on every tenant table.)
    IF (NEW.id, NEW.account_name, NEW.rights, NEW.requested_by, NEW.requested_at, NEW.expires_on, NEW.request_id)
       IS DISTINCT FROM
       (OLD.id, OLD.account_name, OLD.rights, OLD.requested_by, OLD.requested_at, OLD.expires_on, OLD.request_id) THEN
        RAISE EXCEPTION 'what an account change asks for never changes' USING ERRCODE = 'SZ008';
    END IF;
    IF OLD.state <> 'pending' THEN
        RAISE EXCEPTION 'an account change is decided once' USING ERRCODE = 'SZ008';
    END IF;
    IF NEW.state IN ('approved', 'rejected') AND NOT sozialraum.holds_right(NEW.decided_by, 'accounts') THEN
        RAISE EXCEPTION 'the deciding account lacks the right accounts' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER guard_account_change BEFORE INSERT OR UPDATE ON sozialraum.account_change
    FOR EACH ROW EXECUTE FUNCTION sozialraum.guard_account_change();

-- MARK: No right without its signatures

CREATE FUNCTION sozialraum.guard_account_rights() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    before_rights text[] := CASE WHEN TG_OP = 'INSERT' THEN '{}'::text[] ELSE OLD.rights END;
    governed boolean;
BEGIN
    IF pg_catalog.pg_has_role(current_user, 'sozialraum_owner', 'MEMBER') THEN
        RETURN NEW;
    END IF;
    -- Governed once two enabled accounts administer the others (counted before this change).
    governed := sozialraum.account_administrators(NEW.name)
                + CASE WHEN TG_OP = 'UPDATE' AND OLD.role = 'county' AND NOT OLD.disabled
                            AND 'accounts' = ANY (OLD.rights) THEN 1 ELSE 0 END >= 2;
    IF NOT governed THEN
        RETURN NEW;
    END IF;
    IF NOT (NEW.rights <@ before_rights) AND NOT EXISTS (
           SELECT 1 FROM sozialraum.account_change c
           WHERE c.account_name = NEW.name AND c.state = 'approved'
             AND c.rights @> NEW.rights AND c.rights <@ NEW.rights
             AND c.xmin::text = (pg_catalog.pg_current_xact_id()::xid)::text) THEN
        RAISE EXCEPTION 'a right is given only by an account change approved by a second account'
            USING ERRCODE = '42501';
    END IF;
    IF TG_OP = 'UPDATE' AND 'accounts' = ANY (OLD.rights) AND NOT OLD.disabled
       AND (NEW.disabled OR NOT ('accounts' = ANY (NEW.rights)))
       AND sozialraum.account_administrators(NEW.name) < 2 THEN
        RAISE EXCEPTION 'account administration needs two people: this holder of accounts stays'
            USING ERRCODE = 'SZ008';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER guard_account_rights BEFORE INSERT OR UPDATE ON sozialraum.account
    FOR EACH ROW EXECUTE FUNCTION sozialraum.guard_account_rights();

-- A login learns the account's generation too.
DROP FUNCTION sozialraum.account_for_login(text);
CREATE FUNCTION sozialraum.account_for_login(account_name text)
    RETURNS TABLE (name text, tenant_id uuid, role text, secret_hash bytea, salt bytea, scrypt_n int, rights text[],
                   generation bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT a.name, a.tenant_id, a.role, a.secret_hash, a.salt, a.scrypt_n, a.rights, a.generation
        FROM sozialraum.account a WHERE a.name = account_name AND NOT a.disabled
    $$;
REVOKE ALL ON FUNCTION sozialraum.account_for_login(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.account_for_login(text) TO sozialraum_runtime;

-- MARK: The audit names people and what changed

-- What an event changed, where it matters (an account's rights before and after). Never a payload.
ALTER TABLE sozialraum.audit_event ADD COLUMN detail text CHECK (length(detail) BETWEEN 1 AND 500);

-- MARK: Limits on ordering (Anordnungsbefugnis)
--
-- A county account may order up to an amount (per order, by magnitude) and only for some Sozialräume
-- (orders naming no Sozialraum, such as a settlement or a year end, then need an unscoped orderer). Set by
-- a holder of `accounts`; checked when an order is approved, whoever approves it.
ALTER TABLE sozialraum.account ADD COLUMN order_limit sozialraum.cents CHECK (order_limit > 0),
    ADD COLUMN order_scope text[] CHECK (order_scope <> '{}');

CREATE FUNCTION sozialraum.may_order(account_name text, amount bigint, space text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT EXISTS (SELECT 1 FROM sozialraum.account a
                   WHERE a.name = account_name
                     AND (a.order_limit IS NULL OR abs(amount) <= a.order_limit)
                     AND (a.order_scope IS NULL OR (space IS NOT NULL AND space = ANY (a.order_scope))))
$$;
REVOKE ALL ON FUNCTION sozialraum.may_order(text, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.may_order(text, bigint, text) TO sozialraum_runtime;

CREATE FUNCTION sozialraum.guard_ordering_limits() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF OLD.state = 'pending' AND NEW.state = 'approved'
       AND NOT sozialraum.may_order(NEW.decided_by, NEW.amount, NEW.social_space) THEN
        RAISE EXCEPTION 'the order is above the ordering account''s limit or outside its Sozialräume'
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER guard_ordering_limits BEFORE UPDATE ON sozialraum.payment_order
    FOR EACH ROW EXECUTE FUNCTION sozialraum.guard_ordering_limits();

-- MARK: A Kasse file that tells edits from damage
--
-- The checksum line inside a batch detects damage; an Ed25519 signature over the file's exact bytes
-- (the county's key, `payments.signingKeyFile`) detects an edit: the Kasse verifies it with the county's
-- public key, with `openssl pkeyutl -verify` or `payment-batch-verify`.
ALTER TABLE sozialraum.payment_batch ADD COLUMN signature bytea CHECK (signature IS NULL OR length(signature) = 64);
