-- 0009 Releasing a commitment is a heap-only (HOT) update.
--
-- A delivery releases its grant month's commitment (rule 7): the import does that for every row of a
-- file in one UPDATE. `released` stood in the predicate of commitment_line, so every release wrote new
-- entries into both indexes of the table. Without it in any index, and with room left in each page for
-- the new row version (a commitment is written once and released once), the update stays in its page.
-- The index keeps serving the searches by Sozialraum and month; they filter `released` themselves.

ALTER TABLE sozialraum.commitment SET (fillfactor = 50);
DROP INDEX sozialraum.commitment_line;
CREATE INDEX commitment_line ON sozialraum.commitment (social_space, month);
