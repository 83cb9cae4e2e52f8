import Foundation

/// Files and directories a test makes for itself (configs, certificates, sockets) go under one directory
/// per test process, removed when the process exits: a test run leaves nothing in the temporary
/// directory (it used to leave a config file or certificate per test, thousands over a few days).
public enum TestScratch {
    private static let directory: String = {
        let path = NSTemporaryDirectory() + "sozialraum-scratch-\(getpid())-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestScratch.directory) }
        return path
    }()

    /// A fresh path in the scratch directory: `<prefix>-<random><suffix>`, not yet created.
    public static func path(_ prefix: String, suffix: String = "") -> String {
        "\(directory)/\(prefix)-\(UUID().uuidString.prefix(8))\(suffix)"
    }
}
