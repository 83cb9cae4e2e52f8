import SozialraumDomain

/// A schedule past its deadline, with the slot that has not succeeded in time.
public struct OverdueSchedule: Sendable, Equatable {
    public var schedule: String
    public var slot: Instant
}

/// Wakes a sleeping scheduler early (NOTIFY, shutdown). A signal without a sleeper is kept for the next wait.
actor WakeSignal {
    private var waiter: CheckedContinuation<Void, Never>?
    private var pending = false
    /// Counts the waits, so that the timer of an earlier wait (cancelled, or firing late) cannot end a
    /// later one.
    private var generation: UInt64 = 0

    func signal() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            pending = true
        }
    }

    func wait(for duration: Duration) async {
        if pending {
            pending = false
            return
        }
        generation &+= 1
        let current = generation
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: duration)) != nil else { return }
            await self?.timeUp(current)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { self.waiter = $0 }
        } onCancel: {
            Task { await self.signal() }
        }
        timer.cancel()
    }

    private func timeUp(_ ofWait: UInt64) {
        guard ofWait == generation, let waiter else { return }
        self.waiter = nil
        waiter.resume()
    }
}
