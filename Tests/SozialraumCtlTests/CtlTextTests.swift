import SozialraumCtlKit
import Testing

/// The client's texts (issue 32, item 1): each in both languages, reading differently in each; the language
/// comes from `language` in a source, German when none says.
@Suite struct CtlTextTests {
    static let samples: [CtlText] = [
        CtlTexts.cannotReadConfig("/etc/x.conf"), CtlTexts.connectionClosed, CtlTexts.connectionClosedDuringUpload,
        CtlTexts.noSecret("alpha"), CtlTexts.notAFile, CtlTexts.cannotWrite("a.csv"), CtlTexts.cannotRead("a.csv"),
        CtlTexts.cannotConnect("/run/x.sock", "ENOENT"), CtlTexts.cannotConnectTLS("h", 7443, "refused"),
        CtlTexts.daemonClosed, CtlTexts.loginRefused("alpha"), CtlTexts.notLoggedIn, CtlTexts.uploading(5, of: 10),
        CtlTexts.waiting, CtlTexts.hostBracketed, CtlTexts.hostPort, CtlTexts.portRange,
        CtlTexts.expectedKeyValue("f:1"), CtlTexts.unknownKey("f:1", "hots"), CtlTexts.noValue("f:1", "ca"),
        CtlTexts.cannotReadSecret("s"), CtlTexts.secretReadableByOthers("s"), CtlTexts.badLanguage("fr"),
        CtlTexts.tlsSetupFailed, CtlTexts.cannotReadCA("ca.pem"),
    ]

    @Test func everyTextIsInBothLanguagesAndTranslated() {
        for text in Self.samples {
            #expect(!text.de.isEmpty && !text.en.isEmpty)
            #expect(text.de != text.en, "not translated: \(text.en)")
        }
    }

    @Test func theLanguageIsGermanUnlessASourceSaysOtherwise() throws {
        let german = try CtlConfiguration.resolve(flags: [:], environment: [:], file: [:])
        #expect(german.language == .de)
        let fromFile = try CtlConfiguration.resolve(
            flags: [:], environment: [:], file: CtlConfiguration.parse(file: "language = en\n", name: "f"))
        #expect(fromFile.language == .en)
        let flagWins = try CtlConfiguration.resolve(
            flags: ["language": "de"], environment: ["language": "en"], file: [:])
        #expect(flagWins.language == .de)
        let error = #expect(throws: ConnectionError.self) {
            try CtlConfiguration.resolve(flags: ["language": "fr"], environment: [:], file: [:])
        }
        #expect(error?.text.de == "language: de oder en, nicht fr")
    }
}

/// The help's catalogue: every option has both wordings, and they differ.
@Suite struct CtlHelpTests {
    @Test func everyOptionIsExplainedInBothLanguages() {
        #expect(CtlHelp.options.count == 12)
        for (name, text) in CtlHelp.options {
            #expect(!text.de.isEmpty && text.de != text.en, "\(name)")
        }
        #expect(CtlHelp.abstract.de != CtlHelp.abstract.en && CtlHelp.discussion.de != CtlHelp.discussion.en)
    }

    @Test func theHelpsLanguageComesFromTheFlagThenTheEnvironment() {
        #expect(CtlHelp.language(arguments: ["ctl", "--help"], environment: [:]) == .de)
        #expect(CtlHelp.language(arguments: ["ctl", "--help"], environment: ["SOZIALRAUM_LANGUAGE": "en"]) == .en)
        #expect(
            CtlHelp.language(arguments: ["ctl", "--language=de"], environment: ["SOZIALRAUM_LANGUAGE": "en"]) == .de)
        #expect(CtlHelp.language(arguments: ["ctl", "--language", "EN", "--help"], environment: [:]) == .en)
        #expect(CtlHelp.language(arguments: ["ctl", "--language", "fr"], environment: [:]) == .de)
    }
}
