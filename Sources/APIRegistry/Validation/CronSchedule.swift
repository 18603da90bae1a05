/// The standard five-field cron syntax Kubernetes parses CronJob schedules with (robfig/cron v3
/// `ParseStandard`), reporting the same error texts.
enum CronSchedule {
    private struct Bounds {
        let minimum: Int
        let maximum: Int
        let names: [String: Int]
    }

    private static let minutes = Bounds(minimum: 0, maximum: 59, names: [:])
    private static let hours = Bounds(minimum: 0, maximum: 23, names: [:])
    private static let daysOfMonth = Bounds(minimum: 1, maximum: 31, names: [:])
    private static let months = Bounds(
        minimum: 1, maximum: 12,
        names: ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12])
    private static let daysOfWeek = Bounds(
        minimum: 0, maximum: 6, names: ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6])

    private static let descriptors: Set<String> = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]

    /// The parse error for a schedule, or nil when it parses.
    static func error(in schedule: String) -> String? {
        guard !schedule.isEmpty else { return "empty spec string" }
        var spec = Substring(schedule)
        if spec.hasPrefix("TZ=") || spec.hasPrefix("CRON_TZ=") {
            guard let space = spec.firstIndex(of: " "), let equals = spec.firstIndex(of: "="), equals < space else {
                return "provided bad location \(spec.drop { $0 != "=" }.dropFirst()): unknown time zone"
            }
            spec = spec[space...].drop { $0 == " " }
        }
        if spec.hasPrefix("@") {
            if descriptors.contains(String(spec)) { return nil }
            if spec.hasPrefix("@every ") {
                let duration = spec.dropFirst("@every ".count)
                return isGoDuration(duration) ? nil : "failed to parse duration \(spec): time: invalid duration \(GoSyntax.quote(String(duration)))"
            }
            return "unrecognized descriptor: \(spec)"
        }
        let fields = spec.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        guard fields.count == 5 else {
            return "expected exactly 5 fields, found \(fields.count): [\(fields.joined(separator: " "))]"
        }
        for (field, bounds) in zip(fields, [minutes, hours, daysOfMonth, months, daysOfWeek]) {
            for range in field.split(separator: ",", omittingEmptySubsequences: false) {
                if let error = rangeError(String(range), bounds) { return error }
            }
        }
        return nil
    }

    private static func rangeError(_ expression: String, _ bounds: Bounds) -> String? {
        let rangeAndStep = expression.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let lowAndHigh = rangeAndStep[0].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        var start: Int
        var end: Int
        if lowAndHigh[0] == "*" || lowAndHigh[0] == "?" {
            start = bounds.minimum
            end = bounds.maximum
        } else {
            switch parseIntOrName(lowAndHigh[0], bounds.names) {
            case .failure(let message): return message
            case .success(let value): start = value
            }
            switch lowAndHigh.count {
            case 1: end = start
            case 2:
                switch parseIntOrName(lowAndHigh[1], bounds.names) {
                case .failure(let message): return message
                case .success(let value): end = value
                }
            default: return "too many hyphens: \(expression)"
            }
        }
        var step = 1
        switch rangeAndStep.count {
        case 1: break
        case 2:
            switch parseInt(rangeAndStep[1]) {
            case .failure(let message): return message
            case .success(let value): step = value
            }
            if lowAndHigh.count == 1 { end = bounds.maximum }
        default: return "too many slashes: \(expression)"
        }
        if start < bounds.minimum { return "beginning of range (\(start)) below minimum (\(bounds.minimum)): \(expression)" }
        if end > bounds.maximum { return "end of range (\(end)) above maximum (\(bounds.maximum)): \(expression)" }
        if start > end { return "beginning of range (\(start)) beyond end of range (\(end)): \(expression)" }
        if step == 0 { return "step of range should be a positive number: \(expression)" }
        return nil
    }

    private enum Parsed {
        case success(Int)
        case failure(String)
    }

    private static func parseIntOrName(_ text: String, _ names: [String: Int]) -> Parsed {
        if let named = names[text.lowercased()] { return .success(named) }
        return parseInt(text)
    }

    /// Go's `strconv.Atoi` and its error texts, then robfig's negative-number check.
    private static func parseInt(_ text: String) -> Parsed {
        let body = text.hasPrefix("+") || text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !body.isEmpty, body.utf8.allSatisfy(NameRules.isDigit) else {
            return .failure("failed to parse int from \(text): strconv.Atoi: parsing \(GoSyntax.quote(text)): invalid syntax")
        }
        guard let value = Int(text) else {
            return .failure("failed to parse int from \(text): strconv.Atoi: parsing \(GoSyntax.quote(text)): value out of range")
        }
        if value < 0 { return .failure("negative number (\(value)) not allowed: \(text)") }
        return .success(value)
    }

    /// Go's `time.ParseDuration` grammar: signed sequence of decimal numbers with units.
    private static func isGoDuration(_ text: Substring) -> Bool {
        var rest = text.hasPrefix("+") || text.hasPrefix("-") ? text.dropFirst() : text
        if rest == "0" { return true }
        guard !rest.isEmpty else { return false }
        let units = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != "." else { return false }
            rest = rest.dropFirst(number.count)
            guard let unit = units.sorted(by: { $0.count > $1.count }).first(where: { rest.hasPrefix($0) }) else { return false }
            rest = rest.dropFirst(unit.count)
        }
        return true
    }
}
