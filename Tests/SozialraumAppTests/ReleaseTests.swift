import Foundation
import SozialraumProtocol
import SozialraumTestSupport
import Testing

/// Issue 30 (items 7 and 8): what a county installs. The version the binaries print, the changelog's
/// newest release, and the Debian package built from the build at hand by `packaging/build-deb`.
@Suite struct ReleaseTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func bothBinariesPrintTheVersionTheChangelogReleases() async throws {
        for binary in ["sozialraumd", "sozialraumctl"] {
            let printed = try await Subprocess.run([Subprocess.binary(binary), "--version"])
            #expect(printed.status == 0)
            #expect(printed.output == [SozialraumRelease.version], "\(binary)")
        }
        let changelog = try String(
            contentsOf: Self.repository.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        // What is merged but not yet released stands under "## Unreleased", above the newest release.
        let newest = changelog.split(separator: "\n").first { $0.hasPrefix("## ") && $0 != "## Unreleased" }
        #expect(newest?.hasPrefix("## \(SozialraumRelease.version) — ") == true, "\(newest ?? "")")
        let licence = try String(contentsOf: Self.repository.appendingPathComponent("LICENSE"), encoding: .utf8)
        #expect(licence.contains("EUROPEAN UNION PUBLIC LICENCE v. 1.2"))
    }

    /// The package's layout, its control data, its maintainer script (never starts the service), and
    /// lintian. The build at hand is a debug build linked to the toolchain's Swift runtime, so lintian's
    /// `custom-library-search-path` (the toolchain's RUNPATH) is the one error expected here; a release is
    /// built with `--static-swift-stdlib` (README.md, "Releases").
    @Test(.timeLimit(.minutes(5))) func theDebianPackageInstallsWhereTheDocsSayAndLintianFindsNoError()
        async throws
    {
        let output = TestScratch.path("deb")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["SOZIALRAUM_DEB_COMPRESSION"] = "gzip"
        let binaries = (Subprocess.binary("sozialraumd") as NSString).deletingLastPathComponent
        let built = try await Subprocess.run(
            [Self.repository.appendingPathComponent("packaging/build-deb").path, binaries, output],
            environment: environment)
        #expect(built.status == 0, "\(built.output)")
        let package = try #require(built.output.last { $0.hasSuffix(".deb") })
        #expect(package.hasSuffix("/sozialraum_\(SozialraumRelease.version)_amd64.deb"))

        let contents = try await Subprocess.run(["/usr/bin/dpkg-deb", "--contents", package])
        let files = Dictionary(
            contents.output.compactMap { line -> (String, String)? in
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count >= 6 else { return nil }
                return (String(fields[5].dropFirst()), "\(fields[0]) \(fields[1])")
            }, uniquingKeysWith: { first, _ in first })
        for (path, mode) in [
            ("/usr/bin/sozialraumd", "-rwxr-xr-x root/root"), ("/usr/bin/sozialraumctl", "-rwxr-xr-x root/root"),
            ("/lib/systemd/system/sozialraumd.service", "-rw-r--r-- root/root"),
            ("/lib/systemd/system/sozialraumd.socket", "-rw-r--r-- root/root"),
            ("/lib/systemd/system/sozialraumd@.service", "-rw-r--r-- root/root"),
            ("/lib/systemd/system/sozialraumd@.socket", "-rw-r--r-- root/root"),
            ("/usr/lib/sysusers.d/sozialraum.conf", "-rw-r--r-- root/root"),
            ("/usr/lib/tmpfiles.d/sozialraum.conf", "-rw-r--r-- root/root"),
            ("/etc/sozialraum/sozialraumd.json", "-rw-r--r-- root/root"),
            ("/etc/sozialraum/sozialraumctl.conf", "-rw-r--r-- root/root"),
            ("/usr/share/doc/sozialraum/operations.md", "-rw-r--r-- root/root"),
            ("/usr/share/doc/sozialraum/copyright", "-rw-r--r-- root/root"),
        ] {
            #expect(files[path] == mode, "\(path): \(files[path] ?? "missing")")
        }
        // The unit starts the binary where the package puts it, and documents itself where the docs are.
        let unit = try String(
            contentsOf: Self.repository.appendingPathComponent("systemd/sozialraumd.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/bin/sozialraumd serve --config /etc/sozialraum/sozialraumd.json"))
        #expect(files["/usr/share/doc/sozialraum/operations.md"] != nil && unit.contains("/usr/share/doc/sozialraum/"))

        let control = try await Subprocess.run(["/usr/bin/dpkg-deb", "--field", package, "Version", "Depends"])
        #expect(control.output.contains("Version: \(SozialraumRelease.version)"))
        #expect(control.output.contains { $0.hasPrefix("Depends:") && $0.contains("libpq5") })
        let scratch = TestScratch.path("deb-control")
        #expect(try await Subprocess.run(["/usr/bin/dpkg-deb", "--control", package, scratch]).status == 0)
        let conffiles = try String(contentsOfFile: scratch + "/conffiles", encoding: .utf8)
        #expect(conffiles == "/etc/sozialraum/sozialraumd.json\n/etc/sozialraum/sozialraumctl.conf\n")
        let postinst = try String(contentsOfFile: scratch + "/postinst", encoding: .utf8)
        #expect(postinst.contains("systemd-sysusers sozialraum.conf"))
        for verb in ["enable", "start", "restart", "try-restart"] {
            #expect(!postinst.contains("systemctl \(verb)"), "setup comes before the service: \(verb)")
        }
        #expect(!postinst.contains("deb-systemd-invoke"))

        let lintian = try await Subprocess.run(["/usr/bin/lintian", "--tag-display-limit", "0", package])
        let errors = lintian.output.filter { $0.hasPrefix("E: ") }
        #expect(
            errors.allSatisfy { $0.hasPrefix("E: sozialraum: custom-library-search-path RUNPATH /opt/swift/") },
            "\(errors)")
        #expect(!lintian.output.contains { $0.hasPrefix("W: ") }, "\(lintian.output)")
    }
}
