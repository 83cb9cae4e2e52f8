import Foundation
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Testing

@testable import SozialraumInterfaces

/// The command specs (issue 34): each command declared once, and the parser, usage and `help` taken from
/// them. Pure: no database, no socket.
@Suite struct CommandSpecTests {
    static func request(_ line: String) throws -> Request { try Request.parse(line[...]) }

    static func match(_ line: String, _ command: String) throws -> MatchedArguments {
        try MatchedArguments(request(line), AdminCommands.byName[command]!.arguments)
    }

    static func refusal(_ line: String, _ command: String) -> ArgumentError? {
        do {
            _ = try match(line, command)
            return nil
        } catch { return error as? ArgumentError }
    }

    @Test func everyCommandThatAddsTakesAKeyAndNoOtherDoes() {
        for command in AdminCommands.all {
            let key = command.arguments.contains { $0.name == "key" && $0.place == .keyword(required: true) }
            #expect(key == (command.changes == .withKey), "\(command.name)")
        }
    }

    @Test func argumentNamesAreUniquePerCommandAndNamesAreUnique() {
        for command in AdminCommands.all {
            let names = command.arguments.map(\.name)
            #expect(Set(names).count == names.count, "\(command.name): \(names)")
        }
        #expect(Set(AdminCommands.all.map(\.name)).count == AdminCommands.all.count)
    }

    @Test func theUsageIsTheNameThenTheArgumentsInOrder() {
        #expect(AdminCommands.byName["funds"]?.usage == "funds <sozialraum> <year>")
        #expect(
            AdminCommands.byName["deliver"]?.usage == "deliver <grant-id> <month> <quantity> key=<idempotency-key>")
        #expect(AdminCommands.byName["appropriation-import"]?.usage == "appropriation-import <year> <<")
        #expect(AdminCommands.byName["grants-due"]?.usage == "grants-due [weeks]")
    }

    @Test func wordsKeywordsAndPositionalsAreMatchedByName() throws {
        let matched = try Self.match("migration-import dry-run 2027-01-01 key=abcdefgh12", "migration-import")
        #expect(matched.values == ["go-live": "2027-01-01", "dry-run": "dry-run", "key": "abcdefgh12"])
        // `format=` is every command's.
        #expect(try Self.match("funds nord 2026 format=csv", "funds").values == ["sozialraum": "nord", "year": "2026"])
        #expect(
            try Self.match("sozialraum-define nord Nord 2026-01-01 a:A b:B", "sozialraum-define").rest == [
                "a:A", "b:B",
            ])
    }

    @Test func aMissingAWrongAndAnExtraArgumentAreNamed() {
        #expect(Self.refusal("funds nord", "funds").map { "\($0.name): \($0.reason)" } == "year: missing")
        #expect(
            Self.refusal("funds nord 2026 2027", "funds").map { "\($0.name): \($0.reason)" }
                == "2027: unexpected argument")
        // A keyword the command does not take is refused, not silently dropped (a typo of reason= loses nothing).
        #expect(
            Self.refusal("funds nord 2026 resaon=x", "funds").map { "\($0.name): \($0.reason)" }
                == "resaon: unknown keyword")
        #expect(Self.refusal("sozialraum-define nord Nord 2026-01-01", "sozialraum-define")?.name == "municipality")
    }

    @Test func helpListsWhatTheAccountMayRunByRoleAndRight() {
        let approve = AdminCommands.byName["order-approve"]!
        let county = Account(name: "k", tenant: TenantID(.init()), role: .county, rights: [.caseWork, .certify])
        #expect(!approve.isAvailable(to: county))
        #expect(approve.isAvailable(to: Account(name: "o", tenant: county.tenant, role: .county, rights: [.order])))
        #expect(!approve.isAvailable(to: Account(name: "p", tenant: county.tenant, role: .provider)))
        #expect(!approve.isAvailable(to: nil))
        #expect(AdminCommands.byName["ping"]!.isAvailable(to: nil))
        // Reading needs no right: an auditor sees the orders.
        #expect(
            AdminCommands.byName["orders"]!.isAvailable(to: Account(name: "a", tenant: county.tenant, role: .auditor)))
    }
}
