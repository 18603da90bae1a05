import Foundation

/// Kubernetes' wire timestamps: `metav1.Time` is RFC 3339 in UTC with whole seconds (`2024-05-01T10:00:00Z`),
/// `metav1.MicroTime` the same with six fractional digits (`2024-05-01T10:00:00.000000Z`).
///
/// Written by hand rather than with `DateFormatter` so it is cheap, locale-free and safe to call from any task.
public enum KubeTime {
    /// Parses an RFC 3339 timestamp with an optional fraction and a `Z` or `±hh:mm` offset; `nil` when malformed.
    public static func parse(_ rfc3339: String) -> Date? {
        let bytes = Array(rfc3339.utf8)
        var cursor = 0

        func digits(_ count: Int) -> Int? {
            guard cursor + count <= bytes.count else { return nil }
            var value = 0
            for index in cursor..<(cursor + count) {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            cursor += count
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard cursor < bytes.count, characters.utf8.contains(bytes[cursor]) else { return false }
            cursor += 1
            return true
        }

        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
            expect("Tt"), let hour = digits(2), expect(":"), let minute = digits(2), expect(":"),
            let second = digits(2)
        else { return nil }
        guard (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }

        var fraction = 0.0
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: ".") {
            cursor += 1
            var scale = 0.1
            let start = cursor
            while cursor < bytes.count, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39 {
                fraction += Double(bytes[cursor] - 0x30) * scale
                scale /= 10
                cursor += 1
            }
            guard cursor > start else { return nil }
        }

        var offsetSeconds = 0
        if expect("Zz") {
            offsetSeconds = 0
        } else if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "+") || bytes[cursor] == UInt8(ascii: "-") {
            let sign = bytes[cursor] == UInt8(ascii: "-") ? -1 : 1
            cursor += 1
            guard let offsetHours = digits(2), expect(":"), let offsetMinutes = digits(2), offsetHours < 24,
                offsetMinutes < 60
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard cursor == bytes.count else { return nil }

        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// `2024-05-01T10:00:00Z`: UTC, fraction dropped (as Go truncates when marshalling `metav1.Time`).
    public static func format(_ date: Date) -> String {
        let (whole, _) = split(date)
        return civilString(whole) + "Z"
    }

    /// `2024-05-01T10:00:00.123456Z`: the `metav1.MicroTime` form, always six fractional digits.
    public static func formatMicro(_ date: Date) -> String {
        let (whole, micros) = split(date)
        let fraction = String(micros)
        return civilString(whole) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }

    /// Whole seconds since the epoch (floored, so times before 1970 stay correct) and the microseconds after them.
    private static func split(_ date: Date) -> (seconds: Int, micros: Int) {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded(.down)
        let seconds = Int((totalMicros / 1_000_000).rounded(.down))
        let micros = Int(totalMicros - Double(seconds) * 1_000_000)
        return (seconds, min(max(micros, 0), 999_999))
    }

    private static func civilString(_ epochSeconds: Int) -> String {
        let days = floorDivide(epochSeconds, 86_400)
        let secondsOfDay = epochSeconds - days * 86_400
        let (year, month, day) = civilFromDays(days)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondsOfDay / 3600, 2) + ":"
            + pad(secondsOfDay % 3600 / 60, 2) + ":" + pad(secondsOfDay % 60, 2)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    private static func floorDivide(_ value: Int, _ divisor: Int) -> Int {
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
    }

    private static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = floorDivide(shiftedYear, 400)
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
