-- 0042 For the reports (issue 33): the cost report finds the reversals of opening balances — reversals with
-- neither grant nor project — by this small partial index instead of scanning the years' bookings a second
-- time (CostReportStore.costDevelopment).

CREATE INDEX booking_reversal_without_reference ON sozialraum.booking (service_month)
    WHERE kind = 'reversal' AND grant_id IS NULL AND project_id IS NULL;
