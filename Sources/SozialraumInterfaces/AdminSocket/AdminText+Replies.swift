import SozialraumDomain
import SozialraumServices

/// What commands report on success, in both languages (the catalogue's second part; `AdminText.swift` has the
/// protocol's and the session's texts).
extension AdminText {
    // MARK: The money's daily work

    /// What the first signer is told: the order waits for a second account.
    static func certified(_ order: CertifiedOrder) -> Text {
        Text(
            de:
                "Anordnung \(order.orderID) festgestellt\(order.alreadyPending ? " (schon zuvor)" : ""): \(order.amount), "
                + "wartet auf die zweite Unterschrift (order-approve \(order.orderID)) bis \(order.expiresOn)",
            en: "order \(order.orderID) certified\(order.alreadyPending ? " already" : ""): \(order.amount), "
                + "waits for a second signature (order-approve \(order.orderID)) until \(order.expiresOn)")
    }
    static func delivered(_ outcome: GrantService.DeliveryOutcome) -> Text {
        let held = outcome.excess.hundredths > 0
        return Text(
            de: "Leistung \(outcome.deliveryID) Kosten \(outcome.cost)"
                + (held ? " zurückgehalten \(outcome.excess) (Feststellung)" : ""),
            en: "delivery \(outcome.deliveryID) cost \(outcome.cost)"
                + (held ? " held back \(outcome.excess) (finding)" : ""))
    }
    static func imported(_ outcome: DeliveryImport.Outcome) -> Text {
        Text(
            de: "eingelesen: \(outcome.deliveries) Leistungen, \(outcome.bookings) Buchungen, "
                + "\(outcome.findings) Feststellungen, zusammen \(outcome.total)",
            en:
                "imported \(outcome.deliveries) deliveries, \(outcome.bookings) bookings, \(outcome.findings) findings, "
                + "total \(outcome.total)")
    }
    static func monthClosed(_ month: YearMonth) -> Text {
        Text(de: "Monat \(month) abgeschlossen", en: "period \(month) closed")
    }
    static func findingDecided(accepted: Bool) -> Text {
        accepted
            ? Text(de: "Feststellung anerkannt", en: "finding accepted")
            : Text(de: "Feststellung abgelehnt", en: "finding rejected")
    }
    static func ordersListed(_ count: Int, ordered: Money, paid: Money) -> Text {
        Text(
            de: "\(count) Anordnungen; angeordnet \(ordered), von der Kasse gezahlt \(paid)",
            en: "\(count) orders; ordered \(ordered), paid by the Kasse \(paid)")
    }
    static func ordered(_ ordered: PaymentOrderService.Ordered) -> Text {
        let bookings = ordered.bookingIDs.map(String.init).joined(separator: ",")
        if let applied = ordered.applied {
            return Text(
                de: "Anordnung \(ordered.orderID) erteilt: \(applied)",
                en: "order \(ordered.orderID) ordered: \(applied)")
        }
        guard let kassenzeichen = ordered.kassenzeichen, let due = ordered.due else {
            return Text(
                de: "Anordnung \(ordered.orderID) erteilt: \(ordered.amount) Buchungen \(bookings) "
                    + "(gezahlt mit der nächsten Abrechnung)",
                en:
                    "order \(ordered.orderID) ordered: \(ordered.amount) bookings \(bookings) (paid with the next statement)"
            )
        }
        return Text(
            de: "Anordnung \(ordered.orderID) erteilt: \(ordered.amount) Kassenzeichen \(kassenzeichen) fällig \(due) "
                + "Buchungen \(bookings)",
            en: "order \(ordered.orderID) ordered: \(ordered.amount) kassenzeichen \(kassenzeichen) due \(due) "
                + "bookings \(bookings)")
    }
    static func orderRejected(_ id: Int64) -> Text {
        Text(de: "Anordnung \(id) abgelehnt", en: "order \(id) rejected")
    }
    static func statementIssued(_ document: StatementDocument) -> Text {
        Text(
            de: "Abrechnung \(document.id) ausgestellt: Abgleich \(document.runID), \(document.items) Positionen, "
                + "Saldo \(document.balance), sha256 \(document.contentHash)",
            en: "statement \(document.id) issued: run \(document.runID), \(document.items) items, balance "
                + "\(document.balance), sha256 \(document.contentHash)")
    }
    static func statementWithdrawn(_ document: StatementDocument) -> Text {
        Text(
            de:
                "Abrechnung \(document.id) zurückgezogen; für Abgleich \(document.runID) kann eine neue ausgestellt werden",
            en: "statement \(document.id) withdrawn; a new one may be issued for run \(document.runID)")
    }
    static func settlement(_ amount: Money, due: String) -> Text {
        Text(de: "Ausgleich \(amount) (\(due)): ", en: "settlement \(amount) (\(due)): ")
    }
    static func yearEnd(_ year: Int) -> Text { Text(de: "Jahresabschluss \(year): ", en: "year end \(year): ") }
    static func appropriation(_ line: String) -> Text {
        Text(de: "Ansatz \(line): ", en: "appropriation \(line): ")
    }
    static func appropriationSet(_ line: String) -> Text {
        Text(de: "Ansatz \(line) gesetzt", en: "appropriation \(line) set")
    }

