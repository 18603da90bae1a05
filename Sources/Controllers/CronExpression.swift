import Foundation

/// A standard five-field cron schedule (`*/5 * * * *`, names, ranges, steps, `@hourly`-style macros) and the times
/// it fires, with the day-of-month/day-of-week rule of the cron library Kubernetes uses: when both are restricted a
/// day matching either fires.
struct CronExpression: Sendable, Equatable {
    private(set) var minutes: Set<Int>
    private(set) var hours: Set<Int>
    private(set) var daysOfMonth: Set<Int>
    private(set) var months: Set<Int>
    private(set) var daysOfWeek: Set<Int>
    private var dayOfMonthIsStar: Bool
    private var dayOfWeekIsStar: Bool

    private static let macros = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    private static let monthNames = ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12]
    private static let dayNames = ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]

    init?(_ text: String) {
        let expanded = Self.macros[text.trimmingCharacters(in: .whitespaces).lowercased()] ?? text
        let fields = expanded.split(whereSeparator: \.isWhitespace).map { String($0).lowercased() }
        guard fields.count == 5,
            let minutes = Self.parse(fields[0], 0...59, [:]), let hours = Self.parse(fields[1], 0...23, [:]),
            let daysOfMonth = Self.parse(fields[2], 1...31, [:]), let months = Self.parse(fields[3], 1...12, Self.monthNames),
            var daysOfWeek = Self.parse(fields[4], 0...7, Self.dayNames)
        else { return nil }
        if daysOfWeek.remove(7) != nil { daysOfWeek.insert(0) }
        self.minutes = minutes
        self.hours = hours
        self.daysOfMonth = daysOfMonth
        self.months = months
        self.daysOfWeek = daysOfWeek
        dayOfMonthIsStar = fields[2] == "*" || fields[2] == "?"
        dayOfWeekIsStar = fields[4] == "*" || fields[4] == "?"
    }

    private static func parse(_ field: String, _ bounds: ClosedRange<Int>, _ names: [String: Int]) -> Set<Int>? {
        var values: Set<Int> = []
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { return nil }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { return nil }
                step = parsed
            }
            let range = pieces[0]
            var low: Int
            var high: Int
            if range == "*" || range == "?" {
                (low, high) = (bounds.lowerBound, bounds.upperBound)
            } else {
                let ends = range.split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count <= 2, let start = value(ends[0], names) else { return nil }
                low = start
                high = ends.count == 2 ? (value(ends[1], names) ?? -1) : (pieces.count == 2 ? bounds.upperBound : start)
            }
            guard bounds.contains(low), bounds.contains(high), low <= high else { return nil }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return values
    }

    private static func value(_ text: Substring, _ names: [String: Int]) -> Int? {
        Int(text) ?? names[String(text)]
    }

    private func dayMatches(_ day: Int, weekday: Int) -> Bool {
        let byMonth = daysOfMonth.contains(day)
        let byWeek = daysOfWeek.contains(weekday)
        if dayOfMonthIsStar || dayOfWeekIsStar { return byMonth && byWeek }
        return byMonth || byWeek
    }

    /// The first firing strictly after `date`, in `timeZone`; nil if none within five years (e.g. `0 0 30 2 *`).
    func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard let minute = calendar.dateInterval(of: .minute, for: date), let limit = calendar.date(byAdding: .year, value: 5, to: date)
        else { return nil }
        var time = minute.end
        while time < limit {
            let parts = calendar.dateComponents([.month, .day, .weekday, .hour, .minute], from: time)
            guard let month = parts.month, let day = parts.day, let weekday = parts.weekday, let hour = parts.hour, let minute = parts.minute
            else { return nil }
            if !months.contains(month) {
                guard let start = calendar.dateInterval(of: .month, for: time)?.end else { return nil }
                time = start
            } else if !dayMatches(day, weekday: weekday - 1) {
                guard let start = calendar.dateInterval(of: .day, for: time)?.end else { return nil }
                time = start
            } else if !hours.contains(hour) {
                guard let start = calendar.dateInterval(of: .hour, for: time)?.end else { return nil }
                time = start
            } else if !minutes.contains(minute) {
                time = time.addingTimeInterval(60)
            } else {
                return time
            }
        }
        return nil
    }
}
