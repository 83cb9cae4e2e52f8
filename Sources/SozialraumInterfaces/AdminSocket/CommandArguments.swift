import Foundation
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import UUIDText

/// The argument types the commands share: each parses and explains itself once.
enum Arg {
    /// `a, b or c`.
    static func alternatives(_ names: [String]) -> String {
        names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    /// Any word or quoted text.
    static func text(_ name: String, _ display: String? = nil) -> Argument<String> {
        Argument<String>.required(name, display, reason: "missing") { $0 }
    }

    /// A required `name=<text>` (a reason, a name).
    static func textKeyword(
        _ name: String, _ display: String = "<text>", missing: String = "required"
    ) -> Argument<String> {
        Argument<String>.keyword(name, display, reason: "missing", missing: missing) { $0 }
    }

    /// One of fixed words: `accept|reject`.
    static func choice(_ name: String, _ choices: [String]) -> Argument<String> {
        Argument<String>.required(name, choices.joined(separator: "|"), reason: choices.joined(separator: " or ")) {
            choices.contains($0) ? $0 : nil
        }
    }
    /// One of an enumeration's values by its raw name: `<hour|day|flat_month>`.
    static func oneOf<Value: RawRepresentable<String> & CaseIterable & Sendable>(
        _ name: String, _ display: String? = nil, as type: Value.Type = Value.self
    ) -> Argument<Value> {
        let names = Value.allCases.map(\.rawValue)
        return Argument<Value>.required(name, display ?? names.joined(separator: "|"), reason: alternatives(names)) {
            Value(rawValue: $0)
        }
    }
    /// `name=<value>` of an enumeration.
    static func oneOfKeyword<Value: RawRepresentable<String> & CaseIterable & Sendable>(
        _ name: String, as type: Value.Type = Value.self
    ) -> Argument<Value> {
        let names = Value.allCases.map(\.rawValue)
        return Argument<Value>.keyword(name, names.joined(separator: "|"), reason: alternatives(names)) {
            Value(rawValue: $0)
        }
    }

    static var socialSpace: Argument<SocialSpaceCode> {
        Argument<SocialSpaceCode>.required("sozialraum", reason: "a Sozialraum code (a-z, 0-9, '-')") {
            SocialSpaceCode($0)
        }
    }
    static var component: Argument<BudgetComponent> {
        Argument<BudgetComponent>.required("component", reason: "case, milieu or structure") {
            BudgetComponent(rawValue: $0)
        }
    }
    /// A fiscal year.
    static var year: Argument<Int> { integer("year", in: 2000...2199) }

    static func integer(_ name: String, _ display: String? = nil, in range: ClosedRange<Int>) -> Argument<Int> {
        Argument<Int>.required(name, display, reason: "a whole number \(range.lowerBound)...\(range.upperBound)") {
            Int($0).flatMap { range.contains($0) ? $0 : nil }
        }
    }
    /// A record's number (run, statement, order, …): a whole number above zero; `reason` says what it is.
    static func number(_ name: String, _ display: String? = nil, reason: String) -> Argument<Int64> {
        Argument<Int64>.required(name, display, reason: reason) { Int64($0).flatMap { $0 > 0 ? $0 : nil } }
    }
    static var amount: Argument<Money> {
        Argument(syntax: ArgumentSyntax(name: "amount", place: .positional(required: true), usage: "<amount>")) {
            matched throws(ArgumentError) in
            guard let text = matched.values["amount"] else { throw ArgumentError(name: "amount", reason: "missing") }
            do throws(Money.ParseError) { return try Money(parsing: text, decimalComma: text.contains(",")) } catch {
                throw ArgumentError(name: "amount", reason: error.description)
            }
        }
    }
    static var quantity: Argument<Quantity> {
        Argument(syntax: ArgumentSyntax(name: "quantity", place: .positional(required: true), usage: "<quantity>")) {
            matched throws(ArgumentError) in
            guard let text = matched.values["quantity"] else {
                throw ArgumentError(name: "quantity", reason: "missing")
            }
            do throws(Quantity.ParseError) {
                return try Quantity(parsing: text, decimalComma: text.contains(","))
            } catch {
                throw ArgumentError(name: "quantity", reason: error.description)
            }
        }
    }
    static func day(_ name: String, _ display: String? = nil) -> Argument<Day> {
        Argument<Day>.required(name, display, reason: "a date YYYY-MM-DD") { Day(iso: $0) }
    }

    /// `name=<date>`.
    static func dayKeyword(_ name: String, missing: String = "missing") -> Argument<Day> {
        Argument<Day>.keyword(name, "<date>", reason: "a date YYYY-MM-DD", missing: missing) { Day(iso: $0) }
    }
    static var month: Argument<YearMonth> {
        Argument<YearMonth>.required("month", reason: "a month YYYY-MM") { YearMonth(iso: $0) }
    }
    static func id(_ name: String, _ display: String? = nil) -> Argument<UUID> {
        Argument<UUID>.required(name, display, reason: "an id") { UUID(hyphenated: Substring($0)) }
    }
    /// `key=<idempotency-key>`: every command that adds something takes one (issue 29).
    static var key: Argument<IdempotencyKey> {
        Argument<IdempotencyKey>.keyword(
            "key", "<idempotency-key>", reason: "8 to 64 of A-Z a-z 0-9 . _ : -",
            missing: "every change needs key=<idempotency-key>"
        ) { IdempotencyKey($0) }
    }
    /// A provider's code or a tenant id; with `county`, also the word `county` for the caller's county.
    static func tenant(_ name: String = "provider", county: Bool = false) -> Argument<TenantReference> {
        Argument<TenantReference>.required(
            name, reason: county ? "county, a provider code or a tenant id" : "a provider code or a tenant id"
        ) { text in
            if county, text == "county" { return .county }
            if let id = UUID(hyphenated: Substring(text)) { return .id(TenantID(id)) }
            return ProviderCode(text) != nil ? .code(text) : nil
        }
    }
}

extension Arg {
    /// A case's pseudonymous key.
    static var caseKey: Argument<String> { text("case", "<case-key>") }

