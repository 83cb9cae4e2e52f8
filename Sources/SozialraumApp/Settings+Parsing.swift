import Configuration
import Foundation
import Logging
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumStore
import SystemPackage

/// How the values of `payments.*`, peer accounts, schedules and addresses are read and checked.
extension Settings {
    /// `payments.*`: the four-eyes deadline, the due day, the Kassenzeichen and the Kasse's file layout.
    static func payments(
        string: (String, String) throws -> String, integer: (String, Int, ClosedRange<Int>) throws -> Int
    ) throws -> PaymentSettings {
        var payments = PaymentSettings()
        payments.pendingDays = try integer("payments.pendingDays", payments.pendingDays, 1...90)
        payments.dueAfterDays = try integer("payments.dueAfterDays", payments.dueAfterDays, 0...60)
        let prefix = try string("payments.kassenzeichenPrefix", payments.kassenzeichenPrefix)
        guard (0...12).contains(prefix.count), prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw Invalid(key: "payments.kassenzeichenPrefix", reason: "0 to 12 letters or digits")
        }
        payments.kassenzeichenPrefix = prefix
        let columns = try string("payments.exportColumns", "")
        if !columns.isEmpty {
            var layout: [PaymentFile.Column] = []
            for name in columns.split(separator: ",") {
                guard let column = PaymentFile.Column(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw Invalid(
                        key: "payments.exportColumns",
                        reason: "unknown column \(name); known: "
                            + PaymentFile.Column.allCases.map(\.rawValue).joined(separator: ", "))
                }
                layout.append(column)
            }
            guard layout.contains(.kassenzeichen), layout.contains(.amount) else {
                throw Invalid(key: "payments.exportColumns", reason: "must contain kassenzeichen and amount")
            }
            payments.exportColumns = layout
        }
        let encoding = try string("payments.exportEncoding", payments.exportEncoding.rawValue)
        guard let chosen = PaymentFile.Encoding(rawValue: encoding.lowercased()) else {
            throw Invalid(key: "payments.exportEncoding", reason: "utf-8 or windows-1252")
        }
        payments.exportEncoding = chosen
        let threshold = try string("payments.councilThreshold", payments.councilThreshold.description)
        guard let amount = try? Money(parsing: threshold), amount.cents >= 0 else {
            throw Invalid(key: "payments.councilThreshold", reason: "an amount like 50000.00")
        }
        payments.councilThreshold = amount
        let change = try string("payments.appropriationThreshold", payments.appropriationThreshold.description)
        guard let limit = try? Money(parsing: change), limit.cents >= 0 else {
            throw Invalid(key: "payments.appropriationThreshold", reason: "an amount like 10000.00")
        }
        payments.appropriationThreshold = limit
        // The key itself is never logged or shown: only the file's path is configuration.
        let keyFile = try string("payments.signingKeyFile", "")
        if !keyFile.isEmpty {
            guard let pem = try? String(contentsOfFile: keyFile, encoding: .utf8) else {
                throw Invalid(key: "payments.signingKeyFile", reason: "cannot read \(keyFile)")
            }
            do throws(BatchSignature.KeyError) { payments.signingKey = try BatchSignature.privateKey(pem: pem) } catch {
                throw Invalid(key: "payments.signingKeyFile", reason: error.description)
            }
        }
        return payments
    }

    /// `127.0.0.1:7443` → ("127.0.0.1", 7443); `[::1]:7443` → ("::1", 7443).
    public static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// `1000=kaemmerei,0=it` → [1000: "kaemmerei", 0: "it"].
    static func parsePeerAccounts(_ text: String) throws -> [UInt32: String] {
        var result: [UInt32: String] = [:]
        for pair in text.split(separator: ",") where !pair.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let uid = UInt32(parts[0]), !parts[1].isEmpty else {
                throw Invalid(key: "admin.peerAccounts", reason: "expected uid=account pairs separated by commas")
            }
            result[uid] = parts[1]
        }
        return result
    }

    /// `nightly=30 2 * * *|reconcile|month-to-date|latest;…` → schedules, each checked like `schedule-set`.
    static func parseSchedules(_ text: String) throws -> [ScheduleRecord] {
        func invalid(_ reason: String) -> Invalid { Invalid(key: "scheduler.schedules", reason: reason) }
        var result: [ScheduleRecord] = []
        for entry in text.split(separator: ";") where !entry.trimmingCharacters(in: .whitespaces).isEmpty {
            let nameAndRest = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard nameAndRest.count == 2 else {
                throw invalid("expected name=cron|job|parameters|missed entries separated by ';'")
            }
            let name = nameAndRest[0]
            guard name.range(of: "^[a-z][a-z0-9-]{1,39}$", options: .regularExpression) != nil else {
                throw invalid("bad schedule name '\(name)'")
            }
            let fields = nameAndRest[1].split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard (2...4).contains(fields.count) else { throw invalid("\(name): expected cron|job|parameters|missed") }
            do { _ = try CronSchedule(parsing: fields[0]) } catch { throw invalid("\(name): \(error.description)") }
            let job = fields[1]
            guard StandardJobs.kinds.contains(job) else { throw invalid("\(name): unknown job '\(job)'") }
            let parameters = fields.count > 2 ? fields[2] : ""
            if job == "reconcile", !StandardJobs.reconcileScopes.contains(parameters) {
                throw invalid(
                    "\(name): parameters must be one of \(StandardJobs.reconcileScopes.joined(separator: ", "))")
            }
            guard let missed = MissedRunPolicy(rawValue: fields.count > 3 ? fields[3] : "latest") else {
                throw invalid("\(name): missed must be all, latest or skip")
            }
            guard !result.contains(where: { $0.name == name }) else { throw invalid("\(name) given twice") }
            result.append(
                ScheduleRecord(name: name, cron: fields[0], job: job, parameters: parameters, missedPolicy: missed))
        }
        return result
    }

    /// swift-configuration reports a missing key and an unconvertible value alike by throwing; only
    /// a missing key falls back to the default.
}

extension Settings {
    /// The portal's address and, when it serves TLS itself, its certificate and key.
    public var portalListener: (host: String, port: Int, tls: AdminSocketConfiguration.TLSListener?)? {
        Self.hostAndPort(portalListen).map {
            (
                $0.host, $0.port,
                portalTLSCertificate.isEmpty
                    ? nil
                    : AdminSocketConfiguration.TLSListener(
                        host: $0.host, port: $0.port, certificateChainPath: portalTLSCertificate,
                        privateKeyPath: portalTLSPrivateKey,
                        clientAuthorityPath: portalClientCA.isEmpty ? nil : portalClientCA)
            )
        }
    }
}

extension Settings {
    /// Refuses a file that is not a JSON object of known keys, naming the first unknown key.
    static func checkFileKeys(_ file: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw Invalid(key: "(file)", reason: "cannot read \(file)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Invalid(key: "(file)", reason: "\(file) is not a JSON object")
        }
        let known = Set(keys)
        func walk(_ object: [String: Any], prefix: String) throws {
            for (name, value) in object.sorted(by: { $0.key < $1.key }) {
                let key = prefix.isEmpty ? name : "\(prefix).\(name)"
                if let nested = value as? [String: Any], !known.contains(key) {
                    try walk(nested, prefix: key)
                } else if !known.contains(key) {
                    throw Invalid(key: key, reason: "unknown setting")
                }
            }
        }
        try walk(object, prefix: "")
    }
}
