-- 0025 A provider's read of residences, as a condition the planner can price (issue 20).
--
-- Residences are county data (rule 14); a provider reads those of the cases it holds a grant for. Until
-- now that was a correlated EXISTS per residence row. The county passes the policy by its first test and
-- never runs the subquery, but the planner prices it into every row of a sequential scan (a full
-- out-of-area check at 100,000 grants: estimated 870,000 for a scan that takes 20 ms), so it chose one
-- index probe per grant and compiled the plan with JIT: 1.1–3.5 s where reading the stays once takes
-- 0.3 s. The same condition as a non-correlated IN lets PostgreSQL choose per plan between a hashed
-- subquery (built only when it runs: never for the county) and a probe per row (a provider reading a
-- handful of residences). Who reads what is unchanged (RowLevelSecurityTests).
ALTER POLICY tenants_read ON sozialraum.residence
    USING ((SELECT sozialraum.current_tenant_is_county())
           OR case_id IN (SELECT g.case_id FROM sozialraum.grant_decision g));