    static var grantID: Argument<UUID> { id("grant", "<grant-id>") }

    /// `sozialraum=<code>`.
    static var socialSpaceKeyword: Argument<SocialSpaceCode> {
        Argument<SocialSpaceCode>.keyword("sozialraum", "<code>", reason: "a Sozialraum code") { SocialSpaceCode($0) }
    }

    /// `name=<n>`: a whole number in `range`.
    static func integerKeyword(_ name: String, _ display: String, in range: ClosedRange<Int>) -> Argument<Int> {
        Argument<Int>.keyword(name, display, reason: "a whole number \(range.lowerBound)...\(range.upperBound)") {
            Int($0).flatMap { range.contains($0) ? $0 : nil }
        }
    }

    /// `name=<display>`: a volume.
    static func quantityKeyword(_ name: String, _ display: String) -> Argument<Quantity> {
        Argument<Quantity>.keyword(name, display, reason: "a volume (e.g. 12.5) of at most 744") {
            try? Quantity(parsing: $0, decimalComma: $0.contains(","))
        }
    }
}

/// A tenant as a request names it: a provider's code (`awo-verden`) or a tenant id.
enum TenantReference: Sendable, Hashable {
    case id(TenantID)
    case code(String)
    /// The caller's own county (`account-set … county …`, as `sozialraumd user set --tenant county`).
    case county
}

extension Invocation {
    /// The tenant a reference names, looked up as the caller sees them (another provider's code is
    /// `NOT_FOUND`, like an unknown one).
    func tenant(_ reference: TenantReference) async throws -> TenantID {
        switch reference {
        case .id(let id): id
        case .code(let code): try await commands.budget.provider(caller, idOrCode: code)
        case .county: account.tenant
        }
    }
}
