import APIMachinery
import Foundation

/// An object being turned into a table row, with the lenient readers the printers need: Kubernetes' printers work
/// on defaulted Go structs, so a missing field reads as its zero value here.
struct PrintedObject {
    let object: JSONValue
    let now: Date

    var name: String { string("metadata", "name") }
    var isDeleting: Bool { object[path: "metadata", "deletionTimestamp"].map { !$0.isNull } ?? false }

    /// AGE: time since `metadata.creationTimestamp`, or `<unknown>`.
    var age: String { since(object[path: "metadata", "creationTimestamp"]?.stringValue) }

    func value(_ path: String...) -> JSONValue? {
        object.value(at: path[...])
    }

    func string(_ path: String...) -> String {
        object.value(at: path[...])?.stringValue ?? ""
    }

    func optionalString(_ path: String...) -> String? {
        object.value(at: path[...])?.stringValue
    }

    func integer(_ path: String..., default fallback: Int64 = 0) -> Int64 {
        object.value(at: path[...])?.integerValue ?? fallback
    }

    func array(_ path: String...) -> [JSONValue] {
        object.value(at: path[...])?.arrayValue ?? []
    }

    func stringMap(_ path: String...) -> [String: String] {
        (object.value(at: path[...])?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// `translateTimestampSince`: the human duration since an RFC 3339 time, `<unknown>` when unset.
    func since(_ timestamp: String?) -> String {
        guard let timestamp, let date = KubeTime.parse(timestamp), date.timeIntervalSince1970 > TableFormat.zeroTime
        else { return "<unknown>" }
        return TableFormat.humanDuration(now.timeIntervalSince(date))
    }
}
