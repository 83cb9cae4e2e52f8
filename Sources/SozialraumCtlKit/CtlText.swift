/// The language of the client's own texts (issue 32): German, the default, or English (`language` in the
/// config file, `SOZIALRAUM_LANGUAGE`, `--language`). The daemon's replies come in the language of the account.
public enum CtlLanguage: String, Sendable, CaseIterable {
    case de
    case en
}

/// A text of the client, in both languages: a message exists only with its German and its English wording.
public struct CtlText: Sendable, Equatable {
    public let de: String
    public let en: String

    public init(de: String, en: String) {
        self.de = de
        self.en = en
    }

    public func callAsFunction(_ language: CtlLanguage) -> String { language == .de ? de : en }
}

/// The client's texts in one catalogue (`CtlTextTests` checks each German text against its English one).
public enum CtlTexts {
    public static func cannotReadConfig(_ path: String) -> CtlText {
        CtlText(
            de: "die Konfigurationsdatei \(path) ist nicht lesbar", en: "cannot read the config file \(path)")
    }
    public static let connectionClosed = CtlText(
        de: "die Verbindung wurde vom Dienst beendet", en: "connection closed by the daemon")
    public static let connectionClosedDuringUpload = CtlText(
        de: "die Verbindung wurde während des Hochladens vom Dienst beendet",
        en: "connection closed by the daemon during the upload")
    public static func noSecret(_ account: String) -> CtlText {
        CtlText(
            de: "kein Schlüssel für \(account): SOZIALRAUM_SECRET oder secret-file in der Konfiguration setzen",
            en: "no secret for \(account): set SOZIALRAUM_SECRET or secret-file in the config")
    }
    public static let notAFile = CtlText(
        de: "die Antwort ist keine Datei (base64): nichts geschrieben",
        en: "the reply is not a file (base64): nothing written")
    public static func cannotWrite(_ path: String) -> CtlText {
        CtlText(de: "\(path) kann nicht geschrieben werden", en: "cannot write \(path)")
    }
    public static func cannotRead(_ path: String) -> CtlText {
        CtlText(de: "\(path) ist nicht lesbar", en: "cannot read \(path)")
    }
    public static func cannotConnect(_ path: String, _ error: String) -> CtlText {
        CtlText(
            de: "keine Verbindung zu \(path): \(error)", en: "cannot connect to \(path): \(error)")
    }
    public static func cannotConnectTLS(_ host: String, _ port: Int, _ error: String) -> CtlText {
        CtlText(
            de: "keine Verbindung zu \(host):\(port) über TLS: \(error)",
            en: "cannot connect to \(host):\(port) over TLS: \(error)")
    }
    public static let daemonClosed = CtlText(
        de: "der Dienst hat die Verbindung beendet", en: "the daemon closed the connection")
    public static func loginRefused(_ account: String) -> CtlText {
        CtlText(de: "Anmeldung als \(account) abgelehnt", en: "login as \(account) refused")
    }
    public static let notLoggedIn = CtlText(de: "nicht angemeldet", en: "not logged in")
    public static func uploading(_ line: Int, of total: Int) -> CtlText {
        CtlText(
            de: "lade Zeile \(line) von \(total) hoch (\(line * 100 / total) %)",
            en: "uploading \(line) of \(total) lines (\(line * 100 / total) %)")
    }
    public static let waiting = CtlText(de: " – warte auf den Dienst", en: " - waiting for the daemon")
    public static let hostBracketed = CtlText(
        de: "host: erwartet [Adresse]:Port", en: "host: expected [address]:port")
    public static let hostPort = CtlText(de: "host: erwartet Host:Port", en: "host: expected host:port")
    public static let portRange = CtlText(
        de: "host: der Port muss zwischen 1 und 65535 liegen", en: "host: the port must be 1 to 65535")
    public static func expectedKeyValue(_ place: String) -> CtlText {
        CtlText(de: "\(place): erwartet Schlüssel = Wert", en: "\(place): expected key = value")
    }
    public static func unknownKey(_ place: String, _ key: String) -> CtlText {
        CtlText(de: "\(place): unbekannte Einstellung \(key)", en: "\(place): unknown key \(key)")
    }
    public static func noValue(_ place: String, _ key: String) -> CtlText {
        CtlText(de: "\(place): \(key) hat keinen Wert", en: "\(place): \(key) has no value")
    }
    public static func cannotReadSecret(_ path: String) -> CtlText {
        CtlText(
            de: "die Schlüsseldatei \(path) ist nicht lesbar", en: "cannot read the secret file \(path)")
    }
    public static func secretReadableByOthers(_ path: String) -> CtlText {
        CtlText(
            de: "die Schlüsseldatei \(path) ist für andere lesbar; chmod 600 ausführen",
            en: "the secret file \(path) is readable by others; chmod 600 it")
    }
    public static func badLanguage(_ value: String) -> CtlText {
        CtlText(de: "language: de oder en, nicht \(value)", en: "language: de or en, not \(value)")
    }
    public static let tlsSetupFailed = CtlText(de: "TLS-Einrichtung fehlgeschlagen", en: "TLS setup failed")
    public static func cannotReadCA(_ path: String) -> CtlText {
        CtlText(de: "das CA-Zertifikat \(path) ist nicht lesbar", en: "cannot read the CA certificate \(path)")
    }
}
