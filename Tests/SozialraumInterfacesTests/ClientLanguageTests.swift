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
}
