import Foundation

/// A Unix datagram socket standing in for systemd's notification socket: every datagram a child sends
/// to `$NOTIFY_SOCKET` arrives as one message, with the time it arrived.
public final class NotifySocket: Sendable {
    public let path: String
    public let messages: AsyncStream<(message: String, at: ContinuousClock.Instant)>
    let descriptor: Int32

    public init() throws {
        path = NSTemporaryDirectory() + "notify-\(UUID().uuidString.prefix(8)).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            Glibc.close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        descriptor = fd
        let (stream, continuation) = AsyncStream<(message: String, at: ContinuousClock.Instant)>.makeStream()
        messages = stream
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { break }
                continuation.yield((String(decoding: buffer[0..<count], as: UTF8.self), ContinuousClock.now))
            }
            continuation.finish()
        }
        thread.start()
    }

    /// Ends the reader (shutdown wakes the blocked recv).
    public func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        unlink(path)
    }
}
