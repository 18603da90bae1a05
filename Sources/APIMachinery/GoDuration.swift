/// Go's `time.Duration.String()`, which Kubernetes puts on the wire (`metav1.Duration`: a PodMetrics' `window`)
/// and into messages: `1h2m3.5s`, `1m0s`, `150ms`, `1.5µs`, `0s`.
public enum GoDuration {
    public static func string(nanoseconds: Int64) -> String {
        var magnitude = nanoseconds < 0 ? 0 &- UInt64(bitPattern: nanoseconds) : UInt64(nanoseconds)
        guard magnitude != 0 else { return "0s" }
        var text: String
        if magnitude < 1_000_000_000 {
            let (unit, precision): (String, Int) =
                switch magnitude {
                case ..<1000: ("ns", 0)
                case ..<1_000_000: ("µs", 3)
                default: ("ms", 6)
                }
            let fraction = Self.fraction(&magnitude, precision: precision)
            text = String(magnitude) + fraction + unit
        } else {
            let fraction = Self.fraction(&magnitude, precision: 9)
            text = String(magnitude % 60) + fraction + "s"
            magnitude /= 60
            if magnitude > 0 {
                text = String(magnitude % 60) + "m" + text
                magnitude /= 60
                if magnitude > 0 { text = String(magnitude) + "h" + text }
            }
        }
        return nanoseconds < 0 ? "-" + text : text
    }

    /// A Swift `Duration`, to the nanosecond.
    public static func string(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return string(nanoseconds: overflow ? (seconds < 0 ? .min : .max) : nanoseconds &+ attoseconds / 1_000_000_000)
    }

    /// Reads Go's duration syntax (`time.ParseDuration`): `15s`, `1m30s`, `500ms`, `1.5h`, `-2s`; nil for anything
    /// else, a bare number included (Go asks for a unit unless it is 0).
    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return .zero }
        guard !rest.isEmpty else { return nil }
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var nanoseconds = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number.hasPrefix(".") ? "0" + number : String(number)) else { return nil }
            rest = rest.dropFirst(number.count)
            // The longest unit that matches: `ms` before `m`.
            guard let unit = units.filter({ rest.hasPrefix($0.0) }).max(by: { $0.0.count < $1.0.count }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            nanoseconds += value * unit.1
        }
        guard nanoseconds < 9.2e18 else { return nil }
        let duration = Duration.nanoseconds(Int64(nanoseconds.rounded()))
        return negative ? .zero - duration : duration
    }

    /// Splits off the last `precision` decimal digits as `.ddd` without trailing zeros (empty when all are zero).
    private static func fraction(_ value: inout UInt64, precision: Int) -> String {
        var digits: [Character] = []
        var printing = false
        for _ in 0..<precision {
            let digit = value % 10
            printing = printing || digit != 0
            if printing { digits.append(Character(String(digit))) }
            value /= 10
        }
        return printing ? "." + String(digits.reversed()) : ""
    }
}