    // MARK: Case work

    static func caseOpened(_ id: String) -> Text { Text(de: "Fall \(id)", en: "case \(id)") }
    static let moved = Text(de: "Umzug erfasst", en: "moved")
    /// A grant (or a standing agreement, `agreement`) and what it binds per month; `overruns`: lines it runs over.
    /// (An amendment that binds nothing more says so: `nothing`.)
    static func granted(
        _ id: String, committed: String, overruns: String = "", agreement: Bool = false, amended: Bool = false
    ) -> Text {
        let none = amended && committed.isEmpty
        return Text(
            de: (agreement ? "Rahmenvereinbarung" : "Bewilligung") + " \(id) bindet " + (none ? "nichts" : committed)
                + (overruns.isEmpty ? "" : " OVERRUN \(overruns)"),
            en: (agreement ? "agreement" : "grant") + " \(id) committed " + (none ? "nothing" : committed)
                + (overruns.isEmpty ? "" : " OVERRUN \(overruns)"))
    }
    static let grantEnded = Text(de: "Bewilligung beendet", en: "grant ended")
    static let reasonRecorded = Text(de: "Begründung erfasst", en: "reason recorded")

    // MARK: Accounts

    static func rightsSet(_ rights: String) -> Text { Text(de: "Rechte \(rights) gesetzt", en: "rights \(rights) set") }
    static func changeRequested(_ change: AccountService.PendingChange) -> Text {
        let rights = CountyRight.list(change.rights)
        return Text(
            de:
                "Rechte \(rights) beantragt\(change.alreadyPending ? " (schon zuvor)" : ""): Änderung \(change.id) wartet "
                + "auf einen zweiten Inhaber von accounts (account-approve \(change.id)) bis \(change.expiresOn)",
            en: "rights \(rights) requested\(change.alreadyPending ? " already" : ""): change \(change.id) waits for a "
                + "second holder of accounts (account-approve \(change.id)) until \(change.expiresOn)")
    }
    static func changeApproved(_ id: Int64, _ account: String, _ rights: String) -> Text {
        Text(
            de: "Änderung \(id) genehmigt: \(account) hat \(rights)",
            en: "change \(id) approved: \(account) holds \(rights)")
    }
    static func changeRejected(_ id: Int64) -> Text {
        Text(de: "Änderung \(id) abgelehnt", en: "change \(id) rejected")
    }
    static func accountDisabled(_ name: String) -> Text {
        Text(de: "Konto \(name) gesperrt", en: "account \(name) disabled")
    }
    static func accountEnabled(_ name: String) -> Text {
        Text(de: "Konto \(name) freigegeben", en: "account \(name) enabled")
    }
    static func certificatePinned(_ label: String) -> Text {
        Text(
            de: "Zertifikat \(label) hinterlegt: Anmeldungen im Portal nur noch mit einem hinterlegten",
            en: "certificate \(label) pinned: portal logins only with a pinned one from now on")
    }
    static let certificateUnpinned = Text(de: "Zertifikat entfernt", en: "certificate unpinned")
    static func factorRemoved(_ name: String) -> Text {
        Text(de: "zweiter Faktor von \(name) entfernt", en: "second factor of \(name) removed")
    }
    static func limits(_ name: String, limit: Money?, scope: [SocialSpaceCode]?) -> Text {
        let spaces = scope.map { $0.map(\.rawValue).joined(separator: ", ") }
        return Text(
            de: "Konto \(name) ordnet an bis \(limit?.description ?? "zu jedem Betrag") für "
                + (spaces ?? "jeden Sozialraum"),
            en: "account \(name) orders up to \(limit?.description ?? "any amount") for "
                + (spaces ?? "every Sozialraum"))
    }

