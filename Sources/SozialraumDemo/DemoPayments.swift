import SozialraumDomain
import SozialraumServices

/// The demo county's payments: two signing accounts, the Kontierung of every line and the providers'
/// creditor numbers, so that its instalments go the four-eyes way like a real county's.
extension DemoLoader {
    /// The demo's two signing accounts (a random secret nobody knows; county IT may give them tokens).
    public static let certifyingAccount = "feststellung"
    public static let orderingAccount = "anordnung"

    func preparePayments(
        _ plan: DemoPlan, county: TenantID, countyCaller: Caller, providers providerIDs: [TenantID]
    )
        async throws -> (certifier: Caller, orderer: Caller)
    {
        let (certifier, orderer) = try await signingAccounts(county: county)
        // Two people on every payment: the demo's Feststellung and Anordnung, with the Kontierung the
        // Kasse needs (Produkt 363 Kinder- und Jugendhilfe) and the providers' creditor numbers.
        for (index, space) in plan.socialSpaces.enumerated() {
            for component in BudgetComponent.allCases {
                for kind in [PaymentOrderKind.instalment, .settlement] {
                    try await services.paymentOrders.setFinanceMapping(
                        countyCaller, year: plan.year, socialSpace: space.code, component: component, kind: kind,
                        mapping: FinanceMapping(
                            product: "36300", account: kind == .instalment ? "53310000" : "53310100",
                            costCentre: "SR\(index + 1)-\(component.rawValue.prefix(1).uppercased())"))
                }
            }
        }
        for (index, provider) in providerIDs.enumerated() {
            try await services.paymentOrders.setCreditorNumber(
                countyCaller, provider: provider, number: String(70000 + index + 1))
        }
        return (certifier, orderer)
    }

    func signingAccounts(county: TenantID) async throws -> (certifier: Caller, orderer: Caller) {
        for (name, right) in [(Self.certifyingAccount, CountyRight.certify), (Self.orderingAccount, .order)] {
            if try await services.accounts.account(named: name) == nil {
                try await services.accounts.setAccount(
                    name: name, tenant: county, role: .county, secret: AccountService.generateToken(),
                    actingAs: county, rights: [right])
            }
        }
        return (
            Caller(tenant: county, role: .county, name: Self.certifyingAccount, rights: [.certify]),
            Caller(tenant: county, role: .county, name: Self.orderingAccount, rights: [.order])
        )
    }
}
