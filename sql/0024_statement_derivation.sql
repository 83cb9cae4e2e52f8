-- 0024 The derivation of statement items, and the listing of issued statements, in the database
-- (issue 20): the daemon's drafts, its issuing and the benchmark's baseline read the same function
-- instead of composing SQL text.

-- The payment advice of a run as of its positions: one item per grant (pseudonymous case key) or project.
-- $1/$2: the scope's months; $3: the ledger position (bookings and reversals up to it); $4: the change
-- position (grants, their ends, residences and deliveries recorded up to it); $5: one provider, or NULL for
-- all the caller sees. (Positional, so that no argument name can be taken for a column.) A single SELECT in SQL, so that PostgreSQL inlines it into the calling statement
-- (row-level security applies as the caller's: no SECURITY DEFINER, no SET).
CREATE FUNCTION sozialraum.statement_items_as_of(first_month date, last_month date, ledger_position bigint,
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
    SELECT DISTINCT ON (g.id) g.id, r.social_space
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
REVOKE ALL ON FUNCTION sozialraum.statement_items_as_of(date, date, bigint, bigint, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sozialraum.statement_items_as_of(date, date, bigint, bigint, uuid) TO sozialraum_runtime;

-- Issued statements as listed: with the provider's name and the times in Europe/Berlin.
CREATE VIEW sozialraum.statement_document_listing WITH (security_invoker = true) AS
    SELECT d.id, d.run_id, d.tenant_id, t.name AS provider_name, d.state, d.accrued, d.instalments, d.settlements,
           d.balance, d.items, encode(d.content_hash, 'hex') AS content_hash, d.issued_by,
           to_char(d.issued_at AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD HH24:MI:SS') AS issued_at,
           d.withdrawn_by, to_char(d.withdrawn_at AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD HH24:MI:SS') AS withdrawn_at,
           d.withdrawal_reason, d.payment_order_id,
           to_char(d.settled_at AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD HH24:MI:SS') AS settled_at
    FROM sozialraum.statement_document d JOIN sozialraum.tenant t ON t.id = d.tenant_id;
GRANT SELECT ON sozialraum.statement_document_listing TO sozialraum_runtime;
