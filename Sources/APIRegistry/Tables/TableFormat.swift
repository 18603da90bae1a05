import APIMachinery
import Foundation

/// The small formatting rules Kubernetes' printers share.
enum TableFormat {
    /// Go's zero `time.Time` (0001-01-01T00:00:00Z) in seconds since 1970; it counts as unset.
    static let zeroTime: TimeInterval = -62_135_596_800

    /// `duration.HumanDuration`: about two significant figures, `45s`, `2m30s`, `5m`, `3h10m`, `2d4h`, `400d`, `3y20d`.
    static func humanDuration(_ interval: TimeInterval) -> String {
        let seconds = Int(interval)
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 {
            let remainder = seconds % 60
            return remainder == 0 ? "\(minutes)m" : "\(minutes)m\(remainder)s"
        }
        if minutes < 180 { return "\(minutes)m" }
        let hours = seconds / 3600
        if hours < 8 {
            let remainder = minutes % 60
            return remainder == 0 ? "\(hours)h" : "\(hours)h\(remainder)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let remainder = hours % 24
            return remainder == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(remainder)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let days = hours / 24 % 365
            return days == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(days)d"
        }
        return "\(hours / 24 / 365)y"
    }

    /// `labels.FormatLabels`: `a=b,c=d` sorted by key, `<none>` when empty.
    static func labels(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "<none>" }
        return labels.keys.sorted().map { "\($0)=\(labels[$0] ?? "")" }.joined(separator: ",")
    }

    /// `metav1.FormatLabelSelector`: the selector string, `<none>` for a missing or empty selector.
    static func labelSelector(_ selector: JSONValue?) -> String {
        guard let selector = try? LabelSelector(object: selector ?? .null) else { return "<error>" }
        let text = selector.description
        return text.isEmpty ? "<none>" : text
    }

    /// The CONTAINERS and IMAGES cells: names and images joined by commas.
    static func containers(_ containers: [JSONValue]) -> (names: String, images: String) {
        (
            containers.map { $0["name"]?.stringValue ?? "" }.joined(separator: ","),
            containers.map { $0["image"]?.stringValue ?? "" }.joined(separator: ",")
        )
    }

    /// `helper.GetAccessModesAsString`: `RWO,ROX,RWX,RWOP` in that order, each once.
    static func accessModes(_ modes: [JSONValue]) -> String {
        let present = Set(modes.compactMap(\.stringValue))
        let known: [(String, String)] = [
            ("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP"),
        ]
        return known.filter { present.contains($0.0) }.map(\.1).joined(separator: ",")
    }

    /// `a,b,c + 2 more...` for lists Kubernetes cuts after `limit` entries; `<unset>` when empty.
    static func limitedList(_ items: [String], limit: Int = 3) -> String {
        guard !items.isEmpty else { return "<unset>" }
        let shown = items.prefix(limit).joined(separator: ",")
        return items.count > limit ? "\(shown) + \(items.count - limit) more..." : shown
    }

    /// An `IntOrString` or quantity as Kubernetes prints it.
    static func scalar(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .double(let number): return value?.integerValue.map { String($0) } ?? String(number)
        case .bool(let flag): return flag ? "true" : "false"
        default: return nil
        }
    }

    /// `printBool`: `True` / `False`.
    static func bool(_ flag: Bool) -> String { flag ? "True" : "False" }
}
