import SozialraumDomain
import SozialraumServices

/// The summaries of the erasure orders, the migration and the payment batches' checks, in both languages
/// (issue 32, item 1): one line that says what happened, with its figures.
extension AdminText {
    /// `erasure order 3 certified: 120 cases due under 10 years on 2037-01-04, certified by a, …`.
    static func erasureOrder(_ order: ErasureOrder) -> Text {
        let state = ServiceReasons.erasureStates[order.state.rawValue] ?? order.state.rawValue
        var de =
            "Löschanordnung \(order.id) \(state): \(order.cases) Fälle fällig nach \(order.years) Jahren am \(order.dueOn)"
        var en =
            "erasure order \(order.id) \(order.state.rawValue): \(order.cases) cases due under \(order.years) years on \(order.dueOn)"
        if let certifiedBy = order.certifiedBy {
            de += ", festgestellt von \(certifiedBy)"
            en += ", certified by \(certifiedBy)"
        }
        if let decidedBy = order.decidedBy {
            de += order.state == .rejected ? ", abgelehnt von \(decidedBy)" : ", angeordnet von \(decidedBy)"
            en += ", \(order.state == .rejected ? "rejected" : "ordered") by \(decidedBy)"
        }
        if order.state == .ordered || order.state == .done {
            de += ", gelöscht \(order.erased), behalten \(order.kept)"
            en += ", erased \(order.erased), kept \(order.kept)"
        }
        return Text(de: de, en: en)
    }

    static func erasureRun(_ order: ErasureOrder, erased: Int, kept: Int) -> Text {
        erasureOrder(order)
            + Text(
                de: "; dieser Lauf hat \(erased) gelöscht, \(kept) behalten",
                en: "; this run erased \(erased), kept \(kept)")
    }

    static func erasureUndecided(_ order: ErasureOrder) -> Text {
        let state = ServiceReasons.erasureStates[order.state.rawValue] ?? order.state.rawValue
        return Text(
            de: "Löschanordnung \(order.id) ist \(state): zuerst über sie entscheiden",
            en: "erasure order \(order.id) is \(order.state.rawValue): decide it first")
    }

    /// What a migration wrote, or (dry) would write.
    static func migrated(_ summary: MigrationService.Summary, dryRun: Bool) -> Text {
        let s = summary
        return Text(
            de: (dryRun ? "Probelauf, nichts geschrieben: würde übernehmen: " : "übernommen: ")
                + "Träger \(s.providers), Sozialräume \(s.memberships), Zuordnungen \(s.assignments), "
                + "Entgelte \(s.rates), Ansätze \(s.appropriations) (\(s.appropriated)), Fälle \(s.cases), "
                + "Bewilligungen \(s.grants) (gebunden \(s.committed)), Projekte \(s.projects), "
                + "Eröffnungsbuchungen \(s.openings) (\(s.opening))",
            en: (dryRun ? "dry run, nothing written: would migrate " : "migrated ") + s.description)
    }

    static func batchUnsigned(_ id: Int64) -> Text {
        Text(
            de: "der Stapel \(id) wurde unsigniert ausgegeben (payments.signingKeyFile)",
            en: "batch \(id) was exported unsigned (payments.signingKeyFile)")
    }
    static let batchesUnsigned = Text(
        de: "Stapel werden nicht signiert: payments.signingKeyFile setzen",
        en: "batches are not signed: set payments.signingKeyFile")
    static func batchNotTheSigned(_ id: Int64) -> Text {
        Text(
            de: "Stapel \(id): die Datei ist nicht die signierte (geändert oder beschädigt)",
            en: "batch \(id): the file is not the one signed (edited or damaged)")
    }

    static func reportDocument(_ kind: String, _ year: Int) -> Text {
        Text(de: "Bericht \(kind) \(year) (HTML)", en: "report \(kind) \(year) (HTML)")
    }
    static func cashStatistics(_ year: Int, positions: Int, paid: Money, findings: Int) -> Text {
        Text(
            de:
                "KJH-Statistik Teil IV \(year): \(positions) Positionen, ausgezahlt \(paid), Feststellungen \(findings)",
            en: "KJH statistics part IV \(year): \(positions) positions, paid \(paid), findings \(findings)")
    }
    static func mappingImported(_ year: Int, keys: Int) -> Text {
        Text(
            de: "Zuordnung \(year) gesetzt: \(keys) Hilfe- und Projektarten",
            en: "mapping of \(year) set: \(keys) help types and project kinds")
    }
    static func committeeReport(_ year: Int, quarter: Int?, run: Int64, rows: Int) -> Text {
        let de = quarter.map { "\($0). Quartal \(year)" } ?? "Jahr \(year)"
        let en = quarter.map { "\(year) Q\($0)" } ?? "\(year)"
        return Text(
            de: "Bericht für den Jugendhilfeausschuss, \(de), aus Abgleich \(run): \(rows) Zahlen",
            en: "report to the Jugendhilfeausschuss, \(en), from run \(run): \(rows) figures")
    }
}
