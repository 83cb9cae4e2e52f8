import Testing

@testable import PostgresClient

/// The pool's bookkeeping without a database (issue 34): plain strings stand for connections.
@Suite struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<String>

    @Test func slotsOpenUpToTheLimitThenCallersWaitInOrder() {
        var pool = Machine(maxConnections: 2)
        guard case .open = pool.lease(), case .open = pool.lease() else {
            Issue.record("two slots")
            return
        }
        guard case .wait(let first) = pool.lease(), case .wait(let second) = pool.lease() else {
            Issue.record("then waiting")
            return
        }
        #expect(pool.open == 2)
        #expect(pool.waiters == [first, second])
        // A connection given back goes to the first waiter, the next one to the second.
        guard case .handOver(.connection("a"), to: first) = pool.giveBack("a", reusable: true) else {
            Issue.record("handed to the first")
            return
        }
        guard case .handOver(.connection("b"), to: second) = pool.giveBack("b", reusable: true) else {
            Issue.record("handed to the second")
            return
        }
        // Nobody waits: the next comes back idle and is lent again.
        guard case .keepIdle = pool.giveBack("a", reusable: true), case .use("a") = pool.lease() else {
            Issue.record("idle, then lent")
            return
        }
        #expect(pool.open == 2)
    }

    @Test func aBrokenConnectionFreesItsSlotForTheFirstWaiter() {
        var pool = Machine(maxConnections: 1)
        _ = pool.lease()
        guard case .wait(let waiter) = pool.lease() else {
            Issue.record("waits")
            return
        }
        // Given back inside a transaction (not reusable): closed, and the waiter may open a new one.
        guard case .handOver(.slot, to: waiter) = pool.giveBack("a", reusable: false) else {
            Issue.record("slot for the waiter")
            return
        }
        #expect(pool.open == 1)
        // With nobody waiting, a broken connection just closes.
        guard case .close = pool.giveBack("b", reusable: false) else {
            Issue.record("closed")
            return
        }
        #expect(pool.open == 0)
    }

    @Test func aFailedOpenOrProbeHandsTheSlotOn() {
        var pool = Machine(maxConnections: 1)
        _ = pool.lease()
        guard case .wait(let waiter) = pool.lease() else {
            Issue.record("waits")
            return
        }
        let handed = pool.slotFreed()
        #expect(handed == waiter)
        #expect(pool.open == 1)
        let nobody = pool.slotFreed()
        #expect(nobody == nil)
        #expect(pool.open == 0)
    }

    @Test func anAbandonedWaiterIsNeverServed() {
        var pool = Machine(maxConnections: 1)
        _ = pool.lease()
        guard case .wait(let gone) = pool.lease(), case .wait(let staying) = pool.lease() else {
            Issue.record("two waiters")
            return
        }
        let abandoned = pool.abandon(gone)
        let again = pool.abandon(gone)
        #expect(abandoned)
        #expect(!again, "abandoning twice changes nothing")
        guard case .handOver(.connection("a"), to: staying) = pool.giveBack("a", reusable: true) else {
            Issue.record("the one still waiting gets it")
            return
        }
        // Served already: a late timeout does not take it back.
        let late = pool.abandon(staying)
        #expect(!late)
    }

    @Test func shutdownClosesIdleFailsWaitersAndClosesWhatComesBack() {
        var pool = Machine(maxConnections: 2)
        _ = pool.lease()
        _ = pool.lease()
        _ = pool.giveBack("idle", reusable: true)
        _ = pool.lease()  // takes "idle"
        _ = pool.giveBack("idle", reusable: true)
        guard case .use = pool.lease(), case .wait(let waiter) = pool.lease() else {
            Issue.record("both lent, one waiting")
            return
        }
        _ = pool.giveBack("x", reusable: true)  // to the waiter
        _ = pool.giveBack("y", reusable: true)  // idle
        let (idle, waiters) = pool.shutdown()
        #expect(idle == ["y"])
        #expect(waiters.isEmpty)
        let late = pool.abandon(waiter)
        #expect(!late)
        guard case .close = pool.giveBack("x", reusable: true), case .closed = pool.lease() else {
            Issue.record("closed after shutdown")
            return
        }
        #expect(pool.open == 0)
    }
}
