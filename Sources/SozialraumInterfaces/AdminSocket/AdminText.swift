import SozialraumDomain
import SozialraumProtocol
import SozialraumServices

/// A text people read, in both languages: a message exists only with its German and its English wording
/// (issue 32, item 1). Codes and status words (`OK`, `ERR FORBIDDEN`) are not texts: they stay as they are.
struct Text: Sendable, Equatable {
    let de: String
    let en: String

    func callAsFunction(_ language: Language) -> String { language == .de ? de : en }

    /// Two texts one after the other.
    static func + (first: Text, second: Text) -> Text { Text(de: first.de + second.de, en: first.en + second.en) }
}

/// The admin socket's own texts — the protocol's and the session's refusals, the framing of a use case's
/// refusal, login and help — in one catalogue, not strings in handlers. `AdminTextTests` checks each
/// German text against its English one.
enum AdminText {
    // MARK: Protocol and session

    static func lineTooLong(_ limit: Int) -> Text {
        Text(de: "Zeile länger als \(limit) Bytes", en: "line longer than \(limit) bytes")
    }
    static let notUTF8 = Text(de: "kein UTF-8", en: "not UTF-8")
    static let timeout = Text(de: "Zeit abgelaufen; Verbindung wird beendet", en: "timeout; closing")
    static func malformed(_ reason: String) -> Text {
        Text(de: "Anfrage nicht lesbar: \(reason)", en: reason)
    }
    static func uploadTooLarge(_ limit: Int) -> Text {
        Text(
            de: "Datei größer als \(limit) Bytes; nichts importiert",
            en: "upload larger than \(limit) bytes; nothing imported")
    }
    static let uploadsFull = Text(
        de: "der Dienst hält so viele Dateien, wie er darf; nichts importiert; bitte später erneut",
        en: "the daemon holds as many uploads as it may; nothing imported; try again later")
    static func uploadNotStored(_ reference: String) -> Text {
        Text(
            de: "der Dienst kann die Datei jetzt nicht ablegen; nichts importiert (Ref. \(reference))",
            en: "the daemon cannot store the upload now; nothing imported (ref \(reference))")
    }
    static let tooManySessionsOfAccount = Text(
        de: "zu viele Sitzungen dieses Kontos", en: "too many sessions of this account")
    static let tooManySessions = Text(
        de: "zu viele Sitzungen; bitte später erneut", en: "too many sessions; try again later")
    static let logInBeforeUploading = Text(de: "vor dem Hochladen anmelden", en: "log in before uploading")
    static func unknownCommand(_ name: String, hint: Bool) -> Text {
        Text(
            de: "unbekannter Befehl \(name)" + (hint ? "; siehe help" : ""),
            en: "unknown command \(name)" + (hint ? "; try help" : ""))
    }
    static let accountNotLookedUp = Text(
        de: "Datenbank nicht erreichbar: Ihr Konto konnte nicht nachgeschlagen werden; bitte erneut",
        en: "database unavailable: your account could not be looked up; try again")
    static let logInFirst = Text(
        de: "bitte zuerst anmelden (login <name> <schlüssel>)", en: "log in first (login <name> <secret>)")
    static func notForRole(_ command: String, _ role: Role) -> Text {
        Text(
            de: "\(command) ist nicht für die Rolle \(role.rawValue)", en: "\(command) is not for role \(role.rawValue)"
        )
    }
    static func takesNoUpload(_ command: String) -> Text {
        Text(de: "\(command) nimmt keine Datei", en: "\(command) takes no upload")
    }
    static let closing = Text(de: "; Verbindung wird beendet", en: "; closing")
    static let sessionEnded = Text(
        de: "Ihre Sitzung ist beendet (Schlüssel erneuert oder Konto gesperrt); bitte neu anmelden",
        en: "your session ended (token rotated or account disabled); log in again")
    static let accountNotChecked = Text(
        de: "Datenbank nicht erreichbar: Ihr Konto konnte nicht geprüft werden; bitte erneut",
        en: "database unavailable: your account could not be checked; try again")
    static let accountChanged = Text(
        de: "Ihr Konto hat sich geändert; bitte erneut", en: "your account changed; try again")
    static func accountChangedWhileRunning(_ reference: String) -> Text {
        Text(
            de: "Ihr Konto hat sich während des Befehls geändert; bitte erneut (Ref. \(reference))",
            en: "your account changed while the command ran; try again (ref \(reference))")
    }
    static func stopping(_ reference: String) -> Text {
        Text(
            de: "der Dienst wird beendet; der Befehl wurde abgebrochen (Ref. \(reference))",
            en: "the daemon is stopping; the command was cancelled (ref \(reference))")
    }
    static func databaseUnavailable(_ reference: String) -> Text {
        Text(
            de: "Datenbank nicht erreichbar; bitte erneut (Ref. \(reference))",
            en: "database unavailable; try again (ref \(reference))")
    }
    static func internalError(_ reference: String) -> Text {
        Text(de: "interner Fehler (Ref. \(reference))", en: "internal error (ref \(reference))")
    }
    static func invalidArgument(_ name: String, _ reason: String) -> Text {
        Text(de: "ungültige Angabe \(name): \(ArgumentReasons.text(reason).de)", en: "\(name): \(reason)")
    }
    static func invalidAmount(_ detail: String) -> Text {
        Text(de: "ungültiger Betrag: \(detail)", en: "invalid amount: \(detail)")
    }

