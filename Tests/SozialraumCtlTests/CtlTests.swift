import Foundation
import SozialraumCtlKit
import Testing

@Suite struct LineEditorTests {
    /// Feeds text (as the terminal sends it) and returns the events.
    @discardableResult
    func type(_ editor: inout LineEditor, _ bytes: [UInt8]) -> [LineEditor.Event] {
        bytes.map { editor.feed($0) }
    }

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func typingAndEnterSubmitTheLine() {
        var editor = LineEditor()
        let events = type(&editor, bytes("funds nord 2026\r"))
        #expect(events.last == .submit("funds nord 2026"))
        #expect(editor.line.isEmpty && editor.cursor == 0)
    }

    @Test func umlautsArriveAsOneCharacterAndInvalidBytesAreDropped() {
        var editor = LineEditor()
        type(&editor, bytes("Dörverden"))
        #expect(editor.line == "Dörverden" && editor.cursor == 9)
        // A lone continuation byte and a truncated sequence followed by ASCII insert nothing wrong.
        type(&editor, [0x80, 0xc3, 0x41])
        #expect(editor.line == "Dörverden")
        type(&editor, bytes("!"))
        #expect(editor.line == "Dörverden!")
        // Backspace removes the whole ö (two bytes, one character).
        var short = LineEditor()
        type(&short, bytes("Dö") + [0x7f])
        #expect(short.line == "D")
    }

    @Test func cursorMovesAndEditsInTheMiddle() {
        var editor = LineEditor()
        type(&editor, bytes("funds 2026"))
        // ← four times (ESC [ D), then insert.
        for _ in 0..<4 { type(&editor, [0x1b, 0x5b, 0x44]) }
        type(&editor, bytes("nord "))
        #expect(editor.line == "funds nord 2026")
        // Home, Delete (ESC [ 3 ~), End, Backspace.
        type(&editor, [0x1b, 0x5b, 0x48, 0x1b, 0x5b, 0x33, 0x7e])
        #expect(editor.line == "unds nord 2026" && editor.cursor == 0)
        type(&editor, [0x05, 0x7f])
        #expect(editor.line == "unds nord 202" && editor.cursor == 13)
        // Ctrl-A, Ctrl-F, Ctrl-K keeps one character; Ctrl-E; Ctrl-U empties.
        type(&editor, [0x01, 0x06, 0x0b])
        #expect(editor.line == "u")
        type(&editor, bytes("x y  z"))
        type(&editor, [0x17])
        #expect(editor.line == "ux y  ")
        type(&editor, [0x17])
        #expect(editor.line == "ux ")
        type(&editor, [0x15])
        #expect(editor.line.isEmpty && editor.cursor == 0)
    }

    @Test func renderingPutsTheCursorBack() {
        var editor = LineEditor()
        type(&editor, bytes("abc") + [0x1b, 0x5b, 0x44, 0x1b, 0x5b, 0x44])
        #expect(editor.rendering(prompt: "alpha@t> ") == "\ralpha@t> abc\u{1b}[K\u{1b}[2D")
        type(&editor, [0x05])
        #expect(editor.rendering(prompt: "> ") == "\r> abc\u{1b}[K")
    }

    @Test func historyWalksBackAndForthAndKeepsTheDraft() {
        var editor = LineEditor(history: ["ping", "status"])
        type(&editor, bytes("fun"))
        type(&editor, [0x1b, 0x5b, 0x41])
        #expect(editor.line == "status")
        type(&editor, [0x10])
        #expect(editor.line == "ping")
        #expect(editor.feed(0x10) == .none)
        type(&editor, [0x1b, 0x5b, 0x42, 0x0e])
        #expect(editor.line == "fun")
        // A submitted line joins the history once; a secret never does.
        type(&editor, bytes("ds nord 2026\r"))
        type(&editor, bytes("funds nord 2026\r"))
        type(&editor, bytes("login alpha s3cret-token\r"))
        #expect(editor.history == ["ping", "status", "funds nord 2026"])
    }

    @Test func controlKeysEndOrAbandonTheLine() {
        var editor = LineEditor()
        #expect(editor.feed(0x04) == .endOfInput)
        type(&editor, bytes("abc"))
        #expect(editor.feed(0x03) == .interrupt)
        #expect(editor.line.isEmpty)
        type(&editor, bytes("ab") + [0x01])
        // Ctrl-D on a non-empty line deletes under the cursor.
        #expect(editor.feed(0x04) == .redraw && editor.line == "b")
        #expect(editor.feed(0x0c) == .clearScreen)
        // Other control bytes and unknown escape sequences change nothing.
        type(&editor, [0x07, 0x1b, 0x5b, 0x32, 0x30, 0x30, 0x7e, 0x1b, 0x5b, 0x31, 0x3b, 0x35, 0x5a])
        #expect(editor.line == "b")
    }
}

@Suite struct HistoryFileTests {
    @Test func savedOwnerOnlyAndLoadedWithoutSecrets() throws {
        let directory = NSTemporaryDirectory() + "sozialraumctl-\(UUID().uuidString.prefix(8))"
        let path = directory + "/state/sozialraum/history"
        History.save(["ping", "login alpha secret-token", "funds nord 2026"], to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(History.load(path) == ["ping", "funds nord 2026"])
        #expect(!(try String(contentsOfFile: path, encoding: .utf8)).contains("secret"))
        try FileManager.default.removeItem(atPath: directory)
    }

    @Test func theHistoryIsBounded() {
        var editor = LineEditor(history: (0..<History.limit).map { "ping \($0)" })
        _ = Array("status\r".utf8).map { editor.feed($0) }
        #expect(
            editor.history.count == History.limit && editor.history.last == "status" && editor.history.first == "ping 1"
        )
    }
}

