import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Milieu and structure projects (Projektlandschaft). The county creates them for a provider.
public enum ProjectStore {
    public struct Record: Sendable, Equatable {
        public var id: UUID
        public var provider: TenantID
        public var title: String
        public var socialSpace: SocialSpaceCode
        public var component: BudgetComponent
        public var period: DayRange
        public var budget: Money
        public var volunteers: Int
        public var professionals: Int
        /// Spent before go-live (a migrated project; the amount is in the opening balance, sql/0028).
        public var spentBeforeGoLive: Money = .zero

        public init(
            id: UUID, provider: TenantID, title: String, socialSpace: SocialSpaceCode, component: BudgetComponent,
            period: DayRange,
            budget: Money, volunteers: Int, professionals: Int
        ) {
            self.id = id
            self.provider = provider
            self.title = title
            self.socialSpace = socialSpace
            self.component = component
            self.period = period
            self.budget = budget
            self.volunteers = volunteers
            self.professionals = professionals
        }
    }

    public static func insert(_ tx: TenantTransaction, _ project: Record) async throws {
        try await tx.execute(
            """
            INSERT INTO project (id, tenant_id, title, social_space, component, starts_on, ends_on, budget, volunteers,
                                 professionals, spent_before_go_live)
            VALUES (\(project.id), \(project.provider.uuid), \(project.title), \(project.socialSpace.rawValue), \(project.component.rawValue), \(project.period.start), \(project.period.end), \(project.budget.cents), \(project.volunteers), \(project.professionals), \(project.spentBeforeGoLive.cents))
            """)
    }

    /// The project where it matters for spending: whose, where, on which line, when.
    public static func project(
        _ tx: TenantTransaction, id: UUID
    ) async throws -> (provider: TenantID, socialSpace: SocialSpaceCode, component: BudgetComponent, period: DayRange)?
    {
        guard
            let row = try await tx.query(
                "SELECT tenant_id, social_space, component, starts_on, ends_on FROM project WHERE id = \(id)"
            ).first
        else { return nil }
        guard let period = DayRange(start: try row.day("starts_on"), end: try row.day("ends_on")) else {
            throw PostgresError(
                code: .decodingFailed, serverMessage: "project ends before it starts", operation: "decode")
        }
        return (
            TenantID(try row.decode("tenant_id", as: UUID.self)),
            try row.decode("social_space", as: SocialSpaceCode.self),
            try row.decode("component", as: BudgetComponent.self),
            period
        )
    }
}