    // MARK: Login, help, language

    static func loggedIn(_ name: String, _ role: Role) -> Text {
        Text(
            de: "angemeldet als \(name) Rolle=\(role.rawValue)", en: "logged in as \(name) role=\(role.rawValue)")
    }
    static let locked = Text(
        de: "zu viele fehlgeschlagene Anmeldungen; bitte später erneut",
        en: "too many failed logins; try again later")
    static let loginFailed = Text(de: "Name oder Schlüssel falsch", en: "wrong name or secret")
    static func noCommandForYou(_ name: String) -> Text {
        Text(de: "kein Befehl \(name) für Sie", en: "no command \(name) for you")
    }
    static func commands(_ count: Int) -> Text { Text(de: "\(count) Befehle", en: "\(count) commands") }
    static func language(_ language: Language, saved: Bool) -> Text {
        let de = language == .de ? "Deutsch" : "Englisch"
        let en = language == .de ? "German" : "English"
        return Text(
            de: "Sprache \(de)" + (saved ? ", für Ihr Konto gespeichert" : ""),
            en: "language \(en)" + (saved ? ", kept for your account" : ""))
    }
    static func languageDefault(_ language: Language) -> Text {
        Text(
            de: "Sprache des Kreises (\(language == .de ? "Deutsch" : "Englisch"))",
            en: "the county's language (\(language == .de ? "German" : "English"))")
    }

    // MARK: A use case's refusal

    /// The framing of a use case's refusal. What the use case names (the field, the reason) is its own text.
    static func refusal(_ error: ServiceError) -> Text {
        switch error {
        case .forbidden(let what): Text(de: "nicht erlaubt: \(ServiceReasons.forbidden(what))", en: error.description)
        case .notFound(let what): Text(de: "unbekannt: \(ServiceReasons.notFound(what))", en: error.description)
        case .invalid(let field, let reason):
            Text(de: "ungültig: \(field): \(ServiceReasons.reason(reason))", en: error.description)
        case .periodClosed(let month): Text(de: "der Monat \(month) ist abgeschlossen", en: error.description)
        case .duplicate(let what): Text(de: "schon erfasst: \(ServiceReasons.reason(what))", en: error.description)
        case .idempotencyConflict:
            Text(
                de: "der Schlüssel (key=) wurde schon für eine andere Anfrage verwendet", en: error.description)
        case .refusedOverrun(let component, let shortfall):
            Text(
                de: "abgelehnt: Mittel im Budgetbereich \(component.rawValue) erschöpft (es fehlen \(shortfall))",
                en: error.description)
        case .conflict(let reason): Text(de: "nicht möglich: \(ServiceReasons.reason(reason))", en: error.description)
        case .rejectedRows(let rows):
            Text(de: "\(rows.count) Zeilen abgelehnt, nichts importiert", en: error.description)
        }
    }

    /// A refused row of an import: its line, field and reason.
    static func row(_ row: RowError) -> Text {
        Text(de: "Zeile \(row.line): \(row.field): \(RowReasons.german(row.reason))", en: row.description)
    }
}

extension Reply {
    /// A refusal with `code` and the text in `language`.
    static func error(_ code: ErrorCode, _ text: Text, _ language: Language, data: [String] = []) -> Reply {
        .error(code, text(language), data: data)
    }
}

extension AdminSession {
    /// The reply to a use case's refusal: its code, and its text in the session's language.
    static func reply(for error: ServiceError, _ language: Language = .en) -> Reply {
        let code: ErrorCode =
            switch error {
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .invalid: .invalid
            case .periodClosed: .periodClosed
            case .duplicate: .duplicate
            case .idempotencyConflict: .idempotencyConflict
            case .refusedOverrun: .refusedOverrun
            case .conflict: .conflict
            case .rejectedRows: .rejectedRows
            }
        let rows =
            if case .rejectedRows(let rows) = error { rows.map { AdminText.row($0)(language) } } else { [String]() }
        return .error(code, AdminText.refusal(error), language, data: rows)
    }
}

/// A use case's refusal in German, as the socket words it: for the portal's pages, one catalogue for both.
public enum Refusals {
    public static func german(_ error: ServiceError) -> String { AdminText.refusal(error).de }
}
