import Synchronization

/// Counters of the admin socket for `stats`: commands by name and result, and a latency histogram.
/// Names and codes only; never arguments or payloads.
final class AdminMetrics: Sendable {
    /// Upper bounds of the latency buckets, in milliseconds (the last is +Inf).
    static let buckets: [Double] = [1, 5, 10, 50, 100, 500, 1000, 5000]

    struct State {
        var commands: [String: Int] = [:]
        var latency: [Int] = Array(repeating: 0, count: AdminMetrics.buckets.count + 1)
        var latencySum: Double = 0
    }

    let state = Mutex(State())

    /// `command` is a known command's name (unknown ones count as "unknown"); `result` is `ok` or the error code.
    func record(command: String, result: String, milliseconds: Double) {
        state.withLock { state in
            state.commands["\(command)|\(result)", default: 0] += 1
            let index = Self.buckets.firstIndex { milliseconds <= $0 } ?? Self.buckets.count
            state.latency[index] += 1
            state.latencySum += milliseconds
        }
    }
}

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
