import Foundation
import SozialraumDomain

/// The county's calendar: dates are days in Europe/Berlin, whatever the server's time zone.
/// The domain has no clock; the interfaces ask this one and pass the day in.
public enum CountyCalendar {
    public static let timeZone = TimeZone(identifier: "Europe/Berlin")!

    /// The day `date` falls on in Verden.
    public static func day(of date: Date) -> Day {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return Day(year: parts.year!, month: parts.month!, day: parts.day!)!
    }

    @Sendable public static func today() -> Day { day(of: Date()) }
}
