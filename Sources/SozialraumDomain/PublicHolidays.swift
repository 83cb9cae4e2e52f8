/// Public holidays (gesetzliche Feiertage) of Lower Saxony, the county's Land: the working-day rules of
/// the cron expressions (`LW`, `nW`) skip them, as the county's staff and its Kasse do.
public enum PublicHolidays {
    /// Neujahr, Karfreitag, Ostermontag, Tag der Arbeit, Christi Himmelfahrt, Pfingstmontag, Tag der
    /// Deutschen Einheit, Reformationstag (in 2017, its 500th year, and every year since 2018), 1. and 2.
    /// Weihnachtstag.
    public static func lowerSaxony(year: Int) -> Set<Day> {
        var days: Set<Day> = []
        for (month, day) in [(1, 1), (5, 1), (10, 3), (12, 25), (12, 26)] {
            if let fixed = Day(year: year, month: month, day: day) { days.insert(fixed) }
        }
        if year >= 2017, let reformation = Day(year: year, month: 10, day: 31) { days.insert(reformation) }
        if let easter = easterSunday(year: year) {
            for offset in [-2, 1, 39, 50] { days.insert(easter.adding(days: offset)) }
        }
        return days
    }

    /// Whether `day` is Monday to Friday and no public holiday of Lower Saxony.
    public static func isWorkingDay(_ day: Day) -> Bool {
        (1...5).contains(day.weekday) && !lowerSaxony(year: day.year).contains(day)
    }

    /// Easter Sunday of the Gregorian calendar (the anonymous algorithm, Meeus/Jones/Butcher).
    public static func easterSunday(year: Int) -> Day? {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return Day(year: year, month: month, day: day)
    }
}
