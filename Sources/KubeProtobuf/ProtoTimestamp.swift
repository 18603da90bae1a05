import APIMachinery
import Foundation

/// The JSON strings of `metav1.Time`, `metav1.MicroTime` and `metav1.Duration`, computed in integers so that
/// no fraction is lost to floating point.
enum ProtoTimestamp {
    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: Go's `Time.MarshalJSON` refuses years outside [0, 9999].
    private static let secondsRange: ClosedRange<Int64> = -62_167_219_200...253_402_300_799

    /// `2024-01-02T03:04:05Z`, or with `micro` `2024-01-02T03:04:05.123456Z` (fraction truncated, as Go's
    /// RFC3339Micro layout does).
    static func rfc3339(seconds: Int64, nanos: Int64, micro: Bool) throws(KubeProtobufError) -> String {
        // time.Unix normalizes nanoseconds outside [0, 1e9) into the seconds.
        let carry = nanos >= 0 ? nanos / 1_000_000_000 : (nanos - 999_999_999) / 1_000_000_000
        let (wholeSeconds, overflow) = seconds.addingReportingOverflow(carry)
        guard !overflow, secondsRange.contains(wholeSeconds) else {
            throw KubeProtobufError(.malformed, "Time.MarshalJSON: year outside of range [0,9999]")
        }
        let whole = KubeTime.format(Date(timeIntervalSince1970: TimeInterval(wholeSeconds)))
        guard micro else { return whole }
        let micros = String((nanos - carry * 1_000_000_000) / 1000)
        return whole.dropLast() + "." + String(repeating: "0", count: 6 - micros.count) + micros + "Z"
    }

    /// Go's `time.Duration.String()`: `1h2m3.5s`, `1m0s`, `150ms`, `1.5µs`, `0s`.
    static func goDuration(nanoseconds: Int64) -> String {
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