@Suite struct CtlConfigurationTests {
    @Test func flagsBeatTheEnvironmentWhichBeatsTheFile() throws {
        let file = try CtlConfiguration.parse(
            file:
                "# county\nhost = admin.kreis-verden.de:7443\nca = /etc/ca.pem\naccount = alpha\nformat = csv-de  # for Excel\n",
            name: "ctl.conf")
        var settings = try CtlConfiguration.resolve(flags: [:], environment: [:], file: file)
        #expect(
            settings.endpoint == .tls(host: "admin.kreis-verden.de", port: 7443, ca: "/etc/ca.pem", serverName: nil))
        #expect(settings.account == "alpha" && settings.format == "csv-de")
        settings = try CtlConfiguration.resolve(
            flags: [:], environment: ["socket": "/run/s.sock", "account": "beta"], file: file)
        #expect(settings.endpoint == .unix(path: "/run/s.sock") && settings.account == "beta")
        settings = try CtlConfiguration.resolve(
            flags: ["host": "[::1]:9000", "format": "jsonl"], environment: ["socket": "/run/s.sock"], file: file)
        #expect(
            settings.endpoint == .tls(host: "::1", port: 9000, ca: "/etc/ca.pem", serverName: nil)
                && settings.format == "jsonl")
        settings = try CtlConfiguration.resolve(flags: ["host": "sozialraum"], environment: [:], file: [:])
        #expect(
            settings.endpoint == .tls(host: "sozialraum", port: CtlConfiguration.defaultPort, ca: nil, serverName: nil))
        #expect(
            try CtlConfiguration.resolve(flags: [:], environment: [:], file: [:]).endpoint
                == .unix(path: CtlConfiguration.defaultSocket))
    }

    /// Issue 30: a bare `sozialraumctl …` on an installed host reaches the installed daemon: the host's
    /// file is read after the user's, and without any the installed socket is used when it exists.
    @Test func anInstalledHostNeedsNoSocketFlag() throws {
        let system = try CtlConfiguration.parse(
            file: "socket = /run/sozialraum-verden/admin.sock\nformat = csv-de\n",
            name: "/etc/sozialraum/sozialraumctl.conf")
        var settings = try CtlConfiguration.resolve(flags: [:], environment: [:], file: [:], systemFile: system)
        #expect(settings.endpoint == .unix(path: "/run/sozialraum-verden/admin.sock"))
        #expect(settings.format == "csv-de")
        // The user's own file and the environment come first.
        settings = try CtlConfiguration.resolve(
            flags: [:], environment: [:], file: ["host": "kreis:7443", "format": "jsonl"], systemFile: system)
        #expect(settings.endpoint == .tls(host: "kreis", port: 7443, ca: nil, serverName: nil))
        #expect(settings.format == "jsonl")
        settings = try CtlConfiguration.resolve(
            flags: [:], environment: [:], file: [:], systemFile: [:], installedSocketExists: true)
        #expect(settings.endpoint == .unix(path: "/run/sozialraum/admin.sock"))
        settings = try CtlConfiguration.resolve(
            flags: [:], environment: [:], file: [:], systemFile: [:], installedSocketExists: false)
        #expect(settings.endpoint == .unix(path: ".sozialraum/admin.sock"))
    }

    @Test func theEnvironmentIsReadByItsNames() {
        let source = CtlConfiguration.source(environment: [
            "SOZIALRAUM_HOST": "h:1", "SOZIALRAUM_SECRET": "x", "SOZIALRAUM_FORMAT": "", "PATH": "/bin",
        ])
        #expect(source == ["host": "h:1", "secret": "x"])
    }

    @Test(arguments: [
        ("hots = x:1", "unknown key hots"), ("host x:1", "expected key = value"), ("ca =", "ca has no value"),
    ])
    func aBrokenConfigFileIsRefusedWithTheLine(text: String, message: String) {
        let error = #expect(throws: ConnectionError.self) {
            try CtlConfiguration.parse(file: "account = a\n" + text, name: "c.conf")
        }
        #expect(error?.description == "c.conf:2: " + message)
    }

    @Test(arguments: ["host:0", "host:70000", "host:x", ":80", "[::1]x", "a:b:c"])
    func badAddressesAreRefused(address: String) {
        #expect(throws: ConnectionError.self) {
            try CtlConfiguration.resolve(flags: ["host": address], environment: [:], file: [:])
        }
    }

    @Test func aSecretComesFromTheEnvironmentOrAnOwnerOnlyFile() throws {
        let path = NSTemporaryDirectory() + "sozialraumctl-secret-\(UUID().uuidString.prefix(8))"
        try "token-from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let open = #expect(throws: ConnectionError.self) {
            try CtlConfiguration.resolve(flags: [:], environment: [:], file: ["secret-file": path])
        }
        #expect(open?.description.contains("chmod 600") == true)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(
            try CtlConfiguration.resolve(flags: [:], environment: [:], file: ["secret-file": path]).secret
                == "token-from-file")
        #expect(
            try CtlConfiguration.resolve(flags: [:], environment: ["secret": "env"], file: ["secret-file": path]).secret
                == "env")
    }
}
