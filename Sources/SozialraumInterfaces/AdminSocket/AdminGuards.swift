import Synchronization

/// One log line for many of the same event: the first at once, then at most one per `interval`, saying
/// how many were left out (a database outage fails every request; the log must stay readable).
final class RateLimitedLog: Sendable {
    let interval: Duration
    private let state = Mutex<(last: ContinuousClock.Instant?, leftOut: Int)>((nil, 0))

    init(interval: Duration) { self.interval = interval }

    /// Whether to write this occurrence, and how many were left out since the last line written.
    func admit(now: ContinuousClock.Instant = .now) -> Int? {
        state.withLock { state in
            if let last = state.last, now - last < interval {
                state.leftOut += 1
                return nil
            }
            defer { state = (now, 0) }
            return state.leftOut
        }
    }
}

/// Bytes of upload blocks held in memory by all sessions together: whatever clients send, uploads cannot
/// grow the daemon's memory past this (plus the per-line overhead of Swift strings, about 2×).
final class UploadBudget: Sendable {
    let limit: Int
    private let used = Mutex(0)

    init(limit: Int) { self.limit = limit }

    /// Takes `bytes` more; false, and nothing taken, when that would pass the limit.
    func take(_ bytes: Int) -> Bool {
        used.withLock { used in
            guard used + bytes <= limit else { return false }
            used += bytes
            return true
        }
    }

    func giveBack(_ bytes: Int) {
        guard bytes > 0 else { return }
        used.withLock { $0 -= bytes }
    }

    var inUse: Int { used.withLock { $0 } }
}
