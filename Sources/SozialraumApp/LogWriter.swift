import Foundation

/// Writes log lines on a thread of its own. A caller (an event loop, a task of the cooperative pool) only
/// appends to a bounded buffer and never waits for stderr, which blocks when journald or a pipe reads
/// slowly. Beyond `limitBytes` waiting, lines are dropped and counted, and a line says how many.
final class LogWriter: @unchecked Sendable {
    // @unchecked: every field below `condition` is read and written only under it.
    static let standardError = LogWriter(descriptor: STDERR_FILENO)

    private let descriptor: Int32
    private let limitBytes: Int
    private let droppedNotice: @Sendable (Int) -> String
    private let condition = NSCondition()
    private var pending: [String] = []
    private var pendingBytes = 0
    private var dropped = 0
    private var writing = false

    init(
        descriptor: Int32, limitBytes: Int = 4 << 20,
        droppedNotice: @escaping @Sendable (Int) -> String = { "log: \($0) lines dropped (stderr too slow)\n" }
    ) {
        self.descriptor = descriptor
        self.limitBytes = limitBytes
        self.droppedNotice = droppedNotice
        let thread = Thread { [unowned self] in self.drain() }
        thread.name = "sozialraum.log"
        thread.start()
    }

    /// Appends `line` (newline included) for the writer thread; never blocks on the output.
    func write(_ line: String) {
        condition.lock()
        defer { condition.unlock() }
        let size = line.utf8.count
        guard pendingBytes + size <= limitBytes else {
            dropped += 1
            return
        }
        pending.append(line)
        pendingBytes += size
        condition.signal()
    }

    /// Waits until every line appended so far is written (at exit; tests).
    func flush() {
        condition.lock()
        defer { condition.unlock() }
        while !pending.isEmpty || dropped > 0 || writing { condition.wait() }
    }

    private func drain() {
        while true {
            condition.lock()
            while pending.isEmpty && dropped == 0 { condition.wait() }
            var batch = pending
            if dropped > 0 { batch.append(droppedNotice(dropped)) }
            pending = []
            pendingBytes = 0
            dropped = 0
            writing = true
            condition.unlock()
            let bytes = Array(batch.joined().utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { buffer in
                    Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                }
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    break  // The output is gone: nothing more can be said there.
                }
            }
            condition.lock()
            writing = false
            condition.broadcast()
            condition.unlock()
        }
    }
}
