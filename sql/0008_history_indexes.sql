-- 0008 A run reads its own year, not the whole history (ten years of a million lines each).
--
-- Bookings and deliveries arrive in the order of their months, so a BRIN index (a few pages, next to
-- nothing to keep up on insert) finds a year's or a month's rows without reading the other years.
-- Grants are found by their end: a grant that ended before a scope starts is not in it.

CREATE INDEX booking_service_month ON sozialraum.booking USING brin (service_month);
CREATE INDEX delivery_month ON sozialraum.delivery USING brin (month);
CREATE INDEX grant_decision_ends_on ON sozialraum.grant_decision (ends_on);
