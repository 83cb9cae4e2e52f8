import Foundation
import SozialraumTestSupport
import Testing

/// The real `sozialraumctl` speaks German unless told otherwise (issue 32, item 1): a socket that is not there
/// is reported in German, in English with `--language en` or `SOZIALRAUM_LANGUAGE=en`; the exit status is the
/// same.
@Suite struct ClientLanguageTests {
    static func run(_ arguments: [String], language: String? = nil) async throws -> (Int32, [String]) {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_LANGUAGE")
        environment["SOZIALRAUM_LANGUAGE"] = language
        environment["SOZIALRAUM_CTL_CONFIG"] = "/dev/null"
        return try await Subprocess.run([Subprocess.binary("sozialraumctl")] + arguments, environment: environment)
    }

    @Test func theClientSpeaksGermanUnlessToldOtherwise() async throws {
        let socket = TestScratch.path("absent", suffix: ".sock")
        let german = try await Self.run(["--socket", socket, "ping"])
        #expect(german.0 == 2)
        #expect(german.1.first?.hasPrefix("sozialraumctl: keine Verbindung zu \(socket): ") == true, "\(german.1)")
        let flag = try await Self.run(["--socket", socket, "--language", "en", "ping"])
        #expect(flag.0 == 2 && flag.1.first?.hasPrefix("sozialraumctl: cannot connect to \(socket): ") == true)
        let environment = try await Self.run(["--socket", socket, "ping"], language: "en")
        #expect(environment.0 == 2 && environment.1.first?.hasPrefix("sozialraumctl: cannot connect to ") == true)
        let wrong = try await Self.run(["--socket", socket, "--language", "fr", "ping"])
        #expect(wrong.0 == 2 && wrong.1 == ["sozialraumctl: language: de oder en, nicht fr"], "\(wrong.1)")
    }

    /// `--help` is German by default, English with `--language en` (before or after `--help`) or the
    /// environment; every option is explained in either.
    @Test func theHelpSpeaksTheClientsLanguage() async throws {
        let german = try await Self.run(["--help"])
        #expect(german.0 == 0)
        #expect(german.1.contains { $0.contains("Verwaltungsclient für sozialraumd.") }, "\(german.1)")
        #expect(german.1.contains { $0.contains("Beispiele:") })
        #expect(german.1.contains { $0.contains("Ausgabeformat: table, csv, csv-de") })
        #expect(!german.1.contains { $0.contains("Output format") })
        let flag = try await Self.run(["--help", "--language", "en"])
        #expect(flag.1.contains { $0.contains("Admin client for sozialraumd.") }, "\(flag.1)")
        #expect(flag.1.contains { $0.contains("Output format: table, csv, csv-de, jsonl.") })
        let environment = try await Self.run(["--help"], language: "en")
        #expect(
            environment.1.contains { $0.contains("Examples:") } && !environment.1.contains { $0.contains("Beispiele") })
    }
}
