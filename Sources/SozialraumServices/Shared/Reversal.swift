import SozialraumDomain
import SozialraumStore

/// Reversing a booking inside an open transaction (Storno, rule 10), for `reverse` and for corrections that
/// book anew (a corrected residence). When its month is closed, the reversal goes into the current open month
/// and refers to the original (rule 11). A delivery is reversed as a whole, its month committed again and its
/// findings superseded, so that the corrected delivery may follow.
enum Reversal {
    /// Reverses `original` (and, for a delivery, its sibling bookings); returns the id of `original`'s reversal.
    static func reverse(
        _ tx: TenantTransaction, caller: Caller, original: LedgerStore.BookingRecord, today: Day
    ) async throws -> Int64 {
        let today = today.yearMonth
        let horizon = max(today, original.bookedMonth).next.next.next
        let closed = try await ReferenceDataStore.closedMonths(tx, from: original.bookedMonth, through: horizon)
        let target: YearMonth
        do throws(BookingPeriod.Refusal) {
            target = try BookingPeriod.target(
                serviceMonth: original.bookedMonth, isCorrection: true, closedMonths: closed, today: today)
        } catch { throw ServiceError.conflict(error.description) }
        guard try await ReferenceDataStore.periodExists(tx, target) else {
            throw ServiceError.conflict("no open fiscal period \(target) for the correction")
        }
        // A delivery is reversed as a whole: every booking of it (a cost split over two Sozialräume
        // has two), so that its grant month is free for the corrected delivery.
        var originals = [original]
        if original.kind == .delivery, let deliveryID = original.deliveryID, let grantID = original.grantID {
            originals += try await LedgerStore.unreversedSiblings(
                tx, grantID: grantID, deliveryID: deliveryID, excluding: original.id)
        }
        var id: Int64 = 0
        for booking in originals {
            let reversal = try await LedgerStore.book(
                tx,
                .init(
                    tenant: booking.tenant, kind: .reversal, bookedMonth: target,
                    serviceMonth: booking.serviceMonth,
                    socialSpace: booking.socialSpace, component: booking.component,
                    amount: try -booking.amount, grantID: booking.grantID,
                    deliveryID: booking.deliveryID,
                    projectID: booking.projectID, reverses: booking.id,
                    corrects: target == booking.bookedMonth ? nil : booking.id),
                actor: caller.name, requestID: caller.requestID)
            if booking.id == original.id { id = reversal }
        }
        if original.kind == .delivery, let grantID = original.grantID {
            // Rule 7: without a delivery the month is committed again until the corrected one arrives.
            try await GrantStore.recommit(tx, grantID: grantID, month: original.serviceMonth)
        }
        if original.kind == .delivery, let deliveryID = original.deliveryID {
            // Rule 8: a finding belongs to its delivery; reversed, it can no longer be accepted.
            try await FindingStore.supersede(
                tx, deliveryID: deliveryID, reason: "superseded: the delivery was reversed (booking \(id))")
        }
        return id
    }
}
