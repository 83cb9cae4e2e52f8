import Foundation
import Logging
import SozialraumDomain
import SozialraumServices
import SozialraumTestSupport
import Testing

@testable import SozialraumInterfaces

/// The right a command's spec declares (what `help` and docs/protocol.md show) is the right its use case
/// enforces: sent by a county account holding every other right, each such command is refused for that
/// right; and no command without a declared right is refused for a right (issue 34). Through the real
/// socket, with arguments that parse, so that the use case's own check answers.
@Suite struct DeclaredRightsTests {
    /// A value that parses for each argument name the specs use; the use case refuses before it looks any up.
    static let sample: [String: String] = [
        "sozialraum": "nord", "year": "2026", "component": "case", "amount": "1.00", "month": "2026-03",
        "quantity": "1", "volume": "1", "date": "2026-03-01", "from": "2026-03-01", "start": "2026-03-01",
        "end": "2026-12-31", "last-day": "2026-12-31", "go-live": "2027-01-01", "case": "RT-0001",
        "help-type": "hze-30", "unit": "hour", "name": "jemand", "tenant": "county", "role": "county",
        "rights": "case", "change": "1", "run": "1", "earlier-run": "1", "later-run": "2", "order": "1",
        "batch": "1", "statement": "1", "job": "1", "booking": "1", "schedule": "monthly",
        "cron": "\"0 6 1 * *\"", "to": "2026-03-31", "code": "neu", "provider": "alpha", "lead": "lead",
        "kind": "instalment",
        "decision": "reject", "reason": "Grund", "title": "Projekt", "limit": "none", "sozialraeume": "all",
        "young-inhabitants": "100", "from-year": "2026", "creditor-number": "K-1", "produkt": "p",
        "sachkonto": "s", "kostenstelle": "k", "municipality": "nord:Nord", "budget": "100.00",
        "level": "info", "format": "csv", "view": "totals", "part": "lines", "scope": "2026",
        "fingerprint": String(repeating: "ab", count: 32), "label": "PC", "report": "kjh-teil4",
    ]

    static func line(for command: AdminCommand, key: String, provider: String) -> String {
        var sample = sample
        sample["provider"] = provider
        if command.name == "schedule-set" { sample["job"] = "reconcile" }
        var words = [command.name]
        for argument in command.arguments {
            switch argument.place {
            case .positional(required: true), .rest:
                if ["grant", "project", "finding"].contains(argument.name) {
                    words.append(UUID().uuidString.lowercased())
                } else {
                    words.append(sample[argument.name] ?? "x")
                }
            case .keyword(required: true):
                words.append(
                    "\(argument.name)=" + (argument.name == "key" ? key : "\"\(sample[argument.name] ?? "x")\""))
            default: break
            }
        }
        return words.joined(separator: " ") + (command.takesUpload ? " <<" : "")
    }

    @Test func theDeclaredRightIsTheEnforcedRight() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let shell = AccountService(store: admin.world.store, logger: Logger(label: "test.accounts"), scryptRounds: 1024)
        var clients: [CountyRight: LineClient] = [:]
        for missing in CountyRight.allCases {
            // `order` and `accounts` are never held together: the account without one holds the other.
            var rights = Set(CountyRight.allCases).subtracting([missing])
            if missing != .order, missing != .accounts { rights.remove(.accounts) }
            try await shell.setAccount(
                name: "ohne-\(missing.rawValue)", tenant: admin.world.county.tenant, role: .county,
                secret: "ohne-\(missing.rawValue)-secret-1234", actingAs: admin.world.county.tenant, rights: rights)
            let client = try LineClient(path: admin.path)
            #expect(
                await client.request("login ohne-\(missing.rawValue) ohne-\(missing.rawValue)-secret-1234")?.status
                    == "OK logged in as ohne-\(missing.rawValue) role=county")
            clients[missing] = client
        }
        var checked = 0
        for (index, command) in AdminCommands.all.enumerated() where command.roles?.contains(.county) == true {
            // Each command is sent by an account lacking its right, or (none declared) lacking `order` and by
            // one lacking `accounts`: neither may be refused for a right the spec does not name.
            let senders: [CountyRight] = command.right.map { [$0] } ?? [.order, .accounts]
            for sender in senders {
                let client = clients[sender]!
                let line = Self.line(
                    for: command, key: "declared-right-\(index)-\(sender.rawValue)",
                    provider: admin.world.alpha.tenant.description)
                let status: String
                if command.takesUpload {
                    client.send(line + "\nsozialraum,component,amount\n.\n")
                    status = await client.reply()?.status ?? "no answer"
                } else {
                    status = await client.request(line)?.status ?? "no answer"
                }
                #expect(!status.hasPrefix("ERR INVALID"), "\(line): \(status)")
                let refusedForRight = status.hasPrefix("ERR FORBIDDEN") && status.contains("needs the right")
                if let right = command.right {
                    #expect(
                        refusedForRight && status.hasSuffix("needs the right \(right.rawValue)"), "\(line): \(status)")
                } else if command.name != "order-reject" {
                    // order-reject takes either `order` or `certify`: neither alone is its right.
                    #expect(!refusedForRight, "\(line): \(status)")
                }
                checked += 1
            }
        }
        #expect(checked > 60)
    }
}