    // MARK: Data protection

    static func held(_ key: String) -> Text { Text(de: "Fall \(key) gesperrt (Löschsperre)", en: "case \(key) held") }
    static func holdLifted(_ key: String) -> Text {
        Text(de: "Löschsperre von Fall \(key) aufgehoben", en: "case \(key) no longer held")
    }
    static func restricted(_ key: String, _ ground: String) -> Text {
        Text(de: "Fall \(key) eingeschränkt (\(ground))", en: "case \(key) restricted (\(ground))")
    }
    static func restrictionLifted(_ key: String) -> Text {
        Text(de: "Einschränkung von Fall \(key) aufgehoben", en: "case \(key) no longer restricted")
    }
    static func records(_ count: Int, _ key: String) -> Text {
        Text(de: "\(count) Datensätze zu Fall \(key)", en: "\(count) records of case \(key)")
    }
    static func rekeyed(_ key: String, _ newKey: String) -> Text {
        Text(de: "Fall \(key) heißt jetzt \(newKey)", en: "case \(key) is now \(newKey)")
    }
    static let nothingDue = Text(
        de: "nichts fällig: kein Fall hat seine Löschregel erreicht",
        en: "nothing due: no case is past its deletion rule")

    // MARK: Listings

    /// `12 grants`: how many rows a listing has, the rows' noun in German from `nouns`.
    static func counted(_ count: Int, _ noun: String) -> Text {
        Text(de: "\(count) \(nouns[noun] ?? noun)", en: "\(count) \(noun)")
    }

    /// The nouns of listings' replies (`AdminTextTests` finds every one used).
    static let nouns: [String: String] = [
        "accounts": "Konten",
        "agreements": "Rahmenvereinbarungen",
        "assignments": "Zuordnungen",
        "batches": "Stapel",
        "bookings": "Buchungen",
        "certificates": "Zertifikate",
        "changes": "Änderungen",
        "statistics mappings": "Zuordnungen zur Statistik",
        "cross-area grants": "sozialraumübergreifende Bewilligungen",
        "due": "fällig",
        "entries": "Einträge",
        "erasure orders": "Löschanordnungen",
        "events": "Ereignisse",
        "findings": "Feststellungen",
        "grants": "Bewilligungen",
        "help types": "Hilfearten",
        "holds": "Löschsperren",
        "jobs": "Aufträge",
        "lines": "Zeilen",
        "mappings": "Kontierungen",
        "metrics": "Messwerte",
        "projects": "Projekte",
        "rates": "Entgelte",
        "restrictions": "Einschränkungen",
        "rows": "Zeilen",
        "runs": "Abgleiche",
        "schedules": "Zeitpläne",
        "sessions": "Sitzungen",
        "sozialraeume": "Sozialräume",
        "statements": "Abrechnungen",
        "tenants": "Mandanten",
        "years": "Haushaltsjahre",
    ]

    // MARK: Registers, Kasse, scheduler, operations

    static func yearOpened(_ year: Int, policy: String, share: String, carryForward: Bool, pools: String) -> Text {
        Text(
            de: "Haushaltsjahr \(year) eröffnet: 12 Monate, Regel \(policy), Trägeranteil \(share), "
                + "Haushaltsrest \(carryForward ? "ja" : "nein"), Deckungsringe \(pools)",
            en: "year \(year) open: 12 months, policy \(policy), provider share \(share), "
                + "carry-forward \(carryForward ? "yes" : "no"), pools \(pools)")
    }
    static func scheduleSet(_ name: String, paused: Bool, skipped: Int) -> Text {
        Text(
            de: "Zeitplan \(name) gesetzt"
                + (paused
                    ? " (noch pausiert; resume plant seine Termine)" : "; \(skipped) ungeplante Termine ausgelassen"),
            en: "schedule \(name) set"
                + (paused ? " (still paused; resume to plan its slots)" : "; \(skipped) unplanned slots skipped"))
    }
    static func batchVerified(_ id: Int64, bytes: Int) -> Text {
        Text(
            de: "Stapel \(id): die Datei ist die signierte (\(bytes) Bytes)",
            en: "batch \(id): the file is the one signed (\(bytes) bytes)")
    }

