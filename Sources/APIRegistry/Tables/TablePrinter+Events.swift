import APIMachinery
import Foundation

/// `kubectl get events`: LAST SEEN TYPE REASON OBJECT MESSAGE | SUBOBJECT SOURCE FIRST SEEN COUNT NAME.
/// `events.k8s.io` events share the printer; their fields are read under their core/v1 names.
extension TablePrinter {
    static let events = TablePrinter(
        columns: [
            TableColumn("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
            TableColumn("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
            TableColumn("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
            TableColumn("Object", "The object that this event is about."),
            TableColumn("Subobject", "If the reference is to an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].", priority: 1),
            TableColumn("Source", "The component reporting this event. Should be a short machine understandable string.", priority: 1),
            TableColumn("Message", "A human-readable description of the status of this operation."),
            TableColumn("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", priority: 1),
            TableColumn("Count", "The number of times this event has occurred.", priority: 1),
            TableColumn("Name", TableColumn.nameDescription, format: "name", priority: 1),
        ],
        cells: { printed in
            let event = coreEvent(printed.object)
            func field(_ path: String...) -> String { event.value(at: path[...])?.stringValue ?? "" }
            func time(_ key: String) -> String? {
                guard let text = event[key]?.stringValue, !text.isEmpty else { return nil }
                return text
            }

            var firstSeen = printed.since(time("firstTimestamp"))
            if time("firstTimestamp") == nil { firstSeen = printed.since(time("eventTime")) }
            var lastSeen = time("lastTimestamp") == nil ? firstSeen : printed.since(time("lastTimestamp"))
            var count = event["count"]?.integerValue ?? 0
            if let series = event["series"], series.objectValue != nil {
                lastSeen = printed.since(series["lastObservedTime"]?.stringValue)
                count = series["count"]?.integerValue ?? 0
            } else if count == 0 {
                // Events written through the new API carry no count until they repeat.
                count = 1
            }

            let kind = field("involvedObject", "kind").lowercased()
            let involvedName = field("involvedObject", "name")
            let target = involvedName.isEmpty ? kind : "\(kind)/\(involvedName)"
            let component = field("source", "component").isEmpty ? field("reportingComponent") : field("source", "component")
            let host = field("source", "host").isEmpty ? field("reportingInstance") : field("source", "host")
            let source = host.isEmpty ? component : "\(component), \(host)"
            return [
                .string(lastSeen), .string(field("type")), .string(field("reason")), .string(target),
                .string(field("involvedObject", "fieldPath")), .string(source),
                .string(field("message").trimmingCharacters(in: .whitespacesAndNewlines)), .string(firstSeen),
                .integer(count), .string(printed.name),
            ]
        })

    /// An `events.k8s.io/v1` event seen with core/v1 field names; core events pass through unchanged.
    private static func coreEvent(_ event: JSONValue) -> JSONValue {
        guard event["apiVersion"]?.stringValue?.hasPrefix("events.k8s.io/") == true else { return event }
        var core = event
        let renames = [
            ("regarding", "involvedObject"), ("note", "message"), ("deprecatedSource", "source"),
            ("deprecatedFirstTimestamp", "firstTimestamp"), ("deprecatedLastTimestamp", "lastTimestamp"),
            ("deprecatedCount", "count"), ("reportingController", "reportingComponent"),
        ]
        for (from, to) in renames {
            core[to] = event[from]
            core[from] = nil
        }
        return core
    }
}
