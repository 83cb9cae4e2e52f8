import ArgumentParser
import Foundation
import SozialraumCtlKit

/// Admin-socket sessions sending requests in a loop, one request in flight each: what `admin-funds` and
/// `hosting` measure. Driven as pgbench drives its clients (`-j 4`): a few threads, each waiting on its
/// share of the sessions with poll(2), so that the load generator takes about as much of the machine as
/// pgbench does in the baseline of the same run (64 blocking threads took a share of the two cores of their
/// own and stretched the daemon's tail).
struct SessionLoad {
    /// Every answered request's latency in ms, sorted.
    let latencies: [Double]
    let seconds: Double

    var rate: Double { Double(latencies.count) / seconds }

    func percentile(_ p: Double) -> Double {
        latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
    }

    /// `sessions` sessions for `seconds` on `threads` threads; session `i` on `path(i)` sends `request(i, turn)`
    /// until the time is up. A reply that is not OK, or a session the daemon ends, stops the run with an error.
    static func drive(
        sessions: Int, seconds: Int, threads: Int = 4, path: @escaping @Sendable (Int) -> String,
        request: @escaping @Sendable (Int, Int) -> String
    ) async throws -> SessionLoad {
        let deadline = ContinuousClock.now + .seconds(seconds)
        let results = Locked<[[Double]]>([])
        let failures = Locked<[String]>([])
        let workers = min(threads, sessions)
        let start = ContinuousClock.now
        let running = (0..<workers).map { worker in
            Thread {
                var latencies: [Double] = []
                do {
                    let mine = Array(stride(from: worker, to: sessions, by: workers))
                    latencies = try MultiplexedSessions(mine, path: path, request: request).run(until: deadline)
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
                results.withLock { $0.append(latencies) }
            }
        }
        for thread in running { thread.start() }
        while results.withLock({ $0.count }) < workers { try await Task.sleep(for: .milliseconds(100)) }
        if let failure = failures.withLock({ $0.first }) { throw ValidationError(failure) }
        let elapsed = elapsedSeconds(ContinuousClock.now - start)
        return SessionLoad(latencies: results.withLock { $0 }.flatMap { $0 }.sorted(), seconds: elapsed)
    }
}

/// One thread's sessions: each has one request in flight; a reply is complete at its status line (the first
/// line that is not a data line `- …`).
private final class MultiplexedSessions {
    private struct Session {
        let index: Int
        let connection: UnixConnection
        var turn = 0
        var sent = ContinuousClock.now
        var pending: [UInt8] = []
    }

    private var sessions: [Session]
    private let request: (Int, Int) -> String

    init(_ indices: [Int], path: (Int) -> String, request: @escaping (Int, Int) -> String) throws {
        self.request = request
        sessions = try indices.map { index in
            do { return Session(index: index, connection: try UnixConnection(path: path(index))) } catch {
                throw ValidationError("cannot connect to \(path(index)): \(error)")
            }
        }
    }

    /// Latencies in ms of the replies that arrived before `deadline`, and of each request still unanswered then.
    func run(until deadline: ContinuousClock.Instant) throws -> [Double] {
        var latencies: [Double] = []
        var waiting = sessions.map { pollfd(fd: $0.connection.fd, events: Int16(POLLIN), revents: 0) }
        for slot in sessions.indices { send(slot) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            let ready = poll(&waiting, nfds_t(waiting.count), 100)
            if ready < 0, errno == EINTR { continue }
            guard ready >= 0 else { throw ValidationError("poll: \(String(cString: strerror(errno)))") }
            for slot in waiting.indices where waiting[slot].revents != 0 {
                let count = read(waiting[slot].fd, &buffer, buffer.count)
                if count < 0, errno == EINTR { continue }
                // A session the daemon refused or closed would leave the others a lighter load than the run claims.
                guard count > 0 else { throw ValidationError("the daemon closed session \(sessions[slot].index)") }
                sessions[slot].pending.append(contentsOf: buffer[0..<count])
                guard let status = completedStatus(slot) else { continue }
                guard status.starts(with: "OK".utf8) else {
                    throw ValidationError(
                        "session \(sessions[slot].index): \(String(decoding: status, as: UTF8.self))")
                }
                latencies.append(elapsedSeconds(ContinuousClock.now - sessions[slot].sent) * 1000)
                sessions[slot].turn += 1
                send(slot)
            }
        }
        // A request still unanswered at the end counts with what it has waited so far: a session starved for
        // the whole run must show in the tail, not drop out of it.
        let end = ContinuousClock.now
        latencies += sessions.map { elapsedSeconds(end - $0.sent) * 1000 }
        return latencies
    }

    private func send(_ slot: Int) {
        sessions[slot].sent = ContinuousClock.now
        sessions[slot].connection.write(request(sessions[slot].index, sessions[slot].turn) + "\n")
    }

    /// The status line when the session's reply is complete (its data lines dropped), else nil.
    private func completedStatus(_ slot: Int) -> ArraySlice<UInt8>? {
        var start = 0
        let pending = sessions[slot].pending
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = pending[start..<newline]
            start = newline + 1
            if !line.starts(with: "- ".utf8) {
                sessions[slot].pending.removeSubrange(0..<start)
                return line
            }
        }
        return nil
    }
}
