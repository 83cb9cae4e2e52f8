/// The client's `--help`, in both languages (issue 32, item 1): the summary, the examples and each option's
/// text. The language is known before the arguments are parsed — `--language` among the arguments, else
/// `SOZIALRAUM_LANGUAGE`, else German; the parser's own words (USAGE, OPTIONS) stay as it writes them.
public enum CtlHelp {
    /// The language of the help, from the raw arguments and the environment.
    public static func language(arguments: [String], environment: [String: String]) -> CtlLanguage {
        var value = environment["SOZIALRAUM_LANGUAGE"]
        for (index, argument) in arguments.enumerated() {
            if argument == "--language", index + 1 < arguments.count { value = arguments[index + 1] }
            if argument.hasPrefix("--language=") { value = String(argument.dropFirst("--language=".count)) }
        }
        return value.flatMap { CtlLanguage(rawValue: $0.lowercased()) } ?? .de
    }

    public static let abstract = CtlText(de: "Verwaltungsclient für sozialraumd.", en: "Admin client for sozialraumd.")

    public static let discussion = CtlText(
        de: """
            Beispiele:
              sozialraumctl funds achim-oyten 2026
              sozialraumctl --format csv-de bookings 2026-10 > buchungen.csv
              sozialraumctl --upload leistungen.csv import-deliveries key=import-2026-10
              sozialraumctl --save stapel-7.csv payment-batch 7   (die Datei der Kasse, Byte für Byte)
              sozialraumctl check                    (Nagios/Icinga: eine Zeile, Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)
              sozialraumctl --host sozialraum.example:7443 --ca ca.pem --login alpha whoami   (TLS; Schlüssel in SOZIALRAUM_SECRET)
              sozialraumctl < anfragen.txt           (eine Anfrage je Zeile)
              sozialraumctl                          (im Dialog, wenn die Eingabe ein Terminal ist)
            Einstellungen: Optionen, dann SOZIALRAUM_*-Variablen, dann die Konfigurationsdatei
            (~/.config/sozialraum/sozialraumctl.conf), dann /etc/sozialraum/sozialraumctl.conf. Siehe docs/protocol.md.
            """,
        en: """
            Examples:
              sozialraumctl funds achim-oyten 2026
              sozialraumctl --format csv-de bookings 2026-10 > buchungen.csv
              sozialraumctl --upload deliveries.csv import-deliveries key=import-2026-10
              sozialraumctl --save stapel-7.csv payment-batch 7   (the Kasse's file, byte for byte)
              sozialraumctl check                    (Nagios/Icinga: one line, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)
              sozialraumctl --host sozialraum.example:7443 --ca ca.pem --login alpha whoami   (TLS; secret in SOZIALRAUM_SECRET)
              sozialraumctl < requests.txt           (one request per line)
              sozialraumctl                          (interactive, when stdin is a terminal)
            Settings: flags, then SOZIALRAUM_* variables, then the config file
            (~/.config/sozialraum/sozialraumctl.conf), then /etc/sozialraum/sozialraumctl.conf. See docs/protocol.md.
            """)

    /// Each option's text, by the option's name.
    public static let options: [String: CtlText] = [
        "socket": CtlText(
            de:
                "Pfad des Verwaltungs-Sockets (Umgebung SOZIALRAUM_SOCKET; sonst /run/sozialraum/admin.sock, wenn es ihn gibt, sonst .sozialraum/admin.sock).",
            en:
                "Path of the admin socket (env SOZIALRAUM_SOCKET; default /run/sozialraum/admin.sock when it exists, else .sozialraum/admin.sock)."
        ),
        "host": CtlText(
            de: "TLS-Verwaltungsport als Host:Port (Umgebung SOZIALRAUM_HOST); das Konto meldet sich an.",
            en: "TLS admin port as host:port (env SOZIALRAUM_HOST); the account logs in."),
        "ca": CtlText(
            de:
                "PEM-Datei der Zertifizierungsstelle, die das Zertifikat des Dienstes signiert hat (Umgebung SOZIALRAUM_CA; sonst die Wurzeln des Systems).",
            en: "PEM file of the CA that signed the daemon's certificate (env SOZIALRAUM_CA; default: system roots)."),
        "server-name": CtlText(
            de: "Name, den das Zertifikat des Dienstes tragen muss, wenn er vom Host abweicht.",
            en: "Name the daemon's certificate must carry, when it differs from the host."),
        "config": CtlText(
            de: "Konfigurationsdatei (Umgebung SOZIALRAUM_CTL_CONFIG).", en: "Config file (env SOZIALRAUM_CTL_CONFIG)."),
        "format": CtlText(
            de: "Ausgabeformat: table, csv, csv-de (Excel, deutsche Spalten), jsonl.",
            en: "Output format: table, csv, csv-de, jsonl."),
        "language": CtlText(
            de: "Sprache der eigenen Meldungen des Clients: de (Vorgabe) oder en (Umgebung SOZIALRAUM_LANGUAGE).",
            en: "Language of the client's own messages: de (default) or en (env SOZIALRAUM_LANGUAGE)."),
        "login": CtlText(
            de: "Als dieses Konto anmelden (der Schlüssel aus SOZIALRAUM_SECRET oder einer Schlüsseldatei).",
            en: "Log in as this account (the secret from SOZIALRAUM_SECRET or a secret file)."),
        "upload": CtlText(
            de:
                "Eine Datei, die als Dateiblock der Anfrage gesendet wird (CSV-Importe); ein Verzeichnis: die Dateien einer Datenübernahme.",
            en: "A file sent as the upload block of the request (CSV imports); a directory: a migration's files."),
        "save": CtlText(
            de:
                "Die Daten der Antwort in diese Datei schreiben statt sie anzuzeigen: eine als base64 gesendete Datei (payment-batch) Byte für Byte, jede andere Antwort als ihre Zeilen (z. B. --format csv-de issued-statement 17 items).",
            en:
                "Write the reply's data to this file instead of printing it: a file sent as base64 (payment-batch) byte for byte, any other reply as its lines (e.g. --format csv-de issued-statement 17 items)."
        ),
        "command": CtlText(
            de: "Eine zu sendende Anfrage (statt einzelner Wörter).",
            en: "A request to send (instead of positional words)."),
        "words": CtlText(
            de: "Die Anfrage als Wörter, z. B. funds achim-oyten 2026.",
            en: "The request as words, e.g. funds achim-oyten 2026."),
    ]
}
