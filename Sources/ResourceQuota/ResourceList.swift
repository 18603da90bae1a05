import APIMachinery

/// Quantities by resource name (`cpu`, `requests.memory`, `count/deployments.apps`): a quota's `hard` and `used`, a
/// container's requests, an object's usage. The operations are those of Kubernetes' `pkg/quota/v1/resources.go`,
/// so sums keep the formats Kubernetes prints.
public struct ResourceList: Sendable, Hashable, CustomStringConvertible {
    public private(set) var quantities: [String: Quantity]

    public init(_ quantities: [String: Quantity] = [:]) {
        self.quantities = quantities
    }

    /// From a JSON object of quantities; an entry that is not a quantity (the API refuses those) is left out.
    public init(json: JSONValue?) {
        quantities = (json?.objectValue ?? [:]).compactMapValues(Quantity.init(json:))
    }

    /// The object the API writes, each quantity in Kubernetes' canonical form.
    public var json: JSONValue { .object(quantities.mapValues(\.json)) }

    public subscript(name: String) -> Quantity? {
        get { quantities[name] }
        set { quantities[name] = newValue }
    }

    public var names: Set<String> { Set(quantities.keys) }
    public var isEmpty: Bool { quantities.isEmpty }

    /// Every name of either list, the quantities of names in both summed (`quota.Add`).
    public static func + (lhs: ResourceList, rhs: ResourceList) -> ResourceList {
        ResourceList(lhs.quantities.merging(rhs.quantities, uniquingKeysWith: +))
    }

    public static func += (lhs: inout ResourceList, rhs: ResourceList) { lhs = lhs + rhs }

    /// `lhs - rhs` for every name of either list, negative where only `rhs` has it (`quota.Subtract`).
    public static func - (lhs: ResourceList, rhs: ResourceList) -> ResourceList {
        lhs + ResourceList(rhs.quantities.mapValues { -$0 })
    }

    /// `self - other` for every name of either list, zero where that would be negative
    /// (`quota.SubtractWithNonNegativeResult`): what an update adds to an object's usage.
    public func subtractingClampedAtZero(_ other: ResourceList) -> ResourceList {
        ResourceList((self - other).quantities.mapValues { $0.isNegative || $0.isZero ? Quantity.zero : $0 })
    }

    /// The names of this list whose quantity is greater than the limit `limits` sets; names `limits` does not
    /// set are unlimited. Empty when everything fits (`quota.LessThanOrEqual`).
    public func names(exceeding limits: ResourceList) -> Set<String> {
        Set(limits.quantities.compactMap { name, limit in quantities[name].flatMap { $0 > limit ? name : nil } })
    }

    /// Only the entries of `names` (`quota.Mask`).
    public func masked(to names: some Sequence<String>) -> ResourceList {
        var kept: [String: Quantity] = [:]
        for name in names { kept[name] = quantities[name] }
        return ResourceList(kept)
    }

    /// Without the zero entries (`quota.RemoveZeros`).
    public var removingZeros: ResourceList { ResourceList(quantities.filter { !$0.value.isZero }) }

    /// The names with a negative quantity (`quota.IsNegative`).
    public var negativeNames: Set<String> { Set(quantities.filter { $0.value.isNegative }.keys) }

    /// For each name, the larger quantity of the two lists (`maxResourceList`).
    func maximum(with other: ResourceList) -> ResourceList {
        ResourceList(quantities.merging(other.quantities) { current, new in new > current ? new : current })
    }

    /// `cpu=1,memory=1Gi`: sorted by name, as quota errors print lists (`prettyPrint`).
    public var description: String {
        quantities.keys.sorted().compactMap { name in quantities[name].map { "\(name)=\($0)" } }.joined(separator: ",")
    }
}
