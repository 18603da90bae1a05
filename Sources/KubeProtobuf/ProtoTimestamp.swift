import APIMachinery
import Foundation

/// The JSON strings of `metav1.Time` and `metav1.MicroTime`, computed in integers so that
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
}