    static func batchExported(_ b: PaymentBatch) -> Text {
        Text(
            de:
                "Stapel \(b.id): \(b.orders) Anordnungen, Summe \(b.total), \(b.content.count) Bytes \(b.encoding.rawValue), sha256 \(b.sha256)",
            en:
                "batch \(b.id): \(b.orders) orders, total \(b.total), \(b.content.count) bytes \(b.encoding.rawValue), sha256 \(b.sha256)"
        )
    }
    static func mappingSet(_ what: String) -> Text {
        Text(de: "Kontierung \(what) gesetzt", en: "finance mapping \(what) set")
    }
    static func creditorSet(_ provider: String) -> Text {
        Text(de: "Kreditorennummer von \(provider) gesetzt", en: "creditor number of \(provider) set")
    }
    static func overrunDecided(_ id: Int64, _ kind: String, findings: Int) -> Text {
        Text(
            de: "Entscheidung \(id) über die Überschreitung (\(kind)), \(findings) Feststellungen entschieden",
            en: "overrun decision \(id) (\(kind)), \(findings) findings decided")
    }
    static func overrunsListed(_ decisions: Int, undecided: Int) -> Text {
        Text(
            de: "\(decisions) Entscheidungen, \(undecided) Überschreitungen ohne Entscheidung",
            en: "\(decisions) decisions, \(undecided) undecided overruns")
    }
    static func yearEndPreview(_ run: Int64, sameAs: Int64?, year: Int) -> Text {
        Text(
            de:
                "Abgleich \(run)\(sameAs.map { " (wie Abgleich \($0))" } ?? ""); anwenden mit: year-end-confirm \(year) \(run)",
            en: "run \(run)\(sameAs.map { " (same as run \($0))" } ?? ""); apply with: year-end-confirm \(year) \(run)")
    }
    static func sharesOrdered(_ year: Int) -> Text {
        Text(
            de: "Jahresabschluss \(year): jeder Anteil hat seine Anordnung",
            en: "year end \(year): every share has its order")
    }
    static func sharesCertified(_ year: Int, _ orders: [(Int64, Money)]) -> Text {
        Text(
            de: "Jahresabschluss \(year): Anteile festgestellt: "
                + orders.map { "Anordnung \($0.0) (\($0.1))" }.joined(separator: ", ")
                + ", jede wartet auf die zweite Unterschrift (order-approve)",
            en: "year end \(year): shares certified: "
                + orders.map { "order \($0.0) (\($0.1))" }.joined(separator: ", ")
                + ", each waits for a second signature (order-approve)")
    }
    static func populationSet(_ year: Int, _ space: String, _ count: Int) -> Text {
        Text(de: "Einwohner \(year) \(space) \(count)", en: "population \(year) \(space) \(count)")
    }
    static func providerRegistered(_ code: String, _ id: String) -> Text {
        Text(de: "Träger \(code) \(id)", en: "provider \(code) \(id)")
    }
    static func providerRenamed(_ provider: String) -> Text {
        Text(de: "Träger \(provider) umbenannt", en: "provider \(provider) renamed")
    }
    static func cooperation(_ provider: String, endsAfter day: String?) -> Text {
        Text(
            de: day.map { "Zusammenarbeit mit \(provider) endet nach dem \($0)" }
                ?? "Zusammenarbeit mit \(provider) geht weiter",
            en: day.map { "cooperation of \(provider) ends after \($0)" } ?? "cooperation of \(provider) goes on")
    }
    static func sozialraumDefined(_ code: String, municipalities: Int, from: String) -> Text {
        Text(
            de: "Sozialraum \(code) mit \(municipalities) Gemeinden ab \(from)",
            en: "sozialraum \(code) with \(municipalities) municipalities from \(from)")
    }
    static func assigned(_ provider: String, _ space: String, lead: Bool, from: String, to: String?) -> Text {
        Text(
            de: "\(provider) betreut \(space) \(lead ? "federführend" : "als Mitglied") ab \(from)"
                + (to.map { " bis \($0)" } ?? ""),
            en: "\(provider) serves \(space) as \(lead ? "lead" : "member") from \(from)"
                + (to.map { " to \($0)" } ?? ""))
    }
    static func unassigned(_ provider: String, _ space: String, until day: String) -> Text {
        Text(de: "\(provider) betreut \(space) bis \(day)", en: "\(provider) serves \(space) until \(day)")
    }
    static func appropriationsImported(_ year: Int, lines: Int, total: Money) -> Text {
        Text(
            de: "Ansätze \(year): \(lines) Zeilen, Summe \(total)",
            en: "appropriations \(year): \(lines) lines, total \(total)")
    }
    static func carryForwardSet(_ line: String, _ amount: Money) -> Text {
        Text(de: "Haushaltsrest \(line) \(amount)", en: "carry-forward \(line) \(amount)")
    }
    static func rateAdded(_ helpType: String, _ unit: String, _ amount: Money, from: String) -> Text {
        Text(
            de: "Entgelt \(helpType) \(unit) \(amount) ab \(from)",
            en: "rate \(helpType) \(unit) \(amount) from \(from)")
    }
    static func projectCreated(_ id: String) -> Text {
        Text(de: "Projekt \(id)", en: "project \(id)")
    }
    static func projectEnds(_ id: String, _ day: String) -> Text {
        Text(de: "Projekt \(id) endet am \(day)", en: "project \(id) ends \(day)")
    }
    static func reversed(_ booking: Int64) -> Text {
        Text(de: "Storno \(booking)", en: "reversal \(booking)")
    }
    static func booked(_ booking: Int64, overrun: Money?) -> Text {
        Text(
            de: "Buchung \(booking)" + (overrun.map { " OVERRUN \($0)" } ?? ""),
            en: "booking \(booking)" + (overrun.map { " OVERRUN \($0)" } ?? ""))
    }
    static func schedulePaused(_ name: String) -> Text {
        Text(de: "Zeitplan \(name) pausiert", en: "schedule \(name) paused")
    }
    static func scheduleResumed(_ name: String, queued: Int, skipped: Int) -> Text {
        Text(
            de: "Zeitplan \(name) fortgesetzt; Termine der Pause: \(queued) eingereiht, \(skipped) ausgelassen",
            en: "schedule \(name) resumed; slots of the pause: \(queued) queued, \(skipped) skipped")
    }
    static func jobQueued(_ id: Int64) -> Text {
        Text(de: "Auftrag \(id) eingereiht", en: "job \(id) queued")
    }
    static func backfilled(_ name: String, queued: Int, existing: Int) -> Text {
        Text(
            de: "Zeitplan \(name) nachgeholt: \(queued) Termine eingereiht, \(existing) hatten schon einen Lauf",
            en: "schedule \(name) backfilled: \(queued) slots queued, \(existing) had a run already")
    }
    static func jobRetried(_ id: Int64) -> Text {
        Text(de: "Auftrag \(id) erneut eingereiht für seinen Termin", en: "job \(id) queued again for its own slot")
    }
    static func jobCancelled(_ id: Int64, stopped: Bool) -> Text {
        Text(
            de: stopped ? "Auftrag \(id) abgebrochen" : "Auftrag \(id) zum Anhalten aufgefordert",
            en: stopped ? "job \(id) cancelled" : "job \(id) asked to stop")
    }
    static func reloadRequested() -> Text {
        Text(de: "Neuladen angefordert", en: "reload requested")
    }
    static func logLevel(_ level: String) -> Text {
        Text(
            de: "Protokollschwelle \(level) bis zum nächsten Neuladen oder Neustart",
            en: "log level \(level) until the next reload or restart")
    }
    static func loggedOut() -> Text {
        Text(de: "abgemeldet", en: "logged out")
    }
    static func format(_ format: String) -> Text {
        Text(de: "Format \(format)", en: "format \(format)")
    }
    static func residenceCorrected(
        _ key: String, from day: String, _ space: String, deliveries: Int, rebooked: String
    ) -> Text {
        Text(
            de:
                "Wohnort von Fall \(key) ab \(day) ist \(space); \(deliveries) Leistungen (\(rebooked)) storniert und neu gebucht",
            en:
                "residence of case \(key) from \(day) is \(space); \(deliveries) deliveries (\(rebooked)) reversed and booked again"
        )
    }
    static func confirmationsImported(_ o: PaymentOrderService.Confirmations) -> Text {
        Text(
            de:
                "\(o.lines) Bestätigungen: \(o.paid) gezahlt, \(o.partlyPaid) teilweise gezahlt, \(o.returned) zurückgekommen, \(o.overpaid) überzahlt, \(o.unknown) unbekannt, \(o.findings) Feststellungen",
            en:
                "\(o.lines) confirmations: \(o.paid) paid, \(o.partlyPaid) partly paid, \(o.returned) returned, \(o.overpaid) overpaid, \(o.unknown) unknown, \(o.findings) findings"
        )
    }
}
