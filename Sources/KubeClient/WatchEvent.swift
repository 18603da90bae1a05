import APIMachinery

/// One decoded watch event.
public enum WatchEvent: Sendable {
    case added(JSONValue)
    case modified(JSONValue)
    case deleted(JSONValue)
    /// A progress notification: nothing changed up to this resourceVersion.
    case bookmark(resourceVersion: String)
    /// The server ended the watch with a `Status` (410 Expired: re-list).
    case error(APIError)

    public init?(line: JSONValue) {
        guard let type = line["type"]?.stringValue, let object = line["object"] else { return nil }
        switch type {
        case "ADDED": self = .added(object)
        case "MODIFIED": self = .modified(object)
        case "DELETED": self = .deleted(object)
        case "BOOKMARK": self = .bookmark(resourceVersion: object[path: "metadata", "resourceVersion"]?.stringValue ?? "")
        case "ERROR": self = .error(APIError(status: object, fallbackCode: 500))
        default: return nil
        }
    }
}
