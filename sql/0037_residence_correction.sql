-- 0037 Correcting a wrongly entered residence (issue 31, item 7; Art. 16 GDPR): the Sozialraum a case was
-- recorded to live in from a day was wrong.
--
-- The runtime role cannot update residences (sql/0002). `correct_residence`, the owner's, does it for a county
-- account holding `case`, and records the correction with a change position: runs read the residence as it
-- was at their position, so the drafts of earlier runs stay the same bytes (`statement_items_as_of` below),
-- and the next run's out-of-area check sees the case as changed. The money follows in the daemon, in the
-- same transaction: each delivery of the case from that month is reversed and booked again (priced with the
-- corrected residence; a closed month's correction in the open month, rule 11) — the ledger stays
-- append-only.

CREATE TABLE sozialraum.residence_correction (
    id                  bigserial PRIMARY KEY,
    case_id             uuid NOT NULL REFERENCES sozialraum.case_file,
    valid_from          date NOT NULL,
    old_social_space    sozialraum.code NOT NULL,
    new_social_space    sozialraum.code NOT NULL REFERENCES sozialraum.social_space,
    change_position     bigint NOT NULL,
    corrected_by        text NOT NULL CHECK (length(corrected_by) BETWEEN 1 AND 100),
    corrected_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (old_social_space <> new_social_space)
);
CREATE INDEX residence_correction_residence ON sozialraum.residence_correction (case_id, valid_from, change_position);
CREATE INDEX residence_correction_position ON sozialraum.residence_correction (change_position);
CALL sozialraum.protect_reference_table('sozialraum.residence_correction', 'false');
-- Written by the owner's function only.
GRANT SELECT ON sozialraum.residence_correction TO sozialraum_runtime;

CREATE FUNCTION sozialraum.correct_residence(the_case uuid, from_day date, new_space text, actor text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    old_space text;
BEGIN
    IF NOT sozialraum.current_tenant_is_county() OR NOT sozialraum.holds_right(actor, 'case') THEN
        RAISE EXCEPTION 'a residence is corrected by a county account holding case' USING ERRCODE = '42501';
    END IF;
    -- Behind the ledger gate before drawing a position, as every writer of positioned rows (sql/0022).
    PERFORM pg_catalog.pg_advisory_xact_lock_shared(7405213001);
    SELECT r.social_space INTO old_space FROM sozialraum.residence r
    WHERE r.case_id = the_case AND r.valid_from = from_day FOR UPDATE;
    IF NOT FOUND OR old_space = new_space THEN
        RETURN false;
    END IF;
    INSERT INTO sozialraum.residence_correction (case_id, valid_from, old_social_space, new_social_space,
                                                 change_position, corrected_by)
    VALUES (the_case, from_day, old_space, new_space, nextval('sozialraum.change_position'), actor);
    UPDATE sozialraum.residence SET social_space = new_space WHERE case_id = the_case AND valid_from = from_day;
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION sozialraum.correct_residence(uuid, date, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.correct_residence(uuid, date, text, text) TO sozialraum_runtime;

CREATE OR REPLACE FUNCTION sozialraum.statement_items_as_of(first_month date, last_month date, ledger_position bigint,
                                                 as_of bigint, provider uuid)
    RETURNS TABLE (tenant_id uuid, item text, item_id uuid, case_key text, help_type text, unit text,
                   social_space text, granted bigint, delivered bigint, payable bigint, cost bigint)
    LANGUAGE sql STABLE
    AS $$
WITH costs AS (
    SELECT b.tenant_id, b.grant_id, b.project_id, sum(b.amount)::bigint AS cost
    FROM booking b
    WHERE b.service_month BETWEEN $1 AND $2 AND b.id <= $3 AND ($5::uuid IS NULL OR b.tenant_id = $5)
      AND (b.grant_id IS NOT NULL OR b.project_id IS NOT NULL)
      AND b.kind IN ('delivery', 'project_expense', 'reversal')
    GROUP BY b.tenant_id, b.grant_id, b.project_id
),
-- A grant's end as the run read it: the end before the first move after the run, if one moved.
moved AS (
    SELECT DISTINCT ON (c.grant_id) c.grant_id, c.old_ends_on, c.old_ended_on
    FROM grant_end_change c WHERE c.change_position > $4 AND ($5::uuid IS NULL OR c.tenant_id = $5)
    ORDER BY c.grant_id, c.change_position
),
grants AS (
    SELECT g.id, g.tenant_id, g.case_id, g.case_key, g.help_type, g.unit, g.volume_per_month, g.starts_on,
           coalesce(m.old_ends_on, g.ends_on) AS ends_on,
           CASE WHEN m.grant_id IS NULL THEN g.ended_on ELSE m.old_ended_on END AS ended_on
    FROM grant_decision g LEFT JOIN moved m ON m.grant_id = g.id
    WHERE g.change_position <= $4 AND ($5::uuid IS NULL OR g.tenant_id = $5)
),
delivered AS (
    SELECT d.grant_id, sum(d.quantity)::bigint AS delivered, sum(d.payable)::bigint AS payable
    FROM delivery d
    WHERE d.month BETWEEN $1 AND $2 AND d.change_position <= $4 AND ($5::uuid IS NULL OR d.tenant_id = $5)
      AND NOT EXISTS (SELECT 1 FROM booking r WHERE r.kind = 'reversal' AND r.delivery_id = d.id AND r.id <= $3)
    GROUP BY d.grant_id
),
-- Granted volume in the scope: full months count whole; only the first and the last month of
-- grant ∩ scope can be partial (covered days / days of the month, rounded down, as the domain's
-- GrantTerms.grantedVolume does month by month).
spans AS (
    SELECT g.id, g.volume_per_month AS volume,
           greatest(g.starts_on, $1::date) AS first_day,
           least(g.ends_on, coalesce(g.ended_on, g.ends_on), ($2::date + interval '1 month - 1 day')::date) AS last_day
    FROM grants g
    WHERE g.starts_on <= ($2::date + interval '1 month - 1 day')::date
      AND g.ends_on >= $1::date AND least(g.ends_on, coalesce(g.ended_on, g.ends_on)) >= $1::date
),
months AS (
    SELECT id, volume, first_day, last_day,
           date_trunc('month', first_day)::date AS first_month, date_trunc('month', last_day)::date AS last_month
    FROM spans WHERE first_day <= last_day
),
granted AS (
    SELECT id,
           CASE WHEN first_month = last_month THEN
               volume * (last_day - first_day + 1) / ((first_month + interval '1 month')::date - first_month)
           ELSE
               volume * ((first_month + interval '1 month')::date - first_day) / ((first_month + interval '1 month')::date - first_month)
               + volume * (last_day - last_month + 1) / ((last_month + interval '1 month')::date - last_month)
               + volume * ((extract(year FROM last_month)::int * 12 + extract(month FROM last_month)::int)
                           - (extract(year FROM first_month)::int * 12 + extract(month FROM first_month)::int) - 1)
           END AS granted
    FROM months
),
-- A grant's Sozialraum is where its case lived (as the run read it) on the last day the grant covers
-- in the scope (rule 9); before the first residence, the first one.
homes AS (
    SELECT DISTINCT ON (g.id) g.id,
           -- A residence corrected after the run (sql/0037) is read as the run read it.
           coalesce((SELECT c.old_social_space FROM residence_correction c
                     WHERE c.case_id = r.case_id AND c.valid_from = r.valid_from AND c.change_position > $4
                     ORDER BY c.change_position LIMIT 1), r.social_space) AS social_space
    FROM grants g
    JOIN residence r ON r.case_id = g.case_id AND r.change_position <= $4
    CROSS JOIN LATERAL (
        SELECT least(g.ends_on, coalesce(g.ended_on, g.ends_on), ($2::date + interval '1 month - 1 day')::date) AS day
    ) d
    ORDER BY g.id, (r.valid_from <= d.day) DESC,
             CASE WHEN r.valid_from <= d.day THEN d.day - r.valid_from ELSE r.valid_from - d.day END
)
SELECT g.tenant_id, 'grant'::text AS item, g.id AS item_id, g.case_key, g.help_type, g.unit,
       h.social_space::text AS social_space,
       coalesce(gr.granted, 0)::bigint AS granted, coalesce(d.delivered, 0) AS delivered,
       coalesce(d.payable, 0) AS payable, coalesce(c.cost, 0) AS cost
FROM grants g
LEFT JOIN granted gr ON gr.id = g.id
LEFT JOIN homes h ON h.id = g.id
LEFT JOIN delivered d ON d.grant_id = g.id
LEFT JOIN costs c ON c.grant_id = g.id
WHERE gr.id IS NOT NULL OR d.grant_id IS NOT NULL OR c.grant_id IS NOT NULL
UNION ALL
SELECT p.tenant_id, 'project', p.id, NULL, NULL, NULL, p.social_space::text, NULL, NULL, NULL, c.cost
FROM costs c JOIN project p ON p.id = c.project_id
WHERE c.grant_id IS NULL
$$;
