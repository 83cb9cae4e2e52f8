/// A German Land (Bundesland), by its ISO 3166-2:DE code: whose public holidays the working-day rules of
/// the cron expressions (`LW`, `nW`) skip (`county.land`; Landkreis Verden: Niedersachsen, `NI`).
public enum Land: String, CaseIterable, Sendable, Hashable {
    case badenWuerttemberg = "BW", bayern = "BY", berlin = "BE", brandenburg = "BB", bremen = "HB", hamburg = "HH"
    case hessen = "HE", mecklenburgVorpommern = "MV", niedersachsen = "NI", nordrheinWestfalen = "NW"
    case rheinlandPfalz = "RP", saarland = "SL", sachsen = "SN", sachsenAnhalt = "ST", schleswigHolstein = "SH"
    case thueringen = "TH"
}

/// Public holidays (gesetzliche Feiertage) by Land, as the Länder's Feiertagsgesetze set them for the
/// whole Land (holidays of some municipalities only, such as Fronleichnam in parts of Sachsen and
/// Thüringen or Mariä Himmelfahrt in Bavaria's Catholic communes, are not the Land's and are left out).
public enum PublicHolidays {
    /// The holidays of `land` in `year`: everywhere Neujahr, Karfreitag, Ostermontag, Tag der Arbeit,
    /// Christi Himmelfahrt, Pfingstmontag, Tag der Deutschen Einheit, 1. and 2. Weihnachtstag; and by Land
    /// Heilige Drei Könige (BW, BY, ST), Internationaler Frauentag (BE since 2019, MV since 2023), Tag der
    /// Befreiung (BE 2020 and 2025), Fronleichnam (BW, BY, HE, NW, RP, SL), Mariä Himmelfahrt (SL),
    /// Weltkindertag (TH since 2019), Reformationstag (BB, MV, SN, ST, TH; HB, HH, NI, SH since 2018;
    /// everywhere in 2017, its 500th year), Allerheiligen (BW, BY, NW, RP, SL), Buß- und Bettag (SN).
    public static func days(year: Int, in land: Land) -> Set<Day> {
        var days: Set<Day> = []
        func fixed(_ month: Int, _ day: Int) {
            if let date = Day(year: year, month: month, day: day) { days.insert(date) }
        }
        for (month, day) in [(1, 1), (5, 1), (10, 3), (12, 25), (12, 26)] { fixed(month, day) }
        if let easter = easterSunday(year: year) {
            for offset in [-2, 1, 39, 50] { days.insert(easter.adding(days: offset)) }
            if [.badenWuerttemberg, .bayern, .hessen, .nordrheinWestfalen, .rheinlandPfalz, .saarland].contains(land) {
                days.insert(easter.adding(days: 60))  // Fronleichnam
            }
        }
        if [.badenWuerttemberg, .bayern, .sachsenAnhalt].contains(land) { fixed(1, 6) }
        if (land == .berlin && year >= 2019) || (land == .mecklenburgVorpommern && year >= 2023) { fixed(3, 8) }
        if land == .berlin, year == 2020 || year == 2025 { fixed(5, 8) }
        if land == .saarland { fixed(8, 15) }
        if land == .thueringen, year >= 2019 { fixed(9, 20) }
        let reformationSince1990: Set<Land> = [
            .brandenburg, .mecklenburgVorpommern, .sachsen, .sachsenAnhalt, .thueringen,
        ]
        let reformationSince2018: Set<Land> = [.bremen, .hamburg, .niedersachsen, .schleswigHolstein]
        if year == 2017 || reformationSince1990.contains(land) || (year >= 2018 && reformationSince2018.contains(land))
        {
            fixed(10, 31)
        }
        if [.badenWuerttemberg, .bayern, .nordrheinWestfalen, .rheinlandPfalz, .saarland].contains(land) {
            fixed(11, 1)
        }
        if land == .sachsen, let november23 = Day(year: year, month: 11, day: 23) {
            // Buß- und Bettag: the Wednesday before 23 November (16 to 22 November).
            let back = Int((november23.weekday - 3 + 7) % 7)
            days.insert(november23.adding(days: -(back == 0 ? 7 : back)))
        }
        return days
    }

    /// The holidays of Lower Saxony (the default Land).
    public static func lowerSaxony(year: Int) -> Set<Day> { days(year: year, in: .niedersachsen) }

    /// Whether `day` is Monday to Friday and no public holiday of `land`.
    public static func isWorkingDay(_ day: Day, in land: Land = .niedersachsen) -> Bool {
        (1...5).contains(day.weekday) && !days(year: day.year, in: land).contains(day)
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
