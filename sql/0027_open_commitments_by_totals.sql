-- 0027 Open commitments found through their totals, not an index on `released` (issue 20).
--
-- sql/0026 indexed the open commitments so that a run's missing-delivery check need not read the whole
-- table. But an index whose predicate names `released` makes releasing a commitment (every delivery does)
-- a full update instead of a heap-only one, which sql/0009 made it on purpose: 20,000 releases took
-- 220–335 ms with that index and 75 ms without (psql, 100,000-line benchmark database). The check now
-- starts from `commitment_total`, which the owner's trigger keeps per Sozialraum, month and tenant for
-- the open commitments only (amounts are never negative, so a total above zero means an open one), and
-- reads the commitments of just those months.
DROP INDEX sozialraum.commitment_open;
