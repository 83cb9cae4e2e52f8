-- 0026 Open commitments found by an index (issue 20).
--
-- Every run looks for months whose delivery is overdue: commitments not yet released by a delivery. Those
-- are the current and coming months of running grants, a small part of the table (at 1,000,000 ledger
-- lines 200,000 of 1,200,000 rows, and none before the due month), but the check read the whole table:
-- 130–210 ms per run, the nightly one included. A partial index holds just the open ones.
CREATE INDEX commitment_open ON sozialraum.commitment (month) WHERE NOT released AND amount > 0;
