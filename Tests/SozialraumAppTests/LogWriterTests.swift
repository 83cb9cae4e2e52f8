import Foundation
import Testing

@testable import SozialraumApp

/// Logging never blocks the calling thread on stderr (issue 34): lines go to a writer thread, in order;
/// when the output stalls, the buffer stays bounded and what was dropped is counted in a line of its own.
@Suite struct LogWriterTests {
    /// Reads everything the pipe holds until its write end is closed.
    static func readAll(_ descriptor: Int32) -> String {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: data, as: UTF8.self)
    }

    @Test func linesArriveInOrder() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let writer = LogWriter(descriptor: ends[1])
        for index in 1...100 { writer.write("line \(index)\n") }
        writer.flush()
        close(ends[1])
        let text = Self.readAll(ends[0])
        close(ends[0])
        #expect(text == (1...100).map { "line \($0)\n" }.joined())
    }

    @Test func aStalledOutputDropsAndCountsInsteadOfBlocking() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        // Nobody reads yet: the pipe (64 KiB) fills and the writer thread blocks on it; callers must not.
        let writer = LogWriter(descriptor: ends[1], limitBytes: 16_384) { "dropped \($0)\n" }
        let line = String(repeating: "x", count: 99) + "\n"
        for _ in 0..<2_000 { writer.write(line) }  // 200 KB: more than the pipe and the buffer hold
        // Reading now lets the writer finish; the drop is reported after what was kept.
        final class Received: @unchecked Sendable { var text = "" }
        let received = Received()
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            received.text = Self.readAll(readEnd)
            done.signal()
        }
        writer.flush()
        close(writeEnd)
        done.wait()
        close(readEnd)
        let text = received.text
        let kept = text.split(separator: "\n").filter { $0.hasPrefix("xxx") }.count
        // Drops are reported with the next batch the writer takes, so a long stall may give several notices.
        let dropped = text.split(separator: "\n").filter { $0.hasPrefix("dropped ") }
            .compactMap { Int($0.dropFirst("dropped ".count)) }.reduce(0, +)
        #expect(kept + dropped == 2_000, "every line is written or counted")
        #expect(dropped > 0, "the bounded buffer dropped some")
        #expect(kept < 2_000)
    }
}
