import Foundation
import SozialraumTestSupport
import Testing

/// The shipped unit files, checked by systemd's own tools (systemd 252 on Debian 12).
@Suite struct SystemdUnitTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `systemd-analyze verify` of the service and socket units, with the install path of the binary
    /// pointed at the one just built (verify checks that it is executable).
    @Test(arguments: [
        ["sozialraumd.service", "sozialraumd.socket"],
        // Issue 30: the template of several counties on one host, as county `verden` would run it.
        ["sozialraumd@verden.service", "sozialraumd@verden.socket"],
    ])
    func theUnitsVerifyClean(units: [String]) async throws {
        let directory = NSTemporaryDirectory() + "sozialraum-units-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in units {
            let file = name.replacingOccurrences(of: "@verden.", with: "@.")
            let text = try String(
                contentsOf: Self.repository.appendingPathComponent("systemd/\(file)"), encoding: .utf8)
            try text.replacingOccurrences(of: "/usr/bin/sozialraumd", with: Subprocess.binary("sozialraumd"))
                .write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
        }
        let result = try await Subprocess.run(
            ["/usr/bin/systemd-analyze", "verify"] + units.map { "\(directory)/\($0)" })
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.isEmpty, "\(result.output)")
    }

    /// Each county's instance has its own config, state directory and socket.
    @Test func theTemplateKeepsCountiesApart() throws {
        let service = try String(
            contentsOf: Self.repository.appendingPathComponent("systemd/sozialraumd@.service"), encoding: .utf8)
        let socket = try String(
            contentsOf: Self.repository.appendingPathComponent("systemd/sozialraumd@.socket"), encoding: .utf8)
        #expect(service.contains("--config /etc/sozialraum/%i.json"))
        #expect(service.contains("StateDirectory=sozialraum/%i\n"))
        #expect(socket.contains("ListenStream=/run/sozialraum/%i.sock\n"))
        #expect(!service.split(separator: "\n").contains { $0.hasPrefix("RuntimeDirectory=") })
    }

    /// `systemd-analyze security --offline=true`: overall exposure at most 2.0.
    @Test func theServiceIsHardened() async throws {
        let unit = Self.repository.appendingPathComponent("systemd/sozialraumd.service").path
        let result = try await Subprocess.run([
            "/usr/bin/systemd-analyze", "security", "--offline=true", "--no-pager", unit,
        ])
        let line = try #require(result.output.first { $0.contains("Overall exposure level") }, "\(result.output)")
        let number = line.components(separatedBy: ": ").last?.split(separator: " ").first.flatMap { Double($0) }
        let exposure = try #require(number, "\(line)")
        #expect(exposure <= 2.0, "\(line)")
    }

    /// Issue 30: stopping the service must not delete the socket unit's `admin.sock`. systemd removes a
    /// service's `RuntimeDirectory=` at stop (systemd.exec(5)) unless `RuntimeDirectoryPreserve=yes`; the
    /// socket lives below /run/sozialraum, which tmpfiles.d makes at boot for the daemon's group. (This
    /// container has no systemd as PID 1 to stop a real unit in: the rule is checked on the files.)
    @Test func stoppingTheServiceLeavesTheSocketUnitsFile() throws {
        func settings(_ name: String) throws -> [String: [String]] {
            let text = try String(
                contentsOf: Self.repository.appendingPathComponent("systemd/\(name)"), encoding: .utf8)
            var values: [String: [String]] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                values[String(line[..<equals]), default: []].append(String(line[line.index(after: equals)...]))
            }
            return values
        }
        let service = try settings("sozialraumd.service"), socket = try settings("sozialraumd.socket")
        let socketPath = try #require(socket["ListenStream"]?.first)
        let runtime = (service["RuntimeDirectory"] ?? []).flatMap { $0.split(separator: " ") }.map { "/run/\($0)/" }
        let preserved = service["RuntimeDirectoryPreserve"]?.last == "yes"
        #expect(preserved || !runtime.contains { socketPath.hasPrefix($0) }, "\(socketPath) below \(runtime)")
        let tmpfiles = try String(
            contentsOf: Self.repository.appendingPathComponent("systemd/tmpfiles.d/sozialraum.conf"), encoding: .utf8)
        let directory = (socketPath as NSString).deletingLastPathComponent
        #expect(tmpfiles.contains("d \(directory) 0750 sozialraum sozialraum -"))
    }

    @Test func sysusersAndTmpfilesParse() async throws {
        let sysusers = Self.repository.appendingPathComponent("systemd/sysusers.d/sozialraum.conf").path
        let root = NSTemporaryDirectory() + "sozialraum-sysroot-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Creates the user and group in a scratch root, as the package install would on the server.
        let created = try await Subprocess.run(["/usr/bin/systemd-sysusers", "--root=\(root)", sysusers])
        #expect(created.status == 0, "\(created.output)")
        let passwd = try String(contentsOfFile: root + "/etc/passwd", encoding: .utf8)
        #expect(passwd.contains("sozialraum:x:") && passwd.contains("/usr/sbin/nologin"))
        let tmpfiles = Self.repository.appendingPathComponent("systemd/tmpfiles.d/sozialraum.conf").path
        let checked = try await Subprocess.run(["/usr/bin/systemd-tmpfiles", "--root=\(root)", "--create", tmpfiles])
        #expect(checked.status == 0, "\(checked.output)")
        #expect(FileManager.default.fileExists(atPath: root + "/var/lib/sozialraum"))
    }
}
