-- 0019 The SGB VIII catalogue with the unit each help's rates are usually agreed in (issue 18):
-- Fachleistungsstunden for ambulant help, days for day care and homes, a flat month for foster care.
-- Informative: a rate agreement may use another unit.

ALTER TABLE sozialraum.help_type ADD COLUMN usual_unit text CHECK (usual_unit IN ('hour', 'day', 'flat_month'));
UPDATE sozialraum.help_type
SET usual_unit = CASE WHEN code = '33' THEN 'flat_month' WHEN setting = 'ambulant' THEN 'hour' ELSE 'day' END;
