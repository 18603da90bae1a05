import APIMachinery
import ResourceQuota

/// One entry of a LimitRange's `spec.limits`: the constraints and defaults for one kind of thing.
public struct LimitRangeItem: Sendable, Hashable {
    /// `Container`, `Pod` or `PersistentVolumeClaim`.
    public var type: String
    public var min: ResourceList
    public var max: ResourceList
    /// The limits a container that sets none gets.
    public var defaultLimits: ResourceList
    /// The requests a container that sets none gets.
    public var defaultRequests: ResourceList
    public var maxLimitRequestRatio: ResourceList

    public init(_ json: JSONValue) {
        type = json["type"]?.stringValue ?? ""
        min = ResourceList(json: json["min"])
        max = ResourceList(json: json["max"])
        defaultLimits = ResourceList(json: json["default"])
        defaultRequests = ResourceList(json: json["defaultRequest"])
        maxLimitRequestRatio = ResourceList(json: json["maxLimitRequestRatio"])
    }

    /// The items of a LimitRange object.
    public static func items(of limitRange: JSONValue) -> [LimitRangeItem] {
        (limitRange[path: "spec", "limits"]?.arrayValue ?? []).map(LimitRangeItem.init)
    }
}
